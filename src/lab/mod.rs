//! The embedded simulated fleet.
