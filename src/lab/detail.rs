//! One simulated model over a range, for the model view: the same
//! windows a Prometheus range query would take, computed from the ticks.

use chrono::Duration as ChronoDuration;

use super::sim::{Outcome, Simulator};
use crate::core::fleet::error_ratio;
use crate::core::histogram::quantile;
use crate::core::model_detail::{ModelDetail, VersionSeries};
use crate::sources::ModelQuery;

/// `None` when the lab has no model by that name.
pub fn model_detail(simulator: &Simulator, query: &ModelQuery) -> Option<ModelDetail> {
    let m = simulator.model_index(&query.model)?;
    let model = &simulator.models()[m];
    let points = query.points();
    let step = ChronoDuration::from_std(query.step).ok()?;
    let window = ChronoDuration::from_std(query.rate_window).ok()?;
    let seconds = query.rate_window.as_secs_f64();
    let first = query.at - step * (points as i32 - 1);
    let versions = model
        .versions
        .iter()
        .enumerate()
        .filter(|(v, _)| simulator.version_exists(m, *v, query.at))
        .map(|(v, version)| {
            let mut series = VersionSeries {
                version: Some(version.version.clone()),
                requests_per_second: Vec::with_capacity(points),
                error_ratio: Vec::with_capacity(points),
                latency_p50_seconds: Vec::with_capacity(points),
                latency_p95_seconds: Vec::with_capacity(points),
                latency_p99_seconds: Vec::with_capacity(points),
            };
            for i in 0..points {
                let to = first + step * i as i32;
                let from = to - window;
                let ok = simulator.requests(m, v, Outcome::Success, from, to);
                let failed = simulator.requests(m, v, Outcome::Error, from, to);
                let total = ok + failed;
                let rps = (total > 0 || simulator.version_exists(m, v, to)).then(|| total as f64 / seconds);
                series.requests_per_second.push(rps);
                series.error_ratio.push(error_ratio(rps, Some(failed as f64 / seconds)));
                let buckets = simulator.latency_buckets(m, v, from, to);
                let q = |p| if total > 0 { quantile(p, &buckets) } else { None };
                series.latency_p50_seconds.push(q(0.5));
                series.latency_p95_seconds.push(q(0.95));
                series.latency_p99_seconds.push(q(0.99));
            }
            series
        })
        .collect();
    Some(ModelDetail {
        model: model.name.clone(),
        at: query.at,
        range_seconds: query.range.as_secs(),
        step_seconds: query.step.as_secs(),
        versions,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{LabOptions, Scenario};
    use chrono::{DateTime, Utc};
    use std::time::Duration;

    #[test]
    fn the_canary_appears_mid_range_with_its_higher_error_ratio() {
        let at: DateTime<Utc> = "2026-11-20T14:00:00Z".parse().unwrap();
        let sim = Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models: 12, anchor: at });
        let query = ModelQuery::new("fraud-detector", at, Duration::from_secs(3600));
        let detail = model_detail(&sim, &query).unwrap();
        assert_eq!(detail.versions.len(), 2);
        assert_eq!(detail.versions[0].requests_per_second.len(), 120);
        let canary = &detail.versions[1];
        assert_eq!(canary.version.as_deref(), Some("10"));
        // Deployed 15 minutes before the end: the first half of the hour has no canary traffic.
        assert!(canary.requests_per_second[..60].iter().all(|r| r.is_none_or(|r| r == 0.0)));
        let last = canary.error_ratio.last().unwrap().unwrap();
        assert!(last > 0.05, "canary error ratio {last}");
        let stable = detail.versions[0].error_ratio.last().unwrap().unwrap();
        assert!(stable < 0.01, "stable error ratio {stable}");
        let shares = detail.traffic_shares();
        assert!((shares[1].1.unwrap() - 0.25).abs() < 0.08, "{shares:?}");
        assert!(model_detail(&sim, &ModelQuery::new("nope", at, Duration::from_secs(900))).is_none());
    }
}
