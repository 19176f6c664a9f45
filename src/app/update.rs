//! The reducer: the only code that changes `AppState`. It takes one message
//! and says whether the screen must be redrawn and what the runner should do
//! outside the state (quit, suspend, refresh, switch context, load a theme).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::action::{Action, Mode};
use crate::app::change::{self, Change, Draft};
use crate::app::command::{self, Command, Vocabulary};
use crate::app::fleet_table::Filter;
use crate::app::playbooks::{self, PlanAsk, RunAsk};
use crate::app::state::{AppState, Flash, Freshness, ModelView, Prompt, PromptKind, View};
use crate::collect::Feed;
use crate::core::fleet::FleetMetrics;
use crate::core::model_detail::ModelDetail;
use crate::playbook::plan::Plan;
use crate::playbook::run::RunEvent;
use crate::sources::AlertsSnapshot;
use crate::ui::layout;
use crate::ui::theme::Theme;

/// Everything that can happen to the console.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Feed(Feed<FleetMetrics>),
    Alerts(Feed<AlertsSnapshot>),
    ModelFeed(Feed<ModelDetail>),
    Slo(Feed<Vec<crate::core::slo::SloEntry>>),
    SloSeries(Feed<crate::core::slo::SloSeries>),
    Registry(Feed<Vec<crate::core::registry::RegisteredModel>>),
    /// A change the runner carried out (or failed to): the sentence to show.
    ChangeDone(Result<String, String>),
    /// The wall clock moved (sent only while something time-dependent is shown).
    Clock(DateTime<Utc>),
    ThemeLoaded(Result<Theme, String>),
    /// Something the runner tried failed (e.g. switching context): say so.
    Error(String),
    /// A plan the runner made for the playbooks view (matched by its ticket).
    Planned {
        ticket: u64,
        result: Box<Result<Plan, Vec<String>>>,
    },
    /// The runner started a playbook run under this id, for this actor.
    RunStarted {
        run_id: String,
        actor: String,
    },
    /// One event of the playbook run under way; `None` when its channel
    /// closed (the run's task is gone).
    Run(Option<RunEvent>),
}

/// Work for the runner: things that touch the world outside the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    Suspend,
    Refresh,
    SwitchContext(String),
    LoadTheme(String),
    /// Carry out a change the operator confirmed (already past the gate).
    Apply(Change),
    /// Start following one model over a range (the model view).
    WatchModel {
        model: String,
        range: std::time::Duration,
    },
    /// Start following one SLO over its period (the SLO detail view).
    WatchSlo(crate::core::slo::SloDefinition),
    /// Move every view to a past instant, or back to live with `None`.
    TimeTravel(Option<DateTime<Utc>>),
    /// Make a playbook's plan (reads only) and send it back as `Msg::Planned`.
    Plan(Box<PlanAsk>),
    /// Run a plan (already past the typed confirmation and the re-plan),
    /// its events coming back as `Msg::Run`.
    RunPlaybook(Box<RunAsk>),
}

#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub redraw: bool,
    pub effect: Option<Effect>,
}

impl Outcome {
    pub(crate) fn redraw() -> Self {
        Outcome { redraw: true, effect: None }
    }
    pub(crate) fn effect(effect: Effect) -> Self {
        Outcome { redraw: true, effect: Some(effect) }
    }
    pub(crate) fn nothing() -> Self {
        Outcome::default()
    }
}

pub fn update(state: &mut AppState, msg: Msg) -> Outcome {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            let rows = layout::fleet_body_rows(height);
            state.fleet.scroll_to_cursor(rows);
            Outcome::redraw()
        }
        Msg::Feed(feed) => {
            state.apply_feed(feed);
            let rows = layout::fleet_body_rows(state.height);
            state.fleet.scroll_to_cursor(rows);
            Outcome::redraw()
        }
        Msg::Alerts(feed) => {
            state.apply_alerts(feed);
            Outcome::redraw()
        }
        Msg::Slo(feed) => {
            state.apply_slo(feed);
            Outcome::redraw()
        }
        Msg::Registry(feed) => {
            state.apply_registry(feed);
            Outcome { redraw: matches!(state.view, View::Registry | View::Model), effect: None }
        }
        Msg::SloSeries(feed) => {
            let Some(detail) = state.slo_detail.as_mut() else { return Outcome::nothing() };
            detail.feed = feed;
            Outcome { redraw: state.view == View::SloDetail, effect: None }
        }
        Msg::ModelFeed(feed) => {
            let Some(view) = state.model_view.as_mut() else { return Outcome::nothing() };
            // A late answer for another model or range is dropped.
            let current = |d: &ModelDetail| d.model == view.model && d.range_seconds == view.range().as_secs();
            if feed.latest.as_deref().is_some_and(|d| !current(d)) {
                return Outcome::nothing();
            }
            view.feed = feed;
            Outcome { redraw: state.view == View::Model, effect: None }
        }
        Msg::ChangeDone(result) => {
            state.flash = Some(match result {
                Ok(text) => Flash { text, is_error: false },
                Err(text) => Flash { text, is_error: true },
            });
            Outcome::redraw()
        }
        Msg::Clock(now) => {
            let before = state.freshness();
            state.now = now;
            Outcome { redraw: state.freshness() != before, effect: None }
        }
        Msg::ThemeLoaded(Ok(theme)) => {
            state.flash = Some(Flash { text: format!("theme {}", theme.name), is_error: false });
            state.theme = theme;
            Outcome::redraw()
        }
        Msg::ThemeLoaded(Err(e)) | Msg::Error(e) => {
            state.flash = Some(Flash { text: e, is_error: true });
            Outcome::redraw()
        }
        Msg::Planned { ticket, result } => playbooks::planned(state, ticket, *result),
        Msg::RunStarted { run_id, actor } => playbooks::run_started(state, run_id, actor),
        Msg::Run(event) => playbooks::run_event(state, event),
    }
}

/// The modes whose bindings apply right now, most specific first.
pub fn active_modes(state: &AppState) -> &'static [Mode] {
    if state.prompt.is_some() {
        &[Mode::Prompt]
    } else if state.help_open {
        &[Mode::Help, Mode::Global]
    } else if state.view == View::Playbooks && state.playbooks.typing() {
        &[Mode::Form]
    } else {
        view_modes(state.view)
    }
}

/// The modes of a view, most specific first (the help overlay lists these).
pub fn view_modes(view: View) -> &'static [Mode] {
    match view {
        View::Fleet => &[Mode::Fleet, Mode::Table, Mode::Global],
        View::Alerts => &[Mode::Alerts, Mode::Table, Mode::Global],
        View::Model => &[Mode::Model, Mode::Global],
        View::Slo | View::Registry => &[Mode::Table, Mode::Global],
        View::SloDetail => &[Mode::Global],
        View::Playbooks => &[Mode::Playbook, Mode::Table, Mode::Global],
    }
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Outcome {
    if key.kind == KeyEventKind::Release {
        return Outcome::nothing();
    }
    // Ctrl-C always quits, whatever the keymap or mode.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Outcome::effect(Effect::Quit);
    }
    let had_flash = state.flash.take().is_some();
    if state.prompt.is_some() {
        return on_prompt_key(state, key);
    }
    if state.view == View::Playbooks && state.playbooks.typing() && !state.help_open {
        return playbooks::on_form_key(state, key);
    }
    let action = state.keymap.action(active_modes(state), &key);
    // Quitting during a run asks once: any other key takes the question back
    // (`:` too would, but then `:q` could never be answered with `:q`).
    if !matches!(action, Some(Action::Quit | Action::CommandLine)) {
        state.playbooks.quit_asked = false;
    }
    match action {
        Some(action) => on_action(state, action),
        None => Outcome { redraw: had_flash, effect: None },
    }
}

/// `q` and `:q`. While a playbook run is under way the first one asks:
/// quitting stops the run wherever it is (its registry lease lapses after
/// 15 minutes, the audit log shows where it stopped). Ctrl-C and SIGTERM
/// still quit at once, as they always do.
fn quit(state: &mut AppState) -> Outcome {
    if state.playbooks.running() && !state.playbooks.quit_asked {
        state.playbooks.quit_asked = true;
        let what = state.playbooks.run.as_ref().map_or_else(String::new, |r| r.plan.playbook.clone());
        state.flash =
            Some(Flash { text: format!("{what} is running: q again quits and stops it mid-way"), is_error: true });
        return Outcome::redraw();
    }
    Outcome::effect(Effect::Quit)
}

pub fn on_action(state: &mut AppState, action: Action) -> Outcome {
    let page = layout::fleet_body_rows(state.height).max(1);
    if state.view == View::Playbooks
        && !state.help_open
        && let Some(outcome) = playbooks::on_action(state, action)
    {
        return outcome;
    }
    match action {
        Action::Quit => quit(state),
        Action::Playbooks => {
            let model = playbooks::model_in_view(state);
            playbooks::open(state, model)
        }
        // Only the plan screen runs (handled above); elsewhere r means nothing.
        Action::RunPlaybook => Outcome::nothing(),
        // Form keys arrive through `playbooks::on_form_key`.
        Action::NextField | Action::PreviousField | Action::SubmitForm | Action::CancelForm => Outcome::nothing(),
        Action::Suspend => Outcome::effect(Effect::Suspend),
        Action::Refresh => {
            state.flash = Some(Flash { text: "refreshing…".into(), is_error: false });
            Outcome::effect(Effect::Refresh)
        }
        Action::Help => {
            state.help_open = !state.help_open;
            Outcome::redraw()
        }
        Action::CloseHelp => {
            state.help_open = false;
            Outcome::redraw()
        }
        Action::Back => {
            if state.help_open {
                state.help_open = false;
            } else if state.fleet.filter.is_some() {
                state.fleet.filter = None;
                state.fleet.recompute_rows();
                state.fleet.scroll_to_cursor(page);
            } else {
                return go_back(state);
            }
            Outcome::redraw()
        }
        Action::PreviousView => go_back(state),
        Action::Open if state.view == View::Slo => {
            let Some(entry) = state.slo_rows().get(state.slo_table.selected).map(|e| (*e).clone()) else {
                return Outcome::nothing();
            };
            let definition = entry.definition();
            state.slo_detail =
                Some(crate::app::state::SloDetail { definition: definition.clone(), feed: Feed::empty(String::new()) });
            open_view(state, View::SloDetail);
            Outcome::effect(Effect::WatchSlo(definition))
        }
        Action::Open if state.view == View::Registry => {
            let Some(entry) = state.selected_registry_model() else { return Outcome::nothing() };
            match entry.metrics_model.clone() {
                Some(model) => open_model(state, &model),
                None => {
                    let text = format!(
                        "{} is not in this context's metrics (registry_name and registry_names map the names)",
                        entry.model
                    );
                    state.flash = Some(Flash { text, is_error: true });
                    Outcome::redraw()
                }
            }
        }
        Action::Open => {
            let model = match state.view {
                View::Fleet => state.fleet.selected_model().map(str::to_owned),
                View::Alerts => selected_alert(state).and_then(|a| a.model),
                View::SloDetail => state.slo_detail.as_ref().map(|d| d.definition.model.clone()),
                View::Slo | View::Model | View::Registry | View::Playbooks => None,
            };
            match model {
                Some(model) => open_model(state, &model),
                None => Outcome::nothing(),
            }
        }
        Action::RangeLonger | Action::RangeShorter => {
            let Some(view) = state.model_view.as_mut() else { return Outcome::nothing() };
            let last = crate::core::model_detail::RANGES.len() - 1;
            let range =
                if action == Action::RangeLonger { (view.range + 1).min(last) } else { view.range.saturating_sub(1) };
            if range == view.range {
                return Outcome::nothing();
            }
            view.range = range;
            view.feed = Feed::empty(String::new());
            Outcome::effect(Effect::WatchModel { model: view.model.clone(), range: view.range() })
        }
        Action::CycleQuantile => {
            let Some(view) = state.model_view.as_mut() else { return Outcome::nothing() };
            view.quantile = view.quantile.next();
            Outcome::redraw()
        }
        Action::TimeTravel => {
            let current = state.session.pinned_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            let text = format!("at {}", current.unwrap_or_else(|| "-1h".into()));
            state.prompt = Some(Prompt::new(PromptKind::Command, &text, None));
            Outcome::redraw()
        }
        Action::Silence => start_silence(state),
        Action::ExpireSilence => start_expiry(state),
        Action::CommandLine => {
            state.prompt = Some(Prompt::new(PromptKind::Command, "", None));
            Outcome::redraw()
        }
        Action::Filter => {
            let current = state.fleet.filter.as_ref().map(|f| f.text.clone()).unwrap_or_default();
            state.prompt = Some(Prompt::new(PromptKind::Filter, &current, state.fleet.filter.clone()));
            Outcome::redraw()
        }
        Action::Up => move_cursor(state, -1, page),
        Action::Down => move_cursor(state, 1, page),
        Action::PageUp => move_cursor(state, -(page as isize), page),
        Action::PageDown => move_cursor(state, page as isize, page),
        Action::Top => move_cursor(state, isize::MIN / 2, page),
        Action::Bottom => move_cursor(state, isize::MAX / 2, page),
        Action::SortNext | Action::SortPrevious | Action::SortReverse => {
            let sort = state.fleet.sort;
            state.fleet.sort = match action {
                Action::SortNext => sort.next(),
                Action::SortPrevious => sort.previous(),
                _ => sort.reversed(),
            };
            state.fleet.recompute_rows();
            state.fleet.scroll_to_cursor(page);
            Outcome::redraw()
        }
        // Prompt actions only mean something while typing.
        Action::Submit | Action::Cancel | Action::Complete | Action::HistoryPrevious | Action::HistoryNext => {
            Outcome::nothing()
        }
    }
}

/// Why a change cannot even be started here, if so.
fn refuse_change(state: &AppState) -> Option<String> {
    if let Some(reason) = &state.session.read_only {
        return Some(format!("read-only ({reason}): silences cannot be changed here"));
    }
    if !state.session.can_silence {
        return Some(format!("context {} has no Alertmanager to hold silences", state.session.context));
    }
    None
}

fn selected_alert(state: &AppState) -> Option<crate::core::alerts::AlertEntry> {
    state.alert_rows().get(state.alerts_table.selected).map(|a| (*a).clone())
}

fn start_silence(state: &mut AppState) -> Outcome {
    if let Some(why) = refuse_change(state) {
        state.flash = Some(Flash { text: why, is_error: true });
        return Outcome::redraw();
    }
    let Some(alert) = selected_alert(state) else { return Outcome::nothing() };
    if !alert.silenced_by.is_empty() {
        state.flash = Some(Flash { text: "already silenced — x expires the silence".into(), is_error: true });
        return Outcome::redraw();
    }
    let target = alert.model.clone().unwrap_or_else(|| alert.name.clone());
    state.draft = Some(Draft::Silence { labels: alert.labels.clone(), target, duration: None });
    state.prompt = Some(Prompt::new(PromptKind::SilenceDuration, change::SILENCE_DEFAULT, None));
    Outcome::redraw()
}

fn start_expiry(state: &mut AppState) -> Outcome {
    if let Some(why) = refuse_change(state) {
        state.flash = Some(Flash { text: why, is_error: true });
        return Outcome::redraw();
    }
    let Some(alert) = selected_alert(state) else { return Outcome::nothing() };
    let Some(id) = alert.silenced_by.first().cloned() else {
        state.flash = Some(Flash { text: "this alert is not silenced".into(), is_error: true });
        return Outcome::redraw();
    };
    let target = alert.model.clone().unwrap_or_else(|| alert.name.clone());
    state.draft = Some(Draft::Expire { id, target });
    state.prompt = Some(Prompt::new(PromptKind::Reason, "", None));
    Outcome::redraw()
}

/// Opens the model view on `model` and asks the runner to follow it.
pub fn open_model(state: &mut AppState, model: &str) -> Outcome {
    let keep = state.model_view.as_ref().is_some_and(|v| v.model == model);
    if !keep {
        state.model_view = Some(ModelView::new(model));
    }
    open_view(state, View::Model);
    let view = state.model_view.as_ref().expect("just set");
    Outcome::effect(Effect::WatchModel { model: view.model.clone(), range: view.range() })
}

pub(crate) fn go_back(state: &mut AppState) -> Outcome {
    match state.previous_views.pop() {
        Some(view) => {
            state.view = view;
            Outcome::redraw()
        }
        None => {
            state.flash = Some(Flash { text: "nothing to go back to — q quits".into(), is_error: false });
            Outcome::redraw()
        }
    }
}

/// Switches to `view`, remembering where we came from.
pub fn open_view(state: &mut AppState, view: View) {
    state.help_open = false;
    if state.view != view {
        state.previous_views.push(state.view);
        // A long session of hopping must not grow without bound.
        if state.previous_views.len() > 32 {
            state.previous_views.remove(0);
        }
        state.view = view;
    }
}

fn move_cursor(state: &mut AppState, delta: isize, page: usize) -> Outcome {
    if state.view == View::Alerts {
        let rows = state.alert_rows().len();
        let moved = state.alerts_table.move_by(delta, rows, page);
        return Outcome { redraw: moved, effect: None };
    }
    if state.view == View::Slo {
        let rows = state.slo_rows().len();
        let moved = state.slo_table.move_by(delta, rows, page);
        return Outcome { redraw: moved, effect: None };
    }
    if state.view == View::Registry {
        let rows = state.registry_rows().len();
        let moved = state.registry_table.move_by(delta, rows, page);
        return Outcome { redraw: moved, effect: None };
    }
    let rows = state.fleet.rows.len();
    if rows == 0 {
        return Outcome::nothing();
    }
    let target = (state.fleet.selected as isize).saturating_add(delta).clamp(0, rows as isize - 1) as usize;
    let changed = target != state.fleet.selected;
    state.fleet.selected = target;
    state.fleet.scroll_to_cursor(page);
    Outcome { redraw: changed, effect: None }
}

fn on_prompt_key(state: &mut AppState, key: KeyEvent) -> Outcome {
    let action = state.keymap.action(&[Mode::Prompt], &key);
    let Some(prompt) = state.prompt.as_mut() else {
        return Outcome::nothing();
    };
    match action {
        Some(Action::Submit) => submit_prompt(state),
        Some(Action::Cancel) => {
            let prompt = state.prompt.take();
            if let Some(p) = prompt {
                match p.kind {
                    PromptKind::Filter => {
                        state.fleet.filter = p.filter_before;
                        state.fleet.recompute_rows();
                    }
                    PromptKind::SilenceDuration | PromptKind::Reason | PromptKind::Confirm => {
                        state.draft = None;
                        state.confirming = None;
                        state.flash = Some(Flash { text: "cancelled: nothing changed".into(), is_error: false });
                    }
                    PromptKind::Command => {}
                }
            }
            Outcome::redraw()
        }
        Some(Action::Complete) => {
            complete(state);
            Outcome::redraw()
        }
        Some(Action::HistoryPrevious) | Some(Action::HistoryNext) => {
            if prompt.kind == PromptKind::Command && !state.command_history.is_empty() {
                let last = state.command_history.len() - 1;
                let index = match (action, prompt.history_index) {
                    (Some(Action::HistoryPrevious), None) => Some(last),
                    (Some(Action::HistoryPrevious), Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i < last => Some(i + 1),
                    _ => None,
                };
                let text = index.map(|i| state.command_history[i].clone()).unwrap_or_default();
                prompt.set_text(&text);
                prompt.history_index = index;
            }
            Outcome::redraw()
        }
        _ => {
            prompt.input.input(key);
            // A single-line editor: whatever inserted a newline is undone.
            if prompt.input.lines().len() > 1 {
                let joined = prompt.text();
                prompt.set_text(&joined);
            }
            prompt.completions.clear();
            prompt.completion_index = None;
            if prompt.kind == PromptKind::Filter {
                let typed = prompt.text();
                state.fleet.filter = Filter::parse(&typed);
                state.fleet.recompute_rows();
                state.fleet.scroll_to_cursor(layout::fleet_body_rows(state.height));
            }
            Outcome::redraw()
        }
    }
}

fn submit_prompt(state: &mut AppState) -> Outcome {
    let Some(prompt) = state.prompt.take() else {
        return Outcome::nothing();
    };
    let text = prompt.text().trim().to_string();
    match prompt.kind {
        PromptKind::SilenceDuration => match change::parse_silence_duration(&text) {
            Ok(d) => {
                if let Some(Draft::Silence { duration, .. }) = state.draft.as_mut() {
                    *duration = Some(d);
                }
                state.prompt = Some(Prompt::new(PromptKind::Reason, "", None));
                Outcome::redraw()
            }
            Err(message) => {
                // Keep the prompt open with what was typed, so it can be fixed.
                state.prompt = Some(prompt);
                state.flash = Some(Flash { text: message, is_error: true });
                Outcome::redraw()
            }
        },
        PromptKind::Reason => {
            let built = state.draft.as_ref().and_then(|d| d.with_reason(&text));
            match built {
                _ if text.is_empty() => {
                    state.prompt = Some(prompt);
                    state.flash = Some(Flash { text: "a reason is required: it is recorded".into(), is_error: true });
                }
                Some(change) => {
                    state.draft = None;
                    state.confirming = Some(change);
                    state.prompt = Some(Prompt::new(PromptKind::Confirm, "", None));
                }
                None => state.draft = None,
            }
            Outcome::redraw()
        }
        PromptKind::Confirm => {
            let Some(change) = state.confirming.take() else { return Outcome::redraw() };
            if text != change.target() {
                state.flash = Some(Flash {
                    text: format!("typed `{text}`, not `{}`: nothing changed", change.target()),
                    is_error: true,
                });
                return Outcome::redraw();
            }
            // The gate has the last word, even after confirmation.
            if let Some(reason) = &state.session.read_only {
                state.flash = Some(Flash { text: format!("read-only ({reason}): nothing changed"), is_error: true });
                return Outcome::redraw();
            }
            state.flash = Some(Flash { text: format!("{}…", change.describe()), is_error: false });
            Outcome::effect(Effect::Apply(change))
        }
        PromptKind::Filter => {
            if let Some(error) = state.fleet.filter.as_ref().and_then(|f| f.regex_error.clone()) {
                state.flash =
                    Some(Flash { text: format!("not a regex ({error}); matching the text literally"), is_error: true });
            }
            Outcome::redraw()
        }
        PromptKind::Command => {
            if text.is_empty() {
                return Outcome::redraw();
            }
            if state.command_history.last() != Some(&text) {
                state.command_history.push(text.clone());
            }
            let models = state.model_names();
            let names = state.playbooks.names();
            let vocabulary = Vocabulary {
                contexts: &state.session.contexts,
                themes: &state.session.themes,
                models: &models,
                playbooks: &names,
            };
            match command::parse(&text, &vocabulary) {
                Ok(Command::Fleet) => {
                    open_view(state, View::Fleet);
                    Outcome::redraw()
                }
                Ok(Command::Alerts) => {
                    open_view(state, View::Alerts);
                    Outcome::redraw()
                }
                Ok(Command::Slo) => {
                    open_view(state, View::Slo);
                    Outcome::redraw()
                }
                Ok(Command::Registry) => {
                    open_view(state, View::Registry);
                    Outcome::redraw()
                }
                Ok(Command::Playbooks) => playbooks::open(state, None),
                Ok(Command::Playbook(name)) => {
                    let model = playbooks::model_in_view(state);
                    playbooks::open_playbook(state, &name, model)
                }
                Ok(Command::Model(name)) => open_model(state, &name),
                Ok(Command::At(text)) => {
                    if text == "now" || text == "live" {
                        return Outcome::effect(Effect::TimeTravel(None));
                    }
                    match crate::core::timeref::parse_at(&text, state.now) {
                        Ok(at) => Outcome::effect(Effect::TimeTravel(Some(at))),
                        Err(e) => {
                            state.flash = Some(Flash { text: format!(":at {e}"), is_error: true });
                            Outcome::redraw()
                        }
                    }
                }
                Ok(Command::Help) => {
                    state.help_open = true;
                    Outcome::redraw()
                }
                Ok(Command::Quit) => quit(state),
                Ok(Command::Context(name)) => Outcome::effect(Effect::SwitchContext(name)),
                Ok(Command::Theme(name)) => Outcome::effect(Effect::LoadTheme(name)),
                Err(message) => {
                    state.flash = Some(Flash { text: message, is_error: true });
                    Outcome::redraw()
                }
            }
        }
    }
}

fn complete(state: &mut AppState) {
    let models = state.model_names();
    let names = state.playbooks.names();
    let vocabulary = Vocabulary {
        contexts: &state.session.contexts,
        themes: &state.session.themes,
        models: &models,
        playbooks: &names,
    };
    let Some(prompt) = state.prompt.as_mut() else { return };
    if prompt.kind != PromptKind::Command {
        return;
    }
    if prompt.completions.is_empty() {
        prompt.completions = command::completions(&prompt.text(), &vocabulary);
        prompt.completion_index = None;
    }
    if prompt.completions.is_empty() {
        return;
    }
    let next = prompt.completion_index.map_or(0, |i| (i + 1) % prompt.completions.len());
    let text = prompt.completions[next].clone();
    let completions = std::mem::take(&mut prompt.completions);
    prompt.set_text(&text);
    // A single match is final: the next Tab completes from the new text
    // (`ctx ` → the context names). Several matches cycle.
    if completions.len() > 1 {
        prompt.completions = completions;
        prompt.completion_index = Some(next);
    }
}

/// The next instant at which the screen would look different with no new
/// data or input: when live data turns stale, then once a second while a
/// stale age counts up. `None` means the runner may sleep until an event —
/// an idle console draws nothing.
pub fn next_clock_change(state: &AppState) -> Option<DateTime<Utc>> {
    match state.freshness() {
        Freshness::Live { updated } => {
            let stale_after = state.session.refresh.as_secs().saturating_mul(2).max(5) as i64;
            Some(updated + chrono::Duration::seconds(stale_after + 1))
        }
        Freshness::Stale { .. } => Some(state.now + chrono::Duration::seconds(1)),
        _ => None,
    }
}
