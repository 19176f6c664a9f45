//! A plan: where it runs and whether it changes anything, warnings first,
//! then each step with the exact request it sends and the state it moves
//! from and to, the preconditions, the compensation and the parameters with
//! where each value came from. The last line says what `r` would do — or
//! that nothing will run here, and why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{body_with_status, clean, hanging, key_of};
use crate::app::action::Action;
use crate::app::playbooks::PlanScreen;
use crate::app::state::AppState;
use crate::playbook::plan::{Plan, PlannedStep, StepState};
use crate::ui::widgets::text::width;

pub fn render(frame: &mut Frame, state: &AppState, screen: &PlanScreen, replanning: bool, area: Rect) {
    let lines = lines(state, &screen.plan, screen.note.as_deref(), area.width);
    let status = status(state, &screen.plan, replanning);
    body_with_status(frame, state, &lines, screen.scroll, status, area);
}

/// How many lines the plan takes at `width` (the reducer scrolls by it).
pub fn line_count(state: &AppState, plan: &Plan, note: Option<&str>, width: u16) -> usize {
    lines(state, plan, note, width).len()
}

/// What the plan's state column says: `champion: 10 → 9`, `(already satisfied)`, `skipped: …`.
pub fn state_text(step: &PlannedStep) -> Option<(String, StateKind)> {
    Some(match &step.state {
        StepState::Change { what, target, satisfied: true, .. } => {
            (format!("{what}: {target} (already satisfied)"), StateKind::Satisfied)
        }
        StepState::Change { what, current, target, .. } => {
            (format!("{what}: {} → {target}", current.as_deref().unwrap_or("unset")), StateKind::Change)
        }
        StepState::Action => return None,
        StepState::Skipped(why) => (format!("skipped: {why}"), StateKind::Skipped),
        StepState::Unavailable(why) => (format!("cannot run: {why}"), StateKind::Unavailable),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    Change,
    Satisfied,
    Skipped,
    Unavailable,
}

fn state_style(state: &AppState, kind: StateKind) -> Style {
    let theme = &state.theme;
    match kind {
        StateKind::Change => theme.accent.add_modifier(Modifier::BOLD),
        StateKind::Satisfied => theme.muted,
        StateKind::Skipped => theme.warning,
        StateKind::Unavailable => theme.critical.add_modifier(Modifier::BOLD),
    }
}

pub fn lines(state: &AppState, plan: &Plan, note: Option<&str>, width: u16) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dot = glyphs.text(" · ").into_owned();
    let mut out = Vec::new();
    let mut facts = vec![
        Span::styled("context ", theme.muted),
        Span::styled(clean(glyphs, &plan.context), theme.base.add_modifier(Modifier::BOLD)),
        Span::styled(dot.clone(), theme.muted),
    ];
    facts.push(if plan.mutating {
        Span::styled("changes things", theme.warning.add_modifier(Modifier::BOLD))
    } else {
        Span::styled("reads only", theme.ok)
    });
    if !plan.targets.is_empty() {
        facts.push(Span::styled(format!("{dot}locks {}", clean(glyphs, &plan.targets.join(", "))), theme.muted));
    }
    if state.session.read_only.is_some() {
        facts.push(Span::styled(dot.clone(), theme.muted));
        facts.push(Span::styled("READ-ONLY", theme.critical.add_modifier(Modifier::BOLD | Modifier::REVERSED)));
    }
    out.push(Line::from(facts));
    if let Some(note) = note {
        let mark = Span::styled(format!("{} ", glyphs.critical), theme.error);
        out.extend(hanging(vec![mark], &clean(glyphs, note), theme.error.add_modifier(Modifier::BOLD), width));
    }
    for warning in &plan.warnings {
        let mark = Span::styled(format!("{} ", glyphs.warning), theme.warning.add_modifier(Modifier::BOLD));
        out.extend(hanging(vec![mark], &clean(glyphs, warning), theme.warning.add_modifier(Modifier::BOLD), width));
    }
    for (title, steps, numbered) in [
        ("steps", &plan.steps, true),
        ("preconditions, checked again just before the run", &plan.preconditions, false),
        ("on failure, to put things back", &plan.on_failure, true),
    ] {
        if steps.is_empty() {
            continue;
        }
        out.push(Line::styled(title, theme.table_header));
        for (i, step) in steps.iter().enumerate() {
            out.extend(step_lines(state, step, numbered.then_some(i + 1), width));
        }
    }
    out.push(Line::styled("parameters", theme.table_header));
    let name_width = plan.params.iter().map(|p| width_of(&p.name)).max().unwrap_or(4).min(20);
    let value_width = plan.params.iter().map(|p| width_of(&p.value)).max().unwrap_or(4).min(24);
    for p in &plan.params {
        let label = Span::styled(format!("  {:<name_width$} ", clean(glyphs, &p.name)), theme.base);
        let value = clean(glyphs, &p.value);
        let pad = value_width.saturating_sub(width_of(&value));
        let value = Span::styled(format!("{value}{}  ", " ".repeat(pad)), theme.base.add_modifier(Modifier::BOLD));
        out.extend(hanging(vec![label, value], &clean(glyphs, &p.origin), theme.muted, width));
    }
    out
}

/// `  1. move-alias [registry.set_alias]  champion: 10 → 9`, then the request.
fn step_lines(state: &AppState, step: &PlannedStep, number: Option<usize>, width: u16) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let head = match number {
        Some(n) => format!("  {n}. {} ", clean(glyphs, &step.id)),
        None => format!("  {} ", clean(glyphs, &step.id)),
    };
    let mut spans = vec![
        Span::styled(head.clone(), theme.base.add_modifier(Modifier::BOLD)),
        Span::styled(format!("[{}]", step.action.name()), theme.muted),
    ];
    let mut out = Vec::new();
    let used = width_of(&head) + step.action.name().len() + 2;
    let state_line = state_text(step).map(|(text, kind)| (clean(glyphs, &text), state_style(state, kind)));
    match state_line {
        Some((text, style)) if used + 2 + width_of(&text) <= width as usize => {
            spans.push(Span::styled(format!("  {text}"), style));
            out.push(Line::from(spans));
        }
        Some((text, style)) => {
            out.push(Line::from(spans));
            out.extend(hanging(vec![Span::raw("     ")], &text, style, width));
        }
        None => out.push(Line::from(spans)),
    }
    out.extend(hanging(vec![Span::raw("     ")], &clean(glyphs, &step.description), theme.base, width));
    out
}

fn width_of(text: &str) -> usize {
    width(text)
}

/// The plan's last line: what the run key would do, or why nothing will run.
pub fn status(state: &AppState, plan: &Plan, replanning: bool) -> (String, Style) {
    let theme = &state.theme;
    let run = key_of(state, Action::RunPlaybook);
    let unavailable = plan.preconditions.iter().chain(&plan.steps).find_map(|s| match &s.state {
        StepState::Unavailable(why) => Some(format!("{} cannot run: {why}", s.id)),
        _ => None,
    });
    let (text, style) = if replanning {
        (
            "planning again to check that nothing moved since you confirmed…".to_string(),
            theme.accent.add_modifier(Modifier::BOLD),
        )
    } else if let (true, Some(why)) = (plan.mutating, &state.session.read_only) {
        (format!("read-only ({why}): nothing will run"), theme.critical.add_modifier(Modifier::BOLD))
    } else if let Some(why) = unavailable {
        (format!("{why}: nothing will run"), theme.critical.add_modifier(Modifier::BOLD))
    } else if plan.mutating {
        let target = plan.confirm.clone().unwrap_or_else(|| plan.playbook.clone());
        (format!("{run} runs it after you type {target} and give a reason"), theme.warning.add_modifier(Modifier::BOLD))
    } else {
        (format!("{run} runs it: it only reads, so nothing is asked"), theme.base)
    };
    (clean(&state.glyphs, &text), style)
}
