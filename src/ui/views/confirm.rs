//! The panel that says what a change will do while the operator fills in
//! its prompts: context, the exact change, and what to type to go ahead.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::change::Draft;
use crate::app::state::AppState;
use crate::core::duration;

pub fn render(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let mut lines = vec![Line::from(vec![
        Span::styled("context ", theme.muted),
        Span::styled(glyphs.text(&state.session.context).into_owned(), theme.base.add_modifier(Modifier::BOLD)),
    ])];
    let (what, target) = match (&state.confirming, &state.draft) {
        (Some(change), _) => (change.describe(), change.target().to_string()),
        (None, Some(Draft::Silence { labels, target, duration: d })) => {
            let matchers: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let how_long = d.map(|d| format!(" for {}", duration::format(d))).unwrap_or_default();
            (format!("silence {{{}}}{how_long}", matchers.join(", ")), target.clone())
        }
        (None, Some(Draft::Expire { id, target })) => (format!("expire silence {id}"), target.clone()),
        (None, None) => return,
    };
    lines.push(Line::styled(glyphs.text(&what).into_owned(), theme.base));
    let step = if state.confirming.is_some() {
        format!("type {} and enter to go ahead; esc cancels", glyphs.text(&target))
    } else {
        "fill in the prompt below; esc cancels".to_string()
    };
    lines.push(Line::styled(step, theme.warning));
    let height = (lines.len() as u16 + 4).min(area.height);
    let width = area.width.min(100);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height - height, width, height };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(glyphs.border())
        .border_style(theme.critical)
        .title(Span::styled(" change · alertmanager ", theme.critical.add_modifier(Modifier::BOLD)))
        .style(theme.base);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), popup);
}
