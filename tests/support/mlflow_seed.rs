//! Test data put into a real MLflow server over its REST API (and, for
//! version statuses, which the API cannot set, into its SQLite store).
//! Every helper panics with MLflow's answer when MLflow refuses.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use super::mlflow::Mlflow;
use super::services::http;

/// A version to create.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    pub source: String,
    pub description: Option<String>,
    pub run_link: Option<String>,
    pub tags: Vec<(String, String)>,
}

impl NewVersion {
    /// A version whose artifacts are `s3://bucket/m/N` (an `s3://` source
    /// needs no run and no artifact).
    pub fn numbered(n: u32) -> NewVersion {
        NewVersion { source: format!("s3://bucket/m/{n}"), ..NewVersion::default() }
    }
}

pub struct Seed {
    api: String,
    database: PathBuf,
    python: PathBuf,
    http: reqwest::blocking::Client,
}

impl Mlflow {
    pub fn seed(&self) -> Seed {
        // The virtualenv's python has sqlite3; an mlflow found elsewhere
        // falls back to the system's.
        let venv_python = self.binary().with_file_name("python3");
        let python = if venv_python.exists() { venv_python } else { PathBuf::from("python3") };
        Seed { api: format!("{}/api/2.0/mlflow", self.url()), database: self.database(), python, http: http() }
    }
}

impl Seed {
    /// Creates a registered model, or says why MLflow refused.
    pub fn try_model(&self, name: &str) -> Result<(), String> {
        self.try_post("registered-models/create", json!({"name": name})).map(drop)
    }

    pub fn model(&self, name: &str) {
        self.post("registered-models/create", json!({"name": name}));
    }

    pub fn model_with(&self, name: &str, description: &str, tags: &[(&str, &str)]) {
        let tags: Vec<Value> = tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        self.post("registered-models/create", json!({"name": name, "description": description, "tags": tags}));
    }

    /// Creates a version and returns the number MLflow gave it.
    pub fn version(&self, model: &str, version: NewVersion) -> String {
        let mut body = json!({"name": model, "source": version.source});
        if let Some(description) = version.description {
            body["description"] = json!(description);
        }
        if let Some(link) = version.run_link {
            body["run_link"] = json!(link);
        }
        if !version.tags.is_empty() {
            body["tags"] = version.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        }
        let answer = self.post("model-versions/create", body);
        answer["model_version"]["version"].as_str().unwrap_or_else(|| panic!("no version in {answer}")).to_string()
    }

    /// Creates versions 1..=count of a new model's, sources `s3://bucket/m/N`.
    pub fn versions(&self, model: &str, count: u32) {
        for n in 1..=count {
            assert_eq!(self.version(model, NewVersion::numbered(n)), n.to_string(), "versions of {model:?}");
        }
    }

    pub fn alias(&self, model: &str, alias: &str, version: &str) {
        self.post("registered-models/alias", json!({"name": model, "alias": alias, "version": version}));
    }

    pub fn model_tag(&self, model: &str, key: &str, value: &str) {
        self.post("registered-models/set-tag", json!({"name": model, "key": key, "value": value}));
    }

    /// Sets a version's status (`FAILED_REGISTRATION`, …) in the store:
    /// MLflow's API creates every version READY and has no call to change it.
    pub fn status(&self, model: &str, version: &str, status: &str, message: &str) {
        let script = "import sqlite3, sys\n\
                      db, name, version, status, message = sys.argv[1:]\n\
                      c = sqlite3.connect(db, timeout=30)\n\
                      n = c.execute('UPDATE model_versions SET status = ?, status_message = ? \
                      WHERE name = ? AND version = ?', (status, message, name, int(version))).rowcount\n\
                      c.commit()\n\
                      sys.exit(0 if n == 1 else 3)\n";
        let output = Command::new(&self.python)
            .args(["-c", script])
            .arg(&self.database)
            .args([model, version, status, message])
            .output()
            .unwrap_or_else(|e| panic!("{} cannot run: {e}", self.python.display()));
        assert!(
            output.status.success(),
            "setting {model:?} version {version} to {status}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.try_post(path, body.clone()).unwrap_or_else(|e| panic!("POST {path} {body}: {e}"))
    }

    fn try_post(&self, path: &str, body: Value) -> Result<Value, String> {
        let response =
            self.http.post(format!("{}/{path}", self.api)).json(&body).send().map_err(|e| format!("no answer: {e}"))?;
        let status = response.status();
        let text = response.text().map_err(|e| format!("answer cut off: {e}"))?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))
    }
}
