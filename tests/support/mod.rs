//! Shared test helpers: a console state over the embedded lab at a fixed
//! instant, and an isolated environment for running the real binary.

#![allow(dead_code)]

pub mod faulty;
pub mod mlflow;
pub mod mlflow_seed;
pub mod services;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigil::app::keymap::Keymap;
use vigil::app::state::{AppState, Session};
use vigil::collect::Feed;
use vigil::core::health::HealthThresholds;
use vigil::lab::{LabOptions, Scenario, Simulator};
use vigil::sources::{AlertsSnapshot, FleetQuery};
use vigil::ui::glyphs::Glyphs;
use vigil::ui::theme::Theme;

/// The instant every snapshot is taken at (a weekday afternoon, UTC).
pub fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z").unwrap().with_timezone(&Utc)
}

pub struct StateOptions {
    pub scenario: Scenario,
    pub models: usize,
    pub width: u16,
    pub height: u16,
    pub theme: Theme,
    pub glyphs: Glyphs,
    pub context: &'static str,
    pub tint: Option<ratatui::style::Color>,
}

impl Default for StateOptions {
    fn default() -> Self {
        StateOptions {
            scenario: Scenario::BadDeploy,
            models: 12,
            width: 80,
            height: 24,
            theme: Theme::load("dark", None).expect("the shipped dark theme loads"),
            glyphs: Glyphs::UNICODE,
            context: "demo",
            tint: None,
        }
    }
}

/// The console as it looks once the lab's first snapshot has arrived.
pub fn lab_state(options: StateOptions) -> AppState {
    let now = fixed_now();
    let simulator =
        Simulator::new(LabOptions { seed: 42, scenario: options.scenario, models: options.models, anchor: now });
    let metrics = simulator.fleet_metrics(&FleetQuery::at(now));
    let session = Session {
        context: options.context.into(),
        read_only: None,
        tint: options.tint,
        pinned_at: None,
        refresh: std::time::Duration::from_secs(15),
        thresholds: HealthThresholds::default(),
        contexts: vec!["demo".into()],
        themes: Theme::builtin_names().iter().map(|s| s.to_string()).collect(),
        can_silence: false,
        registry_names: Default::default(),
        no_registry: None,
    };
    let keymap = Arc::new(Keymap::load("default", None).expect("the shipped keymap loads"));
    let mut state = AppState::new(session, options.theme, options.glyphs, keymap, "demo (bad-deploy)".into());
    state.now = now;
    state.width = options.width;
    state.height = options.height;
    let mut feed = Feed::empty("demo (bad-deploy)".into());
    feed.latest = Some(Arc::new(metrics));
    feed.latest_fetched_at = Some(now);
    feed.attempts = 1;
    state.apply_feed(feed);
    let mut alerts = Feed::empty("demo (bad-deploy) rules".into());
    alerts.latest = Some(Arc::new(AlertsSnapshot {
        at: None,
        alerts: vigil::lab::alerts::evaluate(&simulator, now),
        notes: Vec::new(),
    }));
    alerts.latest_fetched_at = Some(now);
    alerts.attempts = 1;
    state.apply_alerts(alerts);
    state
}

/// Points every directory vigil uses into `dir`, so tests never touch the
/// user's files and never depend on them.
pub fn isolate(cmd: &mut std::process::Command, dir: &Path) {
    cmd.env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir)
        .env_remove("VIGIL_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("VIGIL_LOG");
}

/// Adds the lab's default SLOs, evaluated at the fixed instant (the SLO
/// view, the fleet's budget column, the model view's SLO lines).
pub fn with_slos(state: &mut AppState, scenario: Scenario, models: usize) {
    let now = fixed_now();
    let simulator = Simulator::new(LabOptions { seed: 42, scenario, models, anchor: now });
    let counter = vigil::lab::slo::SloCounter::default();
    let definitions: Vec<vigil::core::slo::SloDefinition> =
        simulator.models().iter().flat_map(|m| vigil::core::slo::default_slos(&m.name, true, true)).collect();
    let entries =
        definitions.iter().map(|d| vigil::core::slo::SloEntry::new(d, counter.counts(&simulator, d, now))).collect();
    let mut feed = Feed::empty("demo (bad-deploy)".into());
    feed.latest = Some(Arc::new(entries));
    feed.latest_fetched_at = Some(now);
    feed.attempts = 1;
    state.apply_slo(feed);
}

/// Adds the lab's registry for the same fleet, read at the fixed instant
/// (the registry view, the model view's registry panel).
pub fn with_registry(state: &mut AppState, scenario: Scenario, models: usize) {
    use vigil::sources::RegistrySource;
    let now = fixed_now();
    let simulator = Simulator::new(LabOptions { seed: 42, scenario, models, anchor: now });
    let registry = vigil::lab::LabRegistry::new(&simulator);
    let read = futures::executor::block_on(registry.models(None)).expect("the lab's registry answers");
    let mut feed = Feed::empty(registry.name());
    feed.latest = Some(Arc::new(read));
    feed.latest_fetched_at = Some(now);
    feed.attempts = 1;
    state.apply_registry(feed);
}

/// What a playbook acts on in the lab at the fixed instant: the registry,
/// a gateway whose clock stands at that instant and the metrics, all over
/// one simulator (as in `vigil demo`), recording and locking under `dir`.
pub fn lab_backends(dir: &Path, models: usize) -> vigil::playbook::backends::Backends {
    let now = fixed_now();
    let simulator =
        Arc::new(Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models, anchor: now }));
    let mut backends = vigil::playbook::backends::Backends::lab("demo", Arc::clone(&simulator), dir);
    backends.traffic = Some(Arc::new(vigil::lab::LabTraffic::with_clock(simulator, Arc::new(fixed_now))));
    backends
}

/// The shipped playbooks in the console, as `vigil` loads them at start.
pub fn with_playbooks(state: &mut AppState) {
    let library = vigil::playbook::library::Library::load(None).expect("the shipped playbooks load");
    state.playbooks = vigil::app::playbooks::Playbooks::new(Ok(library.playbooks));
}
