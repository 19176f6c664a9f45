//! `:playbooks` — the list, a playbook's parameter form, its plan, the typed
//! confirmation and the run, one module per stage. Every string that came
//! from outside (registry values, descriptions, errors, progress lines) is
//! sanitised here before it is drawn.

pub mod confirm;
pub mod form;
pub mod list;
pub mod plan;
pub mod run;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::action::Action;
use crate::app::playbooks::Stage;
use crate::app::state::AppState;
use crate::core::sanitize::sanitize;
use crate::ui::widgets::text::{truncate, width, wrap_hanging};

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    match &state.playbooks.stage {
        Stage::List => list::render(frame, state, area),
        Stage::Form(form) => form::render(frame, state, form, false, area),
        Stage::Planning { form, .. } => form::render(frame, state, form, true, area),
        Stage::Failed { form, problems } => render_problems(frame, state, &form.playbook.name, problems, area),
        Stage::Plan(screen) => plan::render(frame, state, screen, false, area),
        Stage::Replanning { screen, .. } => plan::render(frame, state, screen, true, area),
        Stage::Confirm { screen, confirm } => {
            plan::render(frame, state, screen, false, area);
            confirm::render(frame, state, &screen.plan, confirm, area);
        }
        Stage::Run { scroll } => match &state.playbooks.run {
            Some(run) => run::render(frame, state, run, *scroll, area),
            None => list::render(frame, state, area),
        },
    }
}

/// `PLAYBOOKS  7 playbooks · for fraud-detector`, `PLAYBOOK  rollback · plan`.
pub fn title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let pb = &state.playbooks;
    let dot = glyphs.text(" · ").into_owned();
    let mut spans = Vec::new();
    let stage = match &pb.stage {
        Stage::List => {
            spans.push(Span::styled(" PLAYBOOKS ", theme.accent.add_modifier(Modifier::BOLD)));
            if let Ok(library) = &pb.library {
                spans.push(Span::styled(format!(" {} playbooks", library.len()), theme.muted));
            }
            None
        }
        Stage::Form(_) => Some(("parameters", theme.muted)),
        Stage::Planning { .. } => Some(("planning…", theme.accent)),
        Stage::Failed { .. } => Some(("cannot plan", theme.critical)),
        Stage::Plan(_) => Some(("plan", theme.muted)),
        Stage::Confirm { .. } => Some(("confirm", theme.warning)),
        Stage::Replanning { .. } => Some(("planning again…", theme.accent)),
        Stage::Run { .. } => None,
    };
    if let Some((what, style)) = stage {
        let name = pb.current().map(|p| p.name.clone()).unwrap_or_default();
        spans.push(Span::styled(" PLAYBOOK ", theme.accent.add_modifier(Modifier::BOLD)));
        spans.push(Span::styled(format!(" {}", clean(glyphs, &name)), theme.base.add_modifier(Modifier::BOLD)));
        spans.push(Span::styled(format!("{dot}{}", glyphs.text(what)), style));
    }
    if let (Stage::Run { .. }, Some(run)) = (&pb.stage, &pb.run) {
        spans.push(Span::styled(" RUN ", theme.accent.add_modifier(Modifier::BOLD)));
        spans.push(Span::styled(
            format!(" {}", clean(glyphs, &run.plan.playbook)),
            theme.base.add_modifier(Modifier::BOLD),
        ));
        let (text, style) = run::status_word(state, run);
        spans.push(Span::styled(format!("{dot}{text}"), style));
    }
    let model = match &pb.stage {
        Stage::Run { .. } => pb.run.as_ref().map(|r| r.plan.targets.join(", ")).filter(|t| !t.is_empty()),
        _ => pb.model.clone(),
    };
    if let Some(model) = model {
        spans.push(Span::styled(format!("{dot}for {}", clean(glyphs, &model)), theme.muted));
    }
    if let (Stage::List, Some(filter)) = (&pb.stage, &state.fleet.filter) {
        let shown = pb.rows(Some(filter)).len();
        spans.push(Span::styled(format!("{dot}filter /{}/ {shown}", glyphs.text(&filter.text)), theme.accent));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// The keys that matter at each stage, for the footer.
pub fn footer_actions(state: &AppState) -> &'static [(Action, &'static str)] {
    let pb = &state.playbooks;
    match &pb.stage {
        Stage::List => &[
            (Action::Open, "pick"),
            (Action::Filter, "filter"),
            (Action::PreviousView, "back"),
            (Action::Help, "help"),
            (Action::CommandLine, "command"),
            (Action::Quit, "quit"),
        ],
        Stage::Form(_) => &[
            (Action::SubmitForm, "plan"),
            (Action::NextField, "next field"),
            (Action::PreviousField, "previous"),
            (Action::CancelForm, "playbooks"),
        ],
        Stage::Planning { .. } | Stage::Replanning { .. } => {
            &[(Action::Back, "cancel"), (Action::PreviousView, "leave"), (Action::Quit, "quit")]
        }
        Stage::Failed { .. } => &[(Action::Back, "edit"), (Action::PreviousView, "leave"), (Action::Quit, "quit")],
        Stage::Plan(screen) if screen.plan.mutating && state.session.read_only.is_some() => &[
            (Action::Back, "edit"),
            (Action::Down, "scroll"),
            (Action::PreviousView, "leave"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Stage::Plan(_) => &[
            (Action::RunPlaybook, "run"),
            (Action::Back, "edit"),
            (Action::Down, "scroll"),
            (Action::PreviousView, "leave"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Stage::Confirm { .. } => {
            &[(Action::SubmitForm, "run"), (Action::NextField, "next field"), (Action::CancelForm, "cancel")]
        }
        Stage::Run { .. } if pb.running() => &[
            (Action::PreviousView, "leave (it keeps running)"),
            (Action::Down, "scroll"),
            (Action::Help, "help"),
            (Action::CommandLine, "command"),
        ],
        Stage::Run { .. } => &[
            (Action::Back, "playbooks"),
            (Action::PreviousView, "back"),
            (Action::Down, "scroll"),
            (Action::CommandLine, "command"),
            (Action::Quit, "quit"),
        ],
    }
}

fn render_problems(frame: &mut Frame, state: &AppState, name: &str, problems: &[String], area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let mut lines = vec![Line::styled(
        format!("cannot plan {}:", clean(glyphs, name)),
        theme.critical.add_modifier(Modifier::BOLD),
    )];
    for problem in problems {
        let mark = Span::styled(format!("  {} ", glyphs.critical), theme.critical);
        lines.extend(hanging(vec![mark], &clean(glyphs, problem), theme.base, area.width));
    }
    lines.push(Line::default());
    let back = key_of(state, Action::Back);
    lines.push(Line::styled(format!("{back} goes back to the form: nothing was changed"), theme.muted));
    frame.render_widget(Paragraph::new(lines), area);
}

/// Text from outside, safe to draw and drawable in the glyph set.
pub fn clean(glyphs: &crate::ui::glyphs::Glyphs, text: &str) -> String {
    glyphs.text(&sanitize(text)).into_owned()
}

/// The first key bound to `action`, as the footer spells it.
pub fn key_of(state: &AppState, action: Action) -> String {
    state.keymap.keys(action).first().map_or_else(|| action.name().to_string(), |k| k.to_string())
}

/// `prefix` then `text` wrapped to `width`, continuation lines indented
/// under the text (or by four when the prefix is too wide for that).
pub fn hanging(prefix: Vec<Span<'static>>, text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    let lead: usize = prefix.iter().map(|s| width_of(&s.content)).sum();
    let width = width as usize;
    let indent = if lead * 2 <= width { lead } else { 4.min(width / 2) };
    let first_room = width.saturating_sub(lead).max(1);
    let rest_room = width.saturating_sub(indent).max(1);
    let mut out = Vec::new();
    let mut spans = Some(prefix);
    for piece in wrap_hanging(text, first_room, rest_room) {
        let mut line = spans.take().unwrap_or_else(|| vec![Span::raw(" ".repeat(indent))]);
        line.push(Span::styled(piece, style));
        out.push(Line::from(line));
    }
    out
}

/// Draws a scrolling body with `status` wrapped below it (at most three
/// lines: what a run ended with or why nothing will run is never cut), and
/// `↓ N more` after the status when lines are hidden below and it fits.
pub fn body_with_status(
    frame: &mut Frame,
    state: &AppState,
    lines: &[Line<'static>],
    scroll: usize,
    status: (String, Style),
    area: Rect,
) {
    let mut bottom = status_lines(&status, area.width);
    let page = (area.height as usize).saturating_sub(bottom.len());
    let scroll = scroll.min(lines.len().saturating_sub(page));
    let below = lines.len().saturating_sub(scroll + page);
    if below > 0 {
        let more = Span::styled(state.glyphs.text(&format!("  ↓ {below} more")).into_owned(), state.theme.muted);
        if let Some(last) = bottom.last_mut().filter(|l| l.width() + more.width() <= area.width as usize) {
            last.spans.push(more);
        }
    }
    let shown: Vec<Line> = lines.iter().skip(scroll).take(page).cloned().collect();
    frame.render_widget(Paragraph::new(shown), Rect { height: page as u16, ..area });
    let height = (bottom.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(bottom), Rect { y: area.y + area.height - height, height, ..area });
}

fn status_lines(status: &(String, Style), width: u16) -> Vec<Line<'static>> {
    let mut lines = hanging(Vec::new(), &status.0, status.1, width);
    lines.truncate(3);
    lines
}

/// How many body rows the plan or run on screen shows at once above its
/// status, for the reducer's scrolling (the same numbers as the drawing).
pub fn page_rows(state: &AppState) -> usize {
    let body = crate::ui::layout::split(Rect::new(0, 0, state.width, state.height)).body;
    let status = match &state.playbooks.stage {
        Stage::Plan(screen) => Some(plan::status(state, &screen.plan, false)),
        Stage::Run { .. } => state.playbooks.run.as_ref().map(|r| run::outcome_line(state, r)),
        _ => None,
    };
    let status_rows = status.map_or(1, |s| status_lines(&s, body.width).len());
    (body.height as usize).saturating_sub(status_rows).max(1)
}

fn width_of(text: &str) -> usize {
    width(text)
}

/// A line cut to `cells` columns with an ellipsis: for lines that summarise
/// (the list), never for requests (those wrap).
pub fn cut(state: &AppState, text: &str, cells: usize) -> String {
    truncate(text, cells, state.glyphs.ellipsis)
}
