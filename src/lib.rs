//! vigil: a terminal console for the people who keep machine-learning models
//! running in production. See DESIGN.md for the principles and layout.

pub mod app;
pub mod config;
pub mod core;
pub mod lab;
pub mod sources;
pub mod ui;
