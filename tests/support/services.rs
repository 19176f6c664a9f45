//! Real services for integration tests: Prometheus, Alertmanager and the
//! lab exporter (`vigil lab serve`), each on a free loopback port with its
//! own temporary directories, killed when dropped. MLflow, which needs a
//! watchdog to be stopped cleanly, is in `support::mlflow`.
//!
//! A missing binary is a failure, never a skip: the panic says how to
//! install it. A service that does not become ready panics with the tail of
//! its log. Ports come from binding 127.0.0.1:0 and letting go; another
//! process can take the port in between, so a start that fails with
//! "address already in use" is retried once on a new port.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tempfile::TempDir;

const INSTALL_HINT: &str = "run scripts/test.sh or apt-get install -y prometheus prometheus-alertmanager";
/// Prometheus is ready in ~0.1 s and Alertmanager in ~0.2 s on a 2-core
/// machine; the deadline only bounds a hang.
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// An HTTP client for tests: no proxy, short enough timeouts to notice a hang.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("an HTTP client")
}

/// Polls `check` until it gives a value, or panics after `deadline` with
/// `what` and the last state `check` described.
pub fn wait_for<T>(what: &str, deadline: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(value) => return value,
            Err(state) if start.elapsed() > deadline => {
                panic!("gave up after {}s waiting for {what}; last: {state}", deadline.as_secs())
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Panics with the install hint when `binary` cannot be run.
fn require(binary: &str) {
    let status = Command::new(binary).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{binary} not found: {INSTALL_HINT}"),
        Err(e) => panic!("{binary} cannot be run: {e}"),
        Ok(_) => {}
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A long-running server process started from a binary and a way to build
/// its arguments for a port, logging to a file in its directory.
struct Daemon {
    name: &'static str,
    binary: &'static str,
    args: Box<dyn Fn(u16) -> Vec<String>>,
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

enum StartError {
    AddressInUse,
    Failed(String),
}

impl Daemon {
    fn start(name: &'static str, binary: &'static str, dir: TempDir, args: Box<dyn Fn(u16) -> Vec<String>>) -> Daemon {
        require(binary);
        let mut daemon = Daemon { name, binary, args, dir, port: free_port(), child: None };
        match daemon.run() {
            Ok(()) => daemon,
            Err(StartError::AddressInUse) => {
                // Someone took the port between our probe and the server's bind.
                daemon.port = free_port();
                match daemon.run() {
                    Ok(()) => daemon,
                    Err(e) => daemon.fail(e),
                }
            }
            Err(e) => daemon.fail(e),
        }
    }

    fn fail(&self, error: StartError) -> ! {
        let why = match error {
            StartError::AddressInUse => format!("port {} was taken twice", self.port),
            StartError::Failed(why) => why,
        };
        panic!(
            "{} did not start: {why}\n--- last lines of {} ---\n{}",
            self.name,
            self.log().display(),
            tail(&self.log(), 30)
        )
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join(format!("{}.log", self.name))
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Spawns the server and waits until `/-/ready` answers 200.
    fn run(&mut self) -> Result<(), StartError> {
        let log = File::options().create(true).append(true).open(self.log()).expect("a log file");
        let child = Command::new(self.binary)
            .args((self.args)(self.port))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file handle"))
            .stderr(log)
            .spawn()
            .map_err(|e| StartError::Failed(format!("cannot run {}: {e}", self.binary)))?;
        self.child = Some(child);
        let client = http();
        let ready = format!("{}/-/ready", self.url());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                let log = tail(&self.log(), 30);
                return Err(if log.contains("address already in use") {
                    StartError::AddressInUse
                } else {
                    StartError::Failed(format!("exited with {status}"))
                });
            }
            if client.get(&ready).send().is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if start.elapsed() > READY_DEADLINE {
                self.kill();
                return Err(StartError::Failed(format!("{ready} not ready within {}s", READY_DEADLINE.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.kill();
        self.run().unwrap_or_else(|e| self.fail(e));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a test's Prometheus scrapes, evaluates, holds and alerts to.
#[derive(Debug, Clone)]
pub struct PrometheusSetup {
    /// `host:port` of exporters serving `/metrics`, scraped as job `lab`.
    pub scrape_targets: Vec<String>,
    /// Scrape and rule-evaluation interval.
    pub scrape_interval: Duration,
    /// A rules file's content (`groups: ...`).
    pub rules_yaml: Option<String>,
    /// An OpenMetrics file loaded with promtool before Prometheus starts.
    pub backfill: Option<PathBuf>,
    /// `http://host:port` of an Alertmanager to send alerts to.
    pub alertmanager_url: Option<String>,
}

impl Default for PrometheusSetup {
    fn default() -> Self {
        PrometheusSetup {
            scrape_targets: Vec::new(),
            scrape_interval: Duration::from_secs(1),
            rules_yaml: None,
            backfill: None,
            alertmanager_url: None,
        }
    }
}

/// One sample of an instant query's vector result.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A Prometheus server of the test's own.
pub struct Prometheus {
    daemon: Daemon,
}

impl Prometheus {
    pub fn start(setup: PrometheusSetup) -> Prometheus {
        require("prometheus");
        let dir = tempfile::Builder::new().prefix("vigil-prometheus-").tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("a data directory");
        if let Some(rules) = &setup.rules_yaml {
            std::fs::write(dir.path().join("rules.yml"), rules).expect("the rules file");
        }
        std::fs::write(dir.path().join("prometheus.yml"), config(&setup)).expect("the config file");
        if let Some(file) = &setup.backfill {
            backfill(file, &data);
        }
        let args = Box::new(move |port: u16| {
            [
                "--config.file=prometheus.yml".to_string(),
                format!("--storage.tsdb.path={}", data.display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
                format!("--web.external-url=http://127.0.0.1:{port}"),
                "--storage.tsdb.retention.time=3650d".to_string(),
                "--rules.alert.resend-delay=1s".to_string(),
                "--web.enable-lifecycle".to_string(),
            ]
            .into()
        });
        Prometheus { daemon: Daemon::start("prometheus", "prometheus", dir, args) }
    }

    pub fn url(&self) -> String {
        self.daemon.url()
    }

    /// Stops it at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    /// Starts it again on the same port and data directory.
    pub fn restart(&mut self) {
        self.daemon.restart();
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        tail(&self.daemon.log(), 30)
    }

    /// An instant query's vector result at `at` (default: now). Panics on
    /// an error answer, with the query and the error.
    pub fn query(&self, promql: &str, at: Option<DateTime<Utc>>) -> Vec<Sample> {
        let mut params = vec![("query", promql.to_string())];
        if let Some(at) = at {
            params.push(("time", at.timestamp().to_string()));
        }
        let body: Value = http()
            .get(format!("{}/api/v1/query", self.url()))
            .query(&params)
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("query {promql}: {e}"));
        assert_eq!(body["status"], "success", "query {promql}: {body}");
        let result =
            body["data"]["result"].as_array().unwrap_or_else(|| panic!("query {promql}: not a vector: {body}"));
        result
            .iter()
            .map(|s| Sample {
                labels: serde_json::from_value(s["metric"].clone()).expect("labels"),
                value: s["value"][1].as_str().and_then(|v| v.parse().ok()).expect("a sample value"),
            })
            .collect()
    }

    /// The single value of a query that must return exactly one sample.
    pub fn value(&self, promql: &str, at: Option<DateTime<Utc>>) -> f64 {
        match self.query(promql, at).as_slice() {
            [one] => one.value,
            other => panic!("{promql} gave {} samples, not one: {other:?}", other.len()),
        }
    }
}

fn config(setup: &PrometheusSetup) -> String {
    let interval = format!("{}ms", setup.scrape_interval.as_millis());
    let mut yaml = format!(
        "global:\n  scrape_interval: {interval}\n  scrape_timeout: {interval}\n  evaluation_interval: {interval}\n"
    );
    if setup.rules_yaml.is_some() {
        yaml.push_str("rule_files: [rules.yml]\n");
    }
    if let Some(url) = &setup.alertmanager_url {
        let (scheme, host) = url.split_once("://").unwrap_or(("http", url));
        yaml.push_str(&format!(
            "alerting:\n  alertmanagers:\n    - scheme: {scheme}\n      static_configs:\n        - targets: ['{}']\n",
            host.trim_end_matches('/')
        ));
    }
    if !setup.scrape_targets.is_empty() {
        let targets: Vec<String> = setup.scrape_targets.iter().map(|t| format!("'{t}'")).collect();
        yaml.push_str(&format!(
            "scrape_configs:\n  - job_name: lab\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ));
    }
    yaml
}

/// `promtool tsdb create-blocks-from openmetrics FILE DATA`, which must succeed.
fn backfill(file: &Path, data: &Path) {
    require("promtool");
    let output = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(file)
        .arg(data)
        .output()
        .expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool refused {}:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An Alertmanager of the test's own.
pub struct Alertmanager {
    daemon: Daemon,
}

/// Routes everything to a receiver that does nothing: tests read alerts
/// through the API.
pub const QUIET_ALERTMANAGER_CONFIG: &str = "route:\n  receiver: quiet\n  group_wait: 1s\n  group_interval: 1s\n  \
                                             repeat_interval: 1h\nreceivers:\n  - name: quiet\n";

impl Alertmanager {
    pub fn start() -> Alertmanager {
        Alertmanager::start_with_config(QUIET_ALERTMANAGER_CONFIG)
    }

    pub fn start_with_config(config_yaml: &str) -> Alertmanager {
        require("prometheus-alertmanager");
        let dir = tempfile::Builder::new().prefix("vigil-alertmanager-").tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("alertmanager.yml"), config_yaml).expect("the config file");
        let storage = dir.path().join("data");
        let args = Box::new(move |port: u16| {
            [
                "--config.file=alertmanager.yml".to_string(),
                format!("--storage.path={}", storage.display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
                // Without this it also listens for peers on 0.0.0.0:9094.
                "--cluster.listen-address=".to_string(),
            ]
            .into()
        });
        Alertmanager { daemon: Daemon::start("alertmanager", "prometheus-alertmanager", dir, args) }
    }

    pub fn url(&self) -> String {
        self.daemon.url()
    }

    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    pub fn restart(&mut self) {
        self.daemon.restart();
    }

    /// The alerts it holds (`GET /api/v2/alerts`).
    pub fn alerts(&self) -> Vec<Value> {
        let body: Value = http()
            .get(format!("{}/api/v2/alerts", self.url()))
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("alertmanager alerts: {e}"));
        body.as_array().cloned().unwrap_or_else(|| panic!("alertmanager alerts: not a list: {body}"))
    }
}

/// `vigil lab serve` from the binary under test, on a port of its choosing
/// (it prints the address), with its own home directory.
pub struct LabServer {
    child: Child,
    address: String,
    stderr: Arc<Mutex<String>>,
    _home: TempDir,
}

impl LabServer {
    /// Starts `vigil lab serve --listen 127.0.0.1:0 ARGS...`.
    pub fn start(args: &[&str]) -> LabServer {
        let home = tempfile::tempdir().expect("a temporary home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
        super::isolate(&mut command, home.path());
        let mut child = command
            .args(["lab", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the vigil binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("piped stderr"));
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(address) = line.split("http://").nth(1).and_then(|a| a.strip_suffix("/metrics")) {
                    let _ = address_tx.send(address.to_string());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        match address_rx.recv_timeout(READY_DEADLINE) {
            Ok(address) => LabServer { child, address, stderr, _home: home },
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                panic!("vigil lab serve did not say where it listens ({status}):\n{}", stderr.lock().unwrap());
            }
        }
    }

    /// `host:port`, as a scrape target.
    pub fn address(&self) -> String {
        self.address.clone()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What it wrote to stderr so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for it to exit; returns whether it exited 0.
    pub fn terminate(mut self) -> (bool, String) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let status = self.child.wait().expect("the lab server exits");
        // Give the reader thread a moment to take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        (status.success(), self.log())
    }
}

impl Drop for LabServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
