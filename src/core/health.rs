//! Turning measurements into a verdict: ok, warning, critical or unknown,
//! always with the reason, for the model and each of its serving versions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::alerts::AlertCounts;

use super::fleet::{ModelMetrics, error_ratio};
use super::sanitize::sanitize;

/// Ordered by severity so that `max` picks the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unknown,
    Warning,
    Critical,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unknown => "unknown",
            Status::Warning => "warning",
            Status::Critical => "critical",
        }
    }
}

/// Where a model turns yellow or red. Per context in the config.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthThresholds {
    pub error_ratio_warning: f64,
    pub error_ratio_critical: f64,
    pub latency_p99_warning_seconds: f64,
    pub latency_p99_critical_seconds: f64,
    /// Versions below this share of a model's traffic are judged only when
    /// they carry at least `min_version_requests_per_second`, so a canary at
    /// 1 % with two requests does not page anyone.
    pub min_version_requests_per_second: f64,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        Self {
            error_ratio_warning: 0.01,
            error_ratio_critical: 0.05,
            latency_p99_warning_seconds: 0.5,
            latency_p99_critical_seconds: 1.0,
            min_version_requests_per_second: 0.1,
        }
    }
}

/// The verdict and numbers for one model: what the fleet view shows and what
/// `vigil status` prints. The JSON names are a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHealth {
    pub model: String,
    pub environment: Option<String>,
    pub status: Status,
    pub reason: String,
    pub requests_per_second: Option<f64>,
    pub error_ratio: Option<f64>,
    pub latency_p50_seconds: Option<f64>,
    pub latency_p99_seconds: Option<f64>,
    /// Only from stacks without a latency histogram (see `ModelMetrics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_average_seconds: Option<f64>,
    pub versions: Vec<VersionHealth>,
    /// Requests per second over the last hour, oldest first.
    pub history: Vec<Option<f64>>,
    pub source: String,
    pub age_seconds: Option<f64>,
    /// Alerts naming this model; `None` until an alerts source answers.
    pub alerts: Option<AlertCounts>,
    /// Error budget left of this model's SLO closest to running out; `None`
    /// until SLOs are evaluated (the TUI does; `vigil status` does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_remaining: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionHealth {
    pub version: Option<String>,
    pub aliases: Vec<String>,
    pub traffic_share: Option<f64>,
    pub requests_per_second: Option<f64>,
    pub error_ratio: Option<f64>,
    pub latency_p50_seconds: Option<f64>,
    pub latency_p99_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_average_seconds: Option<f64>,
    pub status: Status,
}

impl FleetReport {
    /// Sets every model's alert counts from `alerts` (zero where none name it).
    pub fn attach_alerts(&mut self, alerts: &[crate::core::alerts::AlertEntry]) {
        let counts = crate::core::alerts::counts_by_model(alerts);
        for model in &mut self.models {
            model.alerts = Some(counts.get(&model.model).copied().unwrap_or_default());
        }
    }
}

/// The whole fleet as one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetReport {
    pub at: DateTime<Utc>,
    pub context: String,
    pub models: Vec<ModelHealth>,
}

impl FleetReport {
    pub fn worst(&self) -> Option<Status> {
        self.models.iter().map(|m| m.status).max()
    }

    pub fn count(&self, status: Status) -> usize {
        self.models.iter().filter(|m| m.status == status).count()
    }
}

/// Where the numbers came from and how old they are, for every model row.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub source: String,
    pub age_seconds: Option<f64>,
}

/// Judges one model. Every version with meaningful traffic is judged too, and
/// the model takes the worst verdict: a canary at 20 % of traffic with 12 %
/// errors is critical even when the model-wide ratio is only 2.4 %.
pub fn assess(metrics: &ModelMetrics, thresholds: &HealthThresholds, provenance: &Provenance) -> ModelHealth {
    let requests = metrics.requests_per_second();
    let errors = metrics.errors_per_second();
    let model_error_ratio = error_ratio(requests, errors);

    let mut findings: Vec<Finding> = Vec::new();
    let versions: Vec<VersionHealth> = metrics
        .versions
        .iter()
        .map(|v| {
            let ratio = error_ratio(v.requests_per_second, v.errors_per_second);
            let share = match (v.requests_per_second, requests) {
                (Some(part), Some(total)) if total > 0.0 => Some(part / total),
                _ => None,
            };
            let meaningful = v.requests_per_second.is_some_and(|r| r >= thresholds.min_version_requests_per_second);
            let version_findings = if meaningful {
                judge(ratio, v.latency_p99_seconds, thresholds, v.version.as_deref())
            } else {
                Vec::new()
            };
            let status = version_findings.iter().map(|f| f.status).max().unwrap_or(if meaningful {
                Status::Ok
            } else {
                Status::Unknown
            });
            if metrics.versions.len() > 1 {
                findings.extend(version_findings);
            }
            VersionHealth {
                version: v.version.as_deref().map(clean),
                aliases: v.aliases.iter().map(|a| clean(a)).collect(),
                traffic_share: share,
                requests_per_second: v.requests_per_second,
                error_ratio: ratio,
                latency_p50_seconds: v.latency_p50_seconds,
                latency_p99_seconds: v.latency_p99_seconds,
                latency_average_seconds: v.latency_average_seconds,
                status,
            }
        })
        .collect();

    let (status, reason) = match requests {
        None => (Status::Unknown, "no data".to_string()),
        Some(r) if r <= 0.0 => (Status::Unknown, "no traffic".to_string()),
        Some(_) => {
            findings.extend(judge(model_error_ratio, metrics.latency_p99_seconds, thresholds, None));
            // Worst first; among equals the model-wide finding (pushed last) wins.
            findings.sort_by(|a, b| b.status.cmp(&a.status).then(b.model_wide.cmp(&a.model_wide)));
            match findings.first() {
                Some(worst) => (worst.status, worst.text.clone()),
                None => (Status::Ok, "healthy".to_string()),
            }
        }
    };

    ModelHealth {
        model: clean(&metrics.model),
        environment: metrics.environment.as_deref().map(clean),
        status,
        reason,
        requests_per_second: requests,
        error_ratio: model_error_ratio,
        latency_p50_seconds: metrics.latency_p50_seconds,
        latency_p99_seconds: metrics.latency_p99_seconds,
        latency_average_seconds: metrics.latency_average_seconds,
        versions,
        history: metrics.history.clone(),
        source: clean(&provenance.source),
        age_seconds: provenance.age_seconds,
        alerts: None,
        budget_remaining: None,
    }
}

/// Names and labels come from outside: clean them once, here, so every view
/// and export gets the same safe text.
fn clean(s: &str) -> String {
    sanitize(s).into_owned()
}

struct Finding {
    status: Status,
    text: String,
    model_wide: bool,
}

fn judge(error_ratio: Option<f64>, p99: Option<f64>, t: &HealthThresholds, version: Option<&str>) -> Vec<Finding> {
    let prefix = version.map(|v| format!("v{} ", clean(v))).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(ratio) = error_ratio {
        let level = if ratio >= t.error_ratio_critical {
            Some((Status::Critical, t.error_ratio_critical))
        } else if ratio >= t.error_ratio_warning {
            Some((Status::Warning, t.error_ratio_warning))
        } else {
            None
        };
        if let Some((status, limit)) = level {
            out.push(Finding {
                status,
                text: format!("{prefix}errors {} ≥ {}", percent(ratio), percent_compact(limit)),
                model_wide: version.is_none(),
            });
        }
    }
    if let Some(p99) = p99 {
        let level = if p99 >= t.latency_p99_critical_seconds {
            Some((Status::Critical, t.latency_p99_critical_seconds))
        } else if p99 >= t.latency_p99_warning_seconds {
            Some((Status::Warning, t.latency_p99_warning_seconds))
        } else {
            None
        };
        if let Some((status, limit)) = level {
            out.push(Finding {
                status,
                text: format!("{prefix}p99 {} ≥ {}", seconds(p99), seconds(limit)),
                model_wide: version.is_none(),
            });
        }
    }
    out
}

/// `0.0123` → `1.23%`, with fewer decimals as the number grows.
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A threshold as short as it can be said: `0.05` → `5%`, `0.005` → `0.5%`.
pub fn percent_compact(ratio: f64) -> String {
    let text = format!("{:.3}", ratio * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// `0.0421` → `42ms`, `1.5` → `1.50s`.
pub fn seconds(s: f64) -> String {
    if s < 0.001 {
        format!("{:.0}µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.0}ms", s * 1e3)
    } else if s < 100.0 {
        format!("{s:.2}s")
    } else {
        format!("{s:.0}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fleet::VersionMetrics;

    fn version(v: &str, rps: f64, err: f64, p99: f64) -> VersionMetrics {
        VersionMetrics {
            version: Some(v.into()),
            aliases: vec![],
            requests_per_second: Some(rps),
            errors_per_second: Some(err),
            latency_p50_seconds: Some(p99 / 4.0),
            latency_p99_seconds: Some(p99),
            latency_average_seconds: None,
        }
    }

    fn model(versions: Vec<VersionMetrics>, p99: f64) -> ModelMetrics {
        ModelMetrics {
            model: "fraud-detector".into(),
            environment: Some("prod".into()),
            versions,
            latency_p50_seconds: Some(p99 / 4.0),
            latency_p99_seconds: Some(p99),
            latency_average_seconds: None,
            history: vec![],
        }
    }

    fn provenance() -> Provenance {
        Provenance { source: "demo".into(), age_seconds: Some(0.0) }
    }

    #[test]
    fn healthy_model_is_ok() {
        let h = assess(&model(vec![version("3", 100.0, 0.1, 0.12)], 0.12), &HealthThresholds::default(), &provenance());
        assert_eq!(h.status, Status::Ok);
        assert_eq!(h.reason, "healthy");
        assert_eq!(h.versions[0].traffic_share, Some(1.0));
    }

    #[test]
    fn a_bad_canary_makes_the_model_critical_even_when_the_total_is_only_a_warning() {
        // v4 carries 20 % of traffic at 12 % errors: model-wide 2.4 %.
        let m = model(vec![version("3", 80.0, 0.0, 0.1), version("4", 20.0, 2.4, 0.1)], 0.1);
        let h = assess(&m, &HealthThresholds::default(), &provenance());
        assert_eq!(h.status, Status::Critical);
        assert_eq!(h.reason, "v4 errors 12.0% ≥ 5%");
        assert!((h.error_ratio.unwrap() - 0.024).abs() < 1e-12);
        assert_eq!(h.versions[1].status, Status::Critical);
        assert_eq!(h.versions[0].status, Status::Ok);
    }

    #[test]
    fn slow_model_warns_with_the_latency_in_the_reason() {
        let h = assess(&model(vec![version("1", 5.0, 0.0, 0.7)], 0.7), &HealthThresholds::default(), &provenance());
        assert_eq!(h.status, Status::Warning);
        assert_eq!(h.reason, "p99 700ms ≥ 500ms");
    }

    #[test]
    fn no_traffic_and_no_data_are_unknown_not_ok() {
        let idle = assess(&model(vec![version("1", 0.0, 0.0, 0.1)], 0.1), &HealthThresholds::default(), &provenance());
        assert_eq!((idle.status, idle.reason.as_str()), (Status::Unknown, "no traffic"));
        assert_eq!(idle.error_ratio, None);
        let missing = assess(&model(vec![], 0.1), &HealthThresholds::default(), &provenance());
        assert_eq!((missing.status, missing.reason.as_str()), (Status::Unknown, "no data"));
    }

    #[test]
    fn names_from_outside_are_sanitized() {
        let mut m = model(vec![version("3\u{1b}[2J", 1.0, 0.0, 0.1)], 0.1);
        m.model = "evil\u{1b}]0;title\u{7}-model".into();
        let h = assess(&m, &HealthThresholds::default(), &provenance());
        assert_eq!(h.model, "evil-model");
        assert_eq!(h.versions[0].version.as_deref(), Some("3"));
    }

    #[test]
    fn formats_are_short() {
        assert_eq!(percent(0.0123), "1.23%");
        assert_eq!(percent(0.5), "50.0%");
        assert_eq!(seconds(0.042), "42ms");
        assert_eq!(seconds(1.5), "1.50s");
        assert_eq!(percent_compact(0.05), "5%");
        assert_eq!(percent_compact(0.005), "0.5%");
        assert_eq!(percent_compact(0.0125), "1.25%");
    }
}
