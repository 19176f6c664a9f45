//! One fleet refresh against a real Prometheus, and each query it issues on
//! its own: the refresh should cost about as much as its slowest query
//! (the queries run concurrently), and a constant number of requests.
//!
//! Needs `VIGIL_BENCH_PROMETHEUS=http://127.0.0.1:PORT` and
//! `VIGIL_BENCH_AT=RFC3339` (the instant the data describes); scripts/bench-prometheus.sh
//! sets both after loading 24 h of backfilled history for 500 models.
//! Without them it says so and exits 0, so `cargo bench` alone still works.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use support::{ms, time};
use vigil::sources::presets::{Concept, QueryVars};
use vigil::sources::prometheus::PrometheusClient;
use vigil::sources::prometheus::fleet::PrometheusFleet;
use vigil::sources::{FleetQuery, MetricsSource};

const RUNS: usize = 9;

fn main() {
    let Some(b) = support::setup("fleet_refresh", Duration::from_secs(60)) else { return };
    let query = FleetQuery::at(b.at);

    // Warm-up: Prometheus' first touch of the blocks pages them in.
    let models = b.rt.block_on(b.source.fleet(&query)).expect("a refresh").models.len();
    let before = b.client.http().requests_sent();
    let refresh = time(RUNS, || {
        b.rt.block_on(b.source.fleet(&query)).expect("a refresh");
    });
    let per_refresh = (b.client.http().requests_sent() - before) as f64 / RUNS as f64;

    // A refresh that also fetches the hour of history (the first one in each
    // history step): a fresh source has nothing cached.
    let cold_client = PrometheusClient::new(&b.endpoint, b.limits).unwrap();
    let before_cold = cold_client.http().requests_sent();
    let cold = time(RUNS, || {
        let fresh = PrometheusFleet::new(cold_client.clone(), b.preset.clone(), String::new(), None);
        b.rt.block_on(fresh.fleet(&query)).expect("a refresh");
    });
    let per_cold = (cold_client.http().requests_sent() - before_cold) as f64 / RUNS as f64;

    let vars = QueryVars { window: query.rate_window, step: query.history_step, filter: String::new() };
    let mut slowest = (Duration::ZERO, "");
    for concept in [Concept::Requests, Concept::Errors, Concept::LatencyBuckets, Concept::VersionInfo] {
        let promql = b.preset.query(concept, &vars).unwrap();
        let m = time(RUNS, || {
            b.rt.block_on(b.client.query(&promql, Some(b.at))).unwrap();
        });
        println!("  {:<16} {:>8.1} ms", concept.key(), ms(m));
        if m > slowest.0 {
            slowest = (m, concept.key());
        }
    }
    let history_vars = QueryVars { window: Duration::from_secs(60), ..vars };
    let promql = b.preset.query(Concept::History, &history_vars).unwrap();
    let start_range = b.at - chrono::Duration::minutes(59);
    let m = time(RUNS, || {
        b.rt.block_on(b.client.query_range(&promql, start_range, b.at, Duration::from_secs(60))).unwrap();
    });
    println!("  {:<16} {:>8.1} ms (range, 1 h)", "history", ms(m));
    if m > slowest.0 {
        slowest = (m, "history");
    }
    println!("models: {models}");
    println!("HTTP requests per refresh: {per_refresh} (with the history range query: {per_cold})");
    println!("slowest single query ({}): {:.1} ms", slowest.1, ms(slowest.0));
    println!(
        "fleet refresh: {:.1} ms median of {RUNS} (ratio {:.2}); with history: {:.1} ms (ratio {:.2})",
        ms(refresh),
        ms(refresh) / ms(slowest.0),
        ms(cold),
        ms(cold) / ms(slowest.0)
    );
}
