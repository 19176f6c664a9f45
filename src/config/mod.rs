//! The configuration file: contexts, endpoints, secrets references, paths.
//!
//! [`load`] reads and validates a file into a [`Config`], reporting every
//! problem with its line, column and dotted key; [`paths`] says where vigil
//! reads and writes its files.

pub mod load;
mod model;
pub mod paths;
pub(crate) mod reader;
mod schema;
pub mod secret;
mod select;
pub mod slo_import;
mod url_check;

pub use load::{format_report, load, load_or_default, load_str};
pub use model::*;
pub use paths::{PathEntry, Paths};
pub(crate) use reader::join as join_key;

/// The shipped metric presets a context may choose (`preset = "kserve"`);
/// user presets in the presets directory are allowed too.
pub const PRESETS: &[&str] = crate::sources::presets::BUILTIN;
