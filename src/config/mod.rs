//! The configuration file: contexts, endpoints, secret references, paths.

pub mod load;
mod model;
pub mod paths;

pub use model::*;
