//! Everything that draws: terminal handling, theme, views and widgets.

pub mod theme;
