//! The embedded simulated fleet: deterministic models, traffic and scenarios
//! behind the same source traits as the real backends.

pub mod alerts;
pub mod backfill;
pub mod catalogue;
pub mod counters;
pub mod detail;
pub mod exposition;
pub mod noise;
pub mod registry;
pub mod scenario;
pub mod serve;
pub mod sim;
pub mod slo;
pub mod source;
pub mod traffic;

pub use alerts::LabAlerts;
pub use registry::LabRegistry;
pub use scenario::Scenario;
pub use sim::{LabOptions, Outcome, Simulator};
pub use source::LabSource;
pub use traffic::LabTraffic;

/// The scripted scenarios, by the names users type (`--scenario`, config `lab.scenario`).
pub const SCENARIO_NAMES: &[&str] = &["calm", "bad-deploy", "feature-drift"];

#[cfg(test)]
mod tests;

/// What the exporter's unit tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::{DateTime, Utc};

    use super::{LabOptions, Scenario, Simulator};

    pub fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    /// A weekday afternoon: the anchor, and the end of history.
    pub fn end() -> DateTime<Utc> {
        at("2026-11-20T14:00:00Z")
    }

    /// bad-deploy with seed 42 (fraud-detector serves v9 and a canary v10), anchored at [`end`].
    pub fn bad_deploy(models: usize) -> Simulator {
        Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models, anchor: end() })
    }
}
