//! Alerts from every place that knows about them, as one list: Prometheus'
//! rule evaluation (pending and firing) and Alertmanager (which adds whether
//! a firing alert is silenced or inhibited). The same alert seen by both is
//! shown once, with Alertmanager's richer state.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::sanitize::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Pending,
    Silenced,
    Inhibited,
}

impl AlertState {
    pub fn label(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Pending => "pending",
            AlertState::Silenced => "silenced",
            AlertState::Inhibited => "inhibited",
        }
    }
}

/// Where an alert was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertOrigin {
    Prometheus,
    Alertmanager,
    /// The embedded simulated fleet.
    Lab,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEntry {
    /// `alertname`.
    pub name: String,
    pub model: Option<String>,
    pub severity: Option<String>,
    pub state: AlertState,
    pub since: Option<DateTime<Utc>>,
    /// The `summary` annotation, else `description`, else empty.
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub origin: AlertOrigin,
    /// Alertmanager's id for the alert.
    pub fingerprint: Option<String>,
    /// Ids of the silences muting it.
    pub silenced_by: Vec<String>,
}

impl AlertEntry {
    /// Builds an entry from raw labels and annotations, cleaning every string
    /// (they come from rule files and exporters, i.e. from outside).
    pub fn from_labels(
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
        model_label: &str,
        state: AlertState,
        origin: AlertOrigin,
    ) -> AlertEntry {
        let labels: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| (sanitize(k).into_owned(), sanitize(v).into_owned())).collect();
        let summary = annotations.get("summary").or_else(|| annotations.get("description"));
        AlertEntry {
            name: labels.get("alertname").cloned().unwrap_or_else(|| "(unnamed)".into()),
            model: labels.get(model_label).or_else(|| labels.get("model")).cloned(),
            severity: labels.get("severity").cloned(),
            state,
            since: None,
            summary: summary.map(|s| sanitize(s).into_owned()).unwrap_or_default(),
            labels,
            origin,
            fingerprint: None,
            silenced_by: Vec::new(),
        }
    }

    /// Whether it needs someone's attention now.
    pub fn is_firing(&self) -> bool {
        self.state == AlertState::Firing
    }
}

/// Alerts per model, for the fleet table's column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlertCounts {
    pub firing: usize,
    pub pending: usize,
    /// Silenced or inhibited.
    pub suppressed: usize,
}

impl AlertCounts {
    pub fn is_empty(&self) -> bool {
        self.firing == 0 && self.pending == 0 && self.suppressed == 0
    }
}

/// One list from Prometheus' view and Alertmanager's. An Alertmanager alert
/// carries the rule's labels plus any external labels, so a Prometheus alert
/// matches when all its labels appear on it; matched ones are shown once.
/// Sorted: firing first, then by severity, model and name.
pub fn merge(prometheus: Vec<AlertEntry>, alertmanager: Vec<AlertEntry>) -> Vec<AlertEntry> {
    let mut by_name: HashMap<&str, Vec<&AlertEntry>> = HashMap::new();
    for alert in &alertmanager {
        by_name.entry(alert.name.as_str()).or_default().push(alert);
    }
    let unmatched: Vec<AlertEntry> = prometheus
        .into_iter()
        .filter(|p| {
            let candidates = by_name.get(p.name.as_str()).map(Vec::as_slice).unwrap_or_default();
            !candidates.iter().any(|a| p.labels.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
        })
        .collect();
    let mut all: Vec<AlertEntry> = alertmanager.into_iter().chain(unmatched).collect();
    all.sort_by(|a, b| {
        (a.state, severity_rank(a.severity.as_deref()), &a.model, &a.name, &a.labels).cmp(&(
            b.state,
            severity_rank(b.severity.as_deref()),
            &b.model,
            &b.name,
            &b.labels,
        ))
    });
    all
}

/// Critical/page first; unknown severities after the known ones.
fn severity_rank(severity: Option<&str>) -> u8 {
    match severity.map(str::to_ascii_lowercase).as_deref() {
        Some("critical" | "page" | "sev1" | "p1") => 0,
        Some("error" | "high" | "sev2" | "p2") => 1,
        Some("warning" | "warn" | "ticket" | "sev3" | "p3") => 2,
        Some("info" | "low" | "sev4" | "p4") => 3,
        _ => 4,
    }
}

/// Counts per model name; alerts without a model label are not counted.
pub fn counts_by_model(alerts: &[AlertEntry]) -> HashMap<String, AlertCounts> {
    let mut counts: HashMap<String, AlertCounts> = HashMap::new();
    for alert in alerts {
        let Some(model) = &alert.model else { continue };
        let entry = counts.entry(model.clone()).or_default();
        match alert.state {
            AlertState::Firing => entry.firing += 1,
            AlertState::Pending => entry.pending += 1,
            AlertState::Silenced | AlertState::Inhibited => entry.suppressed += 1,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, model: &str, state: AlertState, origin: AlertOrigin, extra: &[(&str, &str)]) -> AlertEntry {
        let mut labels: BTreeMap<String, String> =
            [("alertname", name), ("model", model)].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        labels.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        AlertEntry::from_labels(&labels, &BTreeMap::new(), "model", state, origin)
    }

    #[test]
    fn an_alert_seen_by_both_is_shown_once_with_alertmanagers_state() {
        let from_prometheus = vec![
            alert("ModelErrors", "fraud", AlertState::Firing, AlertOrigin::Prometheus, &[]),
            alert("ModelLatency", "fraud", AlertState::Pending, AlertOrigin::Prometheus, &[]),
        ];
        let from_alertmanager =
            vec![alert("ModelErrors", "fraud", AlertState::Silenced, AlertOrigin::Alertmanager, &[("cluster", "eu")])];
        let merged = merge(from_prometheus, from_alertmanager);
        assert_eq!(merged.len(), 2);
        assert_eq!((merged[0].name.as_str(), merged[0].state), ("ModelLatency", AlertState::Pending));
        assert_eq!((merged[1].name.as_str(), merged[1].state), ("ModelErrors", AlertState::Silenced));
        let counts = counts_by_model(&merged);
        assert_eq!(counts["fraud"], AlertCounts { firing: 0, pending: 1, suppressed: 1 });
    }

    #[test]
    fn firing_alerts_sort_first_and_by_severity() {
        let critical = alert("B", "m", AlertState::Firing, AlertOrigin::Prometheus, &[("severity", "critical")]);
        let warning = alert("A", "m", AlertState::Firing, AlertOrigin::Prometheus, &[("severity", "warning")]);
        let pending = alert("C", "m", AlertState::Pending, AlertOrigin::Prometheus, &[]);
        let merged = merge(vec![pending, warning, critical], Vec::new());
        let names: Vec<&str> = merged.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["B", "A", "C"]);
    }

    #[test]
    fn hostile_label_values_are_cleaned() {
        let labels: BTreeMap<String, String> =
            [("alertname".to_string(), "X\x1b]0;pwned\x07".to_string()), ("model".into(), "m\x1b[2J".into())].into();
        let annotations: BTreeMap<String, String> = [("summary".to_string(), "\x1b]52;c;ZXZpbA==\x07hi".into())].into();
        let entry =
            AlertEntry::from_labels(&labels, &annotations, "model", AlertState::Firing, AlertOrigin::Prometheus);
        assert_eq!(entry.name, "X");
        assert_eq!(entry.model.as_deref(), Some("m"));
        assert_eq!(entry.summary, "hi");
    }
}
