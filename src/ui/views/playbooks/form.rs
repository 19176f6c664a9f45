//! A playbook's parameter form: one text field per parameter with its type
//! and description below it, or why the value is wrong. Empty fields show
//! what they stand for ("(from the registry: previous champion)").

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{clean, cut};
use crate::app::playbooks::form::{Form, kind_text};
use crate::app::state::AppState;
use crate::ui::widgets::text::{width, wrap};

pub fn render(frame: &mut Frame, state: &AppState, form: &Form, planning: bool, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    if area.height < 3 {
        return;
    }
    let total = area.width as usize;
    // The description, at most two lines: the fields matter more.
    let mut head: Vec<Line> = wrap(&clean(glyphs, &form.playbook.description), total)
        .into_iter()
        .take(2)
        .map(|l| Line::styled(l, theme.muted))
        .collect();
    head.push(Line::default());
    let head_height = head.len() as u16;
    frame.render_widget(Paragraph::new(head), Rect { height: head_height.min(area.height), ..area });

    let status_y = area.y + area.height - 1;
    let fields_top = area.y + head_height;
    let rows = status_y.saturating_sub(fields_top) as usize;
    let visible = (rows / 2).max(1);
    // Keep the focused field on screen without remembering a scroll position.
    let first = (form.focus + 1).saturating_sub(visible);
    let label_width = form.fields.iter().map(|f| width(&f.spec.name)).max().unwrap_or(8).clamp(8, 20);
    for (slot, (i, field)) in form.fields.iter().enumerate().skip(first).take(visible).enumerate() {
        let y = fields_top + (slot as u16) * 2;
        if y + 1 >= status_y {
            break;
        }
        let focused = i == form.focus && !planning;
        let marker = if focused { glyphs.focus } else { " " };
        let label_style = if focused { theme.accent.add_modifier(Modifier::BOLD) } else { theme.base };
        let label = format!("{marker} {:<label_width$} ", clean(glyphs, &field.spec.name));
        let label_cells = width(&label) as u16;
        frame.render_widget(
            Paragraph::new(Span::styled(label, label_style)),
            Rect { x: area.x, y, width: label_cells.min(area.width), height: 1 },
        );
        let input_area = Rect {
            x: area.x + label_cells.min(area.width),
            y,
            width: area.width.saturating_sub(label_cells + 1),
            height: 1,
        };
        let hint = clean(glyphs, &form.hint(field));
        if field.input.is_empty() && !focused {
            // Drawn in the value's column (the editor keeps a cell for its cursor).
            frame.render_widget(Paragraph::new(Span::styled(hint, theme.muted)), input_area);
        } else {
            let mut input = field.input.clone();
            input.set_style(theme.base);
            input.set_cursor_line_style(Style::default());
            input.set_cursor_style(if focused { theme.prompt.add_modifier(Modifier::REVERSED) } else { theme.base });
            input.set_placeholder_text(hint);
            input.set_placeholder_style(theme.muted);
            frame.render_widget(&input, input_area);
        }
        let below = match &field.error {
            Some(why) => {
                Span::styled(cut(state, &format!("    {} {}", glyphs.critical, clean(glyphs, why)), total), theme.error)
            }
            None => {
                let about = if field.spec.description.is_empty() {
                    kind_text(&field.spec.kind)
                } else {
                    format!("{} · {}", kind_text(&field.spec.kind), field.spec.description)
                };
                Span::styled(cut(state, &format!("    {}", clean(glyphs, &about)), total), theme.muted)
            }
        };
        frame.render_widget(Paragraph::new(below), Rect { x: area.x, y: y + 1, width: area.width, height: 1 });
    }
    let status = if planning {
        Span::styled(
            glyphs.text("planning… (reads the registry and the gateway; changes nothing)").into_owned(),
            theme.accent.add_modifier(Modifier::BOLD),
        )
    } else {
        let hidden = form.fields.len().saturating_sub(first + visible);
        let more = if first > 0 || hidden > 0 {
            format!(" · fields {}–{} of {}", first + 1, (first + visible).min(form.fields.len()), form.fields.len())
        } else {
            String::new()
        };
        Span::styled(
            glyphs.text(&format!("the plan shows what would change; nothing runs from here{more}")).into_owned(),
            theme.muted,
        )
    };
    frame.render_widget(Paragraph::new(status), Rect { x: area.x, y: status_y, width: area.width, height: 1 });
}
