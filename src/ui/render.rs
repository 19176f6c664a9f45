//! The whole screen from `&AppState`. Pure: it reads state, draws, and
//! changes nothing — no clock, no I/O, no awaiting.

use ratatui::Frame;
use ratatui::widgets::Block;

use crate::app::state::{AppState, View};
use crate::ui::{chrome, layout, views};

pub fn render(frame: &mut Frame, state: &AppState) {
    let area = frame.area();
    frame.render_widget(Block::default().style(state.theme.base), area);
    let areas = layout::split(area);
    chrome::header(frame, state, areas.header);
    chrome::title(frame, state, areas.title);
    match state.view {
        View::Fleet => views::fleet::render(frame, state, areas.body),
        View::Alerts => views::alerts::render(frame, state, areas.body),
        View::Model => views::model::render(frame, state, areas.body),
        View::Slo => views::slo::render(frame, state, areas.body),
        View::SloDetail => views::slo_detail::render(frame, state, areas.body),
        View::Registry => views::registry::render(frame, state, areas.body),
        View::Playbooks => views::playbooks::render(frame, state, areas.body),
    }
    if state.draft.is_some() || state.confirming.is_some() {
        views::confirm::render(frame, state, areas.body);
    }
    if state.help_open {
        views::help::render(frame, state, areas.body);
    }
    chrome::footer(frame, state, areas.footer);
}
