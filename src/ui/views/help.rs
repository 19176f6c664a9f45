//! The `?` overlay: the keys valid in the current view, generated from the
//! keymap in use, so it can never disagree with what the keys do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::action::Mode;
use crate::app::state::AppState;
use crate::app::update::view_modes;

pub fn lines(state: &AppState) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let mut out = Vec::new();
    let mut entries: Vec<(Mode, String, &'static str)> = Vec::new();
    for &mode in view_modes(state.view) {
        for (action, keys) in state.keymap.entries(mode) {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            entries.push((mode, keys.join(" "), action.description()));
        }
    }
    let key_width = entries.iter().map(|(_, k, _)| k.chars().count()).max().unwrap_or(4).min(18);
    let mut current: Option<Mode> = None;
    for (mode, keys, description) in entries {
        if current != Some(mode) {
            current = Some(mode);
            out.push(Line::styled(mode.as_str().to_string(), theme.accent.add_modifier(Modifier::BOLD)));
        }
        out.push(Line::from(vec![
            Span::styled(format!("  {keys:<key_width$}  "), theme.key),
            Span::styled(state.glyphs.text(description).into_owned(), theme.base),
        ]));
    }
    out
}

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let content = lines(state);
    // Too tall for the screen: two columns side by side, each line cut to fit,
    // so no key ever falls off the bottom.
    let available = area.height.saturating_sub(2) as usize;
    let content = if content.len() > available && available > 0 {
        let half = content.len().div_ceil(2);
        let column_width = (area.width.saturating_sub(4) / 2) as usize;
        let (left, right) = content.split_at(half);
        (0..half)
            .map(|i| {
                let mut spans = fit(&left[i], column_width, state.glyphs.ellipsis);
                if let Some(line) = right.get(i) {
                    spans.extend(fit(line, column_width, state.glyphs.ellipsis));
                }
                Line::from(spans)
            })
            .collect()
    } else {
        content
    };
    let inner_width = content.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 2;
    let width = (inner_width + 2).min(area.width);
    let height = (content.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let view_name = state.view.name();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(state.glyphs.border())
        .border_style(state.theme.border)
        .title(Span::styled(
            state.glyphs.text(&format!(" keys · {view_name} · keymap {} ", state.keymap.name())).into_owned(),
            state.theme.accent,
        ))
        .style(state.theme.base);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(content).block(block), popup);
}

/// The spans of `line` cut or padded to exactly `width` cells.
fn fit(line: &Line<'static>, width: usize, ellipsis: &str) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        if used >= width {
            break;
        }
        let text = crate::ui::widgets::text::truncate(&span.content, width - used, ellipsis);
        used += crate::ui::widgets::text::width(&text);
        out.push(Span::styled(text, span.style));
    }
    if used < width {
        out.push(Span::raw(" ".repeat(width - used)));
    }
    out
}
