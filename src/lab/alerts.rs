//! Alerts for the simulated fleet, so the demo's alert counts and `:alerts`
//! view have something true to show. The rules mirror the example rules
//! file shipped for the generic preset (`examples/prometheus/rules.yml`):
//! a version's error ratio over 5 % for 2 minutes (critical), its p99
//! latency over 1 s for 5 minutes (warning). "For" is checked at the
//! instant and at the start of the hold period, which is what a real rule
//! sees when the condition has held throughout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::sim::Simulator;
use crate::core::alerts::{self, AlertEntry, AlertOrigin, AlertState};
use crate::core::fleet::{FleetMetrics, error_ratio};
use crate::core::health::percent;
use crate::sources::{AlertsSnapshot, AlertsSource, BoxFuture, FleetQuery, SourceError};

struct Rule {
    name: &'static str,
    severity: &'static str,
    hold: Duration,
    /// The version's value when over the threshold, formatted for the summary.
    breach: fn(&crate::core::fleet::VersionMetrics) -> Option<String>,
}

const RULES: [Rule; 2] = [
    Rule {
        name: "ModelErrorRatioHigh",
        severity: "critical",
        hold: Duration::from_secs(120),
        breach: |v| {
            error_ratio(v.requests_per_second, v.errors_per_second)
                .filter(|r| *r > 0.05)
                .map(|r| format!("{} of requests failing", percent(r)))
        },
    },
    Rule {
        name: "ModelLatencyHigh",
        severity: "warning",
        hold: Duration::from_secs(300),
        breach: |v| v.latency_p99_seconds.filter(|p| *p > 1.0).map(|p| format!("p99 latency {:.2}s", p)),
    },
];

pub struct LabAlerts {
    simulator: Arc<Simulator>,
}

impl LabAlerts {
    pub fn new(simulator: Arc<Simulator>) -> Self {
        LabAlerts { simulator }
    }
}

/// Every rule's alerts at `at`.
pub fn evaluate(simulator: &Simulator, at: DateTime<Utc>) -> Vec<AlertEntry> {
    let snapshot = |t: DateTime<Utc>| -> FleetMetrics {
        let query = FleetQuery { history: Duration::from_secs(60), ..FleetQuery::at(t) };
        simulator.fleet_metrics(&query)
    };
    let now = snapshot(at);
    let mut found = Vec::new();
    for rule in &RULES {
        let before = snapshot(at - chrono::Duration::from_std(rule.hold).unwrap_or_default());
        for model in &now.models {
            for version in &model.versions {
                let Some(summary) = (rule.breach)(version) else { continue };
                let held = before
                    .models
                    .iter()
                    .find(|m| m.model == model.model)
                    .and_then(|m| m.versions.iter().find(|v| v.version == version.version))
                    .and_then(|v| (rule.breach)(v))
                    .is_some();
                let version_name = version.version.clone().unwrap_or_default();
                let labels: BTreeMap<String, String> = [
                    ("alertname", rule.name.to_string()),
                    ("model", model.model.clone()),
                    ("version", version_name.clone()),
                    ("severity", rule.severity.to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let annotations: BTreeMap<String, String> =
                    [("summary".to_string(), format!("{} v{version_name}: {summary}", model.model))].into();
                let state = if held { AlertState::Firing } else { AlertState::Pending };
                let mut entry = AlertEntry::from_labels(&labels, &annotations, "model", state, AlertOrigin::Lab);
                entry.since =
                    Some(if held { at - chrono::Duration::from_std(rule.hold).unwrap_or_default() } else { at });
                found.push(entry);
            }
        }
    }
    alerts::merge(found, Vec::new())
}

impl AlertsSource for LabAlerts {
    fn name(&self) -> String {
        format!("demo ({}) rules", self.simulator.options().scenario.name())
    }

    fn alerts<'a>(&'a self, at: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<AlertsSnapshot, SourceError>> {
        let simulator = Arc::clone(&self.simulator);
        Box::pin(async move {
            let instant = at.unwrap_or_else(Utc::now);
            let alerts = tokio::task::spawn_blocking(move || evaluate(&simulator, instant))
                .await
                .map_err(|e| SourceError { source_name: self.name(), message: format!("simulator failed: {e}") })?;
            Ok(AlertsSnapshot { at, alerts, notes: Vec::new() })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{LabOptions, Scenario};

    fn simulator(scenario: Scenario, anchor: DateTime<Utc>) -> Simulator {
        Simulator::new(LabOptions { seed: 42, scenario, models: 12, anchor })
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_bad_canary_fires_after_its_hold_and_a_calm_fleet_is_quiet() {
        let anchor = at("2026-11-20T14:00:00Z");
        let sim = simulator(Scenario::BadDeploy, anchor);
        let firing = evaluate(&sim, anchor);
        let errors: Vec<&AlertEntry> = firing.iter().filter(|a| a.name == "ModelErrorRatioHigh").collect();
        assert_eq!(errors.len(), 1, "{firing:#?}");
        assert_eq!(errors[0].model.as_deref(), Some("fraud-detector"));
        assert_eq!(errors[0].labels["version"], "10");
        assert_eq!(errors[0].state, AlertState::Firing);
        assert!(errors[0].summary.starts_with("fraud-detector v10: "), "{}", errors[0].summary);

        // One minute after the canary went out the condition has not held for 2 minutes yet.
        let just_deployed = anchor + chrono::Duration::seconds(crate::lab::scenario::offsets::CANARY_DEPLOYED + 60);
        let early = evaluate(&sim, just_deployed);
        assert!(early.iter().filter(|a| a.name == "ModelErrorRatioHigh").all(|a| a.state == AlertState::Pending));

        assert!(evaluate(&simulator(Scenario::Calm, anchor), anchor).is_empty());
    }
}
