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
    /// A playbook's plan and run screens.
    Playbook,
    /// The help overlay.
    Help,
    /// Typing in a playbook's parameter form or its confirmation; no other keys are active.
    Form,
    /// Typing in the `:` command line or the `/` filter.
    Prompt,
}

impl Mode {
    pub const ALL: [Mode; 9] = [
        Mode::Global,
        Mode::Table,
        Mode::Fleet,
        Mode::Alerts,
        Mode::Model,
        Mode::Playbook,
        Mode::Help,
        Mode::Form,
        Mode::Prompt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Table => "table",
            Mode::Fleet => "fleet",
            Mode::Alerts => "alerts",
            Mode::Model => "model",
            Mode::Playbook => "playbook",
            Mode::Help => "help",
            Mode::Form => "form",
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
    Playbooks,
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
    // playbook
    RunPlaybook,
    // help
    CloseHelp,
    // form
    NextField,
    PreviousField,
    SubmitForm,
    CancelForm,
    // prompt
    Submit,
    Cancel,
    Complete,
    HistoryPrevious,
    HistoryNext,
}

impl Action {
    pub const ALL: [Action; 36] = [
        Action::Quit,
        Action::Help,
        Action::CommandLine,
        Action::Back,
        Action::PreviousView,
        Action::Suspend,
        Action::Refresh,
        Action::TimeTravel,
        Action::Playbooks,
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
        Action::RunPlaybook,
        Action::CloseHelp,
        Action::NextField,
        Action::PreviousField,
        Action::SubmitForm,
        Action::CancelForm,
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
            Action::Playbooks => "playbooks",
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
            Action::RunPlaybook => "run_playbook",
            Action::CloseHelp => "close_help",
            Action::NextField => "next_field",
            Action::PreviousField => "previous_field",
            Action::SubmitForm => "submit_form",
            Action::CancelForm => "cancel_form",
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
                "command line (:fleet, :alerts, :slo, :registry, :playbooks, :model NAME, :at TIME, :ctx NAME, :q)"
            }
            Action::Back => "clear the filter, then go back",
            Action::PreviousView => "return to the previous view",
            Action::Suspend => "suspend to the shell (resume with fg)",
            Action::Refresh => "refresh data now",
            Action::TimeTravel => "show a past instant (:at -1h; :at now returns)",
            Action::Playbooks => "playbooks for the selected model (rollback, traffic shift, …)",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the first row",
            Action::Bottom => "go to the last row",
            Action::Filter => "filter rows (regex; /! inverts)",
            Action::Open => "open the selected row; on a plan, run it",
            Action::SortNext => "sort by the next column",
            Action::SortPrevious => "sort by the previous column",
            Action::SortReverse => "reverse the sort order",
            Action::Silence => "silence the selected alert (asks for a duration and confirmation)",
            Action::ExpireSilence => "expire the silence on the selected alert (asks for confirmation)",
            Action::RangeLonger => "longer time range (15m 1h 6h 24h 7d)",
            Action::RangeShorter => "shorter time range",
            Action::CycleQuantile => "latency chart: p99, p95, p50",
            Action::RunPlaybook => "run the plan (a change asks for the typed target and a reason)",
            Action::CloseHelp => "close help",
            Action::NextField => "next field",
            Action::PreviousField => "previous field",
            Action::SubmitForm => "plan (parameters) or run (confirmation)",
            Action::CancelForm => "back without running anything",
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
            | Action::TimeTravel
            | Action::Playbooks => Mode::Global,
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
            Action::RunPlaybook => Mode::Playbook,
            Action::CloseHelp => Mode::Help,
            Action::NextField | Action::PreviousField | Action::SubmitForm | Action::CancelForm => Mode::Form,
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
