//! The command-line contract, through the real binary.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const AT: &str = "2026-11-20T14:00:00Z";

fn vigil(home: &tempfile::TempDir) -> Command {
    let mut std_cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut std_cmd, home.path());
    Command::from_std(std_cmd)
}

fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

#[test]
fn status_json_has_the_contract_fields_and_exits_1_on_critical() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(["status", "--demo", "--scenario", "bad-deploy", "--at", AT, "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json = json_of(&out);
    assert_eq!(json["at"], "2026-11-20T14:00:00Z");
    assert_eq!(json["context"], "demo");
    let models = json["models"].as_array().unwrap();
    assert_eq!(models.len(), 12);
    for model in models {
        for key in [
            "model",
            "status",
            "reason",
            "requests_per_second",
            "error_ratio",
            "latency_p50_seconds",
            "latency_p99_seconds",
            "versions",
            "source",
            "age_seconds",
        ] {
            assert!(model.get(key).is_some(), "model has `{key}`: {model}");
        }
        for version in model["versions"].as_array().unwrap() {
            for key in
                ["version", "aliases", "traffic_share", "requests_per_second", "error_ratio", "latency_p99_seconds"]
            {
                assert!(version.get(key).is_some(), "version has `{key}`: {version}");
            }
        }
    }
    let fraud = models.iter().find(|m| m["model"] == "fraud-detector").expect("fraud-detector is in the demo");
    assert_eq!(fraud["status"], "critical");
    assert_eq!(fraud["source"], "demo (bad-deploy)");
    let shares: f64 = fraud["versions"].as_array().unwrap().iter().map(|v| v["traffic_share"].as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-9, "traffic shares add up to 1, got {shares}");
}

#[test]
fn status_of_a_calm_fleet_exits_0_and_is_deterministic() {
    let home = tempfile::tempdir().unwrap();
    let run = || {
        vigil(&home)
            .args(["status", "--demo", "--at", AT, "--format", "json"])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone()
    };
    let first = run();
    assert_eq!(first, run(), "the same seed and instant give the same numbers");
    let json = json_of(&first);
    assert!(json["models"].as_array().unwrap().iter().all(|m| m["status"] == "ok"));
}

#[test]
fn status_table_and_model_filter() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .args(["status", "--demo", "--scenario", "bad-deploy", "--at", AT, "--model", "fraud-detector"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("critical  fraud-detector").and(predicate::str::contains("churn").not()));
    vigil(&home).args(["status", "--demo", "--at", AT, "--model", "fraud-detectr"]).assert().code(2).stderr(
        predicate::str::contains("no model named fraud-detectr in context demo (did you mean fraud-detector?)"),
    );
}

#[test]
fn render_prints_one_frame_of_the_requested_size() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(["render", "--view", "fleet", "--size", "100x30", "--demo", "--scenario", "bad-deploy", "--at", AT])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 30);
    assert!(text.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 100));
    assert!(text.contains("AT 2026-11-20 14:00:00Z · time travel"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn render_help_and_single_model() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .args(["render", "--view", "help", "--demo", "--at", AT])
        .assert()
        .success()
        .stdout(predicate::str::contains("keys · fleet"));
    vigil(&home)
        .args(["render", "--view", "fleet", "--demo", "--at", AT, "--model", "credit-risk-scorer"])
        .assert()
        .success()
        .stdout(predicate::str::contains("credit-risk-scorer").and(predicate::str::contains("fraud-detector").not()));
}

#[test]
fn demo_options_need_demo() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .args(["status", "--scenario", "calm"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--scenario, --models and --seed go with --demo"));
    vigil(&home)
        .args(["status", "--demo", "--scenario", "calmm"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("calm"));
}

#[test]
fn without_config_the_console_says_how_to_start() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home).arg("status").assert().code(2).stderr(predicate::str::contains("vigil demo"));
}

#[test]
fn bad_at_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .args(["status", "--demo", "--at", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--at `yesterday` is neither"));
}

#[test]
fn config_check_accepts_the_example_and_reports_every_problem_with_file_line_and_key() {
    let home = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    vigil(&home)
        .args(["config", "check", "--config", example])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok"));

    let bad = home.path().join("bad.toml");
    std::fs::write(
        &bad,
        "default_context = \"prod\"\n[contexts.prod]\nread_onyl = true\nprometheus = { url = \"http://p:9090\", token = \"s3cr3t\" }\n",
    )
    .unwrap();
    let assert = vigil(&home).args(["config", "check", "--config"]).arg(&bad).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let file = bad.display().to_string();
    assert!(stderr.contains(&format!("{file}:3:1: contexts.prod.read_onyl: unknown key")), "{stderr}");
    assert!(stderr.contains("did you mean `read_only`?"), "{stderr}");
    assert!(stderr.contains("contexts.prod.prometheus.token"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "the secret is never echoed: {stderr}");
}

#[test]
fn config_check_reports_bad_user_themes_and_keymaps() {
    let home = tempfile::tempdir().unwrap();
    let keymaps = home.path().join("config/vigil/keymaps");
    std::fs::create_dir_all(&keymaps).unwrap();
    std::fs::write(keymaps.join("default.toml"), "[table]\nfilter = \"s\"\n").unwrap();
    vigil(&home)
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("default.toml").and(predicate::str::contains("sort_next")));
}

#[test]
fn config_paths_lists_what_vigil_reads_and_writes() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home).args(["config", "paths"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let root = home.path().display().to_string();
    assert!(text.contains(&format!("{root}/config/vigil/config.toml")), "{text}");
    assert!(text.contains(&format!("{root}/state/vigil/vigil.log")), "{text}");
    assert!(text.contains("themes"), "{text}");
    assert!(text.contains(&format!("{root}/config/vigil/presets")), "{text}");
}

#[test]
fn keys_themes_and_completions() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .arg("keys")
        .assert()
        .success()
        .stdout(predicate::str::contains("sort_next").and(predicate::str::contains("[fleet]")));
    vigil(&home).args(["keys", "--keymap", "vim"]).assert().success().stdout(predicate::str::contains("keymap vim"));
    vigil(&home)
        .arg("themes")
        .assert()
        .success()
        .stdout(predicate::str::contains("* dark").and(predicate::str::contains("16-colour")));
    vigil(&home).args(["completions", "bash"]).assert().success().stdout(predicate::str::contains("_vigil"));
}

#[test]
fn presets_lists_every_preset_and_marks_the_one_in_use() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home).args(["presets", "--demo"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for name in ["generic", "kserve", "seldon", "mlserver", "triton", "bentoml", "torchserve", "ray"] {
        assert!(text.contains(&format!("  {name:<12} builtin")) || text.contains(&format!("* {name:<12} builtin")));
    }
    assert!(text.starts_with("* generic      builtin\n"), "{text}");
    assert!(text.contains("    lacks    errors latency_buckets version_info"), "torchserve: {text}");

    let presets = home.path().join("config/vigil/presets");
    std::fs::create_dir_all(&presets).unwrap();
    std::fs::write(presets.join("inhouse.toml"), "model_label = \"svc\"\n[queries]\nrequests = 'x{$filter}[$windw]'\n")
        .unwrap();
    let file = presets.join("inhouse.toml").display().to_string();
    vigil(&home)
        .args(["presets", "--demo"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(format!("  inhouse      {file}\n    does not load")))
        .stderr(predicate::str::contains(format!("{file}:3:24: queries.requests: unknown placeholder `$windw`")));
}

#[test]
fn config_check_resolves_each_contexts_preset_with_its_overrides() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[contexts.prod]\npreset = \"kserve\"\nqueries = { errors = 'sum by ($model, $version) (x{$filter})' }\n",
    )
    .unwrap();
    let assert = vigil(&home).args(["config", "check", "--config"]).arg(&config).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!(
            "{}: contexts.prod.queries.errors: uses `$version`, but this preset has no `version_label`",
            config.display()
        )),
        "{stderr}"
    );

    std::fs::write(&config, "[contexts.prod]\npreset = \"triton\"\nfilter = 'namespace=\"ml\"'\n").unwrap();
    vigil(&home)
        .args(["config", "check", "--config"])
        .arg(&config)
        .assert()
        .success()
        .stdout(predicate::str::contains("presets triton"));
}

#[test]
fn registry_json_has_the_contract_fields_and_joins_the_serving_metrics() {
    let home = tempfile::tempdir().unwrap();
    let run = || {
        vigil(&home)
            .args(["registry", "--demo", "--scenario", "bad-deploy", "--at", AT, "--format", "json"])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone()
    };
    let out = run();
    assert_eq!(out, run(), "the same seed and instant give the same registry");
    let json = json_of(&out);
    assert_eq!(json["at"], AT);
    assert_eq!(json["context"], "demo");
    assert_eq!(json["registry"], "demo registry (bad-deploy)");
    assert_eq!(json["metrics"], "demo (bad-deploy)");
    let models = json["models"].as_array().unwrap();
    assert_eq!(models.len(), 12);
    for model in models {
        for key in ["model", "metrics_model", "health", "health_reason", "description", "created", "updated", "tags"] {
            assert!(model.get(key).is_some(), "model has `{key}`: {model}");
        }
        assert!(model["aliases"].is_object());
        for version in model["versions"].as_array().unwrap() {
            for key in [
                "version",
                "aliases",
                "status",
                "status_message",
                "user_id",
                "created",
                "created_ms",
                "created_age_seconds",
                "source",
                "run_id",
                "stage",
                "description",
                "tags",
                "serving",
            ] {
                assert!(version.get(key).is_some(), "version has `{key}`: {version}");
            }
            if let Some(serving) = version["serving"].as_object() {
                for key in [
                    "traffic_share",
                    "requests_per_second",
                    "error_ratio",
                    "latency_p99_seconds",
                    "status",
                    "metrics_aliases",
                ] {
                    assert!(serving.contains_key(key), "serving has `{key}`: {version}");
                }
            }
        }
    }
    let fraud = models.iter().find(|m| m["model"] == "fraud-detector").unwrap();
    assert_eq!(fraud["aliases"], serde_json::json!({ "champion": "10" }), "the bad deploy moved champion");
    assert_eq!(fraud["health"], "critical");
    let versions = fraud["versions"].as_array().unwrap();
    let numbers: Vec<&str> = versions.iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["10", "9", "8", "7", "6", "5", "4", "3", "2", "1"]);
    let canary = &versions[0];
    assert_eq!(canary["aliases"], serde_json::json!(["champion"]));
    assert_eq!(canary["status"], "READY");
    assert_eq!(canary["created"], "2026-11-20T13:20:00Z", "registered 25 minutes before its deploy at 13:45");
    assert_eq!(canary["created_age_seconds"], 2400.0);
    assert_eq!(canary["serving"]["status"], "critical");
    assert_eq!(canary["serving"]["metrics_aliases"], serde_json::json!(["challenger"]));
    assert_eq!(versions[1]["aliases"], serde_json::json!([]));
    let shares: f64 = versions.iter().filter_map(|v| v["serving"]["traffic_share"].as_f64()).sum();
    assert!((shares - 1.0).abs() < 1e-9, "the serving versions' shares add up to 1, got {shares}");
    assert!(versions[2..].iter().all(|v| v["serving"].is_null()), "older versions serve nothing");
    let failed = models
        .iter()
        .flat_map(|m| m["versions"].as_array().unwrap())
        .filter(|v| v["status"] == "FAILED_REGISTRATION")
        .count();
    assert!(failed > 0, "the demo shows a failed registration somewhere");
}

#[test]
fn registry_table_model_filter_and_help() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(["registry", "--demo", "--scenario", "bad-deploy", "--at", AT, "--model", "fraud-detector"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("context demo · registry demo registry (bad-deploy) · metrics demo (bad-deploy)"));
    assert!(lines[0].ends_with("1 model · 10 versions · 0 failed"), "{}", lines[0]);
    assert!(lines[1].starts_with("MODEL") && lines[1].ends_with("HEALTH"), "{}", lines[1]);
    assert!(lines[2].starts_with("fraud-detector  v10      champion  ready"), "{}", lines[2]);
    assert!(
        lines[2].contains("40m ago  s3://models/fraud-detector/10") && lines[2].ends_with("critical"),
        "{}",
        lines[2]
    );
    assert!(lines[3].trim_start().starts_with("v9") && lines[3].ends_with("ok"), "{}", lines[3]);
    assert_eq!(lines.len(), 12);
    assert!(!text.contains("churn"));
    vigil(&home).args(["registry", "--demo", "--at", AT, "--model", "fraud-detectr"]).assert().code(2).stderr(
        predicate::str::contains(
            "no registered model named fraud-detectr in context demo (did you mean fraud-detector?)",
        ),
    );
    vigil(&home)
        .args(["registry", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("metrics_aliases").and(predicate::str::contains("created_age_seconds")));
}

#[test]
fn registry_without_one_says_what_to_add_and_an_unreachable_one_exits_3() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[contexts.prod]\nprometheus = { url = \"http://127.0.0.1:9\" }\n\
         [contexts.ml]\nprometheus = { url = \"http://127.0.0.1:9\" }\nmlflow = { url = \"http://127.0.0.1:9\" }\n",
    )
    .unwrap();
    vigil(&home)
        .args(["registry", "--context", "prod", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stdout("")
        .stderr("vigil: context prod has no registry: give it `mlflow = { url = \"…\" }`\n");
    vigil(&home)
        .args(["registry", "--context", "ml", "--config"])
        .arg(&config)
        .assert()
        .code(3)
        .stderr("vigil: mlflow http://127.0.0.1:9: search registered models: cannot connect: Connection refused (os error 111)\n");
}

#[test]
fn render_draws_the_registry_view_and_the_model_views_registry_panel() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(["render", "--view", "registry", "--size", "100x30", "--demo", "--scenario", "bad-deploy", "--at", AT])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 30);
    assert!(text.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 100));
    assert!(text.contains("REGISTRY  12 models · 74 versions · 6 failed"), "{text}");
    assert!(text.lines().nth(3).unwrap().starts_with("✖ fraud-detector  10 versions · champion v10"), "{text}");
    vigil(&home)
        .args(["render", "--view", "registry", "--demo", "--at", AT, "--model", "churn-predictor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("churn-predictor  2 versions").and(predicate::str::contains("fraud").not()));
    vigil(&home)
        .args(["render", "--view", "model", "--model", "fraud-detector", "--demo", "--scenario", "bad-deploy"])
        .args(["--at", AT, "--size", "100x40"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" registry now · champion v10 · metrics label challenger v10, champion v9"));
}

#[test]
fn later_commands_do_not_exist_yet() {
    let home = tempfile::tempdir().unwrap();
    for cmd in ["drift", "incident", "export"] {
        vigil(&home).arg(cmd).assert().code(2).stderr(predicates::str::contains("unrecognized subcommand"));
    }
}

#[test]
fn lab_backfill_writes_openmetrics_and_says_how_much() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("history.om");
    let assert = vigil(&home)
        .args(["lab", "backfill", "--scenario", "bad-deploy", "--models", "2", "--hours", "0.5", "--end", AT])
        .args(["--step", "1m", "--no-features", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let text = std::fs::read_to_string(&out).unwrap();
    let samples = text.lines().filter(|l| !l.starts_with('#')).count();
    assert!(stderr.contains(&format!("{samples} samples, {} bytes", text.len())), "{stderr}");
    assert!(
        stderr.contains("bad-deploy (2 models, seed 42) from 2026-11-20T13:30:00Z to 2026-11-20T14:00:00Z every 1m")
    );
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("model_version_info{model=\"fraud-detector\",version=\"10\",aliases=\"challenger\""));
}

#[test]
fn lab_refuses_bad_options_plainly() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("x.om");
    let out = out.to_str().unwrap();
    for (args, message) in [
        (vec!["lab", "backfill", "--hours", "1", "--step", "20s", "--out", out], "multiple of 15s"),
        (vec!["lab", "backfill", "--hours", "1", "--end", "2099-01-01T00:00:00Z", "--out", out], "--end `2099"),
        (vec!["lab", "backfill", "--hours", "1", "--at", "-1h", "--out", out], "--at does not apply"),
        (vec!["lab", "backfill", "--hours", "1", "--scenario", "calmm", "--out", out], "did you mean calm?"),
        (vec!["lab", "serve", "--listen", "localhost"], "invalid value"),
    ] {
        vigil(&home).args(&args).assert().code(2).stderr(predicate::str::contains(message));
    }
    assert!(!home.path().join("x.om").exists(), "nothing is written when the options are wrong");
}

#[test]
fn an_unreachable_prometheus_exits_3_naming_the_server_and_query() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = home.path().join("config.toml");
    std::fs::write(&config, format!("[contexts.prod]\nprometheus = {{ url = \"http://127.0.0.1:{port}\" }}\n"))
        .unwrap();
    vigil(&home).args(["status", "--config"]).arg(&config).assert().code(3).stderr(
        predicate::str::contains(format!("prometheus http://127.0.0.1:{port}: query `sum by (model, version)"))
            .and(predicate::str::contains("cannot connect: Connection refused")),
    );
}

#[test]
fn a_lab_context_from_the_config_is_used_and_tinted() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "default_context = \"training\"\n[contexts.training]\ntint = \"blue\"\nread_only = true\nlab = { scenario = \"bad-deploy\", models = 20, seed = 7 }\n",
    )
    .unwrap();
    let out = vigil(&home)
        .args(["status", "--format", "json", "--at", AT, "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json = json_of(&out);
    assert_eq!(json["context"], "training");
    assert_eq!(json["models"].as_array().unwrap().len(), 20);
    vigil(&home)
        .args(["render", "--view", "fleet", "--at", AT, "--config"])
        .arg(&config)
        .assert()
        .success()
        .stdout(predicate::str::contains("ctx training [read-only]"));
}

#[test]
fn slo_json_has_the_contract_fields_and_exits_1_when_a_page_row_fires() {
    let home = tempfile::tempdir().unwrap();
    // Defaults for the demo fleet: nothing pages at 99.5 % at the anchor.
    let out = vigil(&home)
        .args(["slo", "--demo", "--scenario", "bad-deploy", "--format", "json", "--at", AT])
        .assert()
        .code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(json["at"].is_string());
    let first = &json["slos"][0];
    for key in [
        "name",
        "model",
        "kind",
        "objective",
        "period_seconds",
        "error_ratio",
        "burn_rate",
        "budget_remaining",
        "exhaustion_seconds",
        "alerts",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    let mut windows: Vec<&String> = first["error_ratio"].as_object().unwrap().keys().collect();
    windows.sort();
    assert_eq!(windows, ["1d", "1h", "2h", "30m", "3d", "5m", "6h", "period"]);
    // Written in window order, shortest first.
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
    assert!(at("5m") < at("30m") && at("30m") < at("1h") && at("3d") < at("period"));
    for key in ["severity", "long", "short", "factor", "firing"] {
        assert!(first["alerts"][0].get(key).is_some(), "missing alerts[].{key}");
    }
    assert_eq!(json["slos"].as_array().unwrap().len(), 24, "two default SLOs for each of 12 models");

    // A strict objective on the bad canary's model pages: exit 1.
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[contexts.lab]\nlab = { scenario = \"bad-deploy\" }\n[[contexts.lab.slo]]\nname = \"fraud-strict\"\nmodel = \"fraud-detector\"\nkind = \"availability\"\nobjective = 99.99\n",
    )
    .unwrap();
    let out = vigil(&home).args(["slo", "--at", AT, "--config"]).arg(&config).assert().code(1);
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(table.starts_with("SLO "), "{table}");
    assert!(table.contains("fraud-strict") && table.contains("page 1h/5m"), "{table}");
    // An unknown model is a usage error with a hint.
    vigil(&home)
        .args(["slo", "--model", "fraud-detectr", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean fraud-detector?"));
}

#[test]
fn config_check_reads_the_sloth_files_a_context_imports() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[contexts.lab]\nlab = { scenario = \"calm\" }\nslo_files = [\"slos/fraud.yml\"]\n")
        .unwrap();
    std::fs::create_dir_all(home.path().join("slos")).unwrap();
    let sloth = home.path().join("slos/fraud.yml");
    std::fs::write(&sloth, "version: \"prometheus/v1\"\nservice: fraud\nslos:\n  - name: a\n    objective: high\n    sli:\n      events:\n        error_query: x[{{.window}}]\n        total_query: y[{{.window}}]\n").unwrap();
    vigil(&home).args(["config", "check", "--config"]).arg(&config).assert().code(2).stderr(
        predicate::str::contains(format!("{}:5:16", sloth.display())).and(predicate::str::contains("not a Sloth spec")),
    );
    // In the lab the imported queries cannot run: said per SLO, not fatal.
    std::fs::write(&sloth, "version: \"prometheus/v1\"\nservice: fraud\nslos:\n  - name: a\n    objective: 99.9\n    sli:\n      events:\n        error_query: x[{{.window}}]\n        total_query: y[{{.window}}]\n").unwrap();
    vigil(&home).args(["config", "check", "--config"]).arg(&config).assert().code(0);
    let out = vigil(&home).args(["slo", "--format", "json", "--at", AT, "--config"]).arg(&config).assert().code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["slos"][0]["name"], "fraud-a");
    assert!(json["slos"][0]["error"].as_str().unwrap().contains("need a Prometheus"));
}

#[test]
fn audit_verify_names_the_first_broken_record_and_list_reads_them() {
    use vigil::playbook::audit::{AuditLog, Entry};
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("state/vigil/audit.jsonl");
    let log = AuditLog::new(path.clone());
    for step in ["alertmanager.silence", "alertmanager.expire_silence", "alertmanager.silence"] {
        let entry = Entry {
            context: "prod".into(),
            playbook: None,
            step: step.into(),
            params: serde_json::json!({"model": "fraud-detector"}),
            request: "POST /api/v2/silences".into(),
            result: "ok".into(),
            detail: String::new(),
        };
        log.append(&entry).unwrap();
    }
    // The default file is the one in the state dir.
    vigil(&home).args(["audit", "verify"]).assert().code(0).stdout(predicate::str::contains("3 records intact"));
    let out = vigil(&home).args(["audit", "list", "--format", "json", "--last", "2"]).assert().code(0);
    let records: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 2);
    assert_eq!(records[0]["seq"], 2);
    // Change one byte of the second record: verify fails there.
    let text = std::fs::read_to_string(&path).unwrap().replacen("expire_silence", "expire_silencf", 1);
    std::fs::write(&path, text).unwrap();
    vigil(&home)
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("broken at record 2 (line 2): hash does not match the record's content"));
}

#[test]
fn a_named_audit_file_that_does_not_exist_is_an_error_not_an_empty_log() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nope/audit.jsonl");
    vigil(&home).args(["audit", "verify", "--file"]).arg(&missing).assert().code(2);
    vigil(&home).args(["audit", "list", "--file"]).arg(&missing).assert().code(2);
    // Without --file, no log yet is an empty, intact log.
    vigil(&home).args(["audit", "verify"]).assert().code(0).stdout(predicate::str::contains("0 records intact"));
}
