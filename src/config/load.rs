//! Reading and validating the config file.
