//! Colours and text styles as data: `themes/*.toml` embedded in the binary,
//! overridable from the config dir. Meaning never rests on colour alone —
//! glyphs and text carry it too — so `NO_COLOR` turns every theme into
//! `Theme::monochrome`, which keeps bold/reverse but drops colours.

use ratatui::style::Style;

/// Every style the views use. Each field is a key under `[styles]` in a theme file.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Text and background of the whole console.
    pub base: Style,
    /// Secondary text: units, ages, separators.
    pub muted: Style,
    /// Emphasis: the current sort column, the active view's name.
    pub accent: Style,
    /// The header bar (a context's tint replaces its background).
    pub header: Style,
    /// The footer with the keys for this view.
    pub footer: Style,
    /// Key names in the footer and help.
    pub key: Style,
    pub border: Style,
    pub table_header: Style,
    /// The selected row.
    pub selection: Style,
    pub ok: Style,
    pub warning: Style,
    pub critical: Style,
    pub unknown: Style,
    pub sparkline: Style,
    /// The `:` and `/` prompt line.
    pub prompt: Style,
    /// Error messages (bad regex, unknown command).
    pub error: Style,
    /// Text drawn on a context's tint.
    pub tint_text: Style,
}
