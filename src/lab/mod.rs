//! The embedded simulated fleet: deterministic models, traffic and scenarios
//! behind the same source traits as the real backends.

pub mod alerts;
pub mod backfill;
pub mod catalogue;
pub mod counters;
pub mod detail;
pub mod exposition;
pub mod noise;
pub mod scenario;
pub mod serve;
pub mod sim;
pub mod source;

pub use alerts::LabAlerts;
pub use scenario::Scenario;
pub use sim::{LabOptions, Outcome, Simulator};
pub use source::LabSource;

/// The scripted scenarios, by the names users type (`--scenario`, config `lab.scenario`).
pub const SCENARIO_NAMES: &[&str] = &["calm", "bad-deploy", "feature-drift"];

#[cfg(test)]
mod tests;
