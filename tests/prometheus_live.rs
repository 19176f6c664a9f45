//! The console's Prometheus and Alertmanager paths against the real servers:
//! alerts from a firing rule, a silence created and expired through the same
//! code the TUI uses, degraded mode when Prometheus dies and recovery when it
//! returns, and the model view's range queries on backfilled history.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use support::services::{Alertmanager, LabServer, Prometheus, PrometheusSetup, wait_for};
use vigil::app::change::Change;
use vigil::changes::{self, AuditLog};
use vigil::config::Endpoint;
use vigil::core::alerts::AlertState;
use vigil::sources::alertmanager::{AlertmanagerClient, Matcher};
use vigil::sources::alerts::ServerAlerts;
use vigil::sources::http::Limits;
use vigil::sources::presets::Preset;
use vigil::sources::prometheus::PrometheusClient;
use vigil::sources::prometheus::fleet::PrometheusFleet;
use vigil::sources::{AlertsSource, FleetQuery, MetricsSource, ModelQuery};

/// Every wait is for a server doing its work; none is a timing assertion.
const DEADLINE: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn endpoint(url: &str) -> Endpoint {
    Endpoint { url: url.to_string(), ..Endpoint::default() }
}

fn limits() -> Limits {
    Limits { timeout: Duration::from_secs(5), ..Limits::default() }
}

fn fleet_source(prometheus: &str) -> PrometheusFleet {
    let client = PrometheusClient::new(&endpoint(prometheus), limits()).unwrap();
    let preset = Preset::resolve("generic", None, &Default::default()).unwrap();
    PrometheusFleet::new(client, preset, String::new(), Some("test".into()))
}

const RULES: &str = "groups:
  - name: models
    rules:
      - alert: ModelAlwaysFiring
        expr: vector(1)
        labels:
          severity: critical
          model: fraud-detector
        annotations:
          summary: fraud-detector is on fire
";

#[test]
fn a_firing_rule_shows_up_and_a_silence_from_vigil_mutes_it_until_expired() {
    let alertmanager = Alertmanager::start();
    let prometheus = Prometheus::start(PrometheusSetup {
        rules_yaml: Some(RULES.into()),
        alertmanager_url: Some(alertmanager.url()),
        ..Default::default()
    });
    let rt = runtime();
    let am_client = AlertmanagerClient::new(&endpoint(&alertmanager.url()), limits()).unwrap();
    let source = ServerAlerts {
        prometheus: Some(PrometheusClient::new(&endpoint(&prometheus.url()), limits()).unwrap()),
        alertmanager: Some(am_client.clone()),
        model_label: "model".into(),
    };
    let firing = wait_for("the rule's alert firing in alertmanager", DEADLINE, || {
        let snapshot = rt.block_on(source.alerts(None)).map_err(|e| e.to_string())?;
        let alert = snapshot.alerts.iter().find(|a| a.name == "ModelAlwaysFiring").cloned();
        match alert {
            Some(a) if a.state == AlertState::Firing && a.fingerprint.is_some() => Ok(a),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(firing.model.as_deref(), Some("fraud-detector"));
    assert_eq!(firing.summary, "fraud-detector is on fire");

    // The rest of the read API, on the same server.
    let prom_client = PrometheusClient::new(&endpoint(&prometheus.url()), limits()).unwrap();
    let groups = rt.block_on(prom_client.rules()).unwrap();
    let rule = &groups.iter().find(|g| g.name == "models").expect("the rules group").rules[0];
    assert_eq!(
        (rule.name.as_str(), rule.kind.as_str(), rule.state.as_deref()),
        ("ModelAlwaysFiring", "alerting", Some("firing"))
    );
    let names = rt.block_on(prom_client.label_values("__name__", &[])).unwrap();
    assert!(names.iter().any(|n| n == "ALERTS"), "{names:?}");
    let models = rt.block_on(prom_client.label_values("model", &["ALERTS"])).unwrap();
    assert_eq!(models, ["fraud-detector"]);

    // And the console shows it: the alerts view, rendered by the binary from a config.
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.test]\nprometheus = {{ url = \"{}\" }}\nalertmanager = {{ url = \"{}\" }}\n",
            prometheus.url(),
            alertmanager.url()
        ),
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut command, home.path());
    let out =
        command.args(["render", "--view", "alerts", "--size", "120x12", "--config"]).arg(&config).output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        screen.contains("1 firing")
            && screen.contains("ModelAlwaysFiring")
            && screen.contains("fraud-detector is on fire"),
        "{screen}"
    );

    // Silence it through the same path the TUI takes after confirmation.
    let home = tempfile::tempdir().unwrap();
    let journal = AuditLog::new(home.path().join("audit.jsonl"));
    let change = Change::CreateSilence {
        matchers: firing.labels.iter().map(|(k, v)| Matcher::equal(k, v)).collect(),
        duration: Duration::from_secs(3600),
        reason: "integration test".into(),
        target: "fraud-detector".into(),
    };
    // A read-only session is refused by the gate before any request.
    let refused = rt.block_on(changes::apply(&change, "test", Some("--read-only"), Some(&am_client), &journal));
    assert!(refused.unwrap_err().starts_with("read-only (--read-only)"));
    assert!(rt.block_on(am_client.silences()).unwrap().is_empty(), "nothing was created");

    let done = rt.block_on(changes::apply(&change, "test", None, Some(&am_client), &journal)).unwrap();
    assert!(done.contains("silence "), "{done}");
    let silenced = wait_for("the alert to show as silenced", DEADLINE, || {
        let snapshot = rt.block_on(source.alerts(None)).map_err(|e| e.to_string())?;
        let alert = snapshot.alerts.iter().find(|a| a.name == "ModelAlwaysFiring").cloned();
        match alert {
            Some(a) if a.state == AlertState::Silenced => Ok(a),
            other => Err(format!("{other:?}")),
        }
    });
    let id = silenced.silenced_by[0].clone();

    let expire = Change::ExpireSilence { id: id.clone(), reason: "done".into(), target: "fraud-detector".into() };
    rt.block_on(changes::apply(&expire, "test", None, Some(&am_client), &journal)).unwrap();
    wait_for("the alert to fire again", DEADLINE, || {
        let snapshot = rt.block_on(source.alerts(None)).map_err(|e| e.to_string())?;
        match snapshot.alerts.iter().find(|a| a.name == "ModelAlwaysFiring") {
            Some(a) if a.state == AlertState::Firing => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let silences = rt.block_on(am_client.silences()).unwrap();
    assert_eq!(silences.iter().find(|s| s.id == id).map(|s| s.status.state.as_str()), Some("expired"));

    // Every attempt is in the journal, the refused one included.
    let records: Vec<serde_json::Value> =
        std::fs::read_to_string(journal.path()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let results: Vec<&str> = records.iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["refused", "ok", "ok"]);
    let text = std::fs::read_to_string(journal.path()).unwrap();
    assert_eq!(vigil::playbook::audit::verify(&text), Ok(3), "the records form an intact chain");
    assert_eq!(records[1]["step"], "alertmanager.silence");
    assert_eq!(records[1]["params"]["kind"], "create_silence");
    assert_eq!(records[2]["params"]["id"], id.as_str());
}

#[test]
fn alertmanager_down_still_lists_prometheus_alerts_with_a_note() {
    let prometheus = Prometheus::start(PrometheusSetup { rules_yaml: Some(RULES.into()), ..Default::default() });
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rt = runtime();
    let source = ServerAlerts {
        prometheus: Some(PrometheusClient::new(&endpoint(&prometheus.url()), limits()).unwrap()),
        alertmanager: Some(
            AlertmanagerClient::new(&endpoint(&format!("http://127.0.0.1:{port}")), Limits { retries: 0, ..limits() })
                .unwrap(),
        ),
        model_label: "model".into(),
    };
    let snapshot = wait_for("prometheus to evaluate the rule", DEADLINE, || {
        let s = rt.block_on(source.alerts(None)).map_err(|e| e.to_string())?;
        if s.alerts.iter().any(|a| a.name == "ModelAlwaysFiring") { Ok(s) } else { Err(format!("{s:?}")) }
    });
    assert_eq!(snapshot.notes.len(), 1, "{:?}", snapshot.notes);
    assert!(
        snapshot.notes[0]
            .starts_with(&format!("alertmanager http://127.0.0.1:{port}: GET /api/v2/alerts: cannot connect"))
    );
}

#[test]
fn prometheus_dying_switches_to_a_direct_scrape_and_back() {
    let lab = LabServer::start(&["--scenario", "calm", "--models", "3", "--seed", "42"]);
    let mut prometheus =
        Prometheus::start(PrometheusSetup { scrape_targets: vec![lab.address()], ..Default::default() });
    let rt = runtime();
    let source = fleet_source(&prometheus.url());
    let query = || FleetQuery::at(Utc::now());

    // Healthy: the fleet comes from Prometheus, and the targets are learned.
    let healthy = wait_for("three models and the lab target through prometheus", DEADLINE, || {
        let m = rt.block_on(source.fleet(&query())).map_err(|e| e.to_string())?;
        let targets = source.scrape_targets();
        if m.models.len() == 3 && !targets.is_empty() {
            Ok(m)
        } else {
            Err(format!("{} models, targets {targets:?}", m.models.len()))
        }
    });
    assert_eq!(source.scrape_targets(), [format!("http://{}/metrics", lab.address())]);
    assert_eq!(healthy.via, None);

    prometheus.kill();
    let degraded = rt.block_on(source.fleet(&query())).expect("the direct scrape answers");
    let via = degraded.via.clone().expect("labelled as a direct scrape");
    assert!(via.starts_with("direct scrape of 1 target — prometheus"), "{via}");
    assert!(via.ends_with("unreachable"), "{via}");
    assert_eq!(degraded.models.len(), 3);
    // The lab's counters move once per 15-second tick, so rates show once
    // two scrapes straddle a tick: the next refresh, as in a real session.
    std::thread::sleep(Duration::from_secs(16));
    let later = rt.block_on(source.fleet(&query())).expect("the direct scrape answers again");
    assert!(later.rate_window_seconds >= 15.0, "rates over the time between refreshes: {later:?}");
    let total: f64 = later.models.iter().filter_map(|m| m.requests_per_second()).sum();
    assert!(total > 0.0, "rates from two successive scrapes: {later:?}");

    prometheus.restart();
    wait_for("the source to switch back to prometheus", DEADLINE, || {
        let m = rt.block_on(source.fleet(&query())).map_err(|e| e.to_string())?;
        if m.via.is_none() && m.models.len() == 3 { Ok(()) } else { Err(format!("{:?}", m.via)) }
    });
}

#[test]
fn a_past_instant_is_not_answered_by_a_direct_scrape() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rt = runtime();
    let source = fleet_source(&format!("http://127.0.0.1:{port}"))
        .with_scrape_targets(vec![format!("http://127.0.0.1:{port}/metrics")]);
    let past: DateTime<Utc> = Utc::now() - chrono::Duration::hours(1);
    let error = rt.block_on(source.fleet(&FleetQuery::at(past))).unwrap_err();
    assert!(error.message.ends_with("(a direct scrape cannot show a past instant)"), "{}", error.message);
}

fn backfilled_prometheus(end: &str) -> (Prometheus, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("history.om");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["lab", "backfill", "--scenario", "bad-deploy", "--hours", "2", "--end", end, "--no-features", "--out"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    (Prometheus::start(PrometheusSetup { backfill: Some(file), ..Default::default() }), home)
}

#[test]
fn a_stack_without_a_histogram_shows_the_average_and_no_percentiles() {
    let end = "2026-11-20T14:00:00Z";
    let (prometheus, _home) = backfilled_prometheus(end);
    let rt = runtime();
    let client = PrometheusClient::new(&endpoint(&prometheus.url()), limits()).unwrap();
    // The generic preset with its histogram taken away, as for Triton or TorchServe.
    let overrides = [("latency_buckets".to_string(), String::new())].into();
    let preset = Preset::resolve("generic", None, &overrides).unwrap();
    let source = PrometheusFleet::new(client, preset, String::new(), None);
    let metrics = rt.block_on(source.fleet(&FleetQuery::at(end.parse().unwrap()))).unwrap();
    let fraud = metrics.models.iter().find(|m| m.model == "fraud-detector").unwrap();
    assert_eq!((fraud.latency_p50_seconds, fraud.latency_p99_seconds), (None, None), "never invented");
    let mean = fraud.latency_average_seconds.expect("the average instead");
    let canary = fraud.versions.iter().find(|v| v.version.as_deref() == Some("10")).unwrap();
    let stable = fraud.versions.iter().find(|v| v.version.as_deref() == Some("9")).unwrap();
    let (c, s) = (canary.latency_average_seconds.unwrap(), stable.latency_average_seconds.unwrap());
    assert!(c > s, "the slow canary's mean {c} is above the stable's {s}");
    assert!(mean > s && mean < c, "the model's mean {mean} is weighted between them");
}

#[test]
fn the_model_view_reads_versions_over_a_range_from_backfilled_history() {
    let end = "2026-11-20T14:00:00Z";
    let (prometheus, _home) = backfilled_prometheus(end);
    let rt = runtime();
    let source = fleet_source(&prometheus.url());
    let at: DateTime<Utc> = end.parse().unwrap();
    let query = ModelQuery::new("fraud-detector", at, Duration::from_secs(3600));
    let detail = rt.block_on(source.model(&query)).unwrap();
    assert_eq!(detail.versions.len(), 2, "{detail:?}");
    let stable = &detail.versions[0];
    let canary = &detail.versions[1];
    assert_eq!((stable.version.as_deref(), canary.version.as_deref()), (Some("9"), Some("10")));
    assert_eq!(stable.requests_per_second.len(), 120);
    // The canary went out 15 minutes before the end: nothing in the first half hour.
    assert!(canary.requests_per_second[..60].iter().all(Option::is_none), "{:?}", &canary.requests_per_second[..60]);
    let canary_errors = canary.error_ratio.last().unwrap().unwrap();
    let stable_errors = stable.error_ratio.last().unwrap().unwrap();
    assert!(canary_errors > 0.05 && stable_errors < 0.01, "canary {canary_errors}, stable {stable_errors}");
    let shares = detail.traffic_shares();
    assert!((shares[1].1.unwrap() - 0.25).abs() < 0.08, "{shares:?}");
    assert!(canary.latency_p99_seconds.last().unwrap().unwrap() > stable.latency_p99_seconds.last().unwrap().unwrap());

    // The same window from the embedded simulator: the same shape within the
    // noise of one extra sample per window (Prometheus' window is closed).
    let sim = vigil::lab::Simulator::new(vigil::lab::LabOptions {
        seed: 42,
        scenario: vigil::lab::Scenario::BadDeploy,
        models: 12,
        anchor: at,
    });
    let embedded = vigil::lab::detail::model_detail(&sim, &query).unwrap();
    let ours = stable.requests_per_second.last().unwrap().unwrap();
    let theirs = embedded.versions[0].requests_per_second.last().unwrap().unwrap();
    assert!((ours - theirs).abs() / theirs < 0.1, "prometheus {ours} vs simulator {theirs}");
}

#[test]
fn the_example_rules_file_is_valid_and_fires_on_the_bad_canary() {
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/prometheus/rules.yml")).unwrap();
    let lab = LabServer::start(&["--scenario", "bad-deploy", "--models", "2", "--seed", "42"]);
    let prometheus = Prometheus::start(PrometheusSetup {
        scrape_targets: vec![lab.address()],
        rules_yaml: Some(rules),
        ..Default::default()
    });
    let rt = runtime();
    let source = ServerAlerts {
        prometheus: Some(PrometheusClient::new(&endpoint(&prometheus.url()), limits()).unwrap()),
        alertmanager: None,
        model_label: "model".into(),
    };
    // The canary starts 15 minutes before the lab's start, so its errors are
    // there from the first scrapes; the rule is pending until `for` has passed.
    let alert = wait_for("ModelErrorRatioHigh on the canary", DEADLINE, || {
        let snapshot = rt.block_on(source.alerts(None)).map_err(|e| e.to_string())?;
        snapshot
            .alerts
            .into_iter()
            .find(|a| a.name == "ModelErrorRatioHigh")
            .ok_or_else(|| format!("not yet; prometheus: {}", prometheus.log_tail()))
    });
    assert_eq!(alert.model.as_deref(), Some("fraud-detector"));
    assert_eq!(alert.labels["version"], "10");
    assert_eq!(alert.state, AlertState::Pending, "held for 2m before firing");
    assert!(alert.summary.contains("of requests failing"), "{}", alert.summary);
}

/// Sloth's recording rules for one SLO, as `sloth generate` writes them.
fn sloth_rules(id: &str, service: &str, slo: &str, error: &str, total: &str) -> String {
    let mut rules = String::from("groups:\n  - name: sloth-slo-sli-recordings\n    rules:\n");
    for window in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
        rules.push_str(&format!(
            "      - record: slo:sli_error:ratio_rate{window}\n        expr: ({}) / ({})\n        labels:\n          sloth_id: {id}\n          sloth_service: {service}\n          sloth_slo: {slo}\n          sloth_window: {window}\n",
            error.replace("{{.window}}", window),
            total.replace("{{.window}}", window),
        ));
    }
    rules.push_str(&format!(
        "      - record: slo:sli_error:ratio_rate30d\n        expr: sum_over_time(slo:sli_error:ratio_rate5m{{sloth_id=\"{id}\"}}[30d]) / ignoring (sloth_window) count_over_time(slo:sli_error:ratio_rate5m{{sloth_id=\"{id}\"}}[30d])\n        labels:\n          sloth_window: 30d\n"
    ));
    rules
}

#[test]
fn sloths_recording_rules_agree_with_vigil_at_the_instant_they_were_evaluated() {
    let error = r#"sum(rate(model_requests_total{model="fraud-detector",outcome="error"}[{{.window}}]))"#;
    let total = r#"sum(rate(model_requests_total{model="fraud-detector"}[{{.window}}]))"#;
    let id = "fraud-detector-requests-availability";
    let lab = LabServer::start(&["--scenario", "bad-deploy", "--models", "1", "--seed", "42"]);
    let prometheus = Prometheus::start(PrometheusSetup {
        scrape_targets: vec![lab.address()],
        rules_yaml: Some(sloth_rules(id, "fraud-detector", "requests-availability", error, total)),
        ..Default::default()
    });
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("sloth.yml"),
        format!(
            "version: \"prometheus/v1\"\nservice: fraud-detector\nslos:\n  - name: requests-availability\n    objective: 99.9\n    sli:\n      events:\n        error_query: {error}\n        total_query: {total}\n"
        ),
    )
    .unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[contexts.lab]\nprometheus = {{ url = \"{}\" }}\nslo_files = [\"sloth.yml\"]\n", prometheus.url()),
    )
    .unwrap();
    let check = wait_for("Sloth's 5m ratio with traffic behind it", DEADLINE, || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
        support::isolate(&mut command, home.path());
        let output = command.args(["slo", "--format", "json", "--config"]).arg(&config).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("{e}"))?;
        let check = json["slos"][0]["sloth"].clone();
        let five = check["windows"].as_array().and_then(|w| w.iter().find(|w| w["window"] == "5m").cloned());
        match five {
            Some(w) if w["sloth"].is_number() => Ok(check),
            _ => Err(format!("{json}")),
        }
    });
    let windows = check["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 8, "{check}");
    for w in windows {
        if w["comparable"] == true {
            assert_eq!(w["agrees"], true, "window {} disagrees: {check}", w["window"]);
        } else {
            assert_eq!(w["window"], "30d", "only the 30 d mean of 5 m ratios is another quantity");
            assert!(w["agrees"].is_null());
        }
    }
    // The canary's errors are in the 5 m ratio, on both sides.
    let five = windows.iter().find(|w| w["window"] == "5m").unwrap();
    let (sloth, vigil) = (five["sloth"].as_f64().unwrap(), five["vigil"].as_f64().unwrap());
    assert!(sloth > 0.0 && (sloth - vigil).abs() <= 1e-9 * sloth, "{sloth} vs {vigil}");
}
