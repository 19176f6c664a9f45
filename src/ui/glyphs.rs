//! The symbols that carry meaning next to colour, in Unicode and in ASCII
//! (`--ascii`, for fonts and terminals without ✔ ▲ ✖).

use crate::core::health::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub ascii: bool,
    pub ok: &'static str,
    pub warning: &'static str,
    pub critical: &'static str,
    pub unknown: &'static str,
    pub descending: &'static str,
    pub ascending: &'static str,
    pub separator: &'static str,
    pub ellipsis: &'static str,
    pub dash: &'static str,
    /// Sparkline levels, lowest first.
    pub ramp: &'static [char],
}

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        ascii: false,
        ok: "✔",
        warning: "▲",
        critical: "✖",
        unknown: "?",
        descending: "▼",
        ascending: "▲",
        separator: "│",
        ellipsis: "…",
        dash: "—",
        ramp: &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
    };

    pub const ASCII: Glyphs = Glyphs {
        ascii: true,
        ok: "+",
        warning: "!",
        critical: "X",
        unknown: "?",
        descending: "v",
        ascending: "^",
        separator: "|",
        ellipsis: "~",
        dash: "-",
        ramp: &['_', '.', ':', '-', '=', '+', '*', '#'],
    };

    pub fn new(ascii: bool) -> Glyphs {
        if ascii { Glyphs::ASCII } else { Glyphs::UNICODE }
    }

    pub fn status(&self, status: Status) -> &'static str {
        match status {
            Status::Ok => self.ok,
            Status::Warning => self.warning,
            Status::Critical => self.critical,
            Status::Unknown => self.unknown,
        }
    }
}
