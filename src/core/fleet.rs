//! What a metrics source reports about the fleet at one instant.
//!
//! Every source (the embedded lab, Prometheus, a direct scrape) produces this
//! same shape, so the rest of the console never knows where numbers came from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Measurements for every model at one evaluation instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetMetrics {
    /// The instant the numbers describe (the end of every window).
    pub at: DateTime<Utc>,
    /// Length of the window the rates were taken over.
    pub rate_window_seconds: f64,
    /// Spacing of the points in each model's `history`.
    pub history_step_seconds: f64,
    pub models: Vec<ModelMetrics>,
    /// Set when the numbers did not come the usual way: "direct scrape of 3
    /// targets — prometheus …: cannot connect". Shown wherever the source is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// One model: its serving versions and model-wide latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    pub model: String,
    /// Deployment environment (prod, staging, ...) when the source knows it.
    pub environment: Option<String>,
    pub versions: Vec<VersionMetrics>,
    /// Model-wide latency quantiles: quantiles cannot be combined from the
    /// per-version ones, so the source computes them over all versions.
    pub latency_p50_seconds: Option<f64>,
    pub latency_p99_seconds: Option<f64>,
    /// Mean seconds per request, from stacks that have no histogram (then
    /// the percentiles are `None`: an average is shown, a p99 never invented).
    #[serde(default)]
    pub latency_average_seconds: Option<f64>,
    /// Requests per second over the history range, oldest first, one point per
    /// `history_step_seconds`, the last point ending at `at`. `None` = no data.
    pub history: Vec<Option<f64>>,
}

/// One serving version of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionMetrics {
    /// `None` when the serving stack has no version label.
    pub version: Option<String>,
    /// Registry aliases pointing at this version (champion, challenger, ...).
    pub aliases: Vec<String>,
    /// `None` when the source has no request counter for this version.
    pub requests_per_second: Option<f64>,
    pub errors_per_second: Option<f64>,
    pub latency_p50_seconds: Option<f64>,
    pub latency_p99_seconds: Option<f64>,
    #[serde(default)]
    pub latency_average_seconds: Option<f64>,
}

impl ModelMetrics {
    /// Total requests per second over all versions, if any version reports it.
    pub fn requests_per_second(&self) -> Option<f64> {
        sum_known(self.versions.iter().map(|v| v.requests_per_second))
    }

    /// Total errors per second over all versions, if any version reports it.
    pub fn errors_per_second(&self) -> Option<f64> {
        sum_known(self.versions.iter().map(|v| v.errors_per_second))
    }
}

fn sum_known(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values.fold(None, |acc, v| match (acc, v) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    })
}

/// Errors divided by requests; `None` when there was no traffic, because a
/// window without requests has no error ratio (never 0 %, never NaN).
pub fn error_ratio(requests_per_second: Option<f64>, errors_per_second: Option<f64>) -> Option<f64> {
    match (requests_per_second, errors_per_second) {
        (Some(req), Some(err)) if req > 0.0 => Some((err / req).clamp(0.0, 1.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_ratio_without_traffic_is_absent_not_zero() {
        assert_eq!(error_ratio(Some(0.0), Some(0.0)), None);
        assert_eq!(error_ratio(None, Some(1.0)), None);
        assert_eq!(error_ratio(Some(10.0), Some(1.0)), Some(0.1));
    }

    #[test]
    fn totals_ignore_versions_without_data_but_not_when_all_lack_it() {
        let version = |rps: Option<f64>| VersionMetrics {
            version: None,
            aliases: vec![],
            requests_per_second: rps,
            errors_per_second: None,
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
        };
        let mut model = ModelMetrics {
            model: "m".into(),
            environment: None,
            versions: vec![version(Some(2.0)), version(None), version(Some(3.0))],
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
            history: vec![],
        };
        assert_eq!(model.requests_per_second(), Some(5.0));
        model.versions = vec![version(None)];
        assert_eq!(model.requests_per_second(), None);
    }
}
