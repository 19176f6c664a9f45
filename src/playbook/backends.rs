//! What a playbook acts on in one context: the registry, the traffic
//! gateway, the metrics, Prometheus, Alertmanager, and where it records —
//! and the same for the other configured contexts, which a step may name
//! (`context = "{{to_context}}"`: promote from staging to production).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::audit::AuditLog;
use super::spec::Capability;
use crate::sources::alertmanager::AlertmanagerClient;
use crate::sources::prometheus::PrometheusClient;
use crate::sources::{MetricsSource, RegistrySource, TrafficControl};

#[derive(Clone)]
pub struct Backends {
    pub context: String,
    pub registry: Option<Arc<dyn RegistrySource>>,
    pub traffic: Option<Arc<dyn TrafficControl>>,
    pub metrics: Option<Arc<dyn MetricsSource>>,
    pub prometheus: Option<PrometheusClient>,
    pub alertmanager: Option<AlertmanagerClient>,
    /// The label naming the model on alerts and series (the preset's).
    pub model_label: String,
    pub audit: AuditLog,
    /// Where per-model lock files live (one machine's operators queue here
    /// before the shared registry lease is even tried).
    pub locks_dir: PathBuf,
    /// The gate's answer for this context (`Some(why)` = read-only).
    pub read_only: Option<String>,
    /// The other contexts of the config, or why one could not be set up.
    pub others: BTreeMap<String, Result<Backends, String>>,
}

impl Backends {
    /// The embedded lab as a context: its registry, gateway and metrics
    /// over one simulator (as `vigil demo` has them), recording and locking
    /// under `dir`. For tests and benchmarks that need no servers.
    pub fn lab(context: &str, simulator: Arc<crate::lab::Simulator>, dir: &std::path::Path) -> Backends {
        Backends {
            context: context.to_string(),
            registry: Some(Arc::new(crate::lab::LabRegistry::new(&simulator))),
            traffic: Some(Arc::new(crate::lab::LabTraffic::new(Arc::clone(&simulator)))),
            metrics: Some(Arc::new(crate::lab::LabSource::new(simulator))),
            prometheus: None,
            alertmanager: None,
            model_label: "model".into(),
            audit: AuditLog::new(dir.join("audit.jsonl")),
            locks_dir: dir.join("locks"),
            read_only: None,
            others: BTreeMap::new(),
        }
    }

    /// The backends of context `name` (this one, or another configured one).
    pub fn at(&self, name: &str) -> Result<&Backends, String> {
        if name == self.context {
            return Ok(self);
        }
        match self.others.get(name) {
            Some(Ok(b)) => Ok(b),
            Some(Err(why)) => Err(format!("context {name}: {why}")),
            None => {
                let mut known: Vec<&str> = vec![self.context.as_str()];
                known.extend(self.others.keys().map(String::as_str));
                Err(format!("no context named `{name}`; known: {}", known.join(", ")))
            }
        }
    }

    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::Registry => self.registry.is_some(),
            Capability::Traffic => self.traffic.is_some(),
            Capability::Prometheus => self.prometheus.is_some(),
            Capability::Alertmanager => self.alertmanager.is_some(),
        }
    }

    pub fn registry(&self) -> Result<&Arc<dyn RegistrySource>, String> {
        self.registry.as_ref().ok_or_else(|| self.lacks(Capability::Registry))
    }

    pub fn traffic(&self) -> Result<&Arc<dyn TrafficControl>, String> {
        self.traffic.as_ref().ok_or_else(|| self.lacks(Capability::Traffic))
    }

    pub fn lacks(&self, capability: Capability) -> String {
        format!(
            "context {} has no {}",
            self.context,
            capability.describe().trim_start_matches("a ").trim_start_matches("an ")
        )
    }
}
