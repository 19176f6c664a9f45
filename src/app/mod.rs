//! The interactive console: actions, keymaps, state, the reducer and the loop.

pub mod action;
pub mod change;
pub mod command;
pub mod fleet_table;
pub mod gate;
pub mod keymap;
pub mod playbooks;
pub mod run;
pub mod state;
pub mod update;
