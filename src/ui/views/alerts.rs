//! `:alerts` — every alert from Prometheus and Alertmanager (or the lab's
//! rules): state, severity, name, model, how long, summary. Notes about a
//! source that could not be read sit above the table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::app::state::{AppState, Freshness};
use crate::core::alerts::{AlertEntry, AlertState};
use crate::core::duration::format_age;
use crate::ui::theme::Theme;
use crate::ui::widgets::text::truncate;

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let Some(snapshot) = &state.alerts.latest else {
        let text = match state.freshness_of(&state.alerts) {
            Freshness::Unreachable { error } => {
                Line::styled(glyphs.text(&format!("alerts: {error}")).into_owned(), theme.error)
            }
            _ if state.alerts.source_name.is_empty() => {
                Line::styled("this context has no alerts source (prometheus or alertmanager)", theme.muted)
            }
            _ => Line::styled(glyphs.text("waiting for alerts…").into_owned(), theme.muted),
        };
        frame.render_widget(Paragraph::new(text).centered(), centre_line(area));
        return;
    };

    let mut area = area;
    for note in snapshot.notes.iter().take(2) {
        if area.height < 3 {
            break;
        }
        let line = truncate(&glyphs.text(&format!("note: {note}")), area.width as usize, glyphs.ellipsis);
        frame.render_widget(Paragraph::new(Line::styled(line, theme.warning)), Rect { height: 1, ..area });
        area = Rect { y: area.y + 1, height: area.height - 1, ..area };
    }

    let rows = state.alert_rows();
    let height = area.height.saturating_sub(1) as usize;
    let cursor = state.alerts_table;
    let now = state.session.pinned_at.unwrap_or(state.now);
    let name_width = rows.iter().map(|a| a.name.chars().count()).max().unwrap_or(5).clamp(5, 28) as u16;
    let model_width =
        rows.iter().map(|a| a.model.as_deref().map_or(1, |m| m.chars().count())).max().unwrap_or(5).clamp(5, 24) as u16;
    let widths = [
        Constraint::Length(11),
        Constraint::Length(8),
        Constraint::Length(name_width),
        Constraint::Length(model_width),
        Constraint::Length(5),
        Constraint::Min(10),
    ];
    let header = Row::new(["STATE", "SEVERITY", "ALERT", "MODEL", "FOR", "SUMMARY"]).style(theme.table_header);
    let body = rows.iter().enumerate().skip(cursor.offset).take(height).map(|(i, alert)| {
        let since =
            alert.since.map(|s| format_age((now - s).num_seconds() as f64)).unwrap_or_else(|| glyphs.dash.into());
        let row = Row::new(vec![
            Cell::from(state_text(alert, glyphs.ascii)).style(state_style(theme, alert.state)),
            Cell::from(glyphs.text(alert.severity.as_deref().unwrap_or(glyphs.dash)).into_owned()).style(theme.muted),
            Cell::from(glyphs.text(&alert.name).into_owned()),
            Cell::from(glyphs.text(alert.model.as_deref().unwrap_or(glyphs.dash)).into_owned()),
            Cell::from(since).style(theme.muted),
            Cell::from(glyphs.text(&alert.summary).into_owned()).style(theme.muted),
        ]);
        if i == cursor.selected { row.style(theme.selection) } else { row }
    });
    let table = Table::new(body, widths).header(header).column_spacing(1).style(theme.base);
    frame.render_widget(table, area);
    if rows.is_empty() {
        let message = if snapshot.alerts.is_empty() {
            "no alerts — all quiet"
        } else {
            "no alert matches the filter — esc clears it"
        };
        frame.render_widget(Paragraph::new(Line::styled(message, theme.muted)).centered(), centre_line(area));
    }
}

/// `✖ firing`, `▲ pending`, `~ silenced` — readable without colour.
fn state_text(alert: &AlertEntry, ascii: bool) -> String {
    let mark = match (alert.state, ascii) {
        (AlertState::Firing, false) => "✖",
        (AlertState::Firing, true) => "X",
        (AlertState::Pending, false) => "▲",
        (AlertState::Pending, true) => "!",
        (AlertState::Silenced | AlertState::Inhibited, _) => "~",
    };
    format!("{mark} {}", alert.state.label())
}

fn state_style(theme: &Theme, state: AlertState) -> Style {
    match state {
        AlertState::Firing => theme.critical.add_modifier(Modifier::BOLD),
        AlertState::Pending => theme.warning,
        AlertState::Silenced | AlertState::Inhibited => theme.muted,
    }
}

fn centre_line(area: Rect) -> Rect {
    Rect { y: area.y + area.height / 2, height: 1.min(area.height), ..area }
}
