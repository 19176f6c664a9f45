//! From command-line options and the config file to what a session needs:
//! the context, its data source, read-only decision, theme, keymap, glyphs.
//! Shared by the TUI and every one-shot command, so they cannot disagree.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::gate;
use crate::app::keymap::Keymap;
use crate::app::state::Session;
use crate::cli::GlobalOptions;
use crate::collect::slo::SloPlan;
use crate::config::{self, Config, Context, LabSettings, SloKind, paths::Paths};
use crate::core::slo::{Objective, Sli, SloDefinition};
use crate::core::timeref;
use crate::lab::{LabAlerts, LabOptions, LabRegistry, LabSource, LabTraffic, Scenario, Simulator};
use crate::playbook::audit::AuditLog;
use crate::sources::alertmanager::AlertmanagerClient;
use crate::sources::alerts::ServerAlerts;
use crate::sources::http::Limits;
use crate::sources::presets::{Concept, Preset};
use crate::sources::prometheus::PrometheusClient;
use crate::sources::prometheus::fleet::PrometheusFleet;
use crate::sources::traffic::HttpGateway;
use crate::sources::{AlertsSource, MetricsSource, RegistrySource, TrafficControl};
use crate::ui::glyphs::Glyphs;
use crate::ui::theme::Theme;

/// The name of the context `--demo` creates.
pub const DEMO_CONTEXT: &str = "demo";

/// A failure with the exit code it maps to (2 usage/config, 3 unreachable).
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into() }
    }
    pub fn unreachable(message: impl Into<String>) -> Self {
        Failure { code: 3, message: message.into() }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What one context reads from and may change.
pub struct Sources {
    pub metrics: Arc<dyn MetricsSource>,
    pub alerts: Option<Arc<dyn AlertsSource>>,
    /// Present when the context has an Alertmanager: silences go here.
    pub alertmanager: Option<AlertmanagerClient>,
    /// The model registry: the lab's, or the context's MLflow. `None` when
    /// there is none ([`no_registry`] says why).
    pub registry: Option<Arc<dyn RegistrySource>>,
    /// Where traffic shifts go: the lab's gateway, or the context's `traffic` endpoint.
    pub traffic: Option<Arc<dyn TrafficControl>>,
    /// For playbooks' `check.promql` steps.
    pub prometheus: Option<PrometheusClient>,
    /// The label naming the model on series and alerts.
    pub model_label: String,
}

/// The async runtime every command that does I/O runs on: two workers are
/// plenty for a console and a lab exporter.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))
}

/// Files and settings, before any context is chosen.
pub struct Setup {
    pub options: GlobalOptions,
    pub paths: Paths,
    pub config: Config,
    /// `--at`, resolved against the clock once at start-up.
    pub at: Option<DateTime<Utc>>,
    /// The instant the program started: the demo's scenario is anchored here
    /// (or at `--at`), so a session's events happen at fixed offsets from it.
    pub started: DateTime<Utc>,
    pub no_color: bool,
}

impl Setup {
    pub fn load(options: GlobalOptions, demo_command: bool) -> Result<Setup, Failure> {
        let paths = config::paths::discover(options.config.clone()).map_err(Failure::usage)?;
        let explicit = options.config.is_some();
        let config = if paths.config_file.exists() {
            config::load::load(&paths.config_file, Some(&paths.presets_dir))
                .map_err(|d| Failure::usage(config::load::format_report(&d)))?
        } else if explicit {
            return Err(Failure::usage(format!("config file {} does not exist", paths.config_file.display())));
        } else {
            Config::default()
        };
        let started = Utc::now();
        let at = match &options.at {
            Some(text) => Some(timeref::parse_at(text, started).map_err(|e| Failure::usage(format!("--at {e}")))?),
            None => None,
        };
        let demo = options.demo || demo_command;
        if !demo && (options.scenario.is_some() || options.models.is_some() || options.seed.is_some()) {
            return Err(Failure::usage("--scenario, --models and --seed go with --demo (or `vigil demo`)"));
        }
        let mut options = options;
        options.demo = demo;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ok(Setup { options, paths, config, at, started, no_color })
    }

    /// Every context name `:ctx` may switch to.
    pub fn context_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.contexts.keys().cloned().collect();
        if self.options.demo && !names.iter().any(|n| n == DEMO_CONTEXT) {
            names.insert(0, DEMO_CONTEXT.to_string());
        }
        names
    }

    /// The context to start in: `--demo` wins, then `--context`, then the config's choice.
    pub fn initial_context(&self) -> Result<Context, Failure> {
        if self.options.demo && self.options.context.is_none() {
            return Ok(self.demo_context());
        }
        self.context(self.options.context.as_deref())
    }

    pub fn context(&self, name: Option<&str>) -> Result<Context, Failure> {
        if name == Some(DEMO_CONTEXT) && self.options.demo {
            return Ok(self.demo_context());
        }
        if self.config.contexts.is_empty() {
            return Err(Failure::usage(format!(
                "no contexts configured (looked in {}): try `vigil demo`, or create a config (see config.example.toml)",
                self.paths.config_file.display()
            )));
        }
        let mut context = self.config.select_context(name).cloned().map_err(Failure::usage)?;
        // `--write` lifts a context's own read_only for this session only;
        // the gate still applies --read-only and the config's global flag.
        if self.options.write {
            context.read_only = false;
        }
        Ok(context)
    }

    fn demo_context(&self) -> Context {
        let defaults = LabSettings::default();
        Context {
            // The simulator moves in 15-second ticks: polling faster shows nothing new.
            refresh: Duration::from_secs(15),
            lab: Some(LabSettings {
                scenario: self.options.scenario.clone().unwrap_or(defaults.scenario),
                models: self.options.models.map_or(defaults.models, |m| m as usize),
                seed: self.options.seed.unwrap_or(defaults.seed),
            }),
            ..Context::named(DEMO_CONTEXT)
        }
    }

    /// Everything a context reads from, and the Alertmanager it may change.
    pub fn sources(&self, context: &Context) -> Result<Sources, Failure> {
        if let Some(lab) = &context.lab {
            let scenario = Scenario::from_name(&lab.scenario).map_err(Failure::usage)?;
            let simulator = Arc::new(Simulator::new(LabOptions {
                seed: lab.seed,
                scenario,
                models: lab.models,
                anchor: self.anchor(),
            }));
            // One simulator behind every source, so a traffic shift or an
            // alias move shows in the metrics and the registry alike.
            return Ok(Sources {
                metrics: Arc::new(LabSource::new(Arc::clone(&simulator))),
                alerts: Some(Arc::new(LabAlerts::new(Arc::clone(&simulator)))),
                alertmanager: None,
                registry: Some(Arc::new(LabRegistry::new(&simulator))),
                traffic: Some(Arc::new(LabTraffic::new(simulator))),
                prometheus: None,
                model_label: "model".into(),
            });
        }
        let Some(prometheus_endpoint) = &context.prometheus else {
            return Err(Failure::usage(format!(
                "context {} has no metrics source: give it `prometheus = {{ url = \"…\" }}` or a `lab` table",
                context.name
            )));
        };
        let preset = self.preset(context)?;
        let model_label = preset.model_label.clone();
        let prometheus = PrometheusClient::new(prometheus_endpoint, Limits::default()).map_err(Failure::usage)?;
        let metrics: Arc<dyn MetricsSource> = Arc::new(
            PrometheusFleet::new(prometheus.clone(), preset, context.filter.clone(), context.environment.clone())
                .with_scrape_targets(context.scrape_targets.clone()),
        );
        let alertmanager = match &context.alertmanager {
            Some(endpoint) => Some(AlertmanagerClient::new(endpoint, Limits::default()).map_err(Failure::usage)?),
            None => None,
        };
        let alerts: Arc<dyn AlertsSource> = Arc::new(ServerAlerts {
            prometheus: Some(prometheus.clone()),
            alertmanager: alertmanager.clone(),
            model_label: model_label.clone(),
        });
        let traffic: Option<Arc<dyn TrafficControl>> = match &context.traffic {
            Some(endpoint) => Some(Arc::new(HttpGateway::new(endpoint, Limits::default()).map_err(Failure::usage)?)),
            None => None,
        };
        Ok(Sources {
            metrics,
            alerts: Some(alerts),
            alertmanager,
            registry: mlflow_registry(context)?,
            traffic,
            prometheus: Some(prometheus),
            model_label,
        })
    }

    /// The SLOs a context is judged by: its configured ones, else defaults
    /// for every model (availability when the preset knows errors, latency
    /// when it has a histogram).
    pub fn slo_plan(&self, context: &Context) -> Result<SloPlan, Failure> {
        let imported = self.imported_slos(context)?;
        if !context.slos.is_empty() || !imported.is_empty() {
            return Ok(SloPlan::Configured(
                context
                    .slos
                    .iter()
                    .map(|spec| SloDefinition {
                        name: spec.name.clone(),
                        model: spec.model.clone(),
                        sli: match spec.kind {
                            SloKind::Availability => Sli::Availability,
                            SloKind::Latency => Sli::Latency {
                                threshold_seconds: spec.threshold.map(|t| t.as_secs_f64()).unwrap_or_default(),
                            },
                        },
                        objective: Objective::from_percent(spec.objective, spec.period),
                        origin: "config".into(),
                    })
                    .chain(imported)
                    .collect(),
            ));
        }
        let (availability, latency) = if context.lab.is_some() {
            (true, true)
        } else {
            let preset = self.preset(context)?;
            (preset.has(Concept::Errors), preset.has(Concept::LatencyBuckets))
        };
        Ok(SloPlan::Defaults { availability, latency })
    }

    /// The SLOs of the context's `slo_files`, paths taken relative to the
    /// config file; a file's problems name its path, line and key.
    pub fn imported_slos(&self, context: &Context) -> Result<Vec<SloDefinition>, Failure> {
        let base = self.paths.config_file.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut all = Vec::new();
        for file in &context.slo_files {
            let path = if file.is_absolute() { file.clone() } else { base.join(file) };
            all.extend(crate::config::slo_import::import(&path).map_err(|d| Failure::usage(d.to_string()))?);
        }
        Ok(all)
    }

    /// What a playbook acts on in `context`.
    pub fn backends(&self, context: &Context) -> Result<crate::playbook::backends::Backends, Failure> {
        Ok(self.backends_for(context, &self.sources(context)?))
    }

    /// What a playbook acts on, over sources already made: the console's,
    /// so a run changes the very registry and gateway its views are reading
    /// (the demo's simulator is one per `sources` call).
    pub fn backends_for(&self, context: &Context, sources: &Sources) -> crate::playbook::backends::Backends {
        let mut backends = self.backends_of_one(context, sources);
        // Every other configured context, for steps that name one; setting
        // one up only builds clients, nothing is asked of a server yet.
        backends.others = self
            .config
            .contexts
            .values()
            .filter(|other| other.name != context.name)
            .map(|other| {
                let built = self
                    .context(Some(&other.name))
                    .and_then(|c| Ok(self.backends_of_one(&c, &self.sources(&c)?)))
                    .map_err(|f| f.to_string());
                (other.name.clone(), built)
            })
            .collect();
        backends
    }

    fn backends_of_one(&self, context: &Context, sources: &Sources) -> crate::playbook::backends::Backends {
        crate::playbook::backends::Backends {
            context: context.name.clone(),
            registry: sources.registry.clone(),
            traffic: sources.traffic.clone(),
            metrics: Some(Arc::clone(&sources.metrics)),
            prometheus: sources.prometheus.clone(),
            alertmanager: sources.alertmanager.clone(),
            model_label: sources.model_label.clone(),
            audit: self.audit_log(),
            locks_dir: self.paths.state_dir.join("locks"),
            read_only: self.read_only_reason(context),
            others: Default::default(),
        }
    }

    /// The playbooks this session can run: shipped, and the user's.
    pub fn playbooks(&self) -> Result<crate::playbook::library::Library, Failure> {
        crate::playbook::library::Library::load(Some(&self.paths.playbooks_dir)).map_err(|d| Failure::usage(report(&d)))
    }

    /// Why this session may not change anything in `context`, if it may not.
    pub fn read_only_reason(&self, context: &Context) -> Option<String> {
        crate::app::gate::read_only_reason(self.options.read_only, &self.config, context)
    }

    /// Where changes made from the console are recorded.
    pub fn audit_log(&self) -> AuditLog {
        AuditLog::new(self.paths.audit_file.clone())
    }

    /// The metrics source a context reads.
    pub fn metrics_source(&self, context: &Context) -> Result<Arc<dyn MetricsSource>, Failure> {
        Ok(self.sources(context)?.metrics)
    }

    /// The demo's scenario instant: `--at` when given, else start-up.
    fn anchor(&self) -> DateTime<Utc> {
        self.at.unwrap_or(self.started)
    }

    /// What the console knows of `context` for its whole session, given the sources it got.
    pub fn session(&self, context: &Context, sources: &Sources) -> Session {
        let tint = if self.no_color { None } else { context.tint.as_deref().and_then(|t| t.parse().ok()) };
        Session {
            context: context.name.clone(),
            read_only: gate::read_only_reason(self.options.read_only, &self.config, context),
            tint,
            pinned_at: self.at,
            refresh: context.refresh,
            thresholds: context.health,
            contexts: self.context_names(),
            themes: Theme::available(Some(&self.paths.themes_dir)).into_iter().map(|(name, _)| name).collect(),
            can_silence: context.lab.is_none() && context.alertmanager.is_some(),
            registry_names: context.registry_names.clone(),
            no_registry: sources.registry.is_none().then(|| no_registry(context).message),
        }
    }

    pub fn theme_name(&self) -> String {
        self.options.theme.clone().or_else(|| self.config.theme.clone()).unwrap_or_else(|| "dark".into())
    }

    pub fn keymap_name(&self) -> String {
        self.options.keymap.clone().or_else(|| self.config.keymap.clone()).unwrap_or_else(|| "default".into())
    }

    /// The theme by name, turned monochrome under `NO_COLOR`.
    pub fn theme(&self, name: &str) -> Result<Theme, Failure> {
        let theme = Theme::load(name, Some(&self.paths.themes_dir)).map_err(|d| Failure::usage(report(&d)))?;
        Ok(if self.no_color { theme.monochrome() } else { theme })
    }

    /// The context's metric preset: the shipped or user preset it names,
    /// with its `queries` overrides applied.
    pub fn preset(&self, context: &Context) -> Result<Preset, Failure> {
        Preset::resolve(&context.preset, Some(&self.paths.presets_dir), &context.queries)
            .map_err(|d| Failure::usage(report(&d)))
    }

    pub fn keymap(&self) -> Result<Keymap, Failure> {
        Keymap::load(&self.keymap_name(), Some(&self.paths.keymaps_dir)).map_err(|d| Failure::usage(report(&d)))
    }

    pub fn glyphs(&self) -> Glyphs {
        Glyphs::new(self.options.ascii || self.config.ascii)
    }

    pub fn log_file(&self) -> PathBuf {
        self.paths.log_file.clone()
    }
}

/// A real context's model registry: its MLflow, when it has one.
fn mlflow_registry(context: &Context) -> Result<Option<Arc<dyn RegistrySource>>, Failure> {
    match &context.mlflow {
        Some(endpoint) => Ok(Some(Arc::new(
            crate::sources::mlflow::MlflowRegistry::new(endpoint, Limits::default()).map_err(Failure::usage)?,
        ))),
        None => Ok(None),
    }
}

/// Why a context has no registry, as a usage error (exit 2).
pub fn no_registry(context: &Context) -> Failure {
    Failure::usage(format!("context {} has no registry: give it `mlflow = {{ url = \"…\" }}`", context.name))
}

fn report(diagnostics: &[crate::core::diagnostic::Diagnostic]) -> String {
    config::load::format_report(diagnostics)
}
