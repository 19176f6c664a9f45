//! vigil: a terminal console for the people who keep machine-learning models
//! running in production. See DESIGN.md for the principles and layout.

pub mod app;
pub mod changes;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod core;
pub mod lab;
pub mod launch;
pub mod logging;
pub mod playbook;
pub mod sources;
pub mod ui;
