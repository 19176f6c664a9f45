//! The playbooks view as a stage machine: pick a playbook, fill in its
//! parameters, read the plan, confirm a change by typing its target and a
//! reason, plan again just before running (refusing when the state moved
//! meanwhile, as `vigil playbook run` does), then follow the run.
//!
//! Everything here is pure: planning and running are [`Effect`]s the
//! runner carries out, and their answers come back as messages. A ticket
//! on every planning request lets a late answer for an abandoned stage be
//! dropped instead of landing on the wrong screen.

mod answers;
pub mod form;
pub mod run_view;
mod typing;

pub use answers::{planned, run_event, run_started};
pub use typing::{Confirm, on_form_key};

use std::collections::BTreeMap;

use crate::app::action::Action;
use crate::app::state::{AppState, Flash, TableCursor, View};
use crate::app::update::{Effect, Outcome, open_view};
use crate::playbook::plan::{Plan, PlanRequest, StepState};
use crate::playbook::spec::Playbook;

use self::form::Form;
use self::run_view::RunView;

/// The playbooks view: the library, where the operator is, and the run.
#[derive(Debug, Clone)]
pub struct Playbooks {
    /// The playbooks this session can run (loaded once at start), or why
    /// they could not be loaded — shown in the view, never a crash.
    pub library: Result<Vec<Playbook>, String>,
    pub list: TableCursor,
    /// The model the view was opened for: `default = "selected"` parameters get it.
    pub model: Option<String>,
    pub stage: Stage,
    /// The run under way, or the last one (kept when it ends: `:playbooks` shows it).
    pub run: Option<RunView>,
    /// `q` was pressed once while a run is under way: a second one quits.
    pub quit_asked: bool,
    last_ticket: u64,
}

// One stage per session, replaced a few times a minute at most: boxing
// the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Stage {
    List,
    Form(Form),
    Planning {
        form: Form,
        ask: PlanAsk,
    },
    /// The plan could not be made: every problem, then back to the form.
    Failed {
        form: Form,
        problems: Vec<String>,
    },
    Plan(PlanScreen),
    Confirm {
        screen: PlanScreen,
        confirm: Confirm,
    },
    /// Confirmed: planning again to check nothing moved before it runs.
    Replanning {
        screen: PlanScreen,
        ask: PlanAsk,
        reason: String,
    },
    /// The run under way or the last one; `scroll` is its first line on screen.
    Run {
        scroll: usize,
    },
}

impl Stage {
    pub fn name(&self) -> &'static str {
        match self {
            Stage::List => "list",
            Stage::Form(_) => "form",
            Stage::Planning { .. } => "planning",
            Stage::Failed { .. } => "failed",
            Stage::Plan(_) => "plan",
            Stage::Confirm { .. } => "confirm",
            Stage::Replanning { .. } => "replanning",
            Stage::Run { .. } => "run",
        }
    }
}

/// A plan on screen, with the form it came from (esc goes back to it).
#[derive(Debug, Clone)]
pub struct PlanScreen {
    pub form: Form,
    /// What the plan was made from: asked again, with the reason, before running.
    pub ask: PlanAsk,
    pub plan: Plan,
    /// First line on screen.
    pub scroll: usize,
    /// Why this plan is shown again (the state changed while confirming).
    pub note: Option<String>,
}

/// A plan the runner should make.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanAsk {
    pub ticket: u64,
    pub playbook: Playbook,
    pub given: BTreeMap<String, String>,
    pub selected_model: Option<String>,
    pub reason: Option<String>,
}

impl PlanAsk {
    /// The engine's request; the actor is the runner's to fill in (it reads the environment).
    pub fn request(&self, actor: String) -> PlanRequest {
        PlanRequest {
            given: self.given.clone(),
            selected_model: self.selected_model.clone(),
            reason: self.reason.clone(),
            actor,
        }
    }
}

/// A run the runner should start: past the typed confirmation when it changes things.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAsk {
    pub plan: Plan,
    pub reason: String,
    pub confirmed: bool,
}

impl Playbooks {
    pub fn new(library: Result<Vec<Playbook>, String>) -> Playbooks {
        Playbooks {
            library,
            list: TableCursor::default(),
            model: None,
            stage: Stage::List,
            run: None,
            quit_asked: false,
            last_ticket: 0,
        }
    }

    /// A run has started and not yet ended.
    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.finished())
    }

    /// The stage takes text (the form or the confirmation): keys go to its fields.
    pub fn typing(&self) -> bool {
        matches!(self.stage, Stage::Form(_) | Stage::Confirm { .. })
    }

    pub fn names(&self) -> Vec<String> {
        self.library.as_ref().map(|l| l.iter().map(|p| p.name.clone()).collect()).unwrap_or_default()
    }

    /// The playbooks the list shows, as indices into the library.
    pub fn rows(&self, filter: Option<&crate::app::fleet_table::Filter>) -> Vec<usize> {
        let Ok(library) = &self.library else { return Vec::new() };
        library
            .iter()
            .enumerate()
            .filter(|(_, p)| filter.is_none_or(|f| f.matches_text(&[&p.name, &p.description])))
            .map(|(i, _)| i)
            .collect()
    }

    /// The playbook under the list's cursor.
    pub fn selected(&self, filter: Option<&crate::app::fleet_table::Filter>) -> Option<&Playbook> {
        let index = *self.rows(filter).get(self.list.selected)?;
        self.library.as_ref().ok()?.get(index)
    }

    /// The playbook being worked on, in any stage past the list.
    pub fn current(&self) -> Option<&Playbook> {
        match &self.stage {
            Stage::List => None,
            Stage::Form(form) | Stage::Planning { form, .. } | Stage::Failed { form, .. } => Some(&form.playbook),
            Stage::Plan(screen) | Stage::Confirm { screen, .. } | Stage::Replanning { screen, .. } => {
                Some(&screen.form.playbook)
            }
            Stage::Run { .. } => None,
        }
    }

    /// Another context: a plan made for the old one must not run in the new
    /// one. A run under way goes on (it holds its own context) and stays shown.
    pub fn context_changed(&mut self) {
        if !matches!(self.stage, Stage::Run { .. }) {
            self.stage = Stage::List;
        }
    }

    fn ticket(&mut self) -> u64 {
        self.last_ticket += 1;
        self.last_ticket
    }
}

fn flash(state: &mut AppState, text: impl Into<String>, is_error: bool) {
    state.flash = Some(Flash { text: text.into(), is_error });
}

/// The registry's name for the model on the current view's cursor, if any.
pub fn model_in_view(state: &AppState) -> Option<String> {
    let mapped = |label: &str| state.session.registry_names.registry_name(label);
    match state.view {
        View::Fleet => state.fleet.selected_model().map(mapped),
        View::Model => state.model_view.as_ref().map(|v| mapped(&v.model)),
        View::Registry => state.selected_registry_model().map(|m| m.model.clone()),
        View::Alerts => {
            state.alert_rows().get(state.alerts_table.selected).and_then(|a| a.model.as_deref()).map(mapped)
        }
        View::Slo => state.slo_rows().get(state.slo_table.selected).map(|s| mapped(&s.model)),
        View::SloDetail => state.slo_detail.as_ref().map(|d| mapped(&d.definition.model)),
        View::Playbooks => None,
    }
}

/// Opens the view. With a model (the key on a model row), the list starts
/// afresh for it, unless the operator is already working on that model; a
/// run under way always stays on screen. Without one (`:playbooks`), the
/// view is as it was left: the form, the plan, the running or last run.
pub fn open(state: &mut AppState, model: Option<String>) -> Outcome {
    let pb = &mut state.playbooks;
    if pb.running() {
        if !matches!(pb.stage, Stage::Run { .. }) {
            pb.stage = Stage::Run { scroll: 0 };
        }
        if model.is_some_and(|m| Some(&m) != pb.model.as_ref()) {
            flash(state, "a run is under way: it stays here until it ends", false);
        }
    } else if let Some(model) = model {
        let same = pb.model.as_ref() == Some(&model);
        if !same || matches!(pb.stage, Stage::Run { .. }) {
            pb.model = Some(model);
            pb.stage = Stage::List;
        }
    }
    open_view(state, View::Playbooks);
    Outcome::redraw()
}

/// `:playbook NAME`: straight to its form.
pub fn open_playbook(state: &mut AppState, name: &str, model: Option<String>) -> Outcome {
    let outcome = open(state, model);
    if state.playbooks.running() {
        return outcome;
    }
    let pb = &mut state.playbooks;
    let Some(playbook) = pb.library.as_ref().ok().and_then(|l| l.iter().find(|p| p.name == name)).cloned() else {
        return outcome;
    };
    pb.stage = Stage::Form(Form::new(&playbook, pb.model.as_deref()));
    Outcome::redraw()
}

/// What the table, playbook and global keys do in this view; `None` leaves
/// the action to the usual handling (the list's filter, help, quitting…).
pub fn on_action(state: &mut AppState, action: Action) -> Option<Outcome> {
    let page = crate::ui::layout::fleet_body_rows(state.height).max(1);
    let delta = match action {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-(page as isize)),
        Action::PageDown => Some(page as isize),
        Action::Top => Some(isize::MIN / 2),
        Action::Bottom => Some(isize::MAX / 2),
        _ => None,
    };
    if let Some(delta) = delta {
        // Plans and runs keep a status line under their scrolling body.
        let page = match state.playbooks.stage {
            Stage::List => page,
            _ => crate::ui::views::playbooks::page_rows(state),
        };
        return Some(scroll(state, delta, page));
    }
    match (&state.playbooks.stage, action) {
        (Stage::List, Action::Open) => Some(pick(state)),
        (Stage::Plan(_), Action::Open | Action::RunPlaybook) => Some(go_ahead(state)),
        (Stage::List, Action::Back) => None,
        (_, Action::Back) => Some(back(state)),
        _ => None,
    }
}

fn scroll(state: &mut AppState, delta: isize, page: usize) -> Outcome {
    use crate::ui::views::playbooks::{plan, run};
    let filter = state.fleet.filter.clone();
    // Plans and runs wrap to the screen's width: the views count their lines.
    let lines = match &state.playbooks.stage {
        Stage::Plan(screen) => plan::line_count(state, &screen.plan, screen.note.as_deref(), state.width),
        Stage::Run { .. } => state.playbooks.run.as_ref().map_or(0, |r| run::line_count(state, r, state.width)),
        _ => 0,
    };
    let pb = &mut state.playbooks;
    let moved = match &mut pb.stage {
        Stage::List => {
            let rows = pb.rows(filter.as_ref()).len();
            pb.list.move_by(delta, rows, page)
        }
        Stage::Plan(screen) => move_scroll(&mut screen.scroll, delta, lines, page),
        Stage::Run { scroll } => move_scroll(scroll, delta, lines, page),
        _ => false,
    };
    Outcome { redraw: moved, effect: None }
}

/// Moves a scroll offset within `lines` lines shown `page` at a time.
fn move_scroll(offset: &mut usize, delta: isize, lines: usize, page: usize) -> bool {
    let max = lines.saturating_sub(page) as isize;
    let target = (*offset as isize).saturating_add(delta).clamp(0, max.max(0)) as usize;
    let moved = target != *offset;
    *offset = target;
    moved
}

fn pick(state: &mut AppState) -> Outcome {
    let filter = state.fleet.filter.clone();
    let pb = &mut state.playbooks;
    let Some(playbook) = pb.selected(filter.as_ref()).cloned() else { return Outcome::nothing() };
    pb.stage = Stage::Form(Form::new(&playbook, pb.model.as_deref()));
    Outcome::redraw()
}

/// `esc`: one stage back. A run cannot be taken back: esc leaves the view
/// while it runs (it goes on), and returns to the list once it has ended.
fn back(state: &mut AppState) -> Outcome {
    if state.playbooks.running() {
        return crate::app::update::go_back(state);
    }
    let stage = std::mem::replace(&mut state.playbooks.stage, Stage::List);
    state.playbooks.stage = match stage {
        Stage::Planning { form, .. } | Stage::Failed { form, .. } => Stage::Form(form),
        Stage::Plan(screen) => Stage::Form(screen.form),
        Stage::Replanning { screen, .. } => {
            flash(state, "cancelled: nothing ran", false);
            Stage::Plan(screen)
        }
        Stage::Run { .. } => Stage::List,
        other => other,
    };
    Outcome::redraw()
}

/// `r` (or enter) on a plan: refused at once when the session is read-only
/// or a step cannot run; a change goes to the typed confirmation; a plan
/// that only reads is planned again and run without asking.
fn go_ahead(state: &mut AppState) -> Outcome {
    let read_only = state.session.read_only.clone();
    let Stage::Plan(screen) = &state.playbooks.stage else { return Outcome::nothing() };
    let plan = &screen.plan;
    if plan.mutating
        && let Some(why) = read_only
    {
        flash(state, format!("read-only ({why}): nothing will run"), true);
        return Outcome::redraw();
    }
    if let Some((id, why)) = plan.preconditions.iter().chain(&plan.steps).find_map(|s| match &s.state {
        StepState::Unavailable(why) => Some((s.id.clone(), why.clone())),
        _ => None,
    }) {
        flash(state, format!("{id} cannot run: {why}; nothing will run"), true);
        return Outcome::redraw();
    }
    let Stage::Plan(screen) = std::mem::replace(&mut state.playbooks.stage, Stage::List) else { unreachable!() };
    if screen.plan.mutating {
        // Playbooks that name no confirmation text are confirmed by their name, as on the command line.
        let target = screen.plan.confirm.clone().unwrap_or_else(|| screen.plan.playbook.clone());
        state.playbooks.stage = Stage::Confirm { screen, confirm: Confirm::new(target) };
        return Outcome::redraw();
    }
    replan(state, screen, String::new())
}

/// Asks for the plan again, with the reason, before anything runs.
fn replan(state: &mut AppState, screen: PlanScreen, reason: String) -> Outcome {
    let pb = &mut state.playbooks;
    let ask = PlanAsk { ticket: pb.ticket(), reason: Some(reason.clone()), ..screen.ask.clone() };
    pb.stage = Stage::Replanning { screen, ask: ask.clone(), reason };
    Outcome::effect(Effect::Plan(Box::new(ask)))
}
