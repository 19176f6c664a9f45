//! Everything a user can ask for, as data. Keymaps map keys to these; the
//! reducer (`update`) is the only place that acts on them.

use serde::{Deserialize, Serialize};

/// A keymap section. `global` bindings apply everywhere unless a more
/// specific mode binds the same key (which the keymap loader refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Always active outside text prompts.
    Global,
    /// Moving through any table.
    Table,
    /// The fleet view.
    Fleet,
    /// The alerts view.
    Alerts,
    /// The model view.
    Model,
    /// The help overlay.
    Help,
    /// Typing in the `:` command line or the `/` filter.
    Prompt,
}

impl Mode {
    pub const ALL: [Mode; 7] =
        [Mode::Global, Mode::Table, Mode::Fleet, Mode::Alerts, Mode::Model, Mode::Help, Mode::Prompt];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Table => "table",
            Mode::Fleet => "fleet",
            Mode::Alerts => "alerts",
            Mode::Model => "model",
            Mode::Help => "help",
            Mode::Prompt => "prompt",
        }
    }
}

/// A user intent. The names (snake_case) are what keymap files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // global
    Quit,
    Help,
    CommandLine,
    Back,
    PreviousView,
    Suspend,
    Refresh,
    TimeTravel,
    // table
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Open,
    // fleet
    SortNext,
    SortPrevious,
    SortReverse,
    // alerts
    Silence,
    ExpireSilence,
    // model
    RangeLonger,
    RangeShorter,
    CycleQuantile,
    // help
    CloseHelp,
    // prompt
    Submit,
    Cancel,
    Complete,
    HistoryPrevious,
    HistoryNext,
}

impl Action {
    pub const ALL: [Action; 30] = [
        Action::Quit,
        Action::Help,
        Action::CommandLine,
        Action::Back,
        Action::PreviousView,
        Action::Suspend,
        Action::Refresh,
        Action::TimeTravel,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Filter,
        Action::Open,
        Action::SortNext,
        Action::SortPrevious,
        Action::SortReverse,
        Action::Silence,
        Action::ExpireSilence,
        Action::RangeLonger,
        Action::RangeShorter,
        Action::CycleQuantile,
        Action::CloseHelp,
        Action::Submit,
        Action::Cancel,
        Action::Complete,
        Action::HistoryPrevious,
        Action::HistoryNext,
    ];

    /// The keymap name, e.g. `sort_next`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::CommandLine => "command_line",
            Action::Back => "back",
            Action::PreviousView => "previous_view",
            Action::Suspend => "suspend",
            Action::Refresh => "refresh",
            Action::TimeTravel => "time_travel",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Filter => "filter",
            Action::Open => "open",
            Action::SortNext => "sort_next",
            Action::SortPrevious => "sort_previous",
            Action::SortReverse => "sort_reverse",
            Action::Silence => "silence",
            Action::ExpireSilence => "expire_silence",
            Action::RangeLonger => "range_longer",
            Action::RangeShorter => "range_shorter",
            Action::CycleQuantile => "cycle_quantile",
            Action::CloseHelp => "close_help",
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::Complete => "complete",
            Action::HistoryPrevious => "history_previous",
            Action::HistoryNext => "history_next",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit vigil",
            Action::Help => "show the keys valid here",
            Action::CommandLine => {
                "command line (:fleet, :alerts, :slo, :registry, :model NAME, :at TIME, :ctx NAME, :q)"
            }
            Action::Back => "clear the filter, then go back",
            Action::PreviousView => "return to the previous view",
            Action::Suspend => "suspend to the shell (resume with fg)",
            Action::Refresh => "refresh data now",
            Action::TimeTravel => "show a past instant (:at -1h; :at now returns)",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the first row",
            Action::Bottom => "go to the last row",
            Action::Filter => "filter rows (regex; /! inverts)",
            Action::Open => "open the selected model",
            Action::SortNext => "sort by the next column",
            Action::SortPrevious => "sort by the previous column",
            Action::SortReverse => "reverse the sort order",
            Action::Silence => "silence the selected alert (asks for a duration and confirmation)",
            Action::ExpireSilence => "expire the silence on the selected alert (asks for confirmation)",
            Action::RangeLonger => "longer time range (15m 1h 6h 24h 7d)",
            Action::RangeShorter => "shorter time range",
            Action::CycleQuantile => "latency chart: p99, p95, p50",
            Action::CloseHelp => "close help",
            Action::Submit => "run what was typed",
            Action::Cancel => "cancel typing",
            Action::Complete => "complete (cycles through matches)",
            Action::HistoryPrevious => "previous entry in history",
            Action::HistoryNext => "next entry in history",
        }
    }

    /// The mode an action belongs to; a keymap may bind it only there.
    pub fn mode(self) -> Mode {
        match self {
            Action::Quit
            | Action::Help
            | Action::CommandLine
            | Action::Back
            | Action::PreviousView
            | Action::Suspend
            | Action::Refresh
            | Action::TimeTravel => Mode::Global,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Filter
            | Action::Open => Mode::Table,
            Action::SortNext | Action::SortPrevious | Action::SortReverse => Mode::Fleet,
            Action::Silence | Action::ExpireSilence => Mode::Alerts,
            Action::RangeLonger | Action::RangeShorter | Action::CycleQuantile => Mode::Model,
            Action::CloseHelp => Mode::Help,
            Action::Submit | Action::Cancel | Action::Complete | Action::HistoryPrevious | Action::HistoryNext => {
                Mode::Prompt
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
