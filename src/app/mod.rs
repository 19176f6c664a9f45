//! The interactive console: actions, keymaps, state and the reducer.

pub mod action;
pub mod keymap;
