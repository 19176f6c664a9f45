//! The typed confirmation of a plan that changes things, drawn over the
//! plan like the silence confirmation: the warnings first and prominent,
//! what will change, then two fields — the target, typed exactly, and the
//! reason the audit log records.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;

use super::plan::state_text;
use super::{clean, hanging};
use crate::app::playbooks::Confirm;
use crate::app::state::AppState;
use crate::playbook::plan::{Plan, StepState};
use crate::ui::widgets::text::width;

pub fn render(frame: &mut Frame, state: &AppState, plan: &Plan, confirm: &Confirm, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    // As wide as the plan behind it, so no half-covered line shows beside it.
    let outer_width = area.width;
    let inner = outer_width.saturating_sub(2);
    let mut lines: Vec<Line> = Vec::new();
    for warning in &plan.warnings {
        let mark = Span::styled(format!("{} ", glyphs.warning), theme.warning.add_modifier(Modifier::BOLD));
        let style = theme.warning.add_modifier(Modifier::BOLD);
        lines.extend(hanging(vec![mark], &clean(glyphs, warning), style, inner));
    }
    let changes: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action.mutating() && !matches!(s.state, StepState::Skipped(_)))
        .map(|s| match state_text(s) {
            Some((text, _)) => text,
            None => format!("{}: {}", s.id, s.description),
        })
        .collect();
    if !changes.is_empty() {
        let label = Span::styled("changes  ", theme.muted);
        lines.extend(hanging(
            vec![label],
            &clean(glyphs, &changes.join(" · ")),
            theme.base.add_modifier(Modifier::BOLD),
            inner,
        ));
    }
    let mut facts = Vec::new();
    if !plan.targets.is_empty() {
        facts.push(format!("locks {}", plan.targets.join(", ")));
    }
    if !plan.on_failure.is_empty() {
        let ids: Vec<&str> = plan.on_failure.iter().map(|s| s.id.as_str()).collect();
        facts.push(format!("if a step fails: {}", ids.join(", ")));
    }
    if !facts.is_empty() {
        lines.extend(hanging(Vec::new(), &clean(glyphs, &facts.join(" · ")), theme.muted, inner));
    }
    lines.push(Line::default());
    let fields_at = lines.len() as u16;
    // Two rows for the fields, then the message or the hint.
    lines.push(Line::default());
    lines.push(Line::default());
    match &confirm.error {
        Some(why) => lines.extend(hanging(
            vec![Span::styled(format!("{} ", glyphs.critical), theme.error)],
            &clean(glyphs, why),
            theme.error,
            inner,
        )),
        None => lines.push(Line::styled(
            glyphs.text("type the name exactly; the reason is recorded in the audit log with the run").into_owned(),
            theme.muted,
        )),
    }

    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - outer_width) / 2,
        y: area.y + area.height - height,
        width: outer_width,
        height,
    };
    let title = format!(" confirm · {} · context {} ", plan.playbook, plan.context);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(glyphs.border())
        .border_style(theme.critical)
        .title(Span::styled(clean(glyphs, &title), theme.critical.add_modifier(Modifier::BOLD)))
        .style(theme.base);
    frame.render_widget(Clear, popup);
    let body = block.inner(popup);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines), body);

    let target_label = format!("type {}", clean(glyphs, &confirm.target));
    let label_width = (width(&target_label).max(6) + 1) as u16;
    for (row, label, input) in [(0, target_label.as_str(), &confirm.typed), (1, "reason", &confirm.reason)] {
        let y = body.y + fields_at + row;
        if y >= body.y + body.height {
            break;
        }
        let focused = confirm.focus == row as usize;
        let marker = if focused { glyphs.focus } else { " " };
        let style = if focused { theme.accent.add_modifier(Modifier::BOLD) } else { theme.base };
        let label_cells = (label_width + 3).min(body.width);
        frame.render_widget(
            Paragraph::new(Span::styled(format!("{marker} {label}"), style)),
            Rect { x: body.x, y, width: label_cells, height: 1 },
        );
        let field = Rect { x: body.x + label_cells, y, width: body.width.saturating_sub(label_cells), height: 1 };
        frame.render_widget(&styled(state, input, focused, row == 1), field);
    }
}

fn styled(state: &AppState, input: &TextArea<'static>, focused: bool, reason: bool) -> TextArea<'static> {
    let theme = &state.theme;
    let mut input = input.clone();
    input.set_style(theme.prompt);
    input.set_cursor_line_style(Style::default());
    input.set_cursor_style(if focused { theme.prompt.add_modifier(Modifier::REVERSED) } else { theme.prompt });
    input.set_placeholder_text(if reason { "why (required)" } else { "exactly, to go ahead" });
    input.set_placeholder_style(theme.muted);
    input
}
