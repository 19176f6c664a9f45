//! Keys while the view takes text: the parameter form and the typed
//! confirmation. The form's own keys (next, previous, submit, cancel) come
//! from the keymap's `form` mode; every other key is typed.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::form::{text_area, text_of, type_key};
use super::{PlanAsk, Stage, flash, replan};
use crate::app::action::{Action, Mode};
use crate::app::state::AppState;
use crate::app::update::{Effect, Outcome};

/// The typed confirmation: the target, exactly, and a reason.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub target: String,
    pub typed: TextArea<'static>,
    pub reason: TextArea<'static>,
    /// 0: the target, 1: the reason.
    pub focus: usize,
    pub error: Option<String>,
}

impl Confirm {
    pub(super) fn new(target: String) -> Confirm {
        Confirm { target, typed: text_area(""), reason: text_area(""), focus: 0, error: None }
    }
}

/// Keys while a stage takes text: the form's own keys, the rest typed.
pub fn on_form_key(state: &mut AppState, key: KeyEvent) -> Outcome {
    let action = state.keymap.action(&[Mode::Form], &key);
    if matches!(state.playbooks.stage, Stage::Confirm { .. }) {
        return on_confirm_key(state, action, key);
    }
    let Stage::Form(form) = &mut state.playbooks.stage else { return Outcome::nothing() };
    match action {
        Some(Action::NextField) => form.move_focus(1),
        Some(Action::PreviousField) => form.move_focus(-1),
        Some(Action::CancelForm) => state.playbooks.stage = Stage::List,
        Some(Action::SubmitForm) => return submit_form(state),
        _ => form.type_key(key),
    }
    Outcome::redraw()
}

fn submit_form(state: &mut AppState) -> Outcome {
    let pb = &mut state.playbooks;
    let Stage::Form(form) = &mut pb.stage else { return Outcome::nothing() };
    let Some(filled) = form.submit() else { return Outcome::redraw() };
    let form = form.clone();
    let ask = PlanAsk {
        ticket: pb.ticket(),
        playbook: form.playbook.clone(),
        given: filled.given,
        selected_model: filled.selected_model,
        reason: None,
    };
    pb.stage = Stage::Planning { form, ask: ask.clone() };
    Outcome::effect(Effect::Plan(Box::new(ask)))
}

fn on_confirm_key(state: &mut AppState, action: Option<Action>, key: KeyEvent) -> Outcome {
    let Stage::Confirm { confirm, .. } = &mut state.playbooks.stage else { return Outcome::nothing() };
    match action {
        Some(Action::NextField | Action::PreviousField) => confirm.focus = 1 - confirm.focus,
        Some(Action::CancelForm) => {
            let Stage::Confirm { screen, .. } = std::mem::replace(&mut state.playbooks.stage, Stage::List) else {
                unreachable!()
            };
            state.playbooks.stage = Stage::Plan(screen);
            flash(state, "cancelled: nothing ran", false);
        }
        Some(Action::SubmitForm) => return submit_confirm(state),
        _ => {
            let field = if confirm.focus == 0 { &mut confirm.typed } else { &mut confirm.reason };
            type_key(field, key);
            confirm.error = None;
        }
    }
    Outcome::redraw()
}

/// The typed target must match exactly and a reason must be given; the
/// gate has the last word even then. A wrong text keeps the prompt.
fn submit_confirm(state: &mut AppState) -> Outcome {
    let read_only = state.session.read_only.clone();
    let Stage::Confirm { confirm, .. } = &mut state.playbooks.stage else { return Outcome::nothing() };
    let typed = text_of(&confirm.typed);
    let reason = text_of(&confirm.reason).trim().to_string();
    if typed != confirm.target {
        confirm.focus = 0;
        confirm.error = Some(format!("typed `{typed}`, not `{}`: nothing ran", confirm.target));
        return Outcome::redraw();
    }
    if reason.is_empty() {
        confirm.focus = 1;
        confirm.error = Some("a reason is required: it is recorded in the audit log".into());
        return Outcome::redraw();
    }
    if let Some(why) = read_only {
        confirm.error = Some(format!("read-only ({why}): nothing will run"));
        return Outcome::redraw();
    }
    let Stage::Confirm { screen, .. } = std::mem::replace(&mut state.playbooks.stage, Stage::List) else {
        unreachable!()
    };
    replan(state, screen, reason)
}
