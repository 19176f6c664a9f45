//! The configuration file: contexts, endpoints, secrets references, paths.

pub mod load;
mod model;
pub mod paths;
mod select;

pub use model::*;
pub use paths::{PathEntry, Paths};
