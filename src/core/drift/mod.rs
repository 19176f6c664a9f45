//! Data and prediction drift between a reference and a current window of a
//! histogram, as pure functions (spec: `specs/drift.md`).
//!
//! [`bins`] turns cumulative Prometheus buckets into a distribution and pairs
//! two windows (or says why not), [`stats`] computes PSI, Jensen–Shannon, KS,
//! Wasserstein and chi-square, [`thresholds`] decides what counts as drift.

pub mod bins;
pub mod stats;
pub mod thresholds;

pub use bins::{BinnedDistribution, BinsError, InsufficientData, LayoutMismatch, Pair, Refusal, pair, parse_le};
pub use stats::{ChiSquare, DriftStatistics, JsDistance, KsLowerBound, LogBase};
pub use thresholds::{DriftStatus, ThresholdOverride, ThresholdTable, Thresholds};
