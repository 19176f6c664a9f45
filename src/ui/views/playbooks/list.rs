//! The playbooks this session can run: name, whether it changes things,
//! what it does; below, the selected one's parameters and their defaults
//! for the model the view was opened for.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{clean, cut, hanging};
use crate::app::playbooks::form::{default_text, kind_text};
use crate::app::state::AppState;
use crate::ui::widgets::text::width;

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let pb = &state.playbooks;
    let library = match &pb.library {
        Ok(library) => library,
        Err(why) => {
            let mut lines = vec![Line::styled(
                "the playbooks could not be loaded (fix the file and start again):",
                theme.critical.add_modifier(Modifier::BOLD),
            )];
            for problem in why.lines() {
                lines.extend(hanging(vec![Span::raw("  ")], &clean(glyphs, problem), theme.base, area.width));
            }
            frame.render_widget(Paragraph::new(lines), area);
            return;
        }
    };
    let rows = pb.rows(state.fleet.filter.as_ref());
    let total = area.width as usize;
    let name_width = library.iter().map(|p| width(&p.name)).max().unwrap_or(8).clamp(8, 24);
    let kind_width = 7;
    let description_width = total.saturating_sub(name_width + kind_width + 2);
    let mut lines = vec![Line::styled(
        format!("{:<name_width$} {:<kind_width$} {}", "PLAYBOOK", "KIND", "DESCRIPTION"),
        theme.table_header,
    )];
    if rows.is_empty() {
        let text = if library.is_empty() { "no playbooks" } else { "no playbook matches the filter" };
        lines.push(Line::styled(text, theme.muted));
    }
    // The rows get the room the parameters below do not need (at least half).
    let selected = pb.selected(state.fleet.filter.as_ref());
    let detail_height = selected.map_or(0, |p| p.params.len() + 2);
    let room = (area.height as usize).saturating_sub(1).saturating_sub(detail_height).max(area.height as usize / 2);
    let mut cursor = pb.list;
    cursor.scroll(rows.len(), room.max(1));
    for (i, &index) in rows.iter().enumerate().skip(cursor.offset).take(room.max(1)) {
        let p = &library[index];
        let kind = if p.mutating { "changes" } else { "reads" };
        let style = if p.mutating { theme.base } else { theme.muted };
        let text = format!(
            "{:<name_width$} {:<kind_width$} {}",
            cut(state, &clean(glyphs, &p.name), name_width),
            kind,
            cut(state, &clean(glyphs, &p.description), description_width)
        );
        let line = Line::styled(text, style);
        lines.push(if i == cursor.selected { line.patch_style(theme.selection) } else { line });
    }
    if let Some(p) = selected
        && (area.height as usize) >= lines.len() + 3
    {
        lines.push(Line::default());
        let model = pb.model.as_deref();
        lines.push(Line::from(vec![
            Span::styled(clean(glyphs, &p.name), theme.accent.add_modifier(Modifier::BOLD)),
            Span::styled(format!("{}{}", glyphs.text(" · "), clean(glyphs, &p.file)), theme.muted),
        ]));
        let param_width = p.params.iter().map(|q| width(&q.name)).max().unwrap_or(4).min(20);
        let kind_width = p.params.iter().map(|q| width(&kind_text(&q.kind))).max().unwrap_or(4).min(16);
        let defaults: Vec<String> = p.params.iter().map(|q| clean(glyphs, &default_text(q, p, model))).collect();
        let default_width = defaults.iter().map(|d| width(d)).max().unwrap_or(4).min(24);
        for (q, default) in p.params.iter().zip(defaults) {
            let pad = default_width.saturating_sub(width(&default));
            let text = format!(
                "  {:<param_width$} {:<kind_width$} {default}{}  ",
                clean(glyphs, &q.name),
                glyphs.text(&kind_text(&q.kind)),
                " ".repeat(pad)
            );
            let used = width(&text);
            lines.push(Line::from(vec![
                Span::styled(text, theme.base),
                Span::styled(cut(state, &clean(glyphs, &q.description), total.saturating_sub(used)), theme.muted),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
