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
    /// A playbook step waiting its turn, running, already in the target
    /// state, skipped; and the field being typed in.
    pub pending: &'static str,
    pub running: &'static str,
    pub satisfied: &'static str,
    pub skipped: &'static str,
    pub focus: &'static str,
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
        pending: "·",
        running: "…",
        satisfied: "=",
        skipped: "↷",
        focus: "▸",
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
        pending: ".",
        running: "~",
        satisfied: "=",
        skipped: ">",
        focus: ">",
        ramp: &['_', '.', ':', '-', '=', '+', '*', '#'],
    };

    pub fn new(ascii: bool) -> Glyphs {
        if ascii { Glyphs::ASCII } else { Glyphs::UNICODE }
    }

    /// Text as this glyph set can show it: under `--ascii` the few
    /// non-ASCII marks the views use (· … ≥ ↑↓ —) become ASCII; any other
    /// non-ASCII character (from a label, say) becomes `?`.
    pub fn text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.ascii || text.is_ascii() {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '·' | '—' | '–' => out.push('-'),
                '…' => out.push_str("..."),
                '≥' => out.push_str(">="),
                '≤' => out.push_str("<="),
                '↑' => out.push_str("up"),
                '↓' => out.push_str("down"),
                '│' => out.push('|'),
                '→' => out.push_str("->"),
                c if c.is_ascii() => out.push(c),
                _ => out.push('?'),
            }
        }
        std::borrow::Cow::Owned(out)
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

/// Box corners and lines for `--ascii`.
pub const ASCII_BORDER: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Glyphs {
    /// Box lines: plain Unicode, or `+-|` under `--ascii`.
    pub fn border(&self) -> ratatui::symbols::border::Set<'static> {
        if self.ascii { ASCII_BORDER } else { ratatui::symbols::border::PLAIN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_replaces_the_marks_the_views_use() {
        assert_eq!(Glyphs::ASCII.text("live · 10:00 — v8 errors 12% ≥ 5%…"), "live - 10:00 - v8 errors 12% >= 5%...");
        assert_eq!(Glyphs::ASCII.text("champion: 10 → 9"), "champion: 10 -> 9");
        assert_eq!(Glyphs::ASCII.text("modèle"), "mod?le");
        assert_eq!(Glyphs::UNICODE.text("a · b"), "a · b");
    }
}
