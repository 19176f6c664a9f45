//! Everything that draws: terminal handling, theme, views and widgets.

pub mod chrome;
pub mod glyphs;
pub mod layout;
pub mod render;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod widgets;

pub use render::render;
