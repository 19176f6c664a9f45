//! One fleet refresh against a real Prometheus, and each query it issues on
//! its own: the refresh should cost about as much as its slowest query
//! (the queries run concurrently), and a constant number of requests.
//!
//! Needs `VIGIL_BENCH_PROMETHEUS=http://127.0.0.1:PORT` and
//! `VIGIL_BENCH_AT=RFC3339` (the instant the data describes); scripts/bench-prometheus.sh
//! sets both after loading 24 h of backfilled history for 500 models.
//! Without them it says so and exits 0, so `cargo bench` alone still works.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use vigil::config::Endpoint;
use vigil::sources::http::Limits;
use vigil::sources::presets::{Concept, Preset, QueryVars};
use vigil::sources::prometheus::PrometheusClient;
use vigil::sources::prometheus::fleet::PrometheusFleet;
use vigil::sources::{FleetQuery, MetricsSource};

const RUNS: usize = 9;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let (Ok(url), Ok(at)) = (std::env::var("VIGIL_BENCH_PROMETHEUS"), std::env::var("VIGIL_BENCH_AT")) else {
        eprintln!("fleet_refresh: set VIGIL_BENCH_PROMETHEUS and VIGIL_BENCH_AT (scripts/bench-prometheus.sh does)");
        return;
    };
    let at: DateTime<Utc> = at.parse().expect("VIGIL_BENCH_AT is RFC 3339");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let endpoint = Endpoint { url, ..Endpoint::default() };
    let limits =
        Limits { timeout: Duration::from_secs(60), max_response_bytes: 256 * 1024 * 1024, ..Limits::default() };
    let client = PrometheusClient::new(&endpoint, limits).unwrap();
    let preset = Preset::resolve("generic", None, &Default::default()).unwrap();
    let source = PrometheusFleet::new(client.clone(), preset.clone(), String::new(), None);
    let query = FleetQuery::at(at);

    // Warm-up: Prometheus' first touch of the blocks pages them in.
    let models = rt.block_on(source.fleet(&query)).expect("a refresh").models.len();
    let before = client.http().requests_sent();
    let mut refreshes = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        rt.block_on(source.fleet(&query)).expect("a refresh");
        refreshes.push(start.elapsed());
    }
    let per_refresh = (client.http().requests_sent() - before) as f64 / RUNS as f64;
    let refresh = median(refreshes);

    // A refresh that also fetches the hour of history (the first one in each
    // history step): a fresh source has nothing cached.
    let cold_client = PrometheusClient::new(&endpoint, limits).unwrap();
    let mut cold = Vec::new();
    let before_cold = cold_client.http().requests_sent();
    for _ in 0..RUNS {
        let fresh = PrometheusFleet::new(cold_client.clone(), preset.clone(), String::new(), None);
        let start = Instant::now();
        rt.block_on(fresh.fleet(&query)).expect("a refresh");
        cold.push(start.elapsed());
    }
    let per_cold = (cold_client.http().requests_sent() - before_cold) as f64 / RUNS as f64;
    let cold = median(cold);

    let vars = QueryVars { window: query.rate_window, step: query.history_step, filter: String::new() };
    let mut slowest = (Duration::ZERO, "");
    for concept in [Concept::Requests, Concept::Errors, Concept::LatencyBuckets, Concept::VersionInfo] {
        let promql = preset.query(concept, &vars).unwrap();
        let times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                rt.block_on(client.query(&promql, Some(at))).unwrap();
                start.elapsed()
            })
            .collect();
        let m = median(times);
        println!("  {:<16} {:>8.1} ms", concept.key(), m.as_secs_f64() * 1e3);
        if m > slowest.0 {
            slowest = (m, concept.key());
        }
    }
    let history_vars = QueryVars { window: Duration::from_secs(60), ..vars };
    let promql = preset.query(Concept::History, &history_vars).unwrap();
    let start_range = at - chrono::Duration::minutes(59);
    let times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            rt.block_on(client.query_range(&promql, start_range, at, Duration::from_secs(60))).unwrap();
            start.elapsed()
        })
        .collect();
    let m = median(times);
    println!("  {:<16} {:>8.1} ms (range, 1 h)", "history", m.as_secs_f64() * 1e3);
    if m > slowest.0 {
        slowest = (m, "history");
    }
    println!("models: {models}");
    println!("HTTP requests per refresh: {per_refresh} (with the history range query: {per_cold})");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("slowest single query ({}): {:.1} ms", slowest.1, ms(slowest.0));
    println!(
        "fleet refresh: {:.1} ms median of {RUNS} (ratio {:.2}); with history: {:.1} ms (ratio {:.2})",
        ms(refresh),
        ms(refresh) / ms(slowest.0),
        ms(cold),
        ms(cold) / ms(slowest.0)
    );
}
