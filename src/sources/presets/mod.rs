//! Serving-stack metric presets: vigil's concepts (requests, errors, latency,
//! history, versions) as one serving stack's PromQL.
//!
//! Presets are data: `presets/*.toml`, embedded in the binary. A user file
//! `NAME.toml` in the user's presets directory merges over the shipped preset
//! of that name (or the one it `extends`), or stands alone under a new name;
//! a context's `queries` table overrides single queries over both. Every
//! problem is reported with its file, line and key, like themes and keymaps.
//!
//! A concept a stack does not have is absent: [`Preset::query`] returns
//! `None` and vigil shows it as unavailable. No preset invents a number its
//! stack does not export (TorchServe's errors, Triton's percentiles).

mod file;
pub mod filter;
pub mod template;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::core::diagnostic::Diagnostic;

use self::file::PRESETS;
use self::template::{Template, Values};

/// The presets shipped with vigil, in the order `vigil presets` lists them.
pub const BUILTIN: &[&str] = &["generic", "kserve", "seldon", "mlserver", "triton", "bentoml", "torchserve", "ray"];

/// The file name diagnostics give to a context's `queries` overrides, which
/// [`Preset::resolve`] receives without their file or context.
/// `vigil config check` replaces it with the config file and context.
pub const OVERRIDES_FILE: &str = "config";

/// What vigil asks a serving stack for. Each is a key under `[queries]` in a
/// preset file and in a context's `queries` table.
///
/// The shapes, which the Prometheus source relies on:
/// - `Requests`: instant vector, requests per second, one series per model
///   label (and version label, when the preset has one).
/// - `Errors`: the same shape, failed requests per second.
/// - `LatencyBuckets`: per model, version and `le`, the rate of each
///   histogram bucket; `le` is in [`Preset::le_unit_seconds`] units.
/// - `LatencyAverage`: per model and version, seconds per request (NaN when
///   a version had no requests in the window).
/// - `History`: per model only, requests per second; run as a range query
///   whose `$window` is the caller's `max(step, 1m)`.
/// - `VersionInfo`: per model, version, `aliases` (comma-joined) and
///   `environment`, any value; the series' labels are the information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Concept {
    Requests,
    Errors,
    LatencyBuckets,
    LatencyAverage,
    History,
    VersionInfo,
}

/// Every concept's key, in [`Concept::ALL`] order.
pub const CONCEPT_KEYS: &[&str] =
    &["requests", "errors", "latency_buckets", "latency_average", "history", "version_info"];

impl Concept {
    pub const ALL: [Concept; 6] = [
        Concept::Requests,
        Concept::Errors,
        Concept::LatencyBuckets,
        Concept::LatencyAverage,
        Concept::History,
        Concept::VersionInfo,
    ];

    /// The key in preset files and in a context's `queries`.
    pub fn key(self) -> &'static str {
        CONCEPT_KEYS[self as usize]
    }

    pub fn from_key(key: &str) -> Option<Concept> {
        Concept::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// One serving stack's metric names, ready to render queries.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub description: String,
    /// The label naming the model, e.g. `model`, `model_name`.
    pub model_label: String,
    /// `None`: the stack has no version label, and versions are shown as "—".
    pub version_label: Option<String>,
    /// Seconds per unit of the `le` bounds `LatencyBuckets` returns: 1 for
    /// seconds, 0.001 for Ray Serve's milliseconds.
    pub le_unit_seconds: f64,
    queries: BTreeMap<Concept, Template>,
}

/// What a query is rendered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryVars {
    /// `$window`: the rate window (for `History`, the caller's `max(step, 1m)`).
    pub window: Duration,
    /// `$step`: the history step.
    pub step: Duration,
    /// `$filter`: extra label matchers without braces, possibly empty,
    /// e.g. `namespace="ml"` (the context's `filter`).
    pub filter: String,
}

impl Preset {
    /// The embedded preset `name`, with a user file merged over it, with
    /// config overrides applied. A user file of a new name is a preset of its
    /// own. `overrides` maps concept keys to templates; an empty template
    /// takes the concept away.
    pub fn resolve(
        name: &str,
        user_dir: Option<&Path>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Preset, Vec<Diagnostic>> {
        let user = PRESETS.user_file(name, user_dir).map_err(|d| vec![d])?;
        if user.is_none() && PRESETS.builtin(name).is_none() {
            return Err(vec![PRESETS.unknown(name, user_dir)]);
        }
        file::build(name, user, overrides)
    }

    /// Every preset `resolve` can find by name: the shipped ones, then the
    /// user's own, by name.
    pub fn names(user_dir: Option<&Path>) -> Vec<String> {
        PRESETS.available(user_dir).into_iter().map(|(name, _)| name).collect()
    }

    /// `(name, origin)`: origin is `builtin` or the path of the user file
    /// (which merges over the shipped preset of that name).
    pub fn available(user_dir: Option<&Path>) -> Vec<(String, String)> {
        PRESETS.available(user_dir)
    }

    /// The presets shipped with vigil.
    pub fn builtin_names() -> &'static [&'static str] {
        PRESETS.names
    }

    /// The PromQL for a concept, or `None` when the stack does not have it
    /// (shown as unavailable, never invented).
    pub fn query(&self, concept: Concept, vars: &QueryVars) -> Option<String> {
        let template = self.queries.get(&concept)?;
        Some(template.render(&Values {
            window: vars.window,
            step: vars.step,
            filter: &vars.filter,
            model: &self.model_label,
            version: self.version_label.as_deref(),
        }))
    }

    pub fn has(&self, concept: Concept) -> bool {
        self.queries.contains_key(&concept)
    }

    /// The concepts this preset has, in [`Concept::ALL`] order.
    pub fn concepts(&self) -> Vec<Concept> {
        self.queries.keys().copied().collect()
    }

    /// A preset with nothing in it; returned only alongside problems.
    fn empty(name: &str) -> Preset {
        Preset {
            name: name.to_string(),
            description: String::new(),
            model_label: String::new(),
            version_label: None,
            le_unit_seconds: 1.0,
            queries: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests;
