//! One module per view; each is a pure `render(frame, &state, area)`.

pub mod fleet;
pub mod help;
