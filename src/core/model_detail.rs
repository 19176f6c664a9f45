//! One model over a time range, version by version: what the model view
//! charts. Every source produces this shape.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The ranges the model view offers, shortest first.
pub const RANGES: [(&str, u64); 5] = [("15m", 900), ("1h", 3_600), ("6h", 21_600), ("24h", 86_400), ("7d", 604_800)];

/// Points per chart: enough for a wide terminal, few enough to fetch quickly.
pub const POINTS: u64 = 120;

/// The step for a range: range / POINTS, at least 15 s, in whole seconds.
pub fn step_for(range_seconds: u64) -> u64 {
    (range_seconds / POINTS).max(15)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDetail {
    pub model: String,
    /// The last point's instant.
    pub at: DateTime<Utc>,
    pub range_seconds: u64,
    pub step_seconds: u64,
    pub versions: Vec<VersionSeries>,
    /// Unavailable concepts, said plainly ("no latency histogram in preset triton").
    pub notes: Vec<String>,
}

/// One version's series; every vector has one point per step, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSeries {
    pub version: Option<String>,
    pub requests_per_second: Vec<Option<f64>>,
    /// `None` where there was no traffic.
    pub error_ratio: Vec<Option<f64>>,
    pub latency_p50_seconds: Vec<Option<f64>>,
    pub latency_p95_seconds: Vec<Option<f64>>,
    pub latency_p99_seconds: Vec<Option<f64>>,
}

impl ModelDetail {
    /// The instant of point `i`.
    pub fn time_of(&self, i: usize, points: usize) -> DateTime<Utc> {
        let back = (points.saturating_sub(1 + i) as u64 * self.step_seconds) as i64;
        self.at - chrono::Duration::seconds(back)
    }

    /// Each version's share of the requests at the last point with traffic.
    pub fn traffic_shares(&self) -> Vec<(Option<String>, Option<f64>)> {
        let last = |v: &VersionSeries| v.requests_per_second.iter().rev().flatten().next().copied();
        let total: f64 = self.versions.iter().filter_map(last).sum();
        self.versions.iter().map(|v| (v.version.clone(), last(v).filter(|_| total > 0.0).map(|r| r / total))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_give_about_120_points() {
        assert_eq!(step_for(900), 15);
        assert_eq!(step_for(3_600), 30);
        assert_eq!(step_for(604_800), 5_040);
    }
}
