//! One module per view; each is a pure `render(frame, &state, area)`.

pub mod alerts;
pub mod confirm;
pub mod fleet;
pub mod help;
pub mod model;
pub mod playbooks;
pub mod registry;
pub mod slo;
pub mod slo_detail;
