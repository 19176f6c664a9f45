//! Small reusable drawing pieces.

pub mod sparkline;
pub mod text;
