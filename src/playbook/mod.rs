//! Runbook actions with guard rails. So far: the audit log every change is
//! recorded in (playbooks themselves arrive with the rest of this module).

pub mod audit;
pub mod backends;
pub mod library;
pub mod lock;
pub mod plan;
pub mod run;
pub mod spec;
pub mod steps;
pub mod template;
