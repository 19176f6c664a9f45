//! The lab against a real Prometheus (and Alertmanager): backfilled history
//! answers PromQL exactly as the simulator computes it, a live scrape sees
//! every model and follows a traffic shift, and the admin API refuses bad
//! requests plainly.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::services::{Alertmanager, LabServer, Prometheus, PrometheusSetup, http, wait_for};
use vigil::core::histogram::quantile;
use vigil::lab::catalogue::model_name;
use vigil::lab::exposition::{Encoder, Format, VERSION_INFO};
use vigil::lab::{LabOptions, Outcome, Scenario, Simulator};

const END: &str = "2026-11-20T14:00:00Z";
/// Assertions on values may wait this long; nothing asserts on time.
const DEADLINE: Duration = Duration::from_secs(90);

fn end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(END).unwrap().with_timezone(&Utc)
}

fn seconds(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn assert_close(got: f64, expected: f64, what: &str) {
    let scale = expected.abs().max(f64::MIN_POSITIVE);
    assert!((got - expected).abs() / scale <= 1e-9, "{what}: Prometheus says {got}, the simulator {expected}");
}

/// Runs `vigil ARGS` in an isolated home and returns its stderr.
fn vigil(home: &tempfile::TempDir, args: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut command, home.path());
    let output = command.args(args).output().expect("vigil runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "vigil {args:?} failed: {stderr}");
    stderr
}

#[test]
fn backfilled_history_answers_promql_as_the_simulator_computes_it() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("history.om");
    let lab = ["lab", "backfill", "--scenario", "bad-deploy", "--models", "3", "--seed", "42", "--hours", "2"];
    let summary = vigil(&home, &[&lab[..], &["--end", END, "--out", file.to_str().unwrap()]].concat());
    assert!(summary.contains("samples"), "{summary}");
    let mut prometheus = Prometheus::start(PrometheusSetup { backfill: Some(file), ..Default::default() });
    let sim = Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models: 3, anchor: end() });
    let fraud = &sim.models()[0];
    assert_eq!(fraud.versions.len(), 2, "bad-deploy's canary");

    // Why the comparison is exact. Samples are every 15 s on the tick grid,
    // the newest at END, and each is the counter's exact value there.
    // Prometheus 2.x selects the samples in [END-300s, END], closed at both
    // ends: 21 of them, the first exactly at the start of the range and the
    // last at its end, so rate() neither extrapolates nor shortens (both
    // gaps are 0) and equals (v(END) - v(END-300)) / 300: the simulator's
    // increase over (END-300, END] divided by 300. Prometheus 3 opens the
    // range on the left: 20 samples from END-285; the 15 s gap to the range
    // start is under 1.1 × the 15 s spacing, so it extrapolates the increase
    // over (END-285, END] to the full 300 s and divides by 300, which is that
    // increase divided by 285. (Counters never reset, and start 2 h earlier
    // at 0, far enough that extrapolating towards zero never cuts in.) The
    // sample count tells which of the two is running.
    let selector = format!(
        "model_requests_total{{model=\"fraud-detector\",version=\"{}\",outcome=\"success\"}}",
        fraud.versions[0].version
    );
    let window = match prometheus.value(&format!("count_over_time({selector}[5m])"), Some(end())) as i64 {
        21 => 300,
        20 => 285,
        n => panic!("{n} samples in 5 minutes: the backfill is not on the 15 s grid"),
    };
    let from = end() - seconds(window);

    let rates =
        prometheus.query("sum by (version) (rate(model_requests_total{model=\"fraud-detector\"}[5m]))", Some(end()));
    assert_eq!(rates.len(), 2, "{rates:?}");
    for (v, version) in fraud.versions.iter().enumerate() {
        let got = rates.iter().find(|s| s.labels["version"] == version.version).expect("a rate per version").value;
        let requests =
            sim.requests(0, v, Outcome::Success, from, end()) + sim.requests(0, v, Outcome::Error, from, end());
        assert!(requests > 0);
        assert_close(got, requests as f64 / window as f64, &format!("rate of version {}", version.version));

        let p99 = prometheus.value(
            &format!(
                "histogram_quantile(0.99, sum by (le) (rate(model_request_duration_seconds_bucket\
                 {{model=\"fraud-detector\",version=\"{}\"}}[5m])))",
                version.version
            ),
            Some(end()),
        );
        let expected = quantile(0.99, &sim.latency_buckets(0, v, from, end())).unwrap();
        assert_close(p99, expected, &format!("p99 of version {}", version.version));

        // The counter itself: everything since the first sample, 2 h before END.
        let total = prometheus.value(
            &format!(
                "model_requests_total{{model=\"fraud-detector\",version=\"{}\",outcome=\"error\"}}",
                version.version
            ),
            Some(end()),
        );
        assert_eq!(total, sim.requests(0, v, Outcome::Error, end() - chrono::Duration::hours(2), end()) as f64);
    }
    let canary = &fraud.versions[1].version;
    let canary_p99 = quantile(0.99, &sim.latency_buckets(0, 1, from, end())).unwrap();
    let stable_p99 = quantile(0.99, &sim.latency_buckets(0, 0, from, end())).unwrap();
    assert!(canary_p99 > 2.0 * stable_p99, "the canary is the slow one");

    // le is spelled as the Go client's text format spells it, so scraped and
    // backfilled samples are the same series.
    let le = |spelling: &str| {
        prometheus.query(
            &format!("model_request_duration_seconds_bucket{{model=\"fraud-detector\",version=\"{canary}\",le=\"{spelling}\"}}"),
            Some(end()),
        )
    };
    assert_eq!((le("1").len(), le("1.0").len()), (1, 0));

    // The canary exists from 15 minutes before the end, with its alias.
    let info = |at| {
        prometheus
            .query("model_version_info{model=\"fraud-detector\"}", Some(at))
            .into_iter()
            .map(|s| (s.labels["version"].clone(), s.labels["aliases"].clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let stable = fraud.versions[0].version.clone();
    assert_eq!(
        info(end()),
        BTreeMap::from([(stable.clone(), "champion".to_string()), (canary.clone(), "challenger".to_string())])
    );
    assert_eq!(info(end() - seconds(20 * 60)), BTreeMap::from([(stable, "champion".to_string())]));

    // The harness restarts on the same port and data: the history is still there.
    let before = prometheus.value(&selector, Some(end()));
    prometheus.restart();
    assert_eq!(prometheus.value(&selector, Some(end())), before, "{}", prometheus.log_tail());
}

/// Whether two JSON documents agree: numbers to 1e-9 relative, other values
/// exactly, keys in `skip` ignored. Says where they differ.
fn agree(a: &Value, b: &Value, skip: &[&str], path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = |o: &serde_json::Map<String, Value>| -> BTreeSet<String> {
                o.keys().filter(|k| !skip.contains(&k.as_str())).cloned().collect()
            };
            if keys(x) != keys(y) {
                return Err(format!("{path}: keys {:?} against {:?}", keys(x), keys(y)));
            }
            keys(x).iter().try_for_each(|k| agree(&x[k], &y[k], skip, &format!("{path}.{k}")))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().try_for_each(|(i, (x, y))| agree(x, y, skip, &format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= 1e-9 * y.abs().max(f64::MIN_POSITIVE) {
                Ok(())
            } else {
                Err(format!("{path}: {x} against {y}"))
            }
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} against {b}")),
    }
}

#[test]
fn the_console_reads_the_lab_through_prometheus_as_it_reads_the_embedded_demo() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("history.om");
    let out = file.to_str().unwrap();
    vigil(
        &home,
        &["lab", "backfill", "--scenario", "bad-deploy", "--hours", "2", "--end", END, "--no-features", "--out", out],
    );
    let prometheus = Prometheus::start(PrometheusSetup { backfill: Some(file), ..Default::default() });
    let config = home.path().join("config.toml");
    std::fs::write(&config, format!("[contexts.lab]\nprometheus = {{ url = \"{}\" }}\n", prometheus.url())).unwrap();

    let status = |args: &[&str]| -> Value {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
        support::isolate(&mut command, home.path());
        let output = command.args(["status", "--format", "json", "--at", END]).args(args).output().unwrap();
        // 1: bad-deploy's canary is critical, through either source.
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        let mut json: Value = serde_json::from_slice(&output.stdout).unwrap();
        let models = json["models"].as_array_mut().unwrap();
        models.sort_by(|a, b| a["model"].as_str().cmp(&b["model"].as_str()));
        json
    };
    let through_prometheus = status(&["--config", config.to_str().unwrap()]);
    let embedded = status(&["--demo", "--scenario", "bad-deploy"]);
    assert_eq!(through_prometheus["models"].as_array().unwrap().len(), 12);
    // Rates over the same 5 minutes, p50/p99 from the same buckets, the same
    // hour of history, aliases and environments from model_version_info.
    // What cannot agree: the context's name and source, the data's age, and
    // alerts (the demo evaluates its own rules; this Prometheus has none).
    let skip = ["context", "source", "age_seconds", "alerts"];
    if let Err(difference) = agree(&through_prometheus, &embedded, &skip, "status") {
        panic!("through Prometheus and embedded disagree at {difference}");
    }
}

/// Every label value of the lab's version info, by version, from Prometheus now.
fn versions_seen(prometheus: &Prometheus, model: &str) -> BTreeSet<String> {
    let q = format!("model_version_info{{model=\"{model}\"}}");
    prometheus.query(&q, None).into_iter().map(|s| s.labels["version"].clone()).collect()
}

fn traffic(lab: &LabServer, model: &str) -> BTreeMap<String, f64> {
    let body: Value = http().get(format!("{}/admin/traffic?model={model}", lab.url())).send().unwrap().json().unwrap();
    serde_json::from_value(body["models"][0]["weights"].clone()).unwrap()
}

#[test]
fn prometheus_scrapes_the_lab_and_follows_a_traffic_shift() {
    let lab = LabServer::start(&["--scenario", "bad-deploy", "--models", "4", "--seed", "42"]);
    let prometheus = Prometheus::start(PrometheusSetup { scrape_targets: vec![lab.address()], ..Default::default() });

    let expected: BTreeSet<String> = (0..4).map(model_name).collect();
    wait_for("model_requests_total of every model", DEADLINE, || {
        let seen: BTreeSet<String> = prometheus
            .query("count by (model) (model_requests_total)", None)
            .into_iter()
            .map(|s| s.labels["model"].clone())
            .collect();
        if seen == expected { Ok(()) } else { Err(format!("{seen:?}")) }
    });
    assert_eq!(prometheus.value("up{job=\"lab\"}", None), 1.0);

    let weights = traffic(&lab, "fraud-detector");
    assert_eq!(weights.len(), 2, "{weights:?}");
    let canary = weights.iter().find(|(_, w)| **w == 0.25).map(|(v, _)| v.clone()).expect("the canary at 25 %");
    let stable = weights.iter().find(|(_, w)| **w == 0.75).map(|(v, _)| v.clone()).expect("the stable at 75 %");
    assert_eq!(versions_seen(&prometheus, "fraud-detector"), BTreeSet::from([stable.clone(), canary.clone()]));

    // Ticks are 15 s, so a 20 s window always holds at least one increase
    // of a version that has traffic.
    let rates = || -> BTreeMap<String, f64> {
        prometheus
            .query("sum by (version) (rate(model_requests_total{model=\"fraud-detector\"}[20s]))", None)
            .into_iter()
            .map(|s| (s.labels["version"].clone(), s.value))
            .collect()
    };
    wait_for("the canary to have traffic before the shift", DEADLINE, || {
        let r = rates();
        if r.get(&canary).is_some_and(|v| *v > 0.0) { Ok(()) } else { Err(format!("{r:?}")) }
    });

    let answer = http()
        .post(format!("{}/admin/traffic", lab.url()))
        .json(&json!({"model": "fraud-detector", "weights": {stable.as_str(): 1.0, canary.as_str(): 0.0}}))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().unwrap();
    assert_eq!(answer["weights"][&canary], 0.0);
    assert_eq!(answer["weights"][&stable], 1.0);

    wait_for("the canary's rate to fall to 0 while the stable version's goes on", DEADLINE, || {
        let r = rates();
        match (r.get(&canary), r.get(&stable)) {
            (Some(c), Some(s)) if *c == 0.0 && *s > 0.0 => Ok(()),
            _ => Err(format!("{r:?}")),
        }
    });
    // And it stays there: across one more increase of the stable version
    // (the 20 s window above already spanned one), the canary's counter
    // does not move.
    let total = |version: &str| {
        prometheus.value(&format!("sum(model_requests_total{{model=\"fraud-detector\",version=\"{version}\"}})"), None)
    };
    let frozen = total(&canary);
    let stable_total = total(&stable);
    wait_for("the stable version's counter to increase", DEADLINE, || {
        let now = total(&stable);
        if now > stable_total { Ok(()) } else { Err(format!("{now}")) }
    });
    assert_eq!(total(&canary), frozen, "the canary's counter moved after the shift");
    assert!(lab.log().contains("traffic shifted"), "{}", lab.log());
}

#[test]
fn the_admin_api_refuses_bad_requests_with_a_reason_and_metrics_lint_clean() {
    let lab = LabServer::start(&["--scenario", "bad-deploy", "--models", "2"]);
    let client = http();
    let post = |body: Value| {
        let response = client.post(format!("{}/admin/traffic", lab.url())).json(&body).send().unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap())
    };
    let (status, body) = post(json!({"model": "no-such-model", "weights": {"9": 1.0}}));
    assert_eq!(status, 400);
    assert_eq!(body["error"], "no model named no-such-model");
    let (status, body) = post(json!({"model": "fraud-detector", "weights": {"99": 1.0}}));
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "fraud-detector has no version 99"));
    let (status, body) = post(json!({"model": "fraud-detector", "weights": {"9": -1.0}}));
    assert_eq!(status, 400, "{body}");

    assert_eq!(client.get(format!("{}/healthz", lab.url())).send().unwrap().status(), 200);
    let metrics = client.get(format!("{}/metrics", lab.url())).send().unwrap();
    let content_type = metrics.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = metrics.text().unwrap();
    // promtool parses the text format with Prometheus' own parser and lints it.
    lint(&text);

    let (clean, log) = lab.terminate();
    assert!(clean, "SIGTERM stops the lab cleanly: {log}");
    assert!(log.contains("vigil lab: stopped"), "{log}");
}

fn lint(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool not found ({e}): run scripts/test.sh or apt-get install -y prometheus"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.trim().is_empty(), "promtool check metrics: {said}");
}

#[test]
fn label_values_survive_escaping_through_promtool_and_prometheus() {
    let nasty = "a \"quoted\" back\\slash\nand newline";
    let at = end().timestamp();
    let mut encoder = Encoder::new(Vec::new(), Format::OpenMetrics);
    encoder.family(&VERSION_INFO).unwrap();
    for t in [at - 15, at] {
        encoder.gauge(&VERSION_INFO, &[("model", nasty), ("aliases", "champion,challenger")], 1.0, Some(t)).unwrap();
    }
    let text = encoder.finish().unwrap();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("escaped.om");
    std::fs::write(&file, &text).unwrap();
    let prometheus = Prometheus::start(PrometheusSetup { backfill: Some(file), ..Default::default() });
    let samples = prometheus.query("model_version_info", Some(end()));
    assert_eq!(samples.len(), 1, "{samples:?}");
    assert_eq!(samples[0].labels["model"], nasty);
    assert_eq!(samples[0].labels["aliases"], "champion,challenger");

    // The same through the text format, which promtool lints.
    let mut encoder = Encoder::new(Vec::new(), Format::Text);
    encoder.family(&VERSION_INFO).unwrap();
    encoder.gauge(&VERSION_INFO, &[("model", nasty)], 1.0, None).unwrap();
    lint(&String::from_utf8(encoder.finish().unwrap()).unwrap());
}

#[test]
fn the_harness_delivers_alerts_from_rules_to_alertmanager() {
    let alertmanager = Alertmanager::start();
    let rules = "groups:\n  - name: harness\n    rules:\n      - alert: HarnessAlwaysFiring\n        expr: vector(1)\n        \
                 labels:\n          severity: page\n";
    let prometheus = Prometheus::start(PrometheusSetup {
        rules_yaml: Some(rules.to_string()),
        alertmanager_url: Some(alertmanager.url()),
        ..Default::default()
    });
    wait_for("the rule's alert in Alertmanager", DEADLINE, || {
        let alerts = alertmanager.alerts();
        let found = alerts.iter().any(|a| a["labels"]["alertname"] == "HarnessAlwaysFiring");
        if found { Ok(()) } else { Err(format!("{alerts:?}; prometheus: {}", prometheus.log_tail())) }
    });
}
