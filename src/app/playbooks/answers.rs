//! What the runner sends back: plans (matched by their ticket, so an
//! answer for a stage the operator has left is dropped), the start of a run
//! and its events.

use super::run_view::RunView;
use super::{PlanScreen, RunAsk, Stage, flash};
use crate::app::state::{AppState, View};
use crate::app::update::{Effect, Outcome};
use crate::playbook::plan::{Plan, same_targets};
use crate::playbook::run::{Phase, RunEvent, RunOutcome, StepOutcome};

/// A plan the runner made. Answers for a stage the operator has left are dropped.
pub fn planned(state: &mut AppState, ticket: u64, result: Result<Plan, Vec<String>>) -> Outcome {
    let pb = &mut state.playbooks;
    let current = match &pb.stage {
        Stage::Planning { ask, .. } | Stage::Replanning { ask, .. } => ask.ticket == ticket,
        _ => false,
    };
    if !current {
        return Outcome::nothing();
    }
    let redraw = state.view == View::Playbooks;
    match std::mem::replace(&mut pb.stage, Stage::List) {
        Stage::Planning { form, ask } => {
            pb.stage = match result {
                Ok(plan) => Stage::Plan(PlanScreen { form, ask, plan, scroll: 0, note: None }),
                Err(problems) => Stage::Failed { form, problems },
            };
            Outcome { redraw, effect: None }
        }
        Stage::Replanning { screen, reason, .. } => match result {
            Err(mut problems) => {
                problems.insert(0, "planning again just before the run failed, so nothing ran:".into());
                pb.stage = Stage::Failed { form: screen.form, problems };
                Outcome { redraw, effect: None }
            }
            Ok(fresh) => match same_targets(&screen.plan, &fresh) {
                Err(why) => {
                    let note = format!("{why} — nothing ran; read the new plan and confirm again");
                    pb.stage = Stage::Plan(PlanScreen { plan: fresh, note: Some(note), scroll: 0, ..screen });
                    Outcome { redraw, effect: None }
                }
                Ok(()) => {
                    pb.stage = Stage::Run { scroll: 0 };
                    pb.quit_asked = false;
                    pb.run = Some(RunView::new(fresh.clone(), reason.clone()));
                    let confirmed = true; // typed (a change) or not needed (reads only)
                    Outcome::effect(Effect::RunPlaybook(Box::new(RunAsk { plan: fresh, reason, confirmed })))
                }
            },
        },
        _ => unreachable!("checked above"),
    }
}

/// The runner started the run under this id, for this actor.
pub fn run_started(state: &mut AppState, run_id: String, actor: String) -> Outcome {
    let Some(run) = state.playbooks.run.as_mut() else { return Outcome::nothing() };
    run.run_id = Some(run_id);
    run.actor = Some(actor);
    Outcome { redraw: state.view == View::Playbooks, effect: None }
}

/// One event of the run under way. When it ends, the views are refreshed
/// (the registry and traffic just changed) and an operator elsewhere is told.
pub fn run_event(state: &mut AppState, event: Option<RunEvent>) -> Outcome {
    let here = state.view == View::Playbooks;
    let Some(run) = state.playbooks.run.as_mut() else { return Outcome::nothing() };
    if run.finished() {
        return Outcome::nothing();
    }
    match event {
        Some(RunEvent::Done(outcome)) => run.apply(RunEvent::Done(outcome)),
        Some(event) => {
            // A step that changed something: the views should show it now,
            // not after a verification that may take minutes.
            let changed = match &event {
                RunEvent::Finished { phase, index, outcome: StepOutcome::Done(_), .. } => {
                    let steps = match phase {
                        Phase::Steps => &run.plan.steps,
                        Phase::Compensation => &run.plan.on_failure,
                        Phase::Preconditions => &run.plan.preconditions,
                    };
                    steps.get(*index).is_some_and(|s| s.action.mutating())
                }
                _ => false,
            };
            run.apply(event);
            return Outcome { redraw: here, effect: changed.then_some(Effect::Refresh) };
        }
        None => run.lost(),
    }
    let summary = run.summary();
    let succeeded = matches!(run.outcome, Some(RunOutcome::Succeeded));
    if std::mem::take(&mut state.playbooks.quit_asked) {
        state.flash = None; // the question about quitting is moot now
    }
    if !here {
        flash(state, format!("{summary} — :playbooks shows the run"), !succeeded);
    }
    Outcome::effect(Effect::Refresh)
}
