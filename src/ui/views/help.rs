//! The `?` overlay: the keys valid in the current view, generated from the
//! keymap in use, so it can never disagree with what the keys do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::action::Mode;
use crate::app::state::{AppState, View};

/// The modes of the view beneath the overlay, most specific first.
fn modes_of(view: View) -> &'static [Mode] {
    match view {
        View::Fleet => &[Mode::Fleet, Mode::Table, Mode::Global],
    }
}

pub fn lines(state: &AppState) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let mut out = Vec::new();
    let mut entries: Vec<(Mode, String, &'static str)> = Vec::new();
    for &mode in modes_of(state.view) {
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

/// Box corners and lines for `--ascii`.
const ASCII_BORDER: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let content = lines(state);
    let inner_width = content.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 2;
    let width = (inner_width + 2).min(area.width);
    let height = (content.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let view_name = match state.view {
        View::Fleet => "fleet",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(if state.glyphs.ascii { ASCII_BORDER } else { ratatui::symbols::border::PLAIN })
        .border_style(state.theme.border)
        .title(Span::styled(
            state.glyphs.text(&format!(" keys · {view_name} · keymap {} ", state.keymap.name())).into_owned(),
            state.theme.accent,
        ))
        .style(state.theme.base);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(content).block(block), popup);
}
