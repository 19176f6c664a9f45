//! A run: each precondition and step with its live status — pending ·,
//! running … with its latest progress line, ✔ ok, = already satisfied,
//! ↷ skipped, ✖ failed — compensation steps as they run, and the outcome on
//! the last line. Glyph, word and style each carry the status, so it reads
//! the same under NO_COLOR and `--ascii`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{body_with_status, clean, hanging};
use crate::app::playbooks::run_view::{RunView, StepRun, StepStatus};
use crate::app::state::AppState;
use crate::playbook::run::{RunOutcome, StepOutcome};
use crate::ui::widgets::text::width;

pub fn render(frame: &mut Frame, state: &AppState, run: &RunView, scroll: usize, area: Rect) {
    let lines = lines(state, run, area.width);
    body_with_status(frame, state, &lines, scroll, outcome_line(state, run), area);
}

pub fn line_count(state: &AppState, run: &RunView, width: u16) -> usize {
    lines(state, run, width).len()
}

/// `running…`, `✔ succeeded`, `✖ failed`, `▲ refused` for the title line.
pub fn status_word(state: &AppState, run: &RunView) -> (String, Style) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    match &run.outcome {
        None => (glyphs.text("running…").into_owned(), theme.accent.add_modifier(Modifier::BOLD)),
        Some(RunOutcome::Succeeded) => (format!("{} succeeded", glyphs.ok), theme.ok.add_modifier(Modifier::BOLD)),
        Some(RunOutcome::Refused(_)) => {
            (format!("{} refused", glyphs.warning), theme.warning.add_modifier(Modifier::BOLD))
        }
        Some(RunOutcome::Failed { .. }) => {
            (format!("{} failed", glyphs.critical), theme.critical.add_modifier(Modifier::BOLD))
        }
    }
}

pub fn outcome_line(state: &AppState, run: &RunView) -> (String, Style) {
    let glyphs = &state.glyphs;
    let (_, style) = status_word(state, run);
    match run.outcome_text() {
        None => {
            let current = run
                .preconditions
                .iter()
                .chain(&run.steps)
                .chain(&run.compensation)
                .find(|s| matches!(s.status, StepStatus::Running(_)))
                .map(|s| format!(" {}", s.id))
                .unwrap_or_default();
            (clean(glyphs, &format!("{} running{current}", glyphs.running)), style)
        }
        Some(text) => {
            let mark = match run.outcome {
                Some(RunOutcome::Succeeded) => glyphs.ok,
                Some(RunOutcome::Refused(_)) => glyphs.warning,
                _ => glyphs.critical,
            };
            (clean(glyphs, &format!("{mark} {text}")), style)
        }
    }
}

pub fn lines(state: &AppState, run: &RunView, width: u16) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let mut facts = vec![format!("context {}", run.plan.context)];
    if let Some(id) = &run.run_id {
        facts.push(format!("run {id}"));
    }
    if let Some(actor) = &run.actor {
        facts.push(format!("by {actor}"));
    }
    let mut out = hanging(Vec::new(), &clean(glyphs, &facts.join(" · ")), theme.muted, width);
    if !run.reason.is_empty() {
        out.extend(hanging(vec![Span::styled("reason ", theme.muted)], &clean(glyphs, &run.reason), theme.base, width));
    }
    let id_width = run
        .preconditions
        .iter()
        .chain(&run.steps)
        .chain(&run.compensation)
        .map(|s| width_of(&s.id))
        .max()
        .unwrap_or(4)
        .min(24);
    for (title, steps) in [
        ("preconditions", &run.preconditions),
        ("steps", &run.steps),
        ("on failure: putting things back", &run.compensation),
    ] {
        if steps.is_empty() {
            continue;
        }
        out.push(Line::styled(title, theme.table_header));
        for step in steps {
            out.extend(step_lines(state, step, id_width, width));
        }
    }
    out
}

fn step_lines(state: &AppState, step: &StepRun, id_width: usize, width: u16) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let (mark, word, detail, style) = match &step.status {
        StepStatus::Pending => (glyphs.pending, "pending", None, theme.muted),
        StepStatus::Running(progress) => {
            (glyphs.running, "running", progress.clone(), theme.accent.add_modifier(Modifier::BOLD))
        }
        StepStatus::Finished(outcome) => {
            let detail = Some(outcome.detail().to_string()).filter(|d| !d.is_empty());
            match outcome {
                StepOutcome::Done(_) => (glyphs.ok, "ok", detail, theme.ok),
                StepOutcome::AlreadySatisfied(_) => (glyphs.satisfied, "already satisfied", detail, theme.muted),
                StepOutcome::Skipped(_) => (glyphs.skipped, "skipped", detail, theme.warning),
                StepOutcome::Failed(_) => {
                    (glyphs.critical, "failed", detail, theme.critical.add_modifier(Modifier::BOLD))
                }
            }
        }
    };
    let id = clean(glyphs, &step.id);
    let pad = id_width.saturating_sub(width_of(&id));
    let prefix = vec![
        Span::styled(format!("  {mark} "), style),
        Span::styled(format!("{id}{} ", " ".repeat(pad)), theme.base.add_modifier(Modifier::BOLD)),
        Span::styled(word.to_string(), style),
    ];
    match detail {
        Some(detail) => {
            let mut prefix = prefix;
            prefix.push(Span::styled(glyphs.text(" — ").into_owned(), theme.muted));
            hanging(prefix, &clean(glyphs, &detail), theme.base, width)
        }
        None => vec![Line::from(prefix)],
    }
}

fn width_of(text: &str) -> usize {
    width(text)
}
