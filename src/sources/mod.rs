//! Data sources behind small traits. The embedded lab and the real backends
//! implement the same traits, so the demo, the tests and production walk the
//! same path through the app.

pub mod alertmanager;
pub mod alerts;
pub mod http;
pub mod mlflow;
pub mod prometheus;
pub mod scrape;
pub mod traffic;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::core::alerts::AlertEntry;
use crate::core::fleet::FleetMetrics;
use crate::core::model_detail::ModelDetail;
use crate::core::slo::{SloDefinition, SloSeries, SlothCheck, WindowCounts};

pub mod presets;

/// A boxed future, so sources can be chosen at run time (`dyn MetricsSource`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What to measure: rates over `rate_window` ending at `at`, and a history of
/// request rates over `history` in steps of `history_step`.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetQuery {
    pub at: DateTime<Utc>,
    pub rate_window: Duration,
    pub history: Duration,
    pub history_step: Duration,
}

impl FleetQuery {
    /// The fleet view's defaults: 5-minute rates, one hour of one-minute points.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            at,
            rate_window: Duration::from_secs(300),
            history: Duration::from_secs(3600),
            history_step: Duration::from_secs(60),
        }
    }
}

/// Why a source gave no data. Shown on screen next to the panel it affects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct SourceError {
    /// Which server (or "demo"), as the user configured it.
    pub source_name: String,
    pub message: String,
}

/// A failed request, named once: the server is the source, the message
/// what was asked and why.
impl From<http::RequestError> for SourceError {
    fn from(e: http::RequestError) -> SourceError {
        SourceError { message: e.detail(), source_name: e.server }
    }
}

/// Reads per-model, per-version request, error and latency figures.
pub trait MetricsSource: Send + Sync {
    /// A short name for headers and the `source` field: `demo (calm)`,
    /// `prometheus http://…`.
    fn name(&self) -> String;

    fn fleet<'a>(&'a self, query: &'a FleetQuery) -> BoxFuture<'a, Result<FleetMetrics, SourceError>>;

    /// One model over a range, per version (the model view).
    fn model<'a>(&'a self, query: &'a ModelQuery) -> BoxFuture<'a, Result<ModelDetail, SourceError>>;

    /// Event counts over every SLO window ending at `at`, one result per SLO
    /// in order (an SLO can fail alone: a threshold that is no bucket bound).
    fn slo_counts<'a>(&'a self, slos: &'a [SloDefinition], at: DateTime<Utc>) -> BoxFuture<'a, SloCounts>;

    /// Sloth's recording rules for these SLOs, compared with vigil's own
    /// numbers; `None` where there are none (or the source has no rules).
    fn sloth_checks<'a>(
        &'a self,
        slos: &'a [SloDefinition],
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Vec<Option<SlothCheck>>> {
        let _ = at;
        Box::pin(async move { vec![None; slos.len()] })
    }

    /// One SLO's events step by step over its period ending at `at`.
    fn slo_series<'a>(
        &'a self,
        slo: &'a SloDefinition,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<SloSeries, SourceError>>;
}

/// The answer of [`MetricsSource::slo_counts`].
pub type SloCounts = Result<Vec<Result<WindowCounts, String>>, SourceError>;

/// What the model view asks for: `model` over `range` ending at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelQuery {
    pub model: String,
    pub at: DateTime<Utc>,
    pub range: Duration,
    pub step: Duration,
    /// Rates inside each step are taken over this window.
    pub rate_window: Duration,
}

impl ModelQuery {
    /// About 120 points over `range` ending at `at`.
    pub fn new(model: &str, at: DateTime<Utc>, range: Duration) -> Self {
        let step = Duration::from_secs(crate::core::model_detail::step_for(range.as_secs()));
        // A window of at least a minute: shorter ones see too few scrapes.
        let rate_window = step.max(Duration::from_secs(60));
        ModelQuery { model: model.to_string(), at, range, step, rate_window }
    }

    pub fn points(&self) -> usize {
        (self.range.as_secs() / self.step.as_secs().max(1)).max(1) as usize
    }
}

/// Every alert known at one instant, with notes on what could not be read
/// (one of two alert sources down still gives a useful, labelled list).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsSnapshot {
    pub at: Option<DateTime<Utc>>,
    pub alerts: Vec<AlertEntry>,
    /// Shown above the list: "alertmanager …: cannot connect: …".
    pub notes: Vec<String>,
}

/// Reads alerts: Prometheus rule alerts and Alertmanager's, or the lab's.
pub trait AlertsSource: Send + Sync {
    fn name(&self) -> String;

    /// Alerts as of `at` (a pinned past instant) or now.
    fn alerts<'a>(&'a self, at: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<AlertsSnapshot, SourceError>>;
}

/// Reads and moves a model registry (MLflow, or the lab's in the demo).
/// Writes are only ever called by the playbook engine, after the gate.
pub trait RegistrySource: Send + Sync {
    /// `mlflow http://…` or `demo registry`.
    fn name(&self) -> String;

    /// Every registered model whose name contains `name_contains` (all when
    /// `None`), each with all its versions and aliases.
    fn models<'a>(
        &'a self,
        name_contains: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<crate::core::registry::RegisteredModel>, SourceError>>;

    /// One model with all its versions and aliases; an error when it does not exist.
    fn model<'a>(&'a self, name: &'a str)
    -> BoxFuture<'a, Result<crate::core::registry::RegisteredModel, SourceError>>;

    /// The exact request a write sends, for plans and the audit log
    /// (never with credentials).
    fn describe_write(&self, write: &crate::core::registry::RegistryWrite) -> String {
        format!("{}: {write}", self.name())
    }

    fn set_alias<'a>(
        &'a self,
        model: &'a str,
        alias: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>>;

    fn set_model_tag<'a>(
        &'a self,
        model: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>>;

    /// Removing a tag that is not there is not an error.
    fn delete_model_tag<'a>(&'a self, model: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), SourceError>>;

    fn set_version_tag<'a>(
        &'a self,
        model: &'a str,
        version: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>>;
}

/// Traffic weights per model version at the serving layer (the lab's
/// gateway, or any endpoint speaking its small protocol).
pub trait TrafficControl: Send + Sync {
    fn name(&self) -> String;

    /// Version → share of traffic (0..=1, summing to 1).
    fn weights<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>>;

    /// The exact request setting `weights` sends, for plans and the audit log.
    fn describe_set_weights(&self, model: &str, weights: &[(String, f64)]) -> String {
        let list: Vec<String> = weights.iter().map(|(v, w)| format!("{v}={w}")).collect();
        format!("{}: set traffic weights of {model} to {}", self.name(), list.join(", "))
    }

    /// Sets the weights (normalised by the gateway) and returns them as now in force.
    fn set_weights<'a>(
        &'a self,
        model: &'a str,
        weights: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>>;
}
