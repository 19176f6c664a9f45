//! Playbooks against real servers: an MLflow registry, an Alertmanager, `vigil lab serve`
//! (the bad-deploy scenario, with its traffic gateway) scraped every second
//! by a real Prometheus, and the vigil binary run as an operator runs it.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use support::mlflow::Mlflow;
use support::services::{LabServer, Prometheus, PrometheusSetup, http, wait_for};

const MODEL: &str = "fraud-detector";

struct Stack {
    mlflow: Mlflow,
    lab: LabServer,
    _prometheus: Prometheus,
    prometheus_url: String,
    stable: String,
    canary: String,
}

/// The lab's fraud-detector versions as MLflow versions 1..=canary; the
/// canary holds `champion` (the bad deploy was a promotion).
fn stack() -> Stack {
    let lab = LabServer::start(&["--scenario", "bad-deploy", "--models", "2", "--seed", "42"]);
    let weights = traffic(&lab);
    let mut versions: Vec<u32> = weights.keys().map(|v| v.parse().unwrap()).collect();
    versions.sort();
    let (stable, canary) = (versions[0].to_string(), versions[versions.len() - 1].to_string());
    let prometheus =
        Prometheus::start(PrometheusSetup { scrape_targets: vec![lab.address()], ..PrometheusSetup::default() });
    let mlflow = Mlflow::start();
    let seed = mlflow.seed();
    seed.model(MODEL);
    seed.versions(MODEL, versions[versions.len() - 1]);
    seed.alias(MODEL, "champion", &canary);
    let prometheus_url = prometheus.url();
    // Until Prometheus holds a minute of scrapes, rates are not there yet.
    wait_for("25 seconds of fraud-detector's series in Prometheus", Duration::from_secs(120), || {
        let v = prometheus.query("count_over_time(model_requests_total{model=\"fraud-detector\"}[1m])", None);
        if v.iter().any(|s| s.value >= 25.0) { Ok(()) } else { Err(format!("{v:?}")) }
    });
    Stack { mlflow, lab, _prometheus: prometheus, prometheus_url, stable, canary }
}

fn traffic(lab: &LabServer) -> serde_json::Map<String, Value> {
    let body: Value = http().get(format!("{}/admin/traffic?model={MODEL}", lab.url())).send().unwrap().json().unwrap();
    body["models"][0]["weights"].as_object().unwrap().clone()
}

/// MLflow's own answer for the model, read over REST (not through vigil).
fn registered_model(stack: &Stack) -> Value {
    let body: Value = http()
        .get(format!("{}/api/2.0/mlflow/registered-models/get?name={MODEL}", stack.mlflow.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["registered_model"].clone()
}

fn champion(stack: &Stack) -> String {
    registered_model(stack)["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alias"] == "champion")
        .map(|a| a["version"].as_str().unwrap().to_string())
        .unwrap()
}

/// A config with one context reading and moving the stack.
fn home_for(stack: &Stack, read_only: bool) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/vigil");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "default_context = \"prod\"\n[contexts.prod]\nread_only = {read_only}\n\
             prometheus = {{ url = \"{}\" }}\nmlflow = {{ url = \"{}\" }}\ntraffic = {{ url = \"{}\" }}\n",
            stack.prometheus_url,
            stack.mlflow.url(),
            stack.lab.url()
        ),
    )
    .unwrap();
    home
}

fn vigil(home: &Path, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut command, home);
    command.env("VIGIL_ACTOR", "alice").args(args).stdin(std::process::Stdio::null());
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

const ROLLBACK: &[&str] =
    &["playbook", "run", "rollback", "-p", "model=fraud-detector", "--yes", "--reason", "errors after the deploy"];

#[test]
fn rollback_on_mlflow_with_verification_in_prometheus() {
    let stack = stack();
    assert_eq!(champion(&stack), stack.canary);

    // The registry as the console reads it, joined with Prometheus' numbers.
    let home = home_for(&stack, false);
    let out = vigil(home.path(), &["registry", "--model", MODEL, "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let registry: Value = serde_json::from_slice(&out.stdout).unwrap();
    let model = &registry["models"][0];
    assert_eq!(model["aliases"]["champion"], stack.canary.as_str());
    let versions = model["versions"].as_array().unwrap();
    assert_eq!(versions.len(), stack.canary.parse::<usize>().unwrap());
    let canary = versions.iter().find(|v| v["version"] == stack.canary.as_str()).unwrap();
    assert_eq!(canary["aliases"], serde_json::json!(["champion"]));
    assert_eq!(canary["source"], format!("s3://bucket/m/{}", stack.canary));
    let error_ratio = canary["serving"]["error_ratio"].as_f64().unwrap();
    assert!(error_ratio > 0.05, "the bad canary's errors, from Prometheus: {canary}");

    // Read-only refuses before anything runs, and nothing moves.
    let read_only = home_for(&stack, true);
    let out = vigil(read_only.path(), ROLLBACK);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("refused: read-only (context prod is read-only)"), "{}", text(&out));
    assert_eq!(champion(&stack), stack.canary);

    // The plan spells out MLflow's request and the move.
    let out = vigil(home.path(), &["playbook", "plan", "rollback", "-p", "model=fraud-detector"]);
    let plan = text(&out);
    assert!(out.status.success(), "{plan}");
    assert!(plan.contains(&format!("champion: {} → {}", stack.canary, stack.stable)), "{plan}");
    assert!(
        plan.contains(&format!(
            "POST {}/api/2.0/mlflow/registered-models/alias {{\"alias\":\"champion\",\"name\":\"fraud-detector\",\"version\":\"{}\"}}",
            stack.mlflow.url(),
            stack.stable
        )),
        "{plan}"
    );

    // The rollback: alias and traffic back, and Prometheus sees the error ratio recover.
    let mut args = ROLLBACK.to_vec();
    args.extend(["-p", "verify_window=20s", "-p", "verify_within=3m"]);
    let out = vigil(home.path(), &args);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("✔ step  verify: ok — error_ratio = "), "{said}");
    assert_eq!(champion(&stack), stack.stable);
    let weights = traffic(&stack.lab);
    assert_eq!(weights[&stack.stable].as_f64(), Some(1.0), "{weights:?}");

    // Again with the same target: already satisfied.
    let mut again = ROLLBACK.to_vec();
    let to = format!("to_version={}", stack.stable);
    again.extend(["-p", &to, "-p", "max_error_ratio=1", "-p", "verify_within=0s"]);
    let out = vigil(home.path(), &again);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("move-alias: already satisfied — champion is already {}", stack.stable)));

    // A second rollback by mistake, moments later, from another machine:
    // it shows the new target and is refused without an explicit one.
    let second = home_for(&stack, false);
    let out = vigil(second.path(), ROLLBACK);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let further = (stack.stable.parse::<u32>().unwrap() - 1).to_string();
    assert!(said.contains(&format!("champion: {} → {further}", stack.stable)), "{said}");
    assert!(said.contains(&format!("was moved {} → {}", stack.canary, stack.stable)), "{said}");
    assert!(said.contains(&format!("pass --param to_version={further} if that is intended")), "{said}");
    assert_eq!(champion(&stack), stack.stable);

    let out = vigil(home.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn failed_verification_compensates_and_one_of_two_concurrent_runs_proceeds() {
    let stack = stack();
    let before = traffic(&stack.lab);
    let home = home_for(&stack, false);
    let mut args = ROLLBACK.to_vec();
    args.extend(["-p", "max_error_ratio=0.000001", "-p", "verify_within=0s"]);
    let out = vigil(home.path(), &args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("failed at verify") && said.contains("compensation ran"), "{said}");
    assert_eq!(champion(&stack), stack.canary, "the alias is back");
    let after = traffic(&stack.lab);
    for (version, share) in &before {
        assert!((share.as_f64().unwrap() - after[version].as_f64().unwrap()).abs() < 1e-9, "{before:?} {after:?}");
    }

    // Two operators on two machines (separate state directories) start
    // the same move at once: the registry lease lets exactly one through.
    let playbook = format!(
        "name = \"slow-move\"\n[params.to]\ntype = \"version\"\n\
         [[step]]\nid = \"move\"\naction = \"registry.set_alias\"\n\
         args = {{ model = \"{MODEL}\", alias = \"champion\", version = \"{{{{to}}}}\" }}\nconfirm = \"{MODEL}\"\n\
         [[step]]\nid = \"hold\"\naction = \"wait\"\nargs = {{ duration = \"3s\" }}\n"
    );
    let homes = [home_for(&stack, false), home_for(&stack, false)];
    for h in &homes {
        std::fs::create_dir_all(h.path().join("config/vigil/playbooks")).unwrap();
        std::fs::write(h.path().join("config/vigil/playbooks/slow-move.toml"), &playbook).unwrap();
    }
    let to = format!("to={}", stack.stable);
    let run = ["playbook", "run", "slow-move", "-p", to.as_str(), "--yes", "--reason", "race"];
    let outputs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = homes.iter().map(|h| s.spawn(|| vigil(h.path(), &run))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    let texts: Vec<String> = outputs.iter().map(text).collect();
    assert_eq!(codes.iter().filter(|c| **c == Some(0)).count(), 1, "{codes:?} {texts:#?}");
    assert!(texts.iter().any(|t| t.contains("fraud-detector is locked by alice (slow-move run")), "{texts:#?}");
    assert_eq!(champion(&stack), stack.stable);
    let model = registered_model(&stack);
    let has_lock = model["tags"].as_array().is_some_and(|t| t.iter().any(|t| t["key"] == "vigil.lock"));
    assert!(!has_lock, "the lease is released: {model}");
}

#[test]
fn silence_model_alerts_creates_one_silence_in_a_real_alertmanager() {
    let alertmanager = support::services::Alertmanager::start();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/vigil");
    std::fs::create_dir_all(&dir).unwrap();
    // Planning and silencing need no metrics: Prometheus is never asked.
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[contexts.prod]\nprometheus = {{ url = \"http://127.0.0.1:9\" }}\nalertmanager = {{ url = \"{}\" }}\n",
            alertmanager.url()
        ),
    )
    .unwrap();
    let reason = "known issue INC-7; \"quoted\" $(id)";
    let out = vigil(
        home.path(),
        &[
            "playbook",
            "run",
            "silence-model-alerts",
            "-p",
            "model=fraud-detector",
            "-p",
            "duration=30m",
            "--yes",
            "--reason",
            reason,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let silences: Value = http().get(format!("{}/api/v2/silences", alertmanager.url())).send().unwrap().json().unwrap();
    let silences = silences.as_array().unwrap();
    assert_eq!(silences.len(), 1, "{silences:?}");
    let s = &silences[0];
    assert_eq!(s["status"]["state"], "active");
    assert_eq!(s["matchers"][0]["name"], "model");
    assert_eq!(s["matchers"][0]["value"], "fraud-detector");
    assert_eq!(s["comment"], format!("{reason} (vigil, alice)"));
    assert!(s["createdBy"].as_str().unwrap().contains("vigil playbook silence-model-alerts"), "{s}");
}
