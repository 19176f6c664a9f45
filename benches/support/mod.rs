//! What the benchmarks against a real Prometheus share: where the server
//! is, a client with limits loose enough for big answers, medians, timing.

// Each bench is its own crate and uses part of this.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use vigil::config::Endpoint;
use vigil::sources::http::Limits;
use vigil::sources::presets::Preset;
use vigil::sources::prometheus::PrometheusClient;
use vigil::sources::prometheus::fleet::PrometheusFleet;

pub struct Bench {
    pub at: DateTime<Utc>,
    pub rt: tokio::runtime::Runtime,
    pub endpoint: Endpoint,
    pub limits: Limits,
    pub client: PrometheusClient,
    pub preset: Preset,
    pub source: PrometheusFleet,
}

/// The server from `VIGIL_BENCH_PROMETHEUS` at `VIGIL_BENCH_AT`, or `None`
/// (said on stderr) so `cargo bench` alone still runs.
pub fn setup(name: &str, timeout: Duration) -> Option<Bench> {
    let (Ok(url), Ok(at)) = (std::env::var("VIGIL_BENCH_PROMETHEUS"), std::env::var("VIGIL_BENCH_AT")) else {
        eprintln!("{name}: set VIGIL_BENCH_PROMETHEUS and VIGIL_BENCH_AT (scripts/bench-prometheus.sh does)");
        return None;
    };
    let at: DateTime<Utc> = at.parse().expect("VIGIL_BENCH_AT is RFC 3339");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let endpoint = Endpoint { url, ..Endpoint::default() };
    let limits = Limits { timeout, max_response_bytes: 256 * 1024 * 1024, ..Limits::default() };
    let client = PrometheusClient::new(&endpoint, limits).unwrap();
    let preset = Preset::resolve("generic", None, &Default::default()).unwrap();
    let source = PrometheusFleet::new(client.clone(), preset.clone(), String::new(), None);
    Some(Bench { at, rt, endpoint, limits, client, preset, source })
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median wall time of `runs` calls.
pub fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
