//! One SLO over its period: the error budget burning down from the start
//! of the period to now, and each step's error ratio against the alert rows'
//! thresholds (factor × budget), so "why is this paging" has a picture.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, LegendPosition, Paragraph};

use crate::app::state::{AppState, Freshness};
use crate::core::slo::{ALERT_RULES, SloSeries};
use crate::ui::widgets::sparkline::sparkline;

/// A row's threshold as a horizontal line: name, its two ends, its colour.
type Threshold = (String, [(f64, f64); 2], Style);

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let Some(detail) = &state.slo_detail else { return };
    let Some(series) = &detail.feed.latest else {
        let text = match state.freshness_of(&detail.feed) {
            Freshness::Unreachable { error } => Line::styled(glyphs.text(&error).into_owned(), theme.error),
            _ => Line::styled(glyphs.text("reading the period step by step…").into_owned(), theme.muted),
        };
        frame.render_widget(Paragraph::new(text).centered(), Rect { y: area.y + area.height / 2, height: 1, ..area });
        return;
    };
    let objective = detail.definition.objective;
    let burn_down = series.burn_down(&objective);
    let ratios = series.error_ratios();
    let [top, bottom] = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(area);
    if glyphs.ascii {
        let width = area.width.saturating_sub(14) as usize;
        let lines = vec![
            Line::styled("-- budget left over the period --", theme.accent),
            Line::from(format!("{:<13} {}", "budget", sparkline(&burn_down, width, glyphs.ramp))),
            Line::styled("-- error ratio per step --", theme.accent),
            Line::from(format!("{:<13} {}", "error ratio", sparkline(&ratios, width, glyphs.ramp))),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let points = |values: &[Option<f64>]| -> Vec<(f64, f64)> {
        values.iter().enumerate().filter_map(|(i, v)| v.filter(|x| x.is_finite()).map(|x| (i as f64, x))).collect()
    };
    let n = series.steps.len().max(2) as f64 - 1.0;
    let labels = time_labels(series, theme.muted);

    // Budget left: from 100 % down; the floor shows 0 and any overspend.
    let budget_points = points(&burn_down);
    let low = budget_points.iter().map(|(_, y)| *y).fold(0.0_f64, f64::min);
    let zero = [(0.0, 0.0), (n, 0.0)];
    let budget_chart = Chart::new(vec![
        Dataset::default()
            .name("budget left")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.accent)
            .data(&budget_points),
        Dataset::default()
            .name("spent")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.critical)
            .data(&zero),
    ])
    .block(block(state, format!(" budget left over {} ", period_name(objective.period.as_secs()))))
    .x_axis(Axis::default().bounds([0.0, n]).labels(labels.clone()).style(theme.muted))
    .y_axis(
        Axis::default()
            .bounds([low.min(0.0), 1.0])
            .labels(vec![Span::styled(format!("{:.0}%", low * 100.0), theme.muted), Span::styled("100%", theme.muted)])
            .style(theme.muted),
    )
    .legend_position(Some(LegendPosition::TopRight))
    .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 1)))
    .style(theme.base);
    frame.render_widget(budget_chart, top);

    // Error ratio per step against each row's threshold.
    let ratio_points = points(&ratios);
    let budget = objective.budget();
    let thresholds: Vec<Threshold> = ALERT_RULES
        .iter()
        .map(|rule| {
            let y = rule.factor(objective.period) * budget;
            let style = if rule.severity == "page" { theme.critical } else { theme.warning };
            (format!("{} {}/{}", rule.severity, rule.long.0, rule.short.0), [(0.0, y), (n, y)], style)
        })
        .collect();
    let top_ratio = ratio_points.iter().map(|(_, y)| *y).chain(thresholds.iter().map(|t| t.1[0].1)).fold(0.0, f64::max);
    let mut datasets = vec![
        Dataset::default()
            .name("error ratio")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.accent)
            .data(&ratio_points),
    ];
    for (name, line, style) in &thresholds {
        datasets.push(
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(*style)
                .data(line),
        );
    }
    let ratio_chart = Chart::new(datasets)
        .block(block(state, format!(" error ratio per {} step · alert thresholds ", period_name(series.step_seconds))))
        .x_axis(Axis::default().bounds([0.0, n]).labels(labels).style(theme.muted))
        .y_axis(
            Axis::default()
                .bounds([0.0, top_ratio * 1.1])
                .labels(vec![
                    Span::styled("0", theme.muted),
                    Span::styled(format!("{:.2}%", top_ratio * 100.0), theme.muted),
                ])
                .style(theme.muted),
        )
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 1)))
        .style(theme.base);
    frame.render_widget(ratio_chart, bottom);
}

fn block(state: &AppState, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::TOP)
        .border_set(state.glyphs.border())
        .border_style(state.theme.border)
        .title(Span::styled(title, state.theme.accent))
}

fn time_labels(series: &SloSeries, style: Style) -> Vec<Span<'static>> {
    let span = chrono::Duration::seconds((series.step_seconds * series.steps.len().saturating_sub(1) as u64) as i64);
    let first = series.at - span;
    vec![
        Span::styled(first.format("%m-%d %H:%M").to_string(), style),
        Span::styled(series.at.format("%m-%d %H:%M").to_string(), style),
    ]
}

fn period_name(seconds: u64) -> String {
    crate::core::duration::format(std::time::Duration::from_secs(seconds))
}
