//! The embedded simulated fleet: deterministic models, traffic and scenarios
//! behind the same source traits as the real backends.

/// The scripted scenarios, by the names users type (`--scenario`, config `lab.scenario`).
pub const SCENARIO_NAMES: &[&str] = &["calm", "bad-deploy", "feature-drift"];
