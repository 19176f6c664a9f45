//! The simulator's promises: deterministic, counters and rates agree, the
//! day has a rhythm, and the scenarios do what they say at the instants they say.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::scenario::offsets;
use super::*;
use crate::core::histogram::quantile;
use crate::sources::FleetQuery;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn anchor() -> DateTime<Utc> {
    at("2026-11-23T14:00:00Z")
}

fn sim(scenario: Scenario, models: usize, seed: u64) -> Simulator {
    Simulator::new(LabOptions { seed, scenario, models, anchor: anchor() })
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

#[test]
fn the_same_seed_and_instant_give_the_same_fleet() {
    let q = FleetQuery::at(anchor());
    let a = sim(Scenario::BadDeploy, 30, 7);
    let b = sim(Scenario::BadDeploy, 30, 7);
    // Asking about another instant first changes nothing.
    let _ = b.fleet_metrics(&FleetQuery::at(anchor() - minutes(300)));
    assert_eq!(a.fleet_metrics(&q), b.fleet_metrics(&q));
    let other_seed = sim(Scenario::BadDeploy, 30, 8).fleet_metrics(&q);
    assert_ne!(a.fleet_metrics(&q).models[1].versions, other_seed.models[1].versions);
}

#[test]
fn rates_are_counter_increases_over_the_window() {
    let s = sim(Scenario::BadDeploy, 12, 42);
    let q = FleetQuery::at(anchor());
    let fleet = s.fleet_metrics(&q);
    let from = anchor() - minutes(5);
    for (m, model) in fleet.models.iter().enumerate() {
        for v in &model.versions {
            let index = s.models()[m].versions.iter().position(|sv| Some(&sv.version) == v.version.as_ref()).unwrap();
            let ok = s.requests(m, index, Outcome::Success, from, anchor());
            let errors = s.requests(m, index, Outcome::Error, from, anchor());
            assert!((v.requests_per_second.unwrap() * 300.0 - (ok + errors) as f64).abs() < 1e-6, "{}", model.model);
            assert!((v.errors_per_second.unwrap() * 300.0 - errors as f64).abs() < 1e-6, "{}", model.model);
        }
    }
}

#[test]
fn increases_add_up_over_adjacent_windows_and_buckets_are_consistent() {
    let s = sim(Scenario::Calm, 5, 42);
    let (t0, t1, t2) = (anchor() - minutes(60), anchor() - minutes(23), anchor());
    for m in 0..5 {
        let whole = s.requests(m, 0, Outcome::Success, t0, t2);
        let parts = s.requests(m, 0, Outcome::Success, t0, t1) + s.requests(m, 0, Outcome::Success, t1, t2);
        assert_eq!(whole, parts);
        let buckets = s.latency_buckets(m, 0, t0, t2);
        let total = s.requests(m, 0, Outcome::Success, t0, t2) + s.requests(m, 0, Outcome::Error, t0, t2);
        assert_eq!(buckets.last().unwrap().cumulative_count, total as f64);
        assert!(buckets.windows(2).all(|w| w[0].cumulative_count <= w[1].cumulative_count));
        assert!(buckets.iter().all(|b| b.cumulative_count.fract() == 0.0));
        let features = s.feature_buckets(m, 0, 0, t0, t2);
        assert_eq!(features.last().unwrap().cumulative_count, total as f64);
        assert!(features.windows(2).all(|w| w[0].cumulative_count <= w[1].cumulative_count));
        let scores = s.score_buckets(m, 0, t0, t2);
        assert_eq!(scores.last().unwrap().cumulative_count, total as f64);
    }
}

#[test]
fn afternoon_traffic_is_about_three_times_the_night() {
    let s = sim(Scenario::Calm, 12, 42);
    let rps = |t: DateTime<Utc>| -> f64 {
        (0..12).map(|m| s.requests(m, 0, Outcome::Success, t - minutes(30), t) as f64).sum::<f64>() / 1800.0
    };
    let afternoon = rps(at("2026-11-23T15:00:00Z"));
    let night = rps(at("2026-11-23T03:00:00Z"));
    let ratio = afternoon / night;
    assert!((2.6..3.4).contains(&ratio), "1.5/0.5 = 3 expected, got {ratio}");
}

#[test]
fn bad_deploy_brings_a_failing_slow_canary_at_its_instants() {
    let s = sim(Scenario::BadDeploy, 12, 42);
    let fraud = s.model_index("fraud-detector").unwrap();
    assert_eq!(fraud, 0);
    let deployed = anchor() + chrono::Duration::seconds(offsets::CANARY_DEPLOYED);
    let before = s.fleet_metrics(&FleetQuery::at(deployed - minutes(1)));
    assert_eq!(before.models[0].versions.len(), 1, "no canary before the deploy");

    let during = s.fleet_metrics(&FleetQuery::at(anchor()));
    let model = &during.models[0];
    assert_eq!(model.versions.len(), 2);
    let (stable, canary) = (&model.versions[0], &model.versions[1]);
    assert_eq!(canary.aliases, ["challenger"]);
    let total = stable.requests_per_second.unwrap() + canary.requests_per_second.unwrap();
    let share = canary.requests_per_second.unwrap() / total;
    assert!((0.2..0.3).contains(&share), "canary share {share}");
    let error_ratio = canary.errors_per_second.unwrap() / canary.requests_per_second.unwrap();
    assert!((0.07..0.13).contains(&error_ratio), "canary error ratio {error_ratio}");
    assert!(canary.latency_p99_seconds.unwrap() > 2.0 * stable.latency_p99_seconds.unwrap());

    let widened = s.fleet_metrics(&FleetQuery::at(anchor() + minutes(8)));
    let v = &widened.models[0].versions;
    let share =
        v[1].requests_per_second.unwrap() / (v[0].requests_per_second.unwrap() + v[1].requests_per_second.unwrap());
    assert!((0.45..0.55).contains(&share), "widened share {share}");
}

#[test]
fn set_weights_shifts_traffic_from_its_instant_on_and_not_before() {
    let s = sim(Scenario::BadDeploy, 3, 42);
    let shift_at = anchor() + minutes(10);
    let stable = s.models()[0].versions[0].version.clone();
    let canary = s.models()[0].versions[1].version.clone();
    let before = s.fleet_metrics(&FleetQuery::at(shift_at));
    s.set_weights("fraud-detector", &[(stable.clone(), 1.0), (canary.clone(), 0.0)], shift_at).unwrap();
    assert_eq!(s.fleet_metrics(&FleetQuery::at(shift_at)), before, "the past is unchanged");
    let after = s.fleet_metrics(&FleetQuery::at(shift_at + minutes(6)));
    assert_eq!(after.models[0].versions[1].requests_per_second, Some(0.0), "the canary holds an alias but no traffic");
    assert_eq!(s.weights_at(0, shift_at), vec![(stable, 1.0), (canary, 0.0)]);
    assert!(s.set_weights("fraud-detector", &[("99".into(), 1.0)], shift_at).unwrap_err().contains("no version 99"));
    assert!(s.set_weights("nope", &[], shift_at).is_err());
}

#[test]
fn a_shift_before_the_scripted_widening_cancels_it() {
    let s = sim(Scenario::BadDeploy, 1, 42);
    let stable = s.models()[0].versions[0].version.clone();
    let canary = s.models()[0].versions[1].version.clone();
    // The script widens the canary to 50 % two minutes after the anchor.
    s.set_weights("fraud-detector", &[(stable.clone(), 1.0)], anchor()).unwrap();
    let later = anchor() + minutes(30);
    assert_eq!(s.weights_at(0, later), vec![(stable, 1.0), (canary, 0.0)]);
    assert_eq!(s.requests(0, 1, Outcome::Success, anchor() + minutes(1), later), 0);
}

#[test]
fn feature_drift_moves_one_feature_by_one_and_a_half_sigma() {
    let s = sim(Scenario::FeatureDrift, 12, 42);
    let feature = &s.models()[0].features[0];
    assert_eq!(feature.name, "transaction_amount");
    let shift = anchor() + chrono::Duration::seconds(offsets::FEATURE_SHIFTED);
    let mean_of = |f: usize, from: DateTime<Utc>, to: DateTime<Utc>| -> f64 {
        let b = s.feature_buckets(0, 0, f, from, to);
        let bounds = &s.models()[0].features[f].bounds;
        let half = (bounds[1] - bounds[0]) / 2.0;
        // Mid-points of the finite buckets (the tails hold well under 1 %).
        let mut weighted = 0.0;
        let mut n = 0.0;
        for i in 1..bounds.len() {
            let count = b[i].cumulative_count - b[i - 1].cumulative_count;
            weighted += count * (bounds[i] - half);
            n += count;
        }
        weighted / n
    };
    let before = mean_of(0, shift - minutes(60), shift);
    let after = mean_of(0, shift, shift + minutes(25));
    let moved = (after - before) / feature.std;
    assert!((1.3..1.7).contains(&moved), "moved {moved} σ");
    let other = &s.models()[0].features[1];
    let other_moved = (mean_of(1, shift, shift + minutes(25)) - mean_of(1, shift - minutes(60), shift)) / other.std;
    assert!(other_moved.abs() < 0.1, "other feature moved {other_moved} σ");
}

#[test]
fn a_calm_fleet_is_healthy_and_scales_to_thousands() {
    let s = sim(Scenario::Calm, 2000, 42);
    let fleet = s.fleet_metrics(&FleetQuery {
        at: anchor(),
        rate_window: Duration::from_secs(300),
        history: Duration::from_secs(3600),
        history_step: Duration::from_secs(60),
    });
    assert_eq!(fleet.models.len(), 2000);
    for m in &fleet.models {
        assert_eq!(m.history.len(), 60);
        let requests = m.requests_per_second().unwrap();
        if requests * 300.0 >= 1000.0 {
            let ratio = m.errors_per_second().unwrap() / requests;
            assert!(ratio < 0.01, "{} error ratio {ratio}", m.model);
            assert!(m.latency_p99_seconds.unwrap() < 0.5, "{} p99 {:?}", m.model, m.latency_p99_seconds);
        }
    }
}

#[test]
fn quantiles_follow_the_latency_profile() {
    let s = sim(Scenario::Calm, 12, 42);
    for m in 0..12 {
        let buckets = s.latency_buckets(m, 0, anchor() - minutes(60), anchor());
        let p50 = quantile(0.5, &buckets).unwrap();
        let median = s.models()[m].versions[0].latency_median_seconds;
        // Bucket interpolation is coarse: the estimate stays within the
        // bucket that holds the true median.
        let bucket = catalogue::LATENCY_BOUNDS.iter().position(|b| *b >= median).unwrap();
        let lower = if bucket == 0 { 0.0 } else { catalogue::LATENCY_BOUNDS[bucket - 1] };
        assert!((lower..=catalogue::LATENCY_BOUNDS[bucket]).contains(&p50), "{m}: p50 {p50} median {median}");
    }
}
