//! `:slo` — one row per SLO: budget left as a bar, burn rates per window
//! coloured against the alert thresholds, the rows that fire, and how long
//! until the budget is gone at the current (1 h) burn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::app::state::{AppState, Freshness};
use crate::core::duration::format_age;
use crate::core::slo::{ALERT_RULES, SloEntry};
use crate::ui::theme::Theme;

/// The SLO table's columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SloColumn {
    Status,
    Name,
    Objective,
    Budget,
    Burn(&'static str),
    Exhaustion,
    Firing,
}

impl SloColumn {
    fn title(&self) -> String {
        match self {
            SloColumn::Status => String::new(),
            SloColumn::Name => "SLO".into(),
            SloColumn::Objective => "OBJ".into(),
            SloColumn::Budget => "BUDGET LEFT".into(),
            SloColumn::Burn(w) => format!("{:>5}", w.to_uppercase()),
            SloColumn::Exhaustion => "EMPTY IN".into(),
            SloColumn::Firing => "FIRING".into(),
        }
    }

    fn width(&self, name: u16, bar: u16) -> Constraint {
        match self {
            SloColumn::Status => Constraint::Length(2),
            SloColumn::Name => Constraint::Length(name),
            SloColumn::Objective => Constraint::Length(6),
            SloColumn::Budget => Constraint::Length(bar + 7),
            SloColumn::Burn(_) => Constraint::Length(5),
            SloColumn::Exhaustion => Constraint::Length(8),
            SloColumn::Firing => Constraint::Min(8),
        }
    }

    /// Columns with a higher number go first when the terminal is narrow.
    fn drop_order(&self) -> u8 {
        match self {
            SloColumn::Burn("3d") => 6,
            SloColumn::Burn("6h") => 5,
            SloColumn::Objective => 4,
            SloColumn::Exhaustion => 3,
            SloColumn::Burn("5m") => 2,
            _ => 0,
        }
    }
}

/// Every column that fits at `width`, the SLO name kept whole first.
fn fit(width: u16, name: u16) -> Vec<SloColumn> {
    let mut columns = vec![
        SloColumn::Status,
        SloColumn::Name,
        SloColumn::Objective,
        SloColumn::Budget,
        SloColumn::Burn("5m"),
        SloColumn::Burn("1h"),
        SloColumn::Burn("6h"),
        SloColumn::Burn("3d"),
        SloColumn::Exhaustion,
        SloColumn::Firing,
    ];
    let needed = |cols: &[SloColumn]| -> u16 {
        cols.iter()
            .map(|c| match c.width(name, 8) {
                Constraint::Length(n) | Constraint::Min(n) => n,
                _ => 0,
            })
            .sum::<u16>()
            + cols.len() as u16
    };
    while needed(&columns) > width {
        let Some((i, _)) =
            columns.iter().enumerate().filter(|(_, c)| c.drop_order() > 0).max_by_key(|(_, c)| c.drop_order())
        else {
            break;
        };
        columns.remove(i);
    }
    columns
}

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let Some(_) = &state.slo.latest else {
        let text = match state.freshness_of(&state.slo) {
            Freshness::Unreachable { error } => {
                Line::styled(glyphs.text(&format!("SLOs: {error}")).into_owned(), theme.error)
            }
            _ => Line::styled(glyphs.text("evaluating SLOs over 5m … 30d…").into_owned(), theme.muted),
        };
        frame.render_widget(Paragraph::new(text).centered(), centre_line(area));
        return;
    };
    let rows = state.slo_rows();
    let height = area.height.saturating_sub(1) as usize;
    let cursor = state.slo_table;
    let name_width = rows.iter().map(|s| s.name.chars().count()).max().unwrap_or(8).clamp(8, 36) as u16;
    let bar_width = 8usize;
    let columns = fit(area.width, name_width.min(32));
    let header = Row::new(columns.iter().map(|c| c.title())).style(theme.table_header);
    let widths: Vec<Constraint> = columns.iter().map(|c| c.width(name_width, bar_width as u16)).collect();
    let body = rows.iter().enumerate().skip(cursor.offset).take(height).map(|(i, slo)| {
        let cells = columns.iter().map(|column| match column {
            SloColumn::Status => Cell::from(status_glyph(slo, glyphs.ascii)).style(status_style(theme, slo)),
            SloColumn::Name => Cell::from(glyphs.text(&slo.name).into_owned()),
            SloColumn::Objective => Cell::from(format!("{}%", slo.objective)).style(theme.muted),
            SloColumn::Budget => Cell::from(budget_bar(slo.state.budget_remaining, bar_width, glyphs.ascii))
                .style(budget_style(theme, slo.state.budget_remaining)),
            SloColumn::Burn(window) => {
                let burn = slo.state.burn_rate.get(window);
                let text = burn.map_or_else(|| glyphs.dash.to_string(), |b| format!("{b:.1}"));
                Cell::from(format!("{text:>5}")).style(burn_style(theme, window, burn))
            }
            SloColumn::Exhaustion => {
                Cell::from(slo.state.exhaustion_seconds.map_or_else(|| glyphs.dash.to_string(), format_age))
            }
            SloColumn::Firing => {
                let firing = slo.state.firing_rows();
                let differs = slo.sloth.as_ref().map(|c| c.disagreements()).unwrap_or_default();
                if slo.error.is_none() && !differs.is_empty() {
                    let text = format!(
                        "{}sloth differs at {}",
                        if firing.is_empty() { String::new() } else { format!("{} · ", firing.join(", ")) },
                        differs.join(", ")
                    );
                    return Cell::from(text).style(theme.warning);
                }
                match (&slo.error, firing.is_empty()) {
                    (Some(e), _) => Cell::from(glyphs.text(e).into_owned()).style(theme.error),
                    (None, true) => {
                        let quiet = if slo.state.error_ratio.get("period").is_none() { "no traffic" } else { "" };
                        Cell::from(quiet).style(theme.muted)
                    }
                    (None, false) => Cell::from(firing.join(", ")).style(theme.critical.add_modifier(Modifier::BOLD)),
                }
            }
        });
        let row = Row::new(cells.collect::<Vec<_>>());
        if i == cursor.selected { row.style(theme.selection) } else { row }
    });
    frame.render_widget(Table::new(body, widths).header(header).column_spacing(1).style(theme.base), area);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no SLO matches — esc clears the filter", theme.muted)).centered(),
            centre_line(area),
        );
    }
}

/// `█████▌   78%` — the bar is empty when overspent, and the number says by how much.
pub fn budget_bar(left: Option<f64>, width: usize, ascii: bool) -> String {
    let Some(left) = left else { return format!("{:>w$}", "no traffic", w = width + 7) };
    let fill = (left.clamp(0.0, 1.0) * width as f64 * 2.0).round() as usize;
    let (full, half) = (fill / 2, fill % 2);
    let (block, half_block, empty) = if ascii { ('#', '+', '.') } else { ('█', '▌', '·') };
    let mut bar: String = std::iter::repeat_n(block, full).collect();
    if half == 1 {
        bar.push(half_block);
    }
    while bar.chars().count() < width {
        bar.push(empty);
    }
    format!("{bar} {:>5.0}%", left * 100.0)
}

fn status_glyph(slo: &SloEntry, ascii: bool) -> &'static str {
    let page = slo.state.alerts.iter().any(|a| a.firing && a.severity == "page");
    let ticket = slo.state.alerts.iter().any(|a| a.firing);
    match (slo.error.is_some() || slo.state.budget_remaining.is_none(), page, ticket, ascii) {
        (true, ..) => "?",
        (_, true, _, false) => "✖",
        (_, true, _, true) => "X",
        (_, _, true, false) => "▲",
        (_, _, true, true) => "!",
        (_, _, _, false) => "✔",
        _ => "+",
    }
}

fn status_style(theme: &Theme, slo: &SloEntry) -> Style {
    if slo.state.alerts.iter().any(|a| a.firing && a.severity == "page") {
        theme.critical
    } else if slo.state.alerts.iter().any(|a| a.firing) {
        theme.warning
    } else if slo.error.is_some() || slo.state.budget_remaining.is_none() {
        theme.unknown
    } else {
        theme.ok
    }
}

fn budget_style(theme: &Theme, left: Option<f64>) -> Style {
    match left {
        Some(l) if l <= 0.0 => theme.critical.add_modifier(Modifier::BOLD),
        Some(l) if l < 0.25 => theme.warning,
        Some(_) => theme.ok,
        None => theme.muted,
    }
}

/// Red at the burn that pages on a row using this window, amber above 1
/// (spending faster than the period allows), plain otherwise.
fn burn_style(theme: &Theme, window: &str, burn: Option<f64>) -> Style {
    let Some(burn) = burn else { return theme.muted };
    // 30-day factors; the view colours, the alert rows decide.
    let page = ALERT_RULES
        .iter()
        .filter(|r| r.long.0 == window || r.short.0 == window)
        .map(|r| r.factor(std::time::Duration::from_secs(30 * 86_400)))
        .fold(f64::INFINITY, f64::min);
    if burn >= page {
        theme.critical
    } else if burn > 1.0 {
        theme.warning
    } else {
        theme.base
    }
}

fn centre_line(area: Rect) -> Rect {
    Rect { y: area.y + area.height / 2, height: 1.min(area.height), ..area }
}

/// One line per SLO of `model`, for the model view: `availability 99.5% ·
/// budget 78% · burn 1h 1.5 · firing page 1h/5m`.
pub fn model_lines(state: &AppState, model: &str) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let Some(slos) = &state.slo.latest else { return Vec::new() };
    slos.iter()
        .filter(|s| s.model == model)
        .map(|s| {
            let budget = s.state.budget_remaining.map_or_else(|| "no traffic".into(), |b| format!("{:.0}%", b * 100.0));
            let burn = s.state.burn_rate.get("1h").map_or_else(|| "—".into(), |b| format!("{b:.1}"));
            let firing = s.state.firing_rows();
            let mut spans = vec![
                Span::styled(format!("SLO {} ", s.name), theme.accent),
                Span::styled(format!("{} {}% · budget {budget} · burn 1h {burn}", s.kind, s.objective), theme.base),
            ];
            if !firing.is_empty() {
                spans.push(Span::styled(format!(" · firing {}", firing.join(", ")), theme.critical));
            }
            Line::from(spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_bars_fill_by_halves_and_say_when_overspent() {
        assert_eq!(budget_bar(Some(1.0), 8, false), "████████   100%");
        assert_eq!(budget_bar(Some(0.5625), 8, false), "████▌···    56%");
        assert_eq!(budget_bar(Some(-0.4), 8, false), "········   -40%");
        assert_eq!(budget_bar(Some(0.5), 4, true), "##..    50%");
        assert_eq!(budget_bar(None, 8, false), "     no traffic");
    }
}
