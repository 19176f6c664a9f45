//! `vigil playbook …` as a script or an operator runs it, on the demo fleet
//! (its registry and gateway live in the process) and on user playbook
//! files that reach a local HTTP echo server and programs through argv.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn vigil(home: &tempfile::TempDir) -> Command {
    let mut std_cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
    support::isolate(&mut std_cmd, home.path());
    std_cmd.env("VIGIL_ACTOR", "alice");
    Command::from_std(std_cmd)
}

const DEMO: &[&str] = &["--demo", "--scenario", "bad-deploy"];

fn user_playbook(home: &tempfile::TempDir, file: &str, text: &str) {
    let dir = home.path().join("config/vigil/playbooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

fn audit(home: &tempfile::TempDir) -> Vec<Value> {
    let text = std::fs::read_to_string(home.path().join("state/vigil/audit.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn list_shows_every_shipped_playbook() {
    let home = tempfile::tempdir().unwrap();
    let out =
        vigil(&home).args(["playbook", "list", "--format", "json"]).assert().success().get_output().stdout.clone();
    let list: Value = serde_json::from_slice(&out).unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["rollback", "traffic-shift", "promote", "silence-model-alerts", "kserve-canary"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let rollback = &list[0];
    assert_eq!(
        rollback["params"][0],
        serde_json::json!({"name":"model","type":"model","default":"(selected model)","description":"the registered model to roll back"})
    );
}

#[test]
fn plan_shows_current_and_target_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(DEMO)
        .args(["playbook", "plan", "rollback", "--param", "model=fraud-detector", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan: Value = serde_json::from_slice(&out).unwrap();
    let from =
        plan["params"].as_array().unwrap().iter().find(|p| p["name"] == "from_version").unwrap()["value"].clone();
    let to = plan["params"].as_array().unwrap().iter().find(|p| p["name"] == "to_version").unwrap()["value"].clone();
    let step = &plan["steps"][0];
    assert_eq!(step["id"], "move-alias");
    assert_eq!(step["current"], from);
    assert_eq!(step["target"], to);
    assert_eq!(step["already_satisfied"], false);
    assert_eq!(plan["confirm"], "fraud-detector");
    assert!(audit(&home).is_empty(), "a plan records nothing");

    vigil(&home)
        .args(DEMO)
        .args(["playbook", "plan", "rollback", "--param", "model=fraud-detector"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("champion: {} → {}", from.as_str().unwrap(), to.as_str().unwrap())));
}

#[test]
fn run_refuses_without_yes_when_stdin_is_not_a_terminal_and_without_a_reason() {
    let home = tempfile::tempdir().unwrap();
    let base = ["playbook", "run", "rollback", "--param", "model=fraud-detector"];
    vigil(&home)
        .args(DEMO)
        .args(base)
        .write_stdin("fraud-detector\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to run without --yes: stdin is not a terminal"));
    vigil(&home)
        .args(DEMO)
        .args(base)
        .arg("--yes")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes needs --reason"));
    assert!(audit(&home).is_empty());
}

#[test]
fn run_with_yes_rolls_back_and_read_only_refuses() {
    let home = tempfile::tempdir().unwrap();
    let args = ["playbook", "run", "rollback", "-p", "model=fraud-detector", "-p", "max_error_ratio=0.05"];
    vigil(&home)
        .args(DEMO)
        .args(args)
        .args(["-p", "verify_within=0s", "--yes", "--reason", "errors after deploy"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✔ step  move-alias: ok — champion of fraud-detector:"))
        .stdout(predicate::str::contains("done: every step succeeded"));
    let records = audit(&home);
    assert_eq!(records.last().unwrap()["result"], "ok");
    assert!(records.iter().all(|r| r["actor"]["declared"] == "alice"));
    vigil(&home).args(["audit", "list", "--last", "1"]).assert().success().stdout(predicate::str::contains(" alice ("));

    vigil(&home)
        .args(DEMO)
        .args(["--read-only"])
        .args(args)
        .args(["--yes", "--reason", "x"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("refused: read-only (--read-only): rollback changes things, nothing was run"));
    vigil(&home).args(["audit", "verify"]).assert().success();
}

#[test]
fn unknown_parameters_and_bad_values_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    vigil(&home)
        .args(DEMO)
        .args([
            "playbook",
            "plan",
            "rollback",
            "-p",
            "model=fraud-detector",
            "-p",
            "to_verison=3",
            "-p",
            "max_error_ratio=2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rollback has no parameter `to_verison` (did you mean to_version?)"))
        .stderr(predicate::str::contains("parameter max_error_ratio: 2 is above the maximum 1"));
    vigil(&home)
        .args(DEMO)
        .args(["playbook", "plan", "rollback", "-p", "model=no-such-model"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-model"));
}

#[test]
fn malformed_user_playbooks_name_file_line_and_key() {
    let home = tempfile::tempdir().unwrap();
    user_playbook(
        &home,
        "broken.toml",
        "name = \"broken\"\n[[step]]\naction = \"exec\"\nargs = { argv = [\"echo\", \"{{nope}}\"] }\n",
    );
    vigil(&home)
        .args(["playbook", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.toml:4:27: step[0].args.argv[1]: unknown name `{{nope}}`"));
}

/// One HTTP request, as the server received it: the raw request line and body.
fn echo_server() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read headers, then as much body as Content-Length says.
            loop {
                let n = stream.read(&mut chunk).unwrap();
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buffer.len() >= end + 4 + length {
                        let request_line = text[..end].to_string();
                        let body = String::from_utf8(buffer[end + 4..end + 4 + length].to_vec()).unwrap();
                        tx.send((request_line, body)).unwrap();
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}").unwrap();
        }
    });
    (url, rx)
}

const HOSTILE: &str = "a'b\"c; rm -rf ~ $(touch /tmp/vigil-pwned) `id` ../../etc/passwd\nline2 ✓ %2e%2e";

#[test]
fn hostile_parameter_values_reach_http_and_argv_verbatim_and_inert() {
    let home = tempfile::tempdir().unwrap();
    let (url, requests) = echo_server();
    let out_file = home.path().join("argv.txt");
    user_playbook(
        &home,
        "hostile.toml",
        &format!(
            r#"name = "hostile"
description = "sends its text everywhere"
[params.text]
type = "text"
[[step]]
id = "post"
action = "http"
args = {{ method = "POST", url = "{url}/hooks/{{{{text}}}}?q={{{{text}}}}", body = {{ note = "{{{{text}}}}", n = 1 }} }}
confirm = "yes"
[[step]]
id = "argv"
action = "exec"
args = {{ argv = ["sh", "-c", "printf '%s' \"$1\" > \"$2\"", "vigil-test", "{{{{text}}}}", "{out}"] }}
confirm = "yes"
"#,
            out = out_file.display()
        ),
    );
    let _ = std::fs::remove_file("/tmp/vigil-pwned");
    vigil(&home)
        .args(DEMO)
        .args(["playbook", "run", "hostile", "--param"])
        .arg(format!("text={HOSTILE}"))
        .args(["--yes", "--reason", "hostile input test"])
        .assert()
        .success();
    let (line, body) = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    let first = line.lines().next().unwrap();
    let target = first.strip_prefix("POST ").unwrap().strip_suffix(" HTTP/1.1").unwrap();
    let parsed = url::Url::parse(&format!("http://x{target}")).unwrap();
    let segments: Vec<String> = parsed.path_segments().unwrap().map(percent).collect();
    assert_eq!(segments, ["hooks", HOSTILE], "one path segment, decoded back to the value");
    assert_eq!(parsed.query_pairs().next().unwrap().1, HOSTILE);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, serde_json::json!({"note": HOSTILE, "n": 1.0}));
    // The value arrived as one argv element ($1), written out by the child as is.
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), HOSTILE);
    assert!(!Path::new("/tmp/vigil-pwned").exists(), "a command substitution ran");
}

fn percent(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&segment[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn the_audit_log_survives_kill_9_during_runs() {
    let home = tempfile::tempdir().unwrap();
    let mut playbook = String::from("name = \"chatty\"\n");
    for i in 0..1500 {
        playbook.push_str(&format!(
            "[[step]]\nid = \"note-{i}\"\naction = \"timeline.annotate\"\nargs = {{ text = \"note {i}\" }}\n"
        ));
    }
    user_playbook(&home, "chatty.toml", &playbook);
    let log = home.path().join("state/vigil/audit.jsonl");
    for round in 0..6u64 {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
        support::isolate(&mut command, home.path());
        let mut child = command
            .args(["--demo", "playbook", "run", "chatty", "--yes", "--reason", "kill test"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different moment each round, while records are being appended.
        let before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        support::services::wait_for("the run to start writing", std::time::Duration::from_secs(30), || {
            let now = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            if now > before { Ok(()) } else { Err(format!("{now} bytes")) }
        });
        std::thread::sleep(std::time::Duration::from_millis(3 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.ends_with('\n'), "round {round}: the last record is whole");
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert!(
            last["step"] != "run" || last["result"] == "started",
            "round {round}: killed mid-run, not after: {last}"
        );
        vigil(&home).args(["audit", "verify"]).assert().success();
    }
    let records = audit(&home);
    assert!(records.len() > 6, "{}", records.len());
}

#[test]
fn an_http_steps_token_comes_from_the_environment_and_is_never_shown_or_recorded() {
    let home = tempfile::tempdir().unwrap();
    let (url, requests) = echo_server();
    user_playbook(
        &home,
        "notify.toml",
        &format!(
            "name = \"notify\"\n[[step]]\nid = \"post\"\naction = \"http\"\n\
             args = {{ method = \"POST\", url = \"{url}/notify\", token_env = \"VIGIL_TEST_TOKEN\", body = {{ a = 1 }} }}\n"
        ),
    );
    let secret = "s3cret-token-value";
    let out = vigil(&home)
        .env("VIGIL_TEST_TOKEN", secret)
        .args(DEMO)
        .args(["playbook", "run", "notify", "--yes", "--reason", "token test"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(out).unwrap();
    assert!(shown.contains("-H Authorization: Bearer $VIGIL_TEST_TOKEN"), "{shown}");
    assert!(!shown.contains(secret), "{shown}");
    let (head, _) = requests.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(head.to_ascii_lowercase().contains(&format!("authorization: bearer {secret}")), "{head}");
    let log = std::fs::read_to_string(home.path().join("state/vigil/audit.jsonl")).unwrap();
    assert!(!log.contains(secret));
    vigil(&home)
        .args(DEMO)
        .args(["playbook", "run", "notify", "--yes", "--reason", "unset"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("environment variable VIGIL_TEST_TOKEN is not set"));
}

#[test]
fn a_read_only_context_refuses_unless_write_is_given_and_global_read_only_always_refuses() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/vigil");
    std::fs::create_dir_all(&dir).unwrap();
    let config = "[contexts.lab]\nread_only = true\nlab = { scenario = \"bad-deploy\" }\n";
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let run = ["playbook", "run", "rollback", "-p", "model=fraud-detector", "-p", "max_error_ratio=0.05"];
    let rest = ["-p", "verify_within=0s", "--yes", "--reason", "r"];
    vigil(&home)
        .args(run)
        .args(rest)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("refused: read-only (context lab is read-only)"));
    vigil(&home).arg("--write").args(run).args(rest).assert().success();
    vigil(&home).args(["--write", "--read-only"]).args(run).args(rest).assert().code(2);
    std::fs::write(dir.join("config.toml"), format!("read_only = true\n{config}")).unwrap();
    vigil(&home)
        .arg("--write")
        .args(run)
        .args(rest)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("refused: read-only (read_only in the config)"));
}

#[test]
fn promote_from_a_staging_context_to_a_production_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/vigil");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "default_context = \"staging\"\n[contexts.staging]\nlab = { scenario = \"calm\" }\n\
         [contexts.prod]\nread_only = true\nlab = { scenario = \"calm\" }\n",
    )
    .unwrap();
    let args = [
        "playbook",
        "run",
        "promote",
        "-p",
        "model=ad-ctr-predictor",
        "-p",
        "to_context=prod",
        "-p",
        "max_error_ratio=0.5",
    ];
    vigil(&home)
        .args(args)
        .args(["--yes", "--reason", "validated in staging"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("[in prod] demo registry"))
        .stdout(predicate::str::contains(
            "refused: read-only (context prod is read-only): promote changes context prod",
        ));
    vigil(&home)
        .arg("--write")
        .args(args)
        .args(["--yes", "--reason", "validated in staging"])
        .assert()
        .success()
        .stdout(predicate::str::contains("champion in prod promoted 6 → 7 (from challenger in staging)"));
}

#[test]
fn render_draws_the_playbooks_view_for_a_model() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(["render", "--view", "playbooks", "--demo", "--model", "fraud-detector", "--size", "80x24"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 24);
    assert!(text.contains("PLAYBOOKS  7 playbooks · for fraud-detector"), "{text}");
    assert!(text.contains("model           model      fraud-detector"), "{text}");
}

#[test]
fn kubectl_examples_plan_one_argv_element_per_value() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(&home)
        .args(DEMO)
        .args([
            "playbook",
            "plan",
            "kserve-canary",
            "-p",
            "service=fraud\"; rm -rf /",
            "-p",
            "percent=10",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan: Value = serde_json::from_slice(&out).unwrap();
    let request = plan["steps"][0]["request"].as_str().unwrap();
    let argv: Vec<String> = serde_json::from_str(request.strip_prefix("exec ").unwrap()).unwrap();
    assert_eq!(
        argv,
        [
            "kubectl",
            "patch",
            "inferenceservice",
            "fraud\"; rm -rf /",
            "--namespace",
            "default",
            "--type",
            "merge",
            "--patch",
            r#"{"spec":{"predictor":{"canaryTrafficPercent":10}}}"#
        ]
    );
    // A percent is a number: text cannot reach the JSON patch.
    vigil(&home)
        .args(DEMO)
        .args(["playbook", "plan", "kserve-canary", "-p", "service=s", "-p", "percent=10}}, \"x\": {"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a number"));
}
