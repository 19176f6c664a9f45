//! Every query of every shipped preset, and of the example config's
//! overrides, is accepted by a real Prometheus' parser, and returns series
//! labelled the way its concept promises.
//!
//! The tests start `prometheus` (Debian's package, 2.42 at the time of
//! writing) on a free loopback port. The parse checks give it no scrape
//! targets and ask each query as an instant query: an empty result is fine, a
//! parse error is not. The shape check has it scrape a sample of every
//! stack's metrics (tests/fixtures/presets/exposition.txt) served from this
//! process. The harness is kept in this file on purpose; it needs only std.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil::sources::presets::{Concept, Preset, QueryVars};

const NOT_FOUND: &str = "prometheus not found: run scripts/test.sh or apt-get install -y prometheus";
const READY_WITHIN: Duration = Duration::from_secs(60);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A Prometheus server with an empty TSDB in a temporary directory, killed on drop.
struct Prometheus {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// A server scraping `target` (`127.0.0.1:PORT`) every second, or nothing.
    fn start(target: Option<u16>) -> Prometheus {
        let binary = binary().unwrap_or_else(|| panic!("{NOT_FOUND}"));
        let mut yaml = "global:\n  scrape_interval: 1m\n".to_string();
        if let Some(port) = target {
            yaml.push_str(&format!(
                "scrape_configs:\n  - job_name: stacks\n    scrape_interval: 1s\n    static_configs:\n      \
                 - targets: ['127.0.0.1:{port}']\n"
            ));
        }
        // A free port can be taken between asking and binding: try a few.
        let mut last_log = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("temporary directory");
            let config = dir.path().join("prometheus.yml");
            std::fs::write(&config, &yaml).expect("write prometheus.yml");
            let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
            let port = free_port();
            let child = Command::new(&binary)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut server = Prometheus { child, port, dir };
            if server.wait_until_ready() {
                return server;
            }
            last_log = std::fs::read_to_string(server.dir.path().join("prometheus.log")).unwrap_or_default();
        }
        panic!("prometheus did not become ready; its last log:\n{last_log}");
    }

    fn wait_until_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if matches!(get(self.port, "/-/ready"), Ok((200, _))) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The parsed answer to an instant query.
    fn query(&self, promql: &str) -> Value {
        let path = format!("/api/v1/query?query={}", percent_encode(promql));
        let (status, body) = get(self.port, &path).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("HTTP {status}, not JSON ({e}): {body}"))
    }

    /// Panics unless Prometheus accepts `promql`; `what` says where it came from.
    fn assert_accepts(&self, what: &str, promql: &str) {
        let answer = self.query(promql);
        assert_eq!(answer["status"], "success", "{what}: Prometheus refused\n  {promql}\n  {answer}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `body` as a metrics page on a free loopback port, to whoever asks,
/// until the test process ends. Returns the port.
fn serve_exposition(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(HTTP_TIMEOUT));
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("prometheus"));
    on_path.chain([PathBuf::from("/usr/bin/prometheus")]).find(|p| p.is_file())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// A blocking HTTP/1.0 GET (HTTP/1.0: the body is not chunked and ends at close).
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(HTTP_TIMEOUT))?;
    stream.set_write_timeout(Some(HTTP_TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, body.to_string()))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Windows and filters the console renders queries with: the usual five
/// minutes, a window that is not a whole minute, a sub-second one, and
/// filters empty, single and with a trailing comma.
fn variants() -> Vec<QueryVars> {
    let vars = |window, step, filter: &str| QueryVars { window, step, filter: filter.to_string() };
    vec![
        vars(Duration::from_secs(300), Duration::from_secs(60), ""),
        vars(Duration::from_secs(90), Duration::from_secs(30), "namespace=\"ml\""),
        vars(Duration::from_millis(1500), Duration::from_secs(3600), "namespace=\"ml\", cluster=~'eu-.*',"),
    ]
}

#[test]
fn every_query_of_every_shipped_preset_is_valid_promql() {
    let prometheus = Prometheus::start(None);
    // The harness must be able to fail: a broken query is refused.
    assert_eq!(prometheus.query("sum by (")["status"], "error");
    assert_eq!(prometheus.query("m{,}")["status"], "error", "the reason $filter goes last");

    let mut checked = 0;
    for name in Preset::builtin_names() {
        let preset = Preset::resolve(name, None, &BTreeMap::new()).expect("shipped presets load");
        for vars in variants() {
            for concept in Concept::ALL {
                let Some(promql) = preset.query(concept, &vars) else { continue };
                prometheus.assert_accepts(&format!("{name}.{}", concept.key()), &promql);
                checked += 1;
            }
        }
    }
    // 8 presets with 3 to 6 concepts each, in 3 variants.
    assert!(checked >= 8 * 3 * 3, "only {checked} queries checked");
}

#[test]
fn the_example_config_overrides_are_valid_promql() {
    let example = include_str!("../config.example.toml");
    let config = vigil::config::load_str("config.example.toml", example).expect("the example config loads");
    let prometheus = Prometheus::start(None);
    let mut checked = 0;
    for (name, context) in &config.contexts {
        let preset = Preset::resolve(&context.preset, None, &context.queries).expect("the example's presets resolve");
        let vars = QueryVars {
            window: Duration::from_secs(300),
            step: Duration::from_secs(60),
            filter: context.filter.clone(),
        };
        for concept in preset.concepts() {
            let promql = preset.query(concept, &vars).expect("listed concepts render");
            prometheus.assert_accepts(&format!("contexts.{name} {}", concept.key()), &promql);
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// The label names every result series of `concept` must carry, and no others.
fn promised_labels(preset: &Preset, concept: Concept) -> Vec<String> {
    let mut labels = vec![preset.model_label.clone()];
    if concept != Concept::History {
        labels.extend(preset.version_label.clone());
    }
    match concept {
        Concept::LatencyBuckets => labels.push("le".into()),
        Concept::VersionInfo => labels.extend(["aliases".into(), "environment".into()]),
        _ => {}
    }
    labels.sort();
    labels
}

#[test]
fn every_shipped_query_returns_the_series_its_concept_promises() {
    let target = serve_exposition(include_str!("fixtures/presets/exposition.txt"));
    let prometheus = Prometheus::start(Some(target));
    // A rate needs two scrapes inside its window.
    let deadline = Instant::now() + READY_WITHIN;
    while prometheus.query("rate(model_requests_total[5m])")["data"]["result"].as_array().is_none_or(Vec::is_empty) {
        assert!(Instant::now() < deadline, "prometheus scraped no samples from the exposition page");
        std::thread::sleep(Duration::from_millis(250));
    }
    let vars =
        QueryVars { window: Duration::from_secs(300), step: Duration::from_secs(60), filter: "job=\"stacks\"".into() };
    for name in Preset::builtin_names() {
        let preset = Preset::resolve(name, None, &BTreeMap::new()).expect("shipped presets load");
        for concept in preset.concepts() {
            let what = format!("{name}.{}", concept.key());
            let promql = preset.query(concept, &vars).expect("listed concepts render");
            let answer = prometheus.query(&promql);
            assert_eq!(answer["status"], "success", "{what}: {promql}\n{answer}");
            let series = answer["data"]["result"].as_array().cloned().unwrap_or_default();
            assert!(!series.is_empty(), "{what} found nothing in the sample: {promql}");
            if (*name, concept) == ("triton", Concept::Requests) {
                let models: Vec<&str> = series.iter().filter_map(|s| s["metric"]["model"].as_str()).collect();
                assert_eq!(models.len(), 2, "a model with failures only is still counted: {series:?}");
                assert!(models.contains(&"broken"), "{series:?}");
            }
            let expected = promised_labels(&preset, concept);
            for one in series {
                let mut labels: Vec<String> = one["metric"].as_object().unwrap().keys().cloned().collect();
                labels.sort();
                assert_eq!(labels, expected, "{what}: {promql}\n{one}");
            }
        }
    }
}
