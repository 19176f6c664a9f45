//! The configuration as the rest of vigil sees it, after validation.
//! The file format is described in DESIGN.md and `vigil config check`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::core::health::HealthThresholds;
use crate::core::registry_join::NameMapping;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file this came from; `None` when no config file exists.
    pub file: Option<PathBuf>,
    pub default_context: Option<String>,
    /// Theme name (`dark`, `light`, `high-contrast`, `16-colour`, or a user theme).
    pub theme: Option<String>,
    /// Keymap name (`default`, `vim`, or a user keymap).
    pub keymap: Option<String>,
    /// Plain ASCII glyphs for fonts without ✔ ▲ ✖.
    pub ascii: bool,
    /// Global read-only: no context may mutate anything.
    pub read_only: bool,
    pub contexts: BTreeMap<String, Context>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub name: String,
    pub read_only: bool,
    /// Colour of the header for this context (`red`, `#5f0000`, `52`).
    pub tint: Option<String>,
    /// Metric naming preset: generic, kserve, seldon, mlserver, triton, bentoml,
    /// torchserve, ray, or a user preset (see `crate::sources::presets`).
    pub preset: String,
    /// Concept key (`requests`, `errors`, …) → PromQL template replacing the
    /// preset's; an empty template says the stack does not have the concept.
    /// Keys and placeholders are checked when the file is read.
    pub queries: BTreeMap<String, String>,
    /// Extra label matchers for every query's `$filter`, without braces
    /// (`namespace="ml"`); empty for none.
    pub filter: String,
    /// `/metrics` URLs read directly when Prometheus cannot be reached.
    pub scrape_targets: Vec<String>,
    /// Sloth SLO specs to import (relative to the config file's directory).
    pub slo_files: Vec<std::path::PathBuf>,
    /// Deployment environment shown for models when the source has no label.
    pub environment: Option<String>,
    /// How often collectors poll.
    pub refresh: Duration,
    pub health: HealthThresholds,
    pub prometheus: Option<Endpoint>,
    pub alertmanager: Option<Endpoint>,
    pub elasticsearch: Option<ElasticEndpoint>,
    pub mlflow: Option<Endpoint>,
    /// A traffic gateway speaking the lab's `/admin/traffic` protocol, for
    /// `traffic.set_weights` steps.
    pub traffic: Option<Endpoint>,
    /// How the registry names the models the metrics label (`registry_name`,
    /// `registry_names`); the same name on both sides by default.
    pub registry_names: NameMapping,
    /// Use the embedded simulated fleet as this context's data.
    pub lab: Option<LabSettings>,
    pub slos: Vec<SloSpec>,
}

impl Context {
    /// A context with nothing configured: the generic preset, the default
    /// health thresholds, refresh every 10 s, no servers.
    pub fn named(name: &str) -> Context {
        Context {
            name: name.to_string(),
            read_only: false,
            tint: None,
            preset: "generic".into(),
            queries: BTreeMap::new(),
            filter: String::new(),
            scrape_targets: Vec::new(),
            slo_files: Vec::new(),
            environment: None,
            refresh: Duration::from_secs(10),
            health: HealthThresholds::default(),
            prometheus: None,
            alertmanager: None,
            elasticsearch: None,
            mlflow: None,
            traffic: None,
            registry_names: NameMapping::default(),
            lab: None,
            slos: Vec::new(),
        }
    }
}

/// How to reach a server. Secrets are references only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Endpoint {
    pub url: String,
    pub token: Option<SecretRef>,
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// `X-Scope-OrgID` for Mimir, Cortex, Thanos tenants.
    pub tenant: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElasticEndpoint {
    pub endpoint: Endpoint,
    pub api_key: Option<SecretRef>,
    pub events_index: Option<String>,
    pub logs_index: Option<String>,
}

/// A secret named by where it lives, never by its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabSettings {
    pub scenario: String,
    pub models: usize,
    pub seed: u64,
}

impl Default for LabSettings {
    /// The demo's, the config's and `vigil lab`'s defaults: a calm dozen models.
    fn default() -> Self {
        LabSettings { scenario: "calm".into(), models: 12, seed: 42 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SloSpec {
    pub name: String,
    pub model: String,
    pub kind: SloKind,
    /// Percent, 0 < objective < 100.
    pub objective: f64,
    pub period: Duration,
    /// Latency SLOs only: the bucket bound requests must be at or under.
    pub threshold: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloKind {
    Availability,
    Latency,
}
