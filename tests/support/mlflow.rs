//! A real MLflow registry server for integration tests, on a free loopback
//! port with its own SQLite store and artifact directory.
//!
//! The binary is `VIGIL_MLFLOW_BIN`, else the virtualenv
//! `scripts/install-mlflow.sh` makes, else `mlflow` on PATH; without one the
//! start panics with the command that installs it (never a skip).
//!
//! Stopping: `mlflow server` runs a uvicorn worker as a child. SIGTERM to
//! the main process stops both; SIGKILL leaves the worker running as an
//! orphan (checked with 3.17). So the server gets its own process group,
//! and a small `sh` watchdog, as soon as its stdin closes, stops the group
//! (TERM, then KILL after 5 s) and removes the server's directory. The test
//! process holds the only write end of that pipe: it closes when the
//! service is dropped, and also when the test process ends in any way —
//! which is what makes a server kept in a `static` (never dropped) safe.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::services::{free_port, http, tail};

/// What `scripts/install-mlflow.sh` installs (keep the two in step).
const MLFLOW_VERSION: &str = "3.17.2";
const INSTALL_HINT: &str = "install it with scripts/install-mlflow.sh (or run scripts/test.sh), \
                            or point VIGIL_MLFLOW_BIN at an mlflow executable";
/// Ready in ~5 s with one worker; the deadline only bounds a hang.
const READY_DEADLINE: Duration = Duration::from_secs(60);

const WATCHDOG: &str = r#"
# Ctrl-C reaches the test's process group, this included: outlive it, so
# the server is still stopped when the test process dies of it.
trap '' INT TERM HUP
cat >/dev/null
kill -TERM "-$1" 2>/dev/null
i=0
while kill -0 "-$1" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 50 ]; then kill -KILL "-$1" 2>/dev/null; break; fi
    sleep 0.1
done
# A server kept in a static never drops its TempDir: remove it here.
case "$2" in */vigil-mlflow-*) rm -rf "$2" ;; esac
"#;

pub struct Mlflow {
    running: Running,
    port: u16,
    binary: PathBuf,
}

/// The server, its watchdog and its directory; dropping it stops the
/// server and removes the directory.
struct Running {
    server: Child,
    watchdog: Child,
    // Dropped after `drop` below has stopped the server.
    dir: TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Closing the watchdog's stdin is the one way the server is stopped.
        drop(self.watchdog.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.server.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                // The watchdog is gone or stuck: stop the group from here.
                let group = nix::unistd::Pid::from_raw(self.server.id() as i32);
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                let _ = self.server.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.watchdog.wait();
    }
}

enum StartError {
    AddressInUse,
    /// Why, and the end of the server's log.
    Failed(String, String),
}

impl Mlflow {
    /// Starts a server and waits until `GET /health` answers.
    pub fn start() -> Mlflow {
        let binary = mlflow_binary();
        let mut port = free_port();
        let mut outcome = run(&binary, port);
        if let Err(StartError::AddressInUse) = outcome {
            // Someone took the port between our probe and the server's bind.
            port = free_port();
            outcome = run(&binary, port);
        }
        match outcome {
            Ok(running) => Mlflow { running, port, binary },
            Err(StartError::AddressInUse) => panic!("mlflow did not start: port {port} was taken twice"),
            Err(StartError::Failed(why, log)) => {
                panic!("mlflow ({}) did not start: {why}\n--- last lines of its log ---\n{log}", binary.display())
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The SQLite file behind the registry.
    pub fn database(&self) -> PathBuf {
        self.running.dir.path().join("mlflow.db")
    }

    /// The binary it runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    pub fn log_tail(&self) -> String {
        tail(&self.running.dir.path().join("mlflow.log"), 30)
    }

    /// The server's process group (its main process' pid).
    pub fn process_group(&self) -> u32 {
        self.running.server.id()
    }
}

/// Starts the server in a new directory and waits for `/health`.
fn run(binary: &Path, port: u16) -> Result<Running, StartError> {
    let dir = tempfile::Builder::new().prefix("vigil-mlflow-").tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join("artifacts")).expect("an artifact directory");
    let log_path = dir.path().join("mlflow.log");
    let log = File::options().create(true).append(true).open(&log_path).expect("a log file");
    let server = Command::new(binary)
        .args(["server", "--backend-store-uri"])
        .arg(format!("sqlite:///{}", dir.path().join("mlflow.db").display()))
        .arg("--default-artifact-root")
        .arg(dir.path().join("artifacts"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--workers", "1"])
        // The job runner starts more processes the registry does not need.
        .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        .current_dir(dir.path())
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("a log file handle"))
        .stderr(log)
        .spawn()
        .map_err(|e| StartError::Failed(format!("cannot run {}: {e}", binary.display()), String::new()))?;
    let watchdog = Command::new("sh")
        .args(["-c", WATCHDOG, "mlflow-watchdog", &server.id().to_string()])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let watchdog = match watchdog {
        Ok(watchdog) => watchdog,
        Err(e) => {
            let mut server = server;
            let _ = server.kill();
            let _ = server.wait();
            return Err(StartError::Failed(format!("cannot run sh for the watchdog: {e}"), String::new()));
        }
    };
    let mut running = Running { server, watchdog, dir };

    let client = http();
    let health = format!("http://127.0.0.1:{port}/health");
    let start = Instant::now();
    loop {
        // The log is read before `running` is dropped: that removes it.
        if let Ok(Some(status)) = running.server.try_wait() {
            let log = tail(&log_path, 30);
            return Err(if log.to_lowercase().contains("address already in use") {
                StartError::AddressInUse
            } else {
                StartError::Failed(format!("exited with {status}"), log)
            });
        }
        if client.get(&health).timeout(Duration::from_secs(2)).send().is_ok_and(|r| r.status().is_success()) {
            return Ok(running);
        }
        if start.elapsed() > READY_DEADLINE {
            let why = format!("{health} not ready within {}s", READY_DEADLINE.as_secs());
            return Err(StartError::Failed(why, tail(&log_path, 30)));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `VIGIL_MLFLOW_BIN`, else the installer's virtualenv, else PATH.
fn mlflow_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("VIGIL_MLFLOW_BIN") {
        let path = PathBuf::from(path);
        assert!(is_executable(&path), "VIGIL_MLFLOW_BIN={} is not an executable file; {INSTALL_HINT}", path.display());
        return path;
    }
    // Where the installer puts it (it honours VIGIL_CACHE_DIR too).
    let cache = std::env::var_os("VIGIL_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/vigil")));
    let venv = cache.map(|c| c.join(format!("mlflow-{MLFLOW_VERSION}")));
    if let Some(venv) = &venv {
        let binary = venv.join("bin/mlflow");
        if is_executable(&binary) {
            assert!(
                venv.join(".complete").exists(),
                "{} is from an install that did not finish; rerun scripts/install-mlflow.sh",
                binary.display()
            );
            return binary;
        }
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("mlflow")).find(|p| is_executable(p)));
    on_path.unwrap_or_else(|| {
        let looked = venv.map(|v| v.join("bin/mlflow").display().to_string()).unwrap_or_else(|| "~/.cache/vigil".into());
        panic!("no MLflow server to test against: VIGIL_MLFLOW_BIN is not set, {looked} does not exist and there is no mlflow on PATH; {INSTALL_HINT}")
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Pids of the live (not zombie) processes in process group `group`, from /proc.
pub fn processes_in_group(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            let Some((_, after)) = stat.rsplit_once(')') else { return false };
            let fields: Vec<&str> = after.split_whitespace().collect();
            fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
        })
        .collect()
}
