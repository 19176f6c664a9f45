//! The pure domain: no I/O, no async runtime, no terminal.
//!
//! Everything here is plain data and functions over it, so it can be tested
//! with unit and property tests and shared by the TUI, the one-shot commands
//! and the exports.

pub mod alerts;
pub mod diagnostic;
pub mod drift;
pub mod duration;
pub mod fleet;
pub mod health;
pub mod histogram;
pub mod model_detail;
pub mod registry;
pub mod registry_join;
pub mod sanitize;
pub mod slo;
pub mod timeref;
