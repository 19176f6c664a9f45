//! `vigil slo`'s work for 200 SLOs against a real Prometheus: how many HTTP
//! requests one evaluation costs and its wall time against the slowest
//! single query it issues. Same environment as benches/fleet_refresh.rs
//! (`VIGIL_BENCH_PROMETHEUS`, `VIGIL_BENCH_AT`; scripts/bench-prometheus.sh).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use support::{ms, time};
use vigil::core::slo::{SloDefinition, WINDOWS, default_slos};
use vigil::sources::presets::{Concept, QueryVars};
use vigil::sources::prometheus::slo::le_matcher;
use vigil::sources::{FleetQuery, MetricsSource};

const RUNS: usize = 5;

fn main() {
    let Some(b) = support::setup("slo_refresh", Duration::from_secs(120)) else { return };

    // 200 SLOs: the two defaults of the first 100 models.
    let fleet = b.rt.block_on(b.source.fleet(&FleetQuery::at(b.at))).expect("the fleet");
    let slos: Vec<SloDefinition> =
        fleet.models.iter().take(100).flat_map(|m| default_slos(&m.model, true, true)).collect();
    assert_eq!(slos.len(), 200, "needs at least 100 models");

    b.rt.block_on(b.source.slo_counts(&slos, b.at)).expect("a warm-up evaluation");
    let before = b.client.http().requests_sent();
    let wall = time(RUNS, || {
        let counts = b.rt.block_on(b.source.slo_counts(&slos, b.at)).expect("an evaluation");
        assert!(counts.iter().all(|c| c.is_ok()));
    });
    let per_run = (b.client.http().requests_sent() - before) as f64 / RUNS as f64;

    // Each query on its own, to find the slowest.
    let mut slowest = (Duration::ZERO, String::new());
    // The bucket query as the evaluation issues it: only the 1 s bound.
    let le = le_matcher(&[1.0], b.preset.le_unit_seconds).unwrap();
    for (name, seconds) in WINDOWS.iter().copied().chain([("30d", 30 * 86_400)]) {
        let vars =
            QueryVars { window: Duration::from_secs(seconds), step: Duration::from_secs(60), filter: String::new() };
        let bucket_vars = QueryVars { filter: le.clone(), ..vars.clone() };
        for concept in [Concept::Requests, Concept::Errors, Concept::LatencyBuckets] {
            let v = if concept == Concept::LatencyBuckets { &bucket_vars } else { &vars };
            let promql = b.preset.query(concept, v).unwrap();
            let m = time(RUNS, || {
                b.rt.block_on(b.client.query(&promql, Some(b.at))).unwrap();
            });
            if m > slowest.0 {
                slowest = (m, format!("{} over {name}", concept.key()));
            }
        }
    }
    println!("SLOs: {}", slos.len());
    println!("HTTP requests per evaluation: {per_run}");
    println!("slowest single query ({}): {:.1} ms", slowest.1, ms(slowest.0));
    println!("evaluation: {:.1} ms median of {RUNS} (ratio {:.2})", ms(wall), ms(wall) / ms(slowest.0));
}
