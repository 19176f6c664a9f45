//! The reducer: the only code that changes `AppState`. It takes one message
//! and says whether the screen must be redrawn and what the runner should do
//! outside the state (quit, suspend, refresh, switch context, load a theme).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::action::{Action, Mode};
use crate::app::command::{self, Command, Vocabulary};
use crate::app::fleet_table::Filter;
use crate::app::state::{AppState, Flash, Freshness, Prompt, PromptKind, View};
use crate::collect::Feed;
use crate::core::fleet::FleetMetrics;
use crate::ui::layout;
use crate::ui::theme::Theme;

/// Everything that can happen to the console.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Feed(Feed<FleetMetrics>),
    /// The wall clock moved (sent only while something time-dependent is shown).
    Clock(DateTime<Utc>),
    ThemeLoaded(Result<Theme, String>),
    /// Something the runner tried failed (e.g. switching context): say so.
    Error(String),
}

/// Work for the runner: things that touch the world outside the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    Suspend,
    Refresh,
    SwitchContext(String),
    LoadTheme(String),
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub redraw: bool,
    pub effect: Option<Effect>,
}

impl Outcome {
    fn redraw() -> Self {
        Outcome { redraw: true, effect: None }
    }
    fn effect(effect: Effect) -> Self {
        Outcome { redraw: true, effect: Some(effect) }
    }
    fn nothing() -> Self {
        Outcome::default()
    }
}

pub fn update(state: &mut AppState, msg: Msg) -> Outcome {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            let rows = layout::fleet_body_rows(height);
            state.fleet.scroll_to_cursor(rows);
            Outcome::redraw()
        }
        Msg::Feed(feed) => {
            state.apply_feed(feed);
            let rows = layout::fleet_body_rows(state.height);
            state.fleet.scroll_to_cursor(rows);
            Outcome::redraw()
        }
        Msg::Clock(now) => {
            let before = state.freshness();
            state.now = now;
            Outcome { redraw: state.freshness() != before, effect: None }
        }
        Msg::ThemeLoaded(Ok(theme)) => {
            state.flash = Some(Flash { text: format!("theme {}", theme.name), is_error: false });
            state.theme = theme;
            Outcome::redraw()
        }
        Msg::ThemeLoaded(Err(e)) | Msg::Error(e) => {
            state.flash = Some(Flash { text: e, is_error: true });
            Outcome::redraw()
        }
    }
}

/// The modes whose bindings apply right now, most specific first.
pub fn active_modes(state: &AppState) -> &'static [Mode] {
    if state.prompt.is_some() {
        &[Mode::Prompt]
    } else if state.help_open {
        &[Mode::Help, Mode::Global]
    } else {
        match state.view {
            View::Fleet => &[Mode::Fleet, Mode::Table, Mode::Global],
        }
    }
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Outcome {
    if key.kind == KeyEventKind::Release {
        return Outcome::nothing();
    }
    // Ctrl-C always quits, whatever the keymap or mode.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Outcome::effect(Effect::Quit);
    }
    let had_flash = state.flash.take().is_some();
    if state.prompt.is_some() {
        return on_prompt_key(state, key);
    }
    match state.keymap.action(active_modes(state), &key) {
        Some(action) => on_action(state, action),
        None => Outcome { redraw: had_flash, effect: None },
    }
}

pub fn on_action(state: &mut AppState, action: Action) -> Outcome {
    let page = layout::fleet_body_rows(state.height).max(1);
    match action {
        Action::Quit => Outcome::effect(Effect::Quit),
        Action::Suspend => Outcome::effect(Effect::Suspend),
        Action::Refresh => {
            state.flash = Some(Flash { text: "refreshing…".into(), is_error: false });
            Outcome::effect(Effect::Refresh)
        }
        Action::Help => {
            state.help_open = !state.help_open;
            Outcome::redraw()
        }
        Action::CloseHelp => {
            state.help_open = false;
            Outcome::redraw()
        }
        Action::Back => {
            if state.help_open {
                state.help_open = false;
            } else if state.fleet.filter.is_some() {
                state.fleet.filter = None;
                state.fleet.recompute_rows();
                state.fleet.scroll_to_cursor(page);
            } else {
                state.flash = Some(Flash { text: "nothing to go back to — q quits".into(), is_error: false });
            }
            Outcome::redraw()
        }
        Action::CommandLine => {
            state.prompt = Some(Prompt::new(PromptKind::Command, "", None));
            Outcome::redraw()
        }
        Action::Filter => {
            let current = state.fleet.filter.as_ref().map(|f| f.text.clone()).unwrap_or_default();
            state.prompt = Some(Prompt::new(PromptKind::Filter, &current, state.fleet.filter.clone()));
            Outcome::redraw()
        }
        Action::Up => move_cursor(state, -1, page),
        Action::Down => move_cursor(state, 1, page),
        Action::PageUp => move_cursor(state, -(page as isize), page),
        Action::PageDown => move_cursor(state, page as isize, page),
        Action::Top => move_cursor(state, isize::MIN / 2, page),
        Action::Bottom => move_cursor(state, isize::MAX / 2, page),
        Action::SortNext | Action::SortPrevious | Action::SortReverse => {
            let sort = state.fleet.sort;
            state.fleet.sort = match action {
                Action::SortNext => sort.next(),
                Action::SortPrevious => sort.previous(),
                _ => sort.reversed(),
            };
            state.fleet.recompute_rows();
            state.fleet.scroll_to_cursor(page);
            Outcome::redraw()
        }
        // Prompt actions only mean something while typing.
        Action::Submit | Action::Cancel | Action::Complete | Action::HistoryPrevious | Action::HistoryNext => {
            Outcome::nothing()
        }
    }
}

fn move_cursor(state: &mut AppState, delta: isize, page: usize) -> Outcome {
    let rows = state.fleet.rows.len();
    if rows == 0 {
        return Outcome::nothing();
    }
    let target = (state.fleet.selected as isize).saturating_add(delta).clamp(0, rows as isize - 1) as usize;
    let changed = target != state.fleet.selected;
    state.fleet.selected = target;
    state.fleet.scroll_to_cursor(page);
    Outcome { redraw: changed, effect: None }
}

fn on_prompt_key(state: &mut AppState, key: KeyEvent) -> Outcome {
    let action = state.keymap.action(&[Mode::Prompt], &key);
    let Some(prompt) = state.prompt.as_mut() else {
        return Outcome::nothing();
    };
    match action {
        Some(Action::Submit) => submit_prompt(state),
        Some(Action::Cancel) => {
            let prompt = state.prompt.take();
            if let Some(p) = prompt
                && p.kind == PromptKind::Filter
            {
                state.fleet.filter = p.filter_before;
                state.fleet.recompute_rows();
            }
            Outcome::redraw()
        }
        Some(Action::Complete) => {
            complete(state);
            Outcome::redraw()
        }
        Some(Action::HistoryPrevious) | Some(Action::HistoryNext) => {
            if prompt.kind == PromptKind::Command && !state.command_history.is_empty() {
                let last = state.command_history.len() - 1;
                let index = match (action, prompt.history_index) {
                    (Some(Action::HistoryPrevious), None) => Some(last),
                    (Some(Action::HistoryPrevious), Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i < last => Some(i + 1),
                    _ => None,
                };
                let text = index.map(|i| state.command_history[i].clone()).unwrap_or_default();
                prompt.set_text(&text);
                prompt.history_index = index;
            }
            Outcome::redraw()
        }
        _ => {
            prompt.input.input(key);
            // A single-line editor: whatever inserted a newline is undone.
            if prompt.input.lines().len() > 1 {
                let joined = prompt.text();
                prompt.set_text(&joined);
            }
            prompt.completions.clear();
            prompt.completion_index = None;
            if prompt.kind == PromptKind::Filter {
                let typed = prompt.text();
                state.fleet.filter = Filter::parse(&typed);
                state.fleet.recompute_rows();
                state.fleet.scroll_to_cursor(layout::fleet_body_rows(state.height));
            }
            Outcome::redraw()
        }
    }
}

fn submit_prompt(state: &mut AppState) -> Outcome {
    let Some(prompt) = state.prompt.take() else {
        return Outcome::nothing();
    };
    let text = prompt.text().trim().to_string();
    match prompt.kind {
        PromptKind::Filter => {
            if let Some(error) = state.fleet.filter.as_ref().and_then(|f| f.regex_error.clone()) {
                state.flash =
                    Some(Flash { text: format!("not a regex ({error}); matching the text literally"), is_error: true });
            }
            Outcome::redraw()
        }
        PromptKind::Command => {
            if text.is_empty() {
                return Outcome::redraw();
            }
            if state.command_history.last() != Some(&text) {
                state.command_history.push(text.clone());
            }
            let vocabulary = Vocabulary { contexts: &state.session.contexts, themes: &state.session.themes };
            match command::parse(&text, &vocabulary) {
                Ok(Command::Fleet) => {
                    state.view = View::Fleet;
                    state.help_open = false;
                    Outcome::redraw()
                }
                Ok(Command::Help) => {
                    state.help_open = true;
                    Outcome::redraw()
                }
                Ok(Command::Quit) => Outcome::effect(Effect::Quit),
                Ok(Command::Context(name)) => Outcome::effect(Effect::SwitchContext(name)),
                Ok(Command::Theme(name)) => Outcome::effect(Effect::LoadTheme(name)),
                Err(message) => {
                    state.flash = Some(Flash { text: message, is_error: true });
                    Outcome::redraw()
                }
            }
        }
    }
}

fn complete(state: &mut AppState) {
    let vocabulary = Vocabulary { contexts: &state.session.contexts, themes: &state.session.themes };
    let Some(prompt) = state.prompt.as_mut() else { return };
    if prompt.kind != PromptKind::Command {
        return;
    }
    if prompt.completions.is_empty() {
        prompt.completions = command::completions(&prompt.text(), &vocabulary);
        prompt.completion_index = None;
    }
    if prompt.completions.is_empty() {
        return;
    }
    let next = prompt.completion_index.map_or(0, |i| (i + 1) % prompt.completions.len());
    let text = prompt.completions[next].clone();
    let completions = std::mem::take(&mut prompt.completions);
    prompt.set_text(&text);
    // A single match is final: the next Tab completes from the new text
    // (`ctx ` → the context names). Several matches cycle.
    if completions.len() > 1 {
        prompt.completions = completions;
        prompt.completion_index = Some(next);
    }
}

/// The next instant at which the screen would look different with no new
/// data or input: when live data turns stale, then once a second while a
/// stale age counts up. `None` means the runner may sleep until an event —
/// an idle console draws nothing.
pub fn next_clock_change(state: &AppState) -> Option<DateTime<Utc>> {
    match state.freshness() {
        Freshness::Live { updated } => {
            let stale_after = state.session.refresh.as_secs().saturating_mul(2).max(5) as i64;
            Some(updated + chrono::Duration::seconds(stale_after + 1))
        }
        Freshness::Stale { .. } => Some(state.now + chrono::Duration::seconds(1)),
        _ => None,
    }
}
