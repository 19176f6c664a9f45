//! The fleet view: one row per model, worst first.
//!
//! Only the rows on screen are built, so drawing costs the same for 12
//! models or 10 000. Columns are dropped by priority when the terminal is
//! narrow — never squeezed until they garble.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::app::fleet_table::Column;
use crate::app::state::{AppState, Freshness};
use crate::core::alerts::AlertCounts;
use crate::core::health::{self, HealthThresholds, ModelHealth, Status, VersionHealth};
use crate::ui::glyphs::Glyphs;
use crate::ui::theme::Theme;
use crate::ui::widgets::sparkline::sparkline;
use crate::ui::widgets::text::{truncate, width};

/// One column's place in the layout.
#[derive(Debug, Clone, Copy)]
struct ColumnSpec {
    column: Column,
    min: u16,
    /// Width it grows to when there is room.
    ideal: u16,
    /// Columns with a higher number are dropped first when space runs out.
    drop_order: u8,
    right_aligned: bool,
}

const SPACING: u16 = 1;

fn specs(model_ideal: u16, versions_ideal: u16) -> [ColumnSpec; 12] {
    let spec =
        |column, min, ideal, drop_order, right_aligned| ColumnSpec { column, min, ideal, drop_order, right_aligned };
    [
        spec(Column::Status, 2, 2, 0, false),
        spec(Column::Model, 12, model_ideal.max(12), 0, false),
        spec(Column::Environment, 7, 7, 5, false),
        spec(Column::Versions, 7, versions_ideal.max(7), 3, false),
        spec(Column::Alerts, 4, 6, 3, false),
        spec(Column::Budget, 5, 6, 4, true),
        spec(Column::RequestsPerSecond, 5, 7, 1, true),
        spec(Column::ErrorRatio, 6, 6, 1, true),
        spec(Column::LatencyP50, 5, 6, 6, true),
        spec(Column::LatencyP99, 5, 6, 2, true),
        spec(Column::History, 8, 20, 4, false),
        spec(Column::Reason, 16, 60, 1, false),
    ]
}

/// Chooses the columns and their widths for `total` cells. The model name
/// gets its full width (up to 24) before optional columns are kept; then
/// columns are dropped in `drop_order` until the rest fits at minimum width.
fn fit_columns(total: u16, model_ideal: u16, versions_ideal: u16) -> Vec<(ColumnSpec, u16)> {
    let mut chosen: Vec<ColumnSpec> = specs(model_ideal, versions_ideal).to_vec();
    let floor = |c: &ColumnSpec| if c.column == Column::Model { c.ideal.min(24) } else { c.min };
    let needed = |cols: &[ColumnSpec]| -> u16 {
        cols.iter().map(floor).sum::<u16>() + SPACING * cols.len().saturating_sub(1) as u16
    };
    while needed(&chosen) > total && chosen.len() > 2 {
        let worst = chosen.iter().enumerate().max_by_key(|(i, c)| (c.drop_order, *i)).map(|(i, _)| i).unwrap_or(0);
        chosen.remove(worst);
    }
    let mut widths: Vec<u16> = chosen.iter().map(floor).collect();
    let mut spare = total.saturating_sub(needed(&chosen));
    if spare == 0 && needed(&chosen) > total {
        // Narrower than even the essentials: let the model name give way.
        if let Some(i) = chosen.iter().position(|c| c.column == Column::Model) {
            let over = needed(&chosen) - total;
            widths[i] = widths[i].saturating_sub(over).max(chosen[i].min.min(widths[i]));
        }
    }
    // Grow in order of usefulness: names first, then enough of the reason to
    // read a typical verdict ("v10 errors 10.4% ≥ 5%"), serving versions,
    // the numbers, the sparkline; finally the reason takes what is left.
    let mut reason_target = chosen.iter().position(|c| c.column == Column::Reason);
    for column in [
        Column::Model,
        Column::Reason,
        Column::Versions,
        Column::RequestsPerSecond,
        Column::LatencyP50,
        Column::LatencyP99,
        Column::History,
        Column::Reason,
    ] {
        if let Some(i) = chosen.iter().position(|c| c.column == column) {
            let ideal = if reason_target.take_if(|r| *r == i).is_some() { 24 } else { chosen[i].ideal };
            let grow = ideal.saturating_sub(widths[i]).min(spare);
            widths[i] += grow;
            spare -= grow;
        }
    }
    if let Some(i) = chosen.iter().position(|c| c.column == Column::Reason) {
        widths[i] += spare;
    }
    chosen.into_iter().zip(widths).collect()
}

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let Some(report) = &state.fleet.report else {
        let text = match state.freshness() {
            Freshness::Unreachable { error } => Line::styled(
                state.glyphs.text(&format!("{} unreachable: {error}", state.source_name)).into_owned(),
                theme.error,
            ),
            _ => Line::styled(
                state.glyphs.text(&format!("waiting for data from {}…", state.source_name)).into_owned(),
                theme.muted,
            ),
        };
        frame.render_widget(Paragraph::new(text).style(theme.base).centered(), centre_line(area));
        return;
    };

    let visible_height = area.height.saturating_sub(1) as usize;
    let shown: Vec<&ModelHealth> =
        state.fleet.rows.iter().skip(state.fleet.offset).take(visible_height).map(|&i| &report.models[i]).collect();
    let model_ideal = shown.iter().map(|m| width(&m.model)).max().unwrap_or(12).min(32) as u16;
    let versions_ideal = shown
        .iter()
        .map(|m| width(&versions_text(&m.versions, VersionsForm::Rich, &state.glyphs)))
        .max()
        .unwrap_or(9)
        .min(36) as u16;
    let columns = fit_columns(area.width, model_ideal, versions_ideal);

    let sort = state.fleet.sort;
    let header = Row::new(columns.iter().map(|(spec, w)| {
        let arrow = if sort.descending { state.glyphs.descending } else { state.glyphs.ascending };
        let sorted = spec.column == sort.column;
        let title = column_title(spec.column, *w as usize, sorted.then_some(arrow));
        let style =
            if spec.column == sort.column { theme.table_header.patch(theme.accent) } else { theme.table_header };
        Cell::from(align(&title, *w as usize, spec.right_aligned, &state.glyphs)).style(style)
    }))
    .style(theme.table_header);

    let thresholds = &state.session.thresholds;
    let rows = shown.iter().enumerate().map(|(i, model)| {
        let selected = state.fleet.offset + i == state.fleet.selected;
        let cells = columns.iter().map(|(spec, w)| cell(model, spec, *w as usize, theme, &state.glyphs, thresholds));
        let row = Row::new(cells);
        if selected { row.style(theme.selection) } else { row }
    });

    let widths: Vec<Constraint> = columns.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let table = Table::new(rows, widths).header(header).column_spacing(SPACING).style(theme.base);
    frame.render_widget(table, area);

    if state.fleet.rows.is_empty() {
        let message =
            Line::styled(state.glyphs.text("no model matches the filter — esc clears it").into_owned(), theme.muted);
        frame.render_widget(Paragraph::new(message).centered(), centre_line(area));
    }
}

/// The column's title with the sort arrow, in the longest form that fits.
fn column_title(column: Column, width: usize, arrow: Option<&str>) -> String {
    let arrow = arrow.unwrap_or("");
    if column == Column::Status {
        return arrow.to_string();
    }
    let long = format!("{}{arrow}", column.title());
    if crate::ui::widgets::text::width(&long) <= width {
        return long;
    }
    format!("{}{arrow}", column.short_title())
}

fn centre_line(area: Rect) -> Rect {
    Rect { y: area.y + area.height / 2, height: 1.min(area.height), ..area }
}

fn align(text: &str, width: usize, right: bool, glyphs: &Glyphs) -> String {
    let t = truncate(text, width, glyphs.ellipsis);
    if right { format!("{t:>width$}") } else { t }
}

fn cell<'a>(
    model: &ModelHealth,
    spec: &ColumnSpec,
    width: usize,
    theme: &Theme,
    glyphs: &Glyphs,
    thresholds: &HealthThresholds,
) -> Cell<'a> {
    let dash = glyphs.dash;
    let text_cell = |text: String, style: Style| {
        Cell::from(align(&glyphs.text(&text), width, spec.right_aligned, glyphs)).style(style)
    };
    match spec.column {
        Column::Status => Cell::from(glyphs.status(model.status)).style(status_style(theme, model.status)),
        Column::Model => text_cell(model.model.clone(), theme.base),
        Column::Environment => text_cell(model.environment.clone().unwrap_or_else(|| dash.into()), theme.muted),
        Column::Versions => {
            let text = [VersionsForm::Rich, VersionsForm::Medium, VersionsForm::Short]
                .into_iter()
                .map(|form| versions_text(&model.versions, form, glyphs))
                .find(|t| crate::ui::widgets::text::width(t) <= width)
                .unwrap_or_else(|| versions_text(&model.versions, VersionsForm::Short, glyphs));
            text_cell(text, theme.base)
        }
        Column::Alerts => {
            let Some(a) = model.alerts else { return text_cell(dash.into(), theme.muted) };
            let style = if a.firing > 0 {
                theme.critical
            } else if a.pending > 0 {
                theme.warning
            } else {
                theme.muted
            };
            text_cell(alert_counts_text(a), style)
        }
        Column::Budget => match model.budget_remaining {
            None => text_cell(dash.into(), theme.muted),
            Some(left) => {
                let style = if left <= 0.0 {
                    theme.critical
                } else if left < 0.25 {
                    theme.warning
                } else {
                    theme.base
                };
                text_cell(format!("{:.0}%", left * 100.0), style)
            }
        },
        Column::RequestsPerSecond => text_cell(model.requests_per_second.map_or(dash.into(), rate), theme.base),
        Column::ErrorRatio => {
            let style =
                level_style(theme, model.error_ratio, thresholds.error_ratio_warning, thresholds.error_ratio_critical);
            text_cell(model.error_ratio.map_or(dash.into(), health::percent), style)
        }
        Column::LatencyP50 => match (model.latency_p50_seconds, model.latency_average_seconds) {
            (Some(p50), _) => text_cell(health::seconds(p50), theme.base),
            // No histogram: the mean, marked so it is never read as a p50.
            (None, Some(mean)) => text_cell(format!("~{}", health::seconds(mean)), theme.muted),
            (None, None) => text_cell(dash.into(), theme.base),
        },
        Column::LatencyP99 => {
            let style = level_style(
                theme,
                model.latency_p99_seconds,
                thresholds.latency_p99_warning_seconds,
                thresholds.latency_p99_critical_seconds,
            );
            text_cell(model.latency_p99_seconds.map_or(dash.into(), health::seconds), style)
        }
        Column::History => Cell::from(sparkline(&model.history, width, glyphs.ramp)).style(theme.sparkline),
        Column::Reason => {
            let style = if model.status == Status::Ok { theme.muted } else { status_style(theme, model.status) };
            text_cell(model.reason.clone(), style)
        }
    }
}

/// `2!1p` — two firing, one pending; `1s` one silenced; `0` none. Short
/// enough for a narrow column, and readable without colour.
pub fn alert_counts_text(a: AlertCounts) -> String {
    if a.is_empty() {
        return "0".into();
    }
    let parts = [(a.firing, "!"), (a.pending, "p"), (a.suppressed, "s")];
    parts.iter().filter(|(n, _)| *n > 0).map(|(n, mark)| format!("{n}{mark}")).collect()
}

pub fn status_style(theme: &Theme, status: Status) -> Style {
    match status {
        Status::Ok => theme.ok,
        Status::Warning => theme.warning,
        Status::Critical => theme.critical,
        Status::Unknown => theme.unknown,
    }
}

fn level_style(theme: &Theme, value: Option<f64>, warning: f64, critical: f64) -> Style {
    match value {
        Some(v) if v >= critical => theme.critical,
        Some(v) if v >= warning => theme.warning,
        _ => theme.base,
    }
}

/// `412`, `12.3`, `0.52` requests per second.
pub fn rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VersionsForm {
    /// `v7 champion 75% · v8 challenger 25%`
    Rich,
    /// `v7 75% v8 25%`
    Medium,
    /// `v7+v8`
    Short,
}

fn versions_text(versions: &[VersionHealth], form: VersionsForm, glyphs: &Glyphs) -> String {
    let name = |v: &VersionHealth| v.version.as_ref().map_or_else(|| glyphs.dash.to_string(), |s| format!("v{s}"));
    let share = |v: &VersionHealth| v.traffic_share.map(|s| format!("{:.0}%", s * 100.0));
    if versions.is_empty() {
        return glyphs.dash.to_string();
    }
    match form {
        VersionsForm::Rich => {
            let sep = if glyphs.ascii { " / " } else { " · " };
            versions
                .iter()
                .map(|v| {
                    let mut parts = vec![name(v)];
                    parts.extend(v.aliases.iter().cloned());
                    if versions.len() > 1 {
                        parts.extend(share(v));
                    }
                    parts.join(" ")
                })
                .collect::<Vec<_>>()
                .join(sep)
        }
        VersionsForm::Medium => versions
            .iter()
            .map(|v| match (versions.len() > 1, share(v)) {
                (true, Some(s)) => format!("{} {s}", name(v)),
                _ => name(v),
            })
            .collect::<Vec<_>>()
            .join(" "),
        VersionsForm::Short => versions.iter().map(name).collect::<Vec<_>>().join("+"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_drop_columns_by_priority_and_keep_the_essentials() {
        let names = |cols: Vec<(ColumnSpec, u16)>| cols.iter().map(|(s, _)| s.column).collect::<Vec<_>>();
        let at80 = names(fit_columns(80, 20, 24));
        assert!(at80.contains(&Column::Model) && at80.contains(&Column::ErrorRatio) && at80.contains(&Column::Reason));
        assert!(!at80.contains(&Column::Environment) || at80.contains(&Column::LatencyP50));
        let at40 = names(fit_columns(40, 20, 24));
        assert_eq!(at40[..2], [Column::Status, Column::Model]);
        let at200 = fit_columns(200, 20, 24);
        assert_eq!(at200.len(), Column::ALL.len());
        let used: u16 = at200.iter().map(|(_, w)| w).sum::<u16>() + SPACING * (at200.len() as u16 - 1);
        assert_eq!(used, 200, "the reason column takes the slack");
    }

    #[test]
    fn versions_read_richly_when_there_is_room() {
        let v = |name: &str, alias: &str, share: f64| VersionHealth {
            version: Some(name.into()),
            aliases: vec![alias.into()],
            traffic_share: Some(share),
            requests_per_second: Some(1.0),
            error_ratio: None,
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
            status: Status::Ok,
        };
        let both = [v("7", "champion", 0.75), v("8", "challenger", 0.25)];
        let g = Glyphs::UNICODE;
        assert_eq!(versions_text(&both, VersionsForm::Rich, &g), "v7 champion 75% · v8 challenger 25%");
        assert_eq!(versions_text(&both, VersionsForm::Medium, &g), "v7 75% v8 25%");
        assert_eq!(versions_text(&both, VersionsForm::Short, &g), "v7+v8");
        assert_eq!(versions_text(&both[..1], VersionsForm::Rich, &g), "v7 champion");
    }

    #[test]
    fn rates_keep_three_significant_digits() {
        assert_eq!(rate(412.4), "412");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(rate(0.523), "0.52");
    }
}
