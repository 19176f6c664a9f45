//! The model view (Enter on a fleet row, `:model NAME`): request rate, error
//! ratio and latency over a chosen range with the versions overlaid — the
//! canary beside the stable version — then each version's numbers and
//! traffic share, the model's alerts, and its versions as the registry has
//! them (aliases, status, who registered them and when, source).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Cell, Chart, Dataset, GraphType, LegendPosition, Paragraph, Row, Table};

use crate::app::state::{AppState, Freshness, ModelView, Quantile};
use crate::core::health::{self, ModelHealth};
use crate::core::model_detail::{ModelDetail, VersionSeries};
use crate::ui::theme::Theme;
use crate::ui::views::fleet::rate;
use crate::ui::widgets::sparkline::sparkline;
use crate::ui::widgets::text::truncate;

/// What one chart plots for a version.
#[derive(Clone, Copy)]
struct Panel {
    title: &'static str,
    values: fn(&VersionSeries) -> &[Option<f64>],
    format: fn(f64) -> String,
}

fn panels(quantile: Quantile) -> [Panel; 3] {
    let latency = match quantile {
        Quantile::P99 => {
            Panel { title: "p99 latency (p cycles)", values: |v| &v.latency_p99_seconds, format: health::seconds }
        }
        Quantile::P95 => {
            Panel { title: "p95 latency (p cycles)", values: |v| &v.latency_p95_seconds, format: health::seconds }
        }
        Quantile::P50 => {
            Panel { title: "p50 latency (p cycles)", values: |v| &v.latency_p50_seconds, format: health::seconds }
        }
    };
    [
        Panel { title: "requests/s", values: |v| &v.requests_per_second, format: rate },
        Panel { title: "error %", values: |v| &v.error_ratio, format: health::percent },
        latency,
    ]
}

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let Some(view) = &state.model_view else { return };
    let health = state.fleet.report.as_ref().and_then(|r| r.models.iter().find(|m| m.model == view.model));
    let alerts: Vec<_> = state
        .alerts
        .latest
        .as_ref()
        .map(|s| s.alerts.iter().filter(|a| a.model.as_deref() == Some(view.model.as_str())).collect())
        .unwrap_or_default();

    let Some(detail) = &view.feed.latest else {
        let text = match state.freshness_of(&view.feed) {
            Freshness::Unreachable { error } => Line::styled(glyphs.text(&error).into_owned(), theme.error),
            _ => Line::styled(
                glyphs.text(&format!("loading {} over {}…", view.model, view.range_name())).into_owned(),
                theme.muted,
            ),
        };
        frame.render_widget(
            Paragraph::new(text).centered(),
            Rect { y: area.y + area.height / 2, height: 1.min(area.height), ..area },
        );
        return;
    };

    let versions = detail.versions.len().max(1) as u16;
    let slo_lines = crate::ui::views::slo::model_lines(state, &view.model);
    let extra_rows = (alerts.len().min(3) + slo_lines.len().min(3)) as u16;
    let table_height = (1 + versions + if extra_rows > 0 { extra_rows + 1 } else { 0 }).min(area.height / 2);
    let notes = detail.notes.len().min(2) as u16;
    // The registry panel takes what the charts can spare (each keeps one
    // plotted row), up to its versions; a title with no row is left out.
    let registry = state.registry_report.as_ref().and_then(|r| r.by_metrics_model(&view.model));
    let panel_height = registry.map_or(0, |entry| {
        let wanted = 1 + entry.versions.len().min(REGISTRY_PANEL_ROWS) as u16;
        let spare = area.height.saturating_sub(CHARTS_MIN_HEIGHT + notes + table_height);
        if spare >= 2 { wanted.min(spare) } else { 0 }
    });
    let [charts_area, notes_area, table_area, panel_area] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(notes),
        Constraint::Length(table_height),
        Constraint::Length(panel_height),
    ])
    .areas(area);
    if let Some(entry) = registry {
        crate::ui::views::registry::panel(frame, state, entry, panel_area);
    }
    draw_charts(frame, state, view, detail, charts_area);
    for (i, note) in detail.notes.iter().take(notes as usize).enumerate() {
        let line = truncate(&glyphs.text(&format!("note: {note}")), area.width as usize, glyphs.ellipsis);
        frame.render_widget(
            Paragraph::new(Line::styled(line, theme.warning)),
            Rect { y: notes_area.y + i as u16, height: 1, ..notes_area },
        );
    }
    draw_versions(frame, state, detail, health, &alerts, &slo_lines, table_area);
}

/// Three charts of a title, one plotted row, an axis and its labels.
const CHARTS_MIN_HEIGHT: u16 = 12;
/// Registry versions the panel lists at most (`:registry` has them all).
const REGISTRY_PANEL_ROWS: usize = 8;

/// One style per version, in order: the stable version first.
fn series_styles(theme: &Theme) -> [Style; 4] {
    [theme.accent, theme.warning, theme.ok, theme.key]
}

fn draw_charts(frame: &mut Frame, state: &AppState, view: &ModelView, detail: &ModelDetail, area: Rect) {
    let rows = Layout::vertical([Constraint::Ratio(1, 3); 3]).split(area);
    for (panel, row) in panels(view.quantile).iter().zip(rows.iter()) {
        if state.glyphs.ascii {
            draw_text_panel(frame, state, panel, detail, *row);
        } else {
            draw_chart(frame, state, view, panel, detail, *row);
        }
    }
}

fn version_name(v: &VersionSeries) -> String {
    v.version.as_ref().map_or_else(|| "—".to_string(), |s| format!("v{s}"))
}

fn draw_chart(frame: &mut Frame, state: &AppState, view: &ModelView, panel: &Panel, detail: &ModelDetail, area: Rect) {
    let theme = &state.theme;
    let points: Vec<Vec<(f64, f64)>> = detail
        .versions
        .iter()
        .map(|v| {
            (panel.values)(v)
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.filter(|x| x.is_finite()).map(|x| (i as f64, x)))
                .collect()
        })
        .collect();
    let max = points.iter().flatten().map(|(_, y)| *y).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let styles = series_styles(theme);
    let datasets: Vec<Dataset> = detail
        .versions
        .iter()
        .zip(&points)
        .enumerate()
        .map(|(i, (v, data))| {
            Dataset::default()
                .name(version_name(v))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(styles[i % styles.len()])
                .data(data)
        })
        .collect();
    let n = points
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(detail.range_seconds as usize / detail.step_seconds.max(1) as usize);
    let first = detail.time_of(0, n);
    let labels = vec![
        Span::styled(first.format("%H:%M").to_string(), theme.muted),
        Span::styled(detail.at.format("%H:%M").to_string(), theme.muted),
    ];
    let title = format!(" {} · {} ", panel.title, view.range_name());
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_set(state.glyphs.border())
                .border_style(theme.border)
                .title(Span::styled(title, theme.accent)),
        )
        .x_axis(Axis::default().bounds([0.0, n.saturating_sub(1).max(1) as f64]).labels(labels).style(theme.muted))
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(vec![Span::styled("0", theme.muted), Span::styled((panel.format)(max), theme.muted)])
                .style(theme.muted),
        )
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)))
        .style(theme.base);
    frame.render_widget(chart, area);
}

/// Under `--ascii`: one text sparkline per version, with its last value.
fn draw_text_panel(frame: &mut Frame, state: &AppState, panel: &Panel, detail: &ModelDetail, area: Rect) {
    let theme = &state.theme;
    let mut lines = vec![Line::styled(format!("-- {} --", panel.title), theme.accent)];
    for v in &detail.versions {
        let values = (panel.values)(v);
        let last = values.iter().rev().flatten().next().map_or_else(|| "-".to_string(), |x| (panel.format)(*x));
        let label = format!("{:<6} {:>8} ", version_name(v), last);
        let width = (area.width as usize).saturating_sub(label.len());
        lines.push(Line::from(vec![
            Span::styled(label, theme.base),
            Span::styled(sparkline(values, width, state.glyphs.ramp), theme.sparkline),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_versions(
    frame: &mut Frame,
    state: &AppState,
    detail: &ModelDetail,
    health: Option<&ModelHealth>,
    alerts: &[&crate::core::alerts::AlertEntry],
    slo_lines: &[Line<'static>],
    area: Rect,
) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dash = glyphs.dash;
    let shares = detail.traffic_shares();
    let styles = series_styles(theme);
    let last = |values: &[Option<f64>]| values.iter().rev().flatten().next().copied();
    let rows: Vec<Row> = detail
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let aliases = health
                .and_then(|h| h.versions.iter().find(|hv| hv.version == v.version))
                .map(|hv| hv.aliases.join(","))
                .unwrap_or_default();
            let share =
                shares.get(i).and_then(|(_, s)| *s).map_or_else(|| dash.to_string(), |s| format!("{:.0}%", s * 100.0));
            Row::new(vec![
                Cell::from(version_name(v)).style(styles[i % styles.len()].add_modifier(Modifier::BOLD)),
                Cell::from(glyphs.text(&aliases).into_owned()).style(theme.muted),
                Cell::from(share),
                Cell::from(last(&v.requests_per_second).map_or_else(|| dash.to_string(), rate)),
                Cell::from(last(&v.error_ratio).map_or_else(|| dash.to_string(), health::percent)),
                Cell::from(last(&v.latency_p50_seconds).map_or_else(|| dash.to_string(), health::seconds)),
                Cell::from(last(&v.latency_p95_seconds).map_or_else(|| dash.to_string(), health::seconds)),
                Cell::from(last(&v.latency_p99_seconds).map_or_else(|| dash.to_string(), health::seconds)),
            ])
        })
        .collect();
    let header =
        Row::new(["VERSION", "ALIASES", "TRAFFIC", "REQ/S", "ERR%", "P50", "P95", "P99"]).style(theme.table_header);
    let widths = [
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
    ];
    let table = Table::new(rows, widths).header(header).column_spacing(1).style(theme.base);
    frame.render_widget(table, area);
    // The model's SLOs, then its alerts, under the versions, one line each.
    let alert_lines = alerts.iter().take(3).map(|alert| {
        let text = format!("{} {} · {}", alert.state.label(), alert.name, alert.summary);
        let style = if alert.is_firing() { theme.critical } else { theme.muted };
        Line::styled(truncate(&glyphs.text(&text), area.width as usize, glyphs.ellipsis), style)
    });
    let lines = slo_lines.iter().take(3).cloned().chain(alert_lines);
    for (i, line) in lines.enumerate() {
        let y = area.y + 1 + detail.versions.len() as u16 + 1 + i as u16;
        if y >= area.y + area.height {
            break;
        }
        frame.render_widget(Paragraph::new(line).style(theme.base), Rect { y, height: 1, ..area });
    }
}
