//! `vigil slo` against a real Prometheus holding a synthetic history whose
//! error ratios are known in closed form: two versions of one model, steady
//! traffic, 1.5 % errors for four days and 37.5 % in the last ten minutes;
//! latency buckets written `le="1.0"` by one version and `le="1"` by the other.
//!
//! Why exact (1e-9): samples sit on a 15 s grid and every window ends on it.
//! Prometheus 2.42 takes a range's samples in [t − w, t], closed, so the
//! first and last samples span the window and `rate() × w` is the plain
//! difference of the counters — no extrapolation. (Windows longer than the
//! data are extrapolated, but by the same factor for every series, which all
//! start together, so their ratio is still exact.)

mod support;

use std::fmt::Write as _;

use serde_json::Value;
use support::services::{Prometheus, PrometheusSetup};

const END: &str = "2026-11-20T14:00:00Z";
const STEP: i64 = 15;
const DAYS: i64 = 4;
/// The last ten minutes fail much more.
const INCIDENT: i64 = 600;

/// Per step: requests and failures of version 1 and 2, and how many were
/// within 0.5 s and 1 s.
struct Step {
    v1_total: u64,
    v1_errors: u64,
    v2_total: u64,
}

fn step_at(end: i64, t: i64) -> Step {
    let incident = t > end - INCIDENT;
    Step { v1_total: 150, v1_errors: if incident { 75 } else { 3 }, v2_total: 50 }
}

/// The OpenMetrics history and, for checking, the counts per window.
fn history(end: i64) -> String {
    let start = end - DAYS * 86_400;
    let steps: Vec<i64> = (0..=(DAYS * 86_400 / STEP)).map(|k| start + k * STEP).collect();
    let mut out = String::new();
    // Counters start at 0 at `start` and grow by each step's counts after it.
    let cumulative = |f: &dyn Fn(&Step) -> u64| -> Vec<u64> {
        let mut total = 0;
        steps
            .iter()
            .map(|t| {
                if *t > start {
                    total += f(&step_at(end, *t));
                }
                total
            })
            .collect()
    };
    let v1_ok = cumulative(&|s| s.v1_total - s.v1_errors);
    let v1_err = cumulative(&|s| s.v1_errors);
    let v2_ok = cumulative(&|s| s.v2_total);
    out.push_str("# TYPE model_requests counter\n");
    for (labels, values) in [
        ("model=\"m\",version=\"1\",outcome=\"success\"", &v1_ok),
        ("model=\"m\",version=\"1\",outcome=\"error\"", &v1_err),
        ("model=\"m\",version=\"2\",outcome=\"success\"", &v2_ok),
        ("model=\"m\",version=\"2\",outcome=\"error\"", &vec![0; steps.len()]),
    ] {
        for (t, v) in steps.iter().zip(values.iter()) {
            writeln!(out, "model_requests_total{{{labels}}} {v} {t}").unwrap();
        }
    }
    // Version 1: 140 of 150 within 0.5 s, 147 within 1 s (written "1.0").
    // Version 2: 45 of 50 within 0.5 s, 49 within 1 s (written "1").
    let v1_total = cumulative(&|s| s.v1_total);
    let v2_total = cumulative(&|s| s.v2_total);
    let scaled = |values: &[u64], num: u64, den: u64| -> Vec<u64> { values.iter().map(|v| v * num / den).collect() };
    out.push_str("# TYPE model_request_duration_seconds histogram\n");
    for (version, le_one, total, half, one) in [
        ("1", "1.0", &v1_total, scaled(&v1_total, 140, 150), scaled(&v1_total, 147, 150)),
        ("2", "1", &v2_total, scaled(&v2_total, 45, 50), scaled(&v2_total, 49, 50)),
    ] {
        for (i, t) in steps.iter().enumerate() {
            let l = format!("model=\"m\",version=\"{version}\"");
            writeln!(out, "model_request_duration_seconds_bucket{{{l},le=\"0.5\"}} {} {t}", half[i]).unwrap();
            writeln!(out, "model_request_duration_seconds_bucket{{{l},le=\"{le_one}\"}} {} {t}", one[i]).unwrap();
            writeln!(out, "model_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {} {t}", total[i]).unwrap();
            writeln!(out, "model_request_duration_seconds_sum{{{l}}} {} {t}", total[i] as f64 * 0.2).unwrap();
            writeln!(out, "model_request_duration_seconds_count{{{l}}} {} {t}", total[i]).unwrap();
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The availability error ratio over the last `w` seconds, from the same
/// step function the history was written from.
fn expected_availability(end: i64, w: i64) -> f64 {
    let start = end - DAYS * 86_400;
    let (mut total, mut bad) = (0u64, 0u64);
    let mut t = end;
    while t > (end - w).max(start) {
        let s = step_at(end, t);
        total += s.v1_total + s.v2_total;
        bad += s.v1_errors;
        t -= STEP;
    }
    bad as f64 / total as f64
}

fn assert_close(got: f64, expected: f64, what: &str) {
    assert!((got - expected).abs() <= 1e-9 * expected.abs().max(1e-12), "{what}: got {got}, expected {expected}");
}

#[test]
fn vigil_slo_matches_the_closed_form_at_every_window() {
    let end: i64 = chrono::DateTime::parse_from_rfc3339(END).unwrap().timestamp();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("history.om");
    std::fs::write(&file, history(end)).unwrap();
    let prometheus = Prometheus::start(PrometheusSetup { backfill: Some(file), ..Default::default() });
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.test]\nprometheus = {{ url = \"{}\" }}\nslo_files = [\"sloth.yml\", \"openslo.yaml\"]\n\
             [[contexts.test.slo]]\nname = \"m-availability\"\nmodel = \"m\"\nkind = \"availability\"\nobjective = 99.0\nperiod = \"7d\"\n\
             [[contexts.test.slo]]\nname = \"m-latency\"\nmodel = \"m\"\nkind = \"latency\"\nobjective = 99.0\nthreshold = \"1s\"\nperiod = \"30d\"\n\
             [[contexts.test.slo]]\nname = \"m-latency-300ms\"\nmodel = \"m\"\nkind = \"latency\"\nobjective = 99.0\nthreshold = \"300ms\"\n",
            prometheus.url()
        ),
    )
    .unwrap();
    // The same availability SLI as a team would write it for Sloth.
    std::fs::write(
        home.path().join("sloth.yml"),
        "version: \"prometheus/v1\"\nservice: \"m\"\nslos:\n  - name: \"requests-availability\"\n    objective: 99.0\n    sli:\n      events:\n        error_query: sum(rate(model_requests_total{model=\"m\",outcome=\"error\"}[{{.window}}]))\n        total_query: sum(rate(model_requests_total{model=\"m\"}[{{.window}}]))\n",
    )
    .unwrap();
    // And as an OpenSLO ratio objective (good over total, counters).
    std::fs::write(
        home.path().join("openslo.yaml"),
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: m-openslo\nspec:\n  service: m\n  indicator:\n    metadata:\n      name: m-good\n    spec:\n      ratioMetric:\n        counter: true\n        good:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: model_requests_total{model=\"m\",outcome=\"success\"}\n        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: model_requests_total{model=\"m\"}\n  timeWindow:\n    - duration: 7d\n      isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.99\n",
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut command, home.path());
    let output = command.args(["slo", "--format", "json", "--at", END, "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    // 37.5 % errors against a 1 % budget: the 1h/5m page row fires → exit 1.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let slos = json["slos"].as_array().unwrap();
    let availability = &slos[0];
    assert_eq!(availability["name"], "m-availability");
    assert_eq!(availability["period_seconds"], 7 * 86_400);
    for (window, seconds) in vigil::core::slo::WINDOWS {
        let expected = expected_availability(end, seconds as i64);
        assert_close(availability["error_ratio"][window].as_f64().unwrap(), expected, window);
        assert_close(availability["burn_rate"][window].as_f64().unwrap(), expected / 0.01, window);
    }
    // The period is longer than the data: the whole four days.
    let whole = expected_availability(end, DAYS * 86_400);
    assert_close(availability["error_ratio"]["period"].as_f64().unwrap(), whole, "period");
    assert_close(availability["budget_remaining"].as_f64().unwrap(), 1.0 - whole / 0.01, "budget remaining");
    // Hand-checked: 10 minutes at 75/200 and 50 at 3/200 → 0.075 over the hour.
    assert_close(availability["error_ratio"]["1h"].as_f64().unwrap(), 0.075, "1h by hand");
    let rows: Vec<(String, bool)> = availability["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (format!("{}/{}", a["long"].as_str().unwrap(), a["short"].as_str().unwrap()), a["firing"] == true))
        .collect();
    // 1h: 0.075 > 24 × 0.01 × … factors for 7 d: 3.36, 1.4, 0.7, 0.233 (× 0.01).
    assert_eq!(rows[0], ("1h/5m".to_string(), true));

    // Latency within 1 s: 3 of 150 and 1 of 50 slow, whatever the window — and
    // the two spellings of the bound are one bound.
    let latency = &slos[1];
    assert!(latency.get("error").is_none(), "{latency}");
    for (window, _) in vigil::core::slo::WINDOWS {
        assert_close(latency["error_ratio"][window].as_f64().unwrap(), 4.0 / 200.0, window);
    }
    // 300 ms is no bucket bound: refused with the bounds listed, the rest still shown.
    let refused = &slos[2];
    assert_eq!(
        refused["error"],
        "latency threshold 300ms is not a bucket bound of the histogram; its bounds are 500ms, 1s"
    );
    assert!(stderr.contains("m-latency-300ms: latency threshold 300ms"), "{stderr}");

    // The imported Sloth SLO runs the team's own queries and agrees.
    let sloth = &slos[3];
    assert_eq!(sloth["name"], "m-requests-availability");
    assert_eq!(sloth["kind"], "events");
    assert!(sloth["origin"].as_str().unwrap().ends_with("sloth.yml"));
    for (window, _) in vigil::core::slo::WINDOWS {
        assert_close(
            sloth["error_ratio"][window].as_f64().unwrap(),
            availability["error_ratio"][window].as_f64().unwrap(),
            window,
        );
    }
    // The OpenSLO objective (total − good) agrees too, over its own 7 d period.
    let openslo = &slos[4];
    assert_eq!((openslo["name"].as_str(), openslo["period_seconds"].as_u64()), (Some("m-openslo"), Some(7 * 86_400)));
    for (window, _) in vigil::core::slo::WINDOWS.iter().copied().chain([("period", 0)]) {
        assert_close(
            openslo["error_ratio"][window].as_f64().unwrap(),
            availability["error_ratio"][window].as_f64().unwrap(),
            window,
        );
    }

    // The SLO view's burn-down, step by step over the period, ends where the
    // period's budget stands.
    use vigil::sources::MetricsSource;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let client = vigil::sources::prometheus::PrometheusClient::new(
        &vigil::config::Endpoint { url: prometheus.url(), ..Default::default() },
        vigil::sources::http::Limits::default(),
    )
    .unwrap();
    let preset = vigil::sources::presets::Preset::resolve("generic", None, &Default::default()).unwrap();
    let source = vigil::sources::prometheus::fleet::PrometheusFleet::new(client, preset, String::new(), None);
    let definition = vigil::core::slo::SloDefinition {
        name: "m-availability".into(),
        model: "m".into(),
        sli: vigil::core::slo::Sli::Availability,
        objective: vigil::core::slo::Objective::from_percent(99.0, std::time::Duration::from_secs(7 * 86_400)),
        origin: "test".into(),
    };
    let at = chrono::DateTime::parse_from_rfc3339(END).unwrap().with_timezone(&chrono::Utc);
    let series = rt.block_on(source.slo_series(&definition, at)).unwrap();
    assert_eq!(series.steps.len(), 60);
    assert!(series.steps[..20].iter().all(Option::is_none), "no data before the four days");
    let down = series.burn_down(&definition.objective);
    let last = down.last().unwrap().unwrap();
    assert!((last - (1.0 - whole / 0.01)).abs() < 1e-6, "burn-down ends at {last}, budget {}", 1.0 - whole / 0.01);
    assert!(down.iter().flatten().zip(down.iter().flatten().skip(1)).all(|(a, b)| b <= a), "only ever spends");
}
