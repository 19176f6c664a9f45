//! `:registry` — every registered model, then its versions newest first:
//! aliases (their holders in bold), status (✔ ready, … pending, ✖ failed),
//! the serving numbers of the versions that take traffic, when and by whom
//! each was registered, source and tags. Columns are dropped by priority
//! when the terminal is narrow, never squeezed. The model view's registry
//! panel draws its versions with the same columns.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::state::{AppState, Freshness, RegistryRow};
use crate::core::health::{self, Status};
use crate::core::registry::VersionStatus;
use crate::core::registry_join::{ModelEntry, VersionEntry, relative_age, status_word};
use crate::ui::glyphs::Glyphs;
use crate::ui::theme::Theme;
use crate::ui::views::fleet::{rate, status_style};
use crate::ui::widgets::text::{truncate, width};

/// A version row's columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Version,
    Aliases,
    Status,
    Traffic,
    RequestsPerSecond,
    ErrorRatio,
    LatencyP99,
    Created,
    User,
    Source,
    Tags,
}

/// The registry view's columns.
pub const VIEW_COLUMNS: [Column; 11] = [
    Column::Version,
    Column::Aliases,
    Column::Status,
    Column::Traffic,
    Column::RequestsPerSecond,
    Column::ErrorRatio,
    Column::LatencyP99,
    Column::Created,
    Column::User,
    Column::Source,
    Column::Tags,
];

/// The model view's panel: the serving numbers are in the table above it.
pub const PANEL_COLUMNS: [Column; 6] =
    [Column::Version, Column::Aliases, Column::Status, Column::Created, Column::User, Column::Source];

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Version => "VERSION",
            Column::Aliases => "ALIASES",
            Column::Status => "STATUS",
            Column::Traffic => "TRAFFIC",
            Column::RequestsPerSecond => "REQ/S",
            Column::ErrorRatio => "ERR%",
            Column::LatencyP99 => "P99",
            Column::Created => "CREATED",
            Column::User => "BY",
            Column::Source => "SOURCE",
            Column::Tags => "TAGS",
        }
    }

    /// Cells narrower than this would garble what they hold.
    fn min(self, aliases: u16) -> u16 {
        match self {
            Column::Version => 7,
            Column::Aliases => aliases,
            Column::Status => 9,
            Column::Traffic => 7,
            Column::RequestsPerSecond => 6,
            Column::ErrorRatio => 6,
            Column::LatencyP99 => 6,
            Column::Created => 8,
            Column::User => 11,
            Column::Source => 12,
            Column::Tags => 10,
        }
    }

    /// Columns with a higher number go first when space runs out; 0 stays.
    fn drop_order(self) -> u8 {
        match self {
            Column::Tags => 8,
            Column::Source => 7,
            Column::User => 6,
            Column::RequestsPerSecond => 5,
            Column::LatencyP99 => 4,
            Column::Created => 3,
            Column::Traffic => 2,
            Column::ErrorRatio => 1,
            Column::Version | Column::Aliases | Column::Status => 0,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Traffic | Column::RequestsPerSecond | Column::ErrorRatio | Column::LatencyP99)
    }
}

/// The columns that fit in `total` cells and their widths: the least useful
/// dropped until the rest fit at their minimum, then the spare room given
/// to the source, the tags, and the last column.
pub fn fit(columns: &[Column], total: u16, aliases: u16, source: u16, tags: u16) -> Vec<(Column, u16)> {
    let mut chosen: Vec<Column> = columns.to_vec();
    let needed = |cols: &[Column]| -> u16 {
        cols.iter().map(|c| c.min(aliases)).sum::<u16>() + cols.len().saturating_sub(1) as u16
    };
    while needed(&chosen) > total {
        let Some((i, _)) =
            chosen.iter().enumerate().filter(|(_, c)| c.drop_order() > 0).max_by_key(|(_, c)| c.drop_order())
        else {
            break;
        };
        chosen.remove(i);
    }
    let mut widths: Vec<u16> = chosen.iter().map(|c| c.min(aliases)).collect();
    let mut spare = total.saturating_sub(needed(&chosen));
    for (column, ideal) in [(Column::Source, source), (Column::Tags, tags)] {
        if let Some(i) = chosen.iter().position(|c| *c == column) {
            let grow = ideal.saturating_sub(widths[i]).min(spare);
            widths[i] += grow;
            spare -= grow;
        }
    }
    if let Some(last) = widths.last_mut() {
        *last += spare;
    }
    chosen.into_iter().zip(widths).collect()
}

/// The width the aliases column needs for these versions.
pub fn aliases_width<'a>(versions: impl IntoIterator<Item = &'a VersionEntry>) -> u16 {
    versions.into_iter().map(|v| width(&v.aliases.join(","))).max().unwrap_or(0).clamp(7, 20) as u16
}

fn pad(text: &str, cells: u16, right: bool, glyphs: &Glyphs) -> String {
    let cut = truncate(text, cells as usize, glyphs.ellipsis);
    let room = (cells as usize).saturating_sub(width(&cut));
    if right { format!("{}{cut}", " ".repeat(room)) } else { format!("{cut}{}", " ".repeat(room)) }
}

/// `✔ ready`, `… pending`, `✖ failed` — readable without colour.
pub fn status_text(status: &VersionStatus, glyphs: &Glyphs) -> String {
    let mark = match (status, glyphs.ascii) {
        (VersionStatus::Ready, _) => glyphs.ok,
        (VersionStatus::PendingRegistration, false) => "…",
        (VersionStatus::PendingRegistration, true) => "~",
        (VersionStatus::FailedRegistration, _) => glyphs.critical,
        (VersionStatus::Other(_), _) => glyphs.unknown,
    };
    format!("{mark} {}", glyphs.text(status_word(status)))
}

fn status_cell_style(theme: &Theme, status: &VersionStatus) -> Style {
    match status {
        VersionStatus::Ready => theme.ok,
        VersionStatus::PendingRegistration => theme.warning,
        VersionStatus::FailedRegistration => theme.critical.add_modifier(Modifier::BOLD),
        VersionStatus::Other(_) => theme.unknown,
    }
}

/// The header line of a version table.
pub fn header_line(state: &AppState, columns: &[(Column, u16)]) -> Line<'static> {
    let spans: Vec<Span> = columns
        .iter()
        .enumerate()
        .map(|(i, (column, w))| {
            let gap = if i == 0 { "" } else { " " };
            Span::styled(
                format!("{gap}{}", pad(column.title(), *w, column.right_aligned(), &state.glyphs)),
                state.theme.table_header,
            )
        })
        .collect();
    Line::from(spans).style(state.theme.table_header)
}

/// One version as a line of `columns`. Alias holders stand out in bold,
/// versions that neither serve nor hold an alias are muted.
pub fn version_line(state: &AppState, v: &VersionEntry, columns: &[(Column, u16)], indent: usize) -> Line<'static> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dash = || glyphs.dash.to_string();
    let live = v.serving.is_some() || !v.aliases.is_empty();
    let plain = if live { theme.base } else { theme.muted };
    let holder = if v.aliases.is_empty() { plain } else { theme.accent.add_modifier(Modifier::BOLD) };
    let serving = |value: fn(&crate::core::registry_join::Serving) -> Option<String>| {
        v.serving.as_ref().map(|s| value(s).unwrap_or_else(dash)).unwrap_or_default()
    };
    let spans: Vec<Span> = columns
        .iter()
        .enumerate()
        .map(|(i, (column, w))| {
            let (text, style) = match column {
                Column::Version => (format!("{}v{}", " ".repeat(indent), v.version), holder),
                Column::Aliases => (v.aliases.join(","), holder),
                Column::Status => (status_text(&v.status, glyphs), status_cell_style(theme, &v.status)),
                Column::Traffic => (serving(|s| s.traffic_share.map(|t| format!("{:.0}%", t * 100.0))), plain),
                Column::RequestsPerSecond => (serving(|s| s.requests_per_second.map(rate)), plain),
                Column::ErrorRatio => (
                    serving(|s| s.error_ratio.map(health::percent)),
                    v.serving.as_ref().map_or(plain, |s| serving_style(theme, s.status)),
                ),
                Column::LatencyP99 => (serving(|s| s.latency_p99_seconds.map(health::seconds)), plain),
                Column::Created => (v.created_age_seconds.map_or_else(dash, relative_age), plain),
                Column::User => (v.user_id.clone().unwrap_or_else(dash), plain),
                Column::Source => (v.source.clone().unwrap_or_else(dash), plain),
                Column::Tags => {
                    let tags: Vec<String> = v.tags.iter().map(|(k, value)| format!("{k}={value}")).collect();
                    (tags.join(","), plain)
                }
            };
            let gap = if i == 0 { "" } else { " " };
            let text = glyphs.text(&text).into_owned();
            Span::styled(format!("{gap}{}", pad(&text, *w, column.right_aligned(), glyphs)), style)
        })
        .collect();
    Line::from(spans)
}

fn serving_style(theme: &Theme, status: Status) -> Style {
    match status {
        Status::Ok | Status::Unknown => theme.base,
        other => status_style(theme, other),
    }
}

/// `✖ fraud-detector  10 versions · champion v10 · v10 errors 10.4% ≥ 5%`
fn model_line(state: &AppState, model: &ModelEntry) -> Line<'static> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dot = glyphs.text(" · ").into_owned();
    let mut spans = match model.health {
        Some(status) => vec![Span::styled(format!("{} ", glyphs.status(status)), status_style(theme, status))],
        None => vec![Span::styled("  ", theme.muted)],
    };
    spans.push(Span::styled(glyphs.text(&model.model).into_owned(), theme.base.add_modifier(Modifier::BOLD)));
    let versions = model.versions.len();
    let mut details = format!("  {versions} version{}", if versions == 1 { "" } else { "s" });
    for (alias, version) in &model.aliases {
        details.push_str(&format!("{dot}{alias} v{version}"));
    }
    spans.push(Span::styled(glyphs.text(&details).into_owned(), theme.muted));
    match (&model.metrics_model, &model.health_reason) {
        (None, _) => spans.push(Span::styled(format!("{dot}not in the metrics"), theme.muted)),
        (Some(label), reason) => {
            if *label != model.model {
                spans.push(Span::styled(glyphs.text(&format!("{dot}metrics: {label}")).into_owned(), theme.muted));
            }
            if let (Some(reason), Some(status)) = (reason, model.health) {
                spans.push(Span::styled(
                    glyphs.text(&format!("{dot}{reason}")).into_owned(),
                    status_style(theme, status),
                ));
            }
        }
    }
    if let Some(text) = disagreements(model) {
        spans.push(Span::styled(glyphs.text(&format!("{dot}{text}")).into_owned(), theme.warning));
    }
    Line::from(spans)
}

/// `metrics label champion v9, challenger v10` when the metrics' aliases
/// are not the registry's.
fn disagreements(model: &ModelEntry) -> Option<String> {
    let found = model.alias_disagreements();
    if found.is_empty() {
        return None;
    }
    let list: Vec<String> = found.iter().map(|(alias, version)| format!("{alias} v{version}")).collect();
    Some(format!("metrics label {}", list.join(", ")))
}

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let Some(report) = &state.registry_report else {
        let text = match (&state.session.no_registry, state.live_freshness_of(&state.registry)) {
            (Some(why), _) => Line::styled(glyphs.text(why).into_owned(), theme.muted),
            (None, Freshness::Unreachable { error }) => {
                Line::styled(glyphs.text(&format!("registry: {error}")).into_owned(), theme.error)
            }
            _ => Line::styled(glyphs.text("reading the registry…").into_owned(), theme.muted),
        };
        frame.render_widget(Paragraph::new(text).centered(), centre_line(area));
        return;
    };
    let rows = state.registry_rows();
    let height = area.height.saturating_sub(1) as usize;
    let cursor = state.registry_table;
    let shown: Vec<(usize, &RegistryRow)> = rows.iter().enumerate().skip(cursor.offset).take(height).collect();
    // Columns are as wide as the rows on screen need, as in the fleet view.
    let visible: Vec<&VersionEntry> = shown
        .iter()
        .filter_map(|(_, row)| match row {
            RegistryRow::Version(m, v) => report.models.get(*m).and_then(|model| model.versions.get(*v)),
            RegistryRow::Model(_) => None,
        })
        .collect();
    let ideal = |f: fn(&VersionEntry) -> usize| visible.iter().map(|v| f(v)).max().unwrap_or(0).min(48) as u16;
    let source = ideal(|v| v.source.as_deref().map_or(1, width));
    let tags = ideal(|v| v.tags.iter().map(|(k, value)| width(k) + width(value) + 2).sum());
    let columns = fit(&VIEW_COLUMNS, area.width, aliases_width(visible.iter().copied()), source, tags);
    let mut lines = vec![header_line(state, &columns)];
    for (i, row) in shown {
        let line = match row {
            RegistryRow::Model(m) => fit_line(model_line(state, &report.models[*m]), area.width as usize, glyphs),
            RegistryRow::Version(m, v) => version_line(state, &report.models[*m].versions[*v], &columns, 2),
        };
        lines.push(if i == cursor.selected { line.patch_style(theme.selection) } else { line });
    }
    frame.render_widget(Paragraph::new(lines).style(theme.base), area);
    if rows.is_empty() {
        let text = if report.models.is_empty() {
            "the registry holds no models"
        } else {
            "no model matches the filter — esc clears it"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(glyphs.text(text).into_owned(), theme.muted)).centered(),
            centre_line(area),
        );
    }
}

/// The model view's panel: the model's versions as the registry has them,
/// alias holders and serving versions first when not all fit.
pub fn panel(frame: &mut Frame, state: &AppState, model: &ModelEntry, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    if area.height == 0 {
        return;
    }
    let room = area.height.saturating_sub(1) as usize;
    let mut chosen: Vec<&VersionEntry> =
        model.versions.iter().filter(|v| v.serving.is_some() || !v.aliases.is_empty()).take(room).collect();
    for v in &model.versions {
        if chosen.len() >= room {
            break;
        }
        if !chosen.iter().any(|c| c.version == v.version) {
            chosen.push(v);
        }
    }
    // Newest first, as everywhere else.
    chosen.sort_by_key(|v| model.versions.iter().position(|x| x.version == v.version));
    let hidden = model.versions.len() - chosen.len();
    let dot = glyphs.text(" · ").into_owned();
    // While the rest shows the past, say that the registry is as of now.
    let mut title =
        if state.session.pinned_at.is_some() { " registry now".to_string() } else { " registry".to_string() };
    for (alias, version) in &model.aliases {
        title.push_str(&format!("{dot}{alias} v{version}"));
    }
    if let Some(text) = disagreements(model) {
        title.push_str(&format!("{dot}{text}"));
    }
    if hidden > 0 {
        title.push_str(&format!("{dot}{hidden} older in :registry"));
    }
    let title = truncate(&glyphs.text(&format!("{title} ")), area.width.saturating_sub(2) as usize, glyphs.ellipsis);
    let block = Block::default()
        .borders(Borders::TOP)
        .border_set(glyphs.border())
        .border_style(theme.border)
        .title(Span::styled(title, theme.accent));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let source = chosen.iter().map(|v| v.source.as_deref().map_or(1, width)).max().unwrap_or(1).min(48) as u16;
    let columns = fit(&PANEL_COLUMNS, inner.width, aliases_width(chosen.iter().copied()), source, 0);
    let lines: Vec<Line> = chosen.iter().map(|v| version_line(state, v, &columns, 0)).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base), inner);
}

/// `line` cut to `cells` ending in an ellipsis, or padded to it: a cut is
/// always marked, and the cursor's highlight spans the row like a table's.
fn fit_line(line: Line<'static>, cells: usize, glyphs: &Glyphs) -> Line<'static> {
    let mut spans = line.spans;
    if spans.iter().map(|s| s.width()).sum::<usize>() > cells {
        let keep = cells.saturating_sub(width(glyphs.ellipsis));
        let mut used = 0;
        let mut cut = Vec::new();
        for span in spans {
            let text = truncate(&span.content, keep - used, "");
            used += width(&text);
            let whole = text.len() == span.content.len();
            cut.push(Span::styled(text, span.style));
            if !whole || used >= keep {
                break;
            }
        }
        let style = cut.last().map(|s| s.style).unwrap_or_default();
        cut.push(Span::styled(glyphs.ellipsis.to_string(), style));
        spans = cut;
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    spans.push(Span::raw(" ".repeat(cells.saturating_sub(used))));
    Line::from(spans)
}

fn centre_line(area: Rect) -> Rect {
    Rect { y: area.y + area.height / 2, height: 1.min(area.height), ..area }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(columns: &[(Column, u16)]) -> Vec<Column> {
        columns.iter().map(|(c, _)| *c).collect()
    }

    #[test]
    fn columns_drop_by_priority_and_fill_the_width() {
        let wide = fit(&VIEW_COLUMNS, 160, 8, 30, 24);
        assert_eq!(names(&wide), VIEW_COLUMNS);
        let total: u16 = wide.iter().map(|(_, w)| w).sum::<u16>() + wide.len() as u16 - 1;
        assert_eq!(total, 160);
        let narrow = fit(&VIEW_COLUMNS, 80, 8, 30, 24);
        assert_eq!(
            names(&narrow),
            [
                Column::Version,
                Column::Aliases,
                Column::Status,
                Column::Traffic,
                Column::RequestsPerSecond,
                Column::ErrorRatio,
                Column::LatencyP99,
                Column::Created,
                Column::User,
            ]
        );
        let tiny = fit(&VIEW_COLUMNS, 30, 8, 30, 24);
        assert_eq!(names(&tiny), [Column::Version, Column::Aliases, Column::Status]);
        let panel = fit(&PANEL_COLUMNS, 80, 8, 29, 0);
        assert_eq!(names(&panel), PANEL_COLUMNS, "the panel keeps its source at 80 columns");
    }

    #[test]
    fn long_lines_end_in_an_ellipsis_and_short_ones_fill_the_row() {
        let line = Line::from(vec![Span::raw("✖ "), Span::raw("fraud-detector"), Span::raw("  10 versions")]);
        let cut = fit_line(line.clone(), 12, &Glyphs::UNICODE);
        assert_eq!(cut.to_string(), "✖ fraud-det…");
        assert_eq!(cut.width(), 12);
        let padded = fit_line(line, 40, &Glyphs::UNICODE);
        assert_eq!(padded.width(), 40);
        assert!(padded.to_string().starts_with("✖ fraud-detector  10 versions "));
        let exact = fit_line(Line::from(vec![Span::raw("abc"), Span::raw("def")]), 4, &Glyphs::ASCII);
        assert_eq!(exact.to_string(), "abc~", "the cut falls between spans and is still marked");
    }

    #[test]
    fn statuses_keep_their_meaning_in_ascii() {
        assert_eq!(status_text(&VersionStatus::Ready, &Glyphs::UNICODE), "✔ ready");
        assert_eq!(status_text(&VersionStatus::FailedRegistration, &Glyphs::ASCII), "X failed");
        assert_eq!(status_text(&VersionStatus::PendingRegistration, &Glyphs::ASCII), "~ pending");
        assert_eq!(status_text(&VersionStatus::Other("ODD".into()), &Glyphs::UNICODE), "? ODD");
    }
}
