//! Everything the screen shows, in one value. Only the reducer (`update`)
//! changes it; views read it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::style::Color;
use ratatui_textarea::TextArea;

use crate::app::change::{Change, Draft};
use crate::app::fleet_table::{self, Filter, Sort};
use crate::app::keymap::Keymap;
use crate::app::playbooks::Playbooks;
use crate::collect::Feed;
use crate::core::alerts::AlertEntry;
use crate::core::fleet::FleetMetrics;
use crate::core::health::{self, FleetReport, HealthThresholds, Provenance};
use crate::core::model_detail::ModelDetail;
use crate::core::registry::RegisteredModel;
use crate::core::registry_join::{self, NameMapping, RegistryReport};
use crate::core::slo::SloEntry;
use crate::sources::AlertsSnapshot;
use crate::ui::glyphs::Glyphs;
use crate::ui::theme::Theme;

/// Facts about this session that do not change while it runs (except by `:ctx`).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub context: String,
    /// Why nothing may be changed, when that is so (decided by `app::gate`).
    pub read_only: Option<String>,
    /// The context's header colour.
    pub tint: Option<Color>,
    /// `--at`: every view shows this past instant instead of now.
    pub pinned_at: Option<DateTime<Utc>>,
    pub refresh: Duration,
    pub thresholds: HealthThresholds,
    /// For `:ctx` and `:theme` completion.
    pub contexts: Vec<String>,
    pub themes: Vec<String>,
    /// Whether this context has an Alertmanager to create silences in.
    pub can_silence: bool,
    /// How the registry names the models the metrics label.
    pub registry_names: NameMapping,
    /// Why this context has no registry, when it has none (`:registry` says so).
    pub no_registry: Option<String>,
}

/// The views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Fleet,
    Alerts,
    Model,
    Slo,
    SloDetail,
    Registry,
    Playbooks,
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::Fleet => "fleet",
            View::Alerts => "alerts",
            View::Model => "model",
            View::Slo => "slo",
            View::SloDetail => "slo detail",
            View::Registry => "registry",
            View::Playbooks => "playbooks",
        }
    }
}

/// The model view: which model, over which range, and its data.
#[derive(Debug, Clone)]
pub struct ModelView {
    pub model: String,
    /// Index into [`crate::core::model_detail::RANGES`].
    pub range: usize,
    /// Which latency quantile the latency chart draws.
    pub quantile: Quantile,
    pub feed: Feed<ModelDetail>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    P99,
    P95,
    P50,
}

impl Quantile {
    pub fn next(self) -> Quantile {
        match self {
            Quantile::P99 => Quantile::P95,
            Quantile::P95 => Quantile::P50,
            Quantile::P50 => Quantile::P99,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Quantile::P99 => "p99",
            Quantile::P95 => "p95",
            Quantile::P50 => "p50",
        }
    }
}

impl ModelView {
    pub fn new(model: &str) -> Self {
        // One hour: long enough to see a deploy, short enough to see its minutes.
        ModelView { model: model.to_string(), range: 1, quantile: Quantile::P99, feed: Feed::empty(String::new()) }
    }

    pub fn range(&self) -> Duration {
        Duration::from_secs(crate::core::model_detail::RANGES[self.range].1)
    }

    pub fn range_name(&self) -> &'static str {
        crate::core::model_detail::RANGES[self.range].0
    }
}

/// One SLO over its period (the burn-down).
#[derive(Debug, Clone)]
pub struct SloDetail {
    pub definition: crate::core::slo::SloDefinition,
    pub feed: Feed<crate::core::slo::SloSeries>,
}

/// A cursor over a table's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCursor {
    pub selected: usize,
    /// First row on screen.
    pub offset: usize,
}

impl TableCursor {
    /// Moves by `delta` within `rows` rows, keeping the cursor inside a
    /// window of `height`. Returns whether anything moved.
    pub fn move_by(&mut self, delta: isize, rows: usize, height: usize) -> bool {
        if rows == 0 {
            return false;
        }
        let target = (self.selected as isize).saturating_add(delta).clamp(0, rows as isize - 1) as usize;
        let moved = target != self.selected;
        self.selected = target;
        self.scroll(rows, height);
        moved
    }

    pub fn scroll(&mut self, rows: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(rows.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(rows.saturating_sub(height));
    }
}

/// The fleet table: data, rows shown, cursor.
#[derive(Debug, Clone, Default)]
pub struct FleetTable {
    pub report: Option<FleetReport>,
    /// Indices into `report.models`, filtered and sorted.
    pub rows: Vec<usize>,
    /// Index into `rows`.
    pub selected: usize,
    /// First row on screen.
    pub offset: usize,
    pub sort: Sort,
    pub filter: Option<Filter>,
}

impl FleetTable {
    pub fn recompute_rows(&mut self) {
        let selected_model = self.selected_model().map(str::to_owned);
        self.rows = match &self.report {
            Some(r) => fleet_table::visible_rows(&r.models, self.filter.as_ref(), self.sort),
            None => Vec::new(),
        };
        // Keep the cursor on the same model when it is still shown.
        if let (Some(name), Some(report)) = (selected_model, &self.report)
            && let Some(pos) = self.rows.iter().position(|&i| report.models[i].model == name)
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn selected_model(&self) -> Option<&str> {
        let report = self.report.as_ref()?;
        let index = *self.rows.get(self.selected)?;
        report.models.get(index).map(|m| m.model.as_str())
    }

    /// Keeps the cursor inside a window of `height` rows starting at `offset`.
    pub fn scroll_to_cursor(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

/// One line of the registry view: a model (index into the report's
/// models), or one of its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryRow {
    Model(usize),
    Version(usize, usize),
}

/// What the prompt line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Filter,
    /// How long a new silence lasts.
    SilenceDuration,
    /// Why the change is made (recorded with it).
    Reason,
    /// Type the target to go ahead.
    Confirm,
}

/// The `:` or `/` line being typed.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextArea<'static>,
    /// Tab cycles through these; reset by any other key.
    pub completions: Vec<String>,
    pub completion_index: Option<usize>,
    /// Position while walking the history with up/down.
    pub history_index: Option<usize>,
    /// The filter before typing started, restored on cancel.
    pub filter_before: Option<Filter>,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str, filter_before: Option<Filter>) -> Self {
        let mut input = TextArea::new(vec![text.to_string()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        Prompt { kind, input, completions: Vec::new(), completion_index: None, history_index: None, filter_before }
    }

    pub fn text(&self) -> String {
        self.input.lines().join("")
    }

    pub fn set_text(&mut self, text: &str) {
        let kind_input = Prompt::new(self.kind, text, None).input;
        self.input = kind_input;
    }
}

/// A one-line message in the footer until the next key.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub is_error: bool,
}

/// How fresh the data on screen is.
#[derive(Debug, Clone, PartialEq)]
pub enum Freshness {
    /// Nothing has arrived yet.
    Loading,
    /// Pinned to a past instant with `--at`.
    Pinned(DateTime<Utc>),
    Live {
        updated: DateTime<Utc>,
    },
    Stale {
        age_seconds: u64,
        error: Option<String>,
    },
    Unreachable {
        error: String,
    },
}

pub struct AppState {
    pub session: Session,
    pub theme: Theme,
    pub glyphs: Glyphs,
    pub keymap: Arc<Keymap>,
    /// Wall clock as of the last message; views never read the clock themselves.
    pub now: DateTime<Utc>,
    pub source_name: String,
    pub feed: Feed<FleetMetrics>,
    /// Alerts from Prometheus and Alertmanager (or the lab's rules).
    pub alerts: Feed<AlertsSnapshot>,
    pub alerts_table: TableCursor,
    /// Every SLO's state (evaluated less often than the fleet: long windows).
    pub slo: Feed<Vec<SloEntry>>,
    pub slo_table: TableCursor,
    /// The SLO opened from the SLO view, and its period step by step.
    pub slo_detail: Option<SloDetail>,
    /// The registry's models, as last read (kept when a read fails).
    pub registry: Feed<Vec<RegisteredModel>>,
    /// The registry joined with the fleet: rebuilt when either changes, never while drawing.
    pub registry_report: Option<RegistryReport>,
    pub registry_table: TableCursor,
    /// The model being looked at, its range and its data.
    pub model_view: Option<ModelView>,
    /// The playbooks view: its stage, the plan on screen, the run.
    pub playbooks: Playbooks,
    pub view: View,
    /// Views to return to with `back`, most recent last.
    pub previous_views: Vec<View>,
    pub fleet: FleetTable,
    pub help_open: bool,
    pub prompt: Option<Prompt>,
    /// A change being put together through the prompts.
    pub draft: Option<Draft>,
    /// A change waiting for the operator to type its target.
    pub confirming: Option<Change>,
    pub command_history: Vec<String>,
    pub flash: Option<Flash>,
    /// Terminal size in cells.
    pub width: u16,
    pub height: u16,
}

impl AppState {
    pub fn new(session: Session, theme: Theme, glyphs: Glyphs, keymap: Arc<Keymap>, source_name: String) -> Self {
        AppState {
            session,
            theme,
            glyphs,
            keymap,
            now: Utc::now(),
            feed: Feed::empty(source_name.clone()),
            alerts: Feed::empty(String::new()),
            alerts_table: TableCursor::default(),
            model_view: None,
            playbooks: Playbooks::new(Ok(Vec::new())),
            slo: Feed::empty(String::new()),
            slo_table: TableCursor::default(),
            slo_detail: None,
            registry: Feed::empty(String::new()),
            registry_report: None,
            registry_table: TableCursor::default(),
            source_name,
            view: View::Fleet,
            previous_views: Vec::new(),
            fleet: FleetTable::default(),
            help_open: false,
            prompt: None,
            draft: None,
            confirming: None,
            command_history: Vec::new(),
            flash: None,
            width: 80,
            height: 24,
        }
    }

    /// Takes in a new feed value: judges every model and rebuilds the rows.
    pub fn apply_feed(&mut self, feed: Feed<FleetMetrics>) {
        if let Some(metrics) = &feed.latest {
            // How far the data lags behind the instant it was asked for.
            let asked_for = self.session.pinned_at.unwrap_or(self.now);
            let age = (asked_for - metrics.at).num_milliseconds() as f64 / 1000.0;
            let source = metrics.via.clone().unwrap_or_else(|| feed.source_name.clone());
            let provenance = Provenance { source, age_seconds: Some(age.max(0.0)) };
            self.fleet.report =
                Some(build_report(metrics, &self.session.context, &self.session.thresholds, &provenance));
        }
        self.feed = feed;
        self.attach_alert_counts();
        self.attach_budgets();
        self.fleet.recompute_rows();
        self.join_registry();
    }

    /// Takes in a new read of the registry and joins it with the fleet.
    pub fn apply_registry(&mut self, feed: Feed<Vec<RegisteredModel>>) {
        self.registry = feed;
        self.join_registry();
    }

    fn join_registry(&mut self) {
        let Some(models) = &self.registry.latest else {
            self.registry_report = None;
            return;
        };
        let at = self.fleet.report.as_ref().map_or(self.now, |r| r.at);
        self.registry_report = Some(RegistryReport {
            at,
            context: self.session.context.clone(),
            registry: self.registry.source_name.clone(),
            metrics: self.fleet.report.as_ref().map(|_| self.source_name.clone()),
            models: registry_join::join(models, self.fleet.report.as_ref(), &self.session.registry_names, at),
        });
        let rows = self.registry_rows().len();
        self.registry_table.scroll(rows, crate::ui::layout::fleet_body_rows(self.height));
    }

    /// The registry view's rows: each model, worst verdict first (then by
    /// name), followed by its versions newest first; the filter keeps or
    /// drops a model with all its versions.
    pub fn registry_rows(&self) -> Vec<RegistryRow> {
        let Some(report) = &self.registry_report else { return Vec::new() };
        let mut order: Vec<usize> = (0..report.models.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&report.models[a], &report.models[b]);
            b.health.cmp(&a.health).then_with(|| a.model.cmp(&b.model))
        });
        let mut rows = Vec::new();
        for m in order {
            let model = &report.models[m];
            if let Some(filter) = &self.fleet.filter {
                let mut texts: Vec<&str> = vec![&model.model];
                texts.extend(model.metrics_model.as_deref());
                texts.extend(model.aliases.keys().map(String::as_str));
                if !filter.matches_text(&texts) {
                    continue;
                }
            }
            rows.push(RegistryRow::Model(m));
            rows.extend((0..model.versions.len()).map(|v| RegistryRow::Version(m, v)));
        }
        rows
    }

    /// The registry model under the registry view's cursor.
    pub fn selected_registry_model(&self) -> Option<&registry_join::ModelEntry> {
        let report = self.registry_report.as_ref()?;
        match self.registry_rows().get(self.registry_table.selected)? {
            RegistryRow::Model(m) | RegistryRow::Version(m, _) => report.models.get(*m),
        }
    }

    /// Takes in a new alerts snapshot and updates the fleet's alert column.
    pub fn apply_alerts(&mut self, feed: Feed<AlertsSnapshot>) {
        self.alerts = feed;
        let rows = self.alert_rows().len();
        self.alerts_table.scroll(rows, crate::ui::layout::fleet_body_rows(self.height));
        self.attach_alert_counts();
        self.fleet.recompute_rows();
    }

    /// Takes in a new SLO evaluation and updates the fleet's budget column.
    pub fn apply_slo(&mut self, feed: Feed<Vec<SloEntry>>) {
        self.slo = feed;
        let rows = self.slo_rows().len();
        self.slo_table.scroll(rows, crate::ui::layout::fleet_body_rows(self.height));
        self.attach_budgets();
        self.fleet.recompute_rows();
    }

    fn attach_budgets(&mut self) {
        let (Some(report), Some(slos)) = (self.fleet.report.as_mut(), self.slo.latest.as_ref()) else { return };
        for model in &mut report.models {
            // The SLO closest to running out speaks for the model.
            model.budget_remaining = slos
                .iter()
                .filter(|s| s.model == model.model)
                .filter_map(|s| s.state.budget_remaining)
                .min_by(f64::total_cmp);
        }
    }

    /// The SLOs the SLO view lists (filtered like the fleet).
    pub fn slo_rows(&self) -> Vec<&SloEntry> {
        let Some(slos) = &self.slo.latest else { return Vec::new() };
        slos.iter()
            .filter(|s| self.fleet.filter.as_ref().is_none_or(|f| f.matches_text(&[&s.name, &s.model, s.kind])))
            .collect()
    }

    fn attach_alert_counts(&mut self) {
        let (Some(report), Some(snapshot)) = (self.fleet.report.as_mut(), self.alerts.latest.as_ref()) else {
            return;
        };
        report.attach_alerts(&snapshot.alerts);
    }

    /// The alerts the alerts view lists (filtered like the fleet).
    pub fn alert_rows(&self) -> Vec<&AlertEntry> {
        let Some(snapshot) = &self.alerts.latest else { return Vec::new() };
        snapshot.alerts.iter().filter(|a| self.fleet.filter.as_ref().is_none_or(|f| f.matches_alert(a))).collect()
    }

    /// Where the fleet on screen came from: the degraded-mode label when
    /// the source fell back to scraping the servers directly.
    pub fn degraded(&self) -> Option<&str> {
        self.feed.latest.as_ref().and_then(|m| m.via.as_deref())
    }

    /// Every model in the fleet, for `:model` completion.
    pub fn model_names(&self) -> Vec<String> {
        self.fleet.report.as_ref().map(|r| r.models.iter().map(|m| m.model.clone()).collect()).unwrap_or_default()
    }

    /// How fresh the fleet data is.
    pub fn freshness(&self) -> Freshness {
        self.freshness_of(&self.feed)
    }

    pub fn freshness_of<T>(&self, feed: &Feed<T>) -> Freshness {
        if let Some(at) = self.session.pinned_at {
            return match (&feed.latest, &feed.error) {
                (None, Some(e)) => Freshness::Unreachable { error: e.message.clone() },
                (None, None) => Freshness::Loading,
                _ => Freshness::Pinned(at),
            };
        }
        self.live_freshness_of(feed)
    }

    /// How fresh a feed that is always read as of now is (the registry:
    /// registries keep no history), even while the rest shows the past.
    pub fn live_freshness_of<T>(&self, feed: &Feed<T>) -> Freshness {
        match (feed.latest_fetched_at, &feed.error) {
            (None, None) => Freshness::Loading,
            (None, Some(e)) => Freshness::Unreachable { error: e.message.clone() },
            (Some(fetched), error) => {
                let age = (self.now - fetched).num_seconds().max(0) as u64;
                let stale_after = self.session.refresh.as_secs().saturating_mul(2).max(5);
                if error.is_some() || age > stale_after {
                    Freshness::Stale { age_seconds: age, error: error.as_ref().map(|e| e.message.clone()) }
                } else {
                    Freshness::Live { updated: fetched }
                }
            }
        }
    }
}

/// Judges every model of one fleet snapshot.
pub fn build_report(
    metrics: &FleetMetrics,
    context: &str,
    thresholds: &HealthThresholds,
    provenance: &Provenance,
) -> FleetReport {
    FleetReport {
        at: metrics.at,
        context: context.to_string(),
        models: metrics.models.iter().map(|m| health::assess(m, thresholds, provenance)).collect(),
    }
}
