//! `vigil slo`'s work for 200 SLOs against a real Prometheus: how many HTTP
//! requests one evaluation costs and its wall time against the slowest
//! single query it issues. Same environment as benches/fleet_refresh.rs
//! (`VIGIL_BENCH_PROMETHEUS`, `VIGIL_BENCH_AT`; scripts/bench-prometheus.sh).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use vigil::config::Endpoint;
use vigil::core::slo::{SloDefinition, WINDOWS, default_slos};
use vigil::sources::http::Limits;
use vigil::sources::presets::{Concept, Preset, QueryVars};
use vigil::sources::prometheus::PrometheusClient;
use vigil::sources::prometheus::fleet::PrometheusFleet;
use vigil::sources::prometheus::slo::le_matcher;
use vigil::sources::{FleetQuery, MetricsSource};

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let (Ok(url), Ok(at)) = (std::env::var("VIGIL_BENCH_PROMETHEUS"), std::env::var("VIGIL_BENCH_AT")) else {
        eprintln!("slo_refresh: set VIGIL_BENCH_PROMETHEUS and VIGIL_BENCH_AT (scripts/bench-prometheus.sh does)");
        return;
    };
    let at: DateTime<Utc> = at.parse().expect("VIGIL_BENCH_AT is RFC 3339");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let endpoint = Endpoint { url, ..Endpoint::default() };
    let limits =
        Limits { timeout: Duration::from_secs(120), max_response_bytes: 256 * 1024 * 1024, ..Limits::default() };
    let client = PrometheusClient::new(&endpoint, limits).unwrap();
    let preset = Preset::resolve("generic", None, &Default::default()).unwrap();
    let source = PrometheusFleet::new(client.clone(), preset.clone(), String::new(), None);

    // 200 SLOs: the two defaults of the first 100 models.
    let fleet = rt.block_on(source.fleet(&FleetQuery::at(at))).expect("the fleet");
    let slos: Vec<SloDefinition> =
        fleet.models.iter().take(100).flat_map(|m| default_slos(&m.model, true, true)).collect();
    assert_eq!(slos.len(), 200, "needs at least 100 models");

    rt.block_on(source.slo_counts(&slos, at)).expect("a warm-up evaluation");
    let before = client.http().requests_sent();
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let counts = rt.block_on(source.slo_counts(&slos, at)).expect("an evaluation");
        runs.push(start.elapsed());
        assert!(counts.iter().all(|c| c.is_ok()));
    }
    let per_run = (client.http().requests_sent() - before) as f64 / RUNS as f64;
    let wall = median(runs);

    // Each query on its own, to find the slowest.
    let mut slowest = (Duration::ZERO, String::new());
    let windows: Vec<(String, u64)> =
        WINDOWS.iter().map(|(n, s)| (n.to_string(), *s)).chain([("30d".to_string(), 30 * 86_400)]).collect();
    for (name, seconds) in &windows {
        let vars =
            QueryVars { window: Duration::from_secs(*seconds), step: Duration::from_secs(60), filter: String::new() };
        // The bucket query as the evaluation issues it: only the 1 s bound.
        let le = le_matcher(&[1.0], preset.le_unit_seconds).unwrap();
        let bucket_vars = QueryVars { filter: le, ..vars.clone() };
        for concept in [Concept::Requests, Concept::Errors, Concept::LatencyBuckets] {
            let v = if concept == Concept::LatencyBuckets { &bucket_vars } else { &vars };
            let promql = preset.query(concept, v).unwrap();
            let times: Vec<Duration> = (0..RUNS)
                .map(|_| {
                    let start = Instant::now();
                    rt.block_on(client.query(&promql, Some(at))).unwrap();
                    start.elapsed()
                })
                .collect();
            let m = median(times);
            if m > slowest.0 {
                slowest = (m, format!("{} over {name}", concept.key()));
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("SLOs: {}", slos.len());
    println!("HTTP requests per evaluation: {per_run}");
    println!("slowest single query ({}): {:.1} ms", slowest.1, ms(slowest.0));
    println!("evaluation: {:.1} ms median of {RUNS} (ratio {:.2})", ms(wall), ms(wall) / ms(slowest.0));
}
