//! Drives the real binary in a pseudo-terminal, as a person would: open the
//! demo, filter, sort, open help, quit — then checks the exit code and that
//! the terminal was handed back as it was (main screen, cursor shown,
//! canonical mode and echo restored).

mod support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::termios::LocalFlags;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const COLS: u16 = 120;
const ROWS: u16 = 32;
/// Generous: a cold debug binary on a loaded 2-core CI machine.
const PATIENCE: Duration = Duration::from_secs(30);

struct Console {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    _home: tempfile::TempDir,
}

impl Console {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Console {
        let home = tempfile::tempdir().unwrap();
        let pair = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_vigil"));
        cmd.args(args);
        cmd.env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", home.path());
        for (dir, var) in [("config", "XDG_CONFIG_HOME"), ("state", "XDG_STATE_HOME"), ("cache", "XDG_CACHE_HOME")] {
            cmd.env(var, home.path().join(dir));
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn vigil");
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Console { screen, writer, child, master: pair.master, _home: home }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.contents();
            if ok(&text) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("waited {PATIENCE:?} for {what}; the screen shows:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!("vigil did not exit; the screen shows:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn assert_terminal_restored(&self) {
        // Give the reader thread a moment to take in the last bytes.
        std::thread::sleep(Duration::from_millis(200));
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "left the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is visible again");
        let termios = self.master.get_termios().expect("termios of the pty");
        assert!(termios.local_flags.contains(LocalFlags::ICANON), "canonical mode restored (raw mode off)");
        assert!(termios.local_flags.contains(LocalFlags::ECHO), "echo restored");
    }
}

#[test]
fn open_filter_sort_help_and_quit() {
    let mut console = Console::start(&["demo", "--scenario", "bad-deploy"], &[]);
    // The header names the context and bad-deploy shows a critical model.
    // All in the predicate: a frame may be caught half-written.
    console.wait_for("the fleet", |s| {
        s.contains("fraud-detector") && s.contains("FLEET") && s.contains("ctx demo") && s.contains('✖')
    });

    console.send("/fraud");
    console.wait_for("the filter to apply while typing", |s| {
        s.contains("filter /fraud/") && !s.contains("churn-predictor")
    });
    console.send("\r");
    console.wait_for("the prompt to close", |s| s.contains("? help"));

    console.send("s");
    console.wait_for("the sort to move to the model column", |s| s.contains("sort model ▲"));
    console.send("r");
    console.wait_for("the sort to reverse", |s| s.contains("sort model ▼"));

    console.send("?");
    console.wait_for("the help overlay", |s| s.contains("keys · fleet") && s.contains("filter rows"));
    console.send("\x1b");
    console.wait_for("help to close", |s| !s.contains("keys · fleet"));

    console.send("\x1b");
    console.wait_for("esc to clear the filter", |s| !s.contains("filter /fraud/") && s.contains("churn-predictor"));

    console.send(":fl\t");
    console.wait_for("tab completion of :fleet", |s| s.lines().last().is_some_and(|l| l.starts_with(":fleet")));
    console.send("\r");

    console.send("q");
    let status = console.wait_exit();
    assert!(status.success(), "exit code 0, got {status:?}");
    console.assert_terminal_restored();
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let mut console = Console::start(&["demo"], &[]);
    console.wait_for("the fleet", |s| s.contains("FLEET") && s.contains("models"));
    console.send("\x03");
    let status = console.wait_exit();
    assert!(status.success(), "exit code 0, got {status:?}");
    console.assert_terminal_restored();
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let mut console = Console::start(&["demo"], &[]);
    console.wait_for("the fleet", |s| s.contains("FLEET") && s.contains("models"));
    let pid = console.child.process_id().expect("a pid") as i32;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = console.wait_exit();
    assert!(status.success(), "exit code 0 after SIGTERM, got {status:?}");
    console.assert_terminal_restored();
}

#[test]
fn no_color_and_ascii_still_show_status() {
    let mut console = Console::start(&["demo", "--scenario", "bad-deploy", "--ascii"], &[("NO_COLOR", "1")]);
    // The ASCII critical glyph is on screen.
    console.wait_for("the fleet", |s| s.contains("X  fraud-detector"));
    let parser = console.screen.lock().unwrap();
    let cell = parser.screen().cell(3, 10).unwrap();
    assert_eq!(cell.fgcolor(), vt100::Color::Default, "no colour under NO_COLOR");
    drop(parser);
    console.send("q");
    assert!(console.wait_exit().success());
}

#[test]
fn drill_into_a_model_change_range_travel_in_time_and_visit_alerts() {
    let mut console = Console::start(&["demo", "--scenario", "bad-deploy"], &[]);
    console.wait_for("the fleet with the bad canary on top", |s| s.contains("FLEET") && s.contains("2!"));

    console.send("\r");
    console.wait_for("the model view", |s| s.contains("MODEL  fraud-detector") && s.contains("challenger"));
    console.send("]");
    console.wait_for("the 6h range", |s| s.contains("requests/s · 6h") && s.contains("challenger"));

    console.send("t");
    console.wait_for("the time travel prompt", |s| s.lines().last().is_some_and(|l| l.starts_with(":at -1h")));
    console.send("\r");
    // An hour before start-up the canary (out 15 minutes before) did not exist yet.
    // The past shows the past: no challenger (a whole frame, not a half-drawn one).
    console.wait_for("the header to say time travel, without the canary", |s| {
        s.contains("time travel") && s.contains("v9 ") && !s.contains("challenger")
    });

    console.send(":at now\r");
    console.wait_for("live again, with the canary", |s| s.contains("live ·") && s.contains("challenger"));

    console.send("-");
    console.wait_for("back to the fleet", |s| s.contains("FLEET"));
    console.send(":alerts\r");
    console.wait_for("the alerts view", |s| s.contains("ALERTS") && s.contains("ModelErrorRatioHigh"));
    console.send("s");
    console.wait_for("silencing refused: the demo has no Alertmanager", |s| s.contains("has no Alertmanager"));
    console.send("q");
    assert!(console.wait_exit().success());
    console.assert_terminal_restored();
}

#[test]
fn the_registry_view_is_polled_and_opens_the_model() {
    let mut console = Console::start(&["demo", "--scenario", "bad-deploy"], &[]);
    console.wait_for("the fleet", |s| s.contains("FLEET") && s.contains("fraud-detector"));
    console.send(":reg\t\r");
    // Worst model first: the bad canary is the champion, next to its live error ratio.
    // Everything looked for is in the predicate: a frame can be caught
    // half-written, and an assertion after the wait would see it so.
    console.wait_for("the registry view", |s| {
        s.contains("REGISTRY")
            && s.contains("fraud-detector  10 versions · champion v10")
            && s.contains("live ·")
            && s.contains("✖ failed")
    });
    console.send("\r");
    console.wait_for("the model view with its registry panel", |s| {
        s.contains("MODEL  fraud-detector") && s.contains("registry · champion v10")
    });
    console.send("-");
    console.wait_for("back to the registry", |s| s.contains("REGISTRY"));
    console.send("q");
    assert!(console.wait_exit().success());
    console.assert_terminal_restored();
}

#[test]
fn a_rollback_from_the_model_view_is_planned_confirmed_run_and_audited() {
    let mut console = Console::start(&["demo", "--scenario", "bad-deploy"], &[("VIGIL_ACTOR", "pty-operator")]);
    console.wait_for("the fleet", |s| s.contains("FLEET") && s.contains("fraud-detector"));
    console.send("\r");
    console.wait_for("the model view", |s| s.contains("MODEL  fraud-detector"));
    console.send("P");
    console.wait_for("the playbooks for the model", |s| s.contains("PLAYBOOKS") && s.contains("for fraud-detector"));
    console.send("\r");
    console.wait_for("rollback's form", |s| s.contains("rollback · parameters") && s.contains("▸ model"));
    // max_error_ratio is the fifth field, verify_within the sixth: verification passes at once.
    console.send("\t\t\t\t\x7f\x7f\x7f\x7f0.05\t\x7f\x7f\x7f0s");
    console.wait_for("the values typed", |s| s.contains("max_error_ratio 0.05") && s.contains("verify_within   0s"));
    console.send("\r");
    console.wait_for("the plan", |s| {
        s.contains("rollback · plan")
            && s.contains("champion: 10 → 9")
            && s.contains("r runs it after you type fraud-detector")
    });
    console.send("r");
    console.wait_for("the typed confirmation", |s| s.contains("confirm · rollback · context demo"));
    console.send("fraud-detector\terrors after the v10 deploy\r");
    let done = console.wait_for("the run to succeed", |s| {
        s.contains("✔ succeeded") && s.contains("by pty-operator") && s.contains("✔ move-alias")
    });
    let run_id =
        done.split_whitespace().skip_while(|w| *w != "run").nth(1).expect("the run id is on screen").to_string();
    console.send("q");
    assert!(console.wait_exit().success(), "a finished run does not hold up quitting");

    let vigil = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
        support::isolate(&mut cmd, console._home.path());
        cmd.args(args).output().unwrap()
    };
    let verify = vigil(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success() && stdout.contains("records intact"), "{stdout}");
    let list = vigil(&["audit", "list", "--format", "json"]);
    let records: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    let ours: Vec<&serde_json::Value> = records.iter().filter(|r| r["params"]["run"] == run_id.as_str()).collect();
    let steps: Vec<(&str, &str)> =
        ours.iter().map(|r| (r["step"].as_str().unwrap(), r["result"].as_str().unwrap())).collect();
    for expected in [("run", "started"), ("move-alias", "ok"), ("route-traffic", "ok"), ("verify", "ok"), ("run", "ok")]
    {
        assert!(steps.contains(&expected), "{expected:?} in {steps:?}");
    }
    assert!(ours.iter().all(|r| r["actor"]["declared"] == "pty-operator" && r["playbook"] == "rollback"));
    assert_eq!(ours[0]["detail"], "errors after the v10 deploy", "the reason is recorded");
}
