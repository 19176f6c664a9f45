//! When a statistic counts as drift, per statistic, overridable per model and
//! per feature, and the status a feature's row shows.

use std::collections::BTreeMap;

use super::bins::{BinnedDistribution, DEFAULT_MIN_COUNT, Refusal, pair};
use super::stats::{ChiSquare, DriftStatistics, LogBase, chi_square};

/// Limits for one feature. Drift is "at or above" for distances (as in
/// Evidently) and "below" for the chi-square p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// PSI at or above this is moderate drift, and counts as drift.
    pub psi_moderate: f64,
    /// PSI at or above this is major drift.
    pub psi_major: f64,
    /// Jensen–Shannon distance in natural log; base-2 values are converted.
    pub js: f64,
    /// Normed Wasserstein-1 (in reference standard deviations).
    pub wasserstein: f64,
    /// Chi-square p-value below this is drift.
    pub chi_square_p: f64,
    /// Fewer observations than this in either window: insufficient data.
    pub min_count: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            psi_moderate: 0.1,
            psi_major: 0.25,
            js: 0.1,
            wasserstein: 0.1,
            chi_square_p: 0.05,
            min_count: DEFAULT_MIN_COUNT,
        }
    }
}

/// Some of the limits, replacing those below it (defaults, then model, then
/// feature); unset fields keep the value underneath.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ThresholdOverride {
    pub psi_moderate: Option<f64>,
    pub psi_major: Option<f64>,
    pub js: Option<f64>,
    pub wasserstein: Option<f64>,
    pub chi_square_p: Option<f64>,
    pub min_count: Option<f64>,
}

impl ThresholdOverride {
    fn over(&self, below: Thresholds) -> Thresholds {
        Thresholds {
            psi_moderate: self.psi_moderate.unwrap_or(below.psi_moderate),
            psi_major: self.psi_major.unwrap_or(below.psi_major),
            js: self.js.unwrap_or(below.js),
            wasserstein: self.wasserstein.unwrap_or(below.wasserstein),
            chi_square_p: self.chi_square_p.unwrap_or(below.chi_square_p),
            min_count: self.min_count.unwrap_or(below.min_count),
        }
    }
}

/// Defaults with overrides per model and per (model, feature).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThresholdTable {
    pub defaults: Thresholds,
    pub models: BTreeMap<String, ThresholdOverride>,
    /// Keyed by (model, feature): the same feature name in two models can
    /// mean different things.
    pub features: BTreeMap<(String, String), ThresholdOverride>,
}

impl ThresholdTable {
    /// The limits for one feature of one model: the most specific wins.
    pub fn lookup(&self, model: &str, feature: &str) -> Thresholds {
        let mut thresholds = self.defaults;
        if let Some(model_override) = self.models.get(model) {
            thresholds = model_override.over(thresholds);
        }
        if let Some(feature_override) = self.features.get(&(model.to_string(), feature.to_string())) {
            thresholds = feature_override.over(thresholds);
        }
        thresholds
    }
}

/// How far PSI has moved, in the usual three bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsiLevel {
    Stable,
    Moderate,
    Major,
}

impl Thresholds {
    pub fn psi_level(&self, psi: f64) -> PsiLevel {
        if psi >= self.psi_major {
            PsiLevel::Major
        } else if psi >= self.psi_moderate {
            PsiLevel::Moderate
        } else {
            PsiLevel::Stable
        }
    }

    /// Drift when any statistic with a threshold reaches it. KS has none: on
    /// bins it is only a lower bound and has no sample p-value.
    pub fn is_drift(&self, statistics: &DriftStatistics) -> bool {
        statistics.psi >= self.psi_moderate
            || statistics.js.in_base(LogBase::E).value >= self.js
            || statistics.wasserstein >= self.wasserstein
    }
}

/// What a feature's cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftStatus {
    Ok,
    Drift,
    InsufficientData,
    Incomparable,
}

impl DriftStatus {
    pub fn label(self) -> &'static str {
        match self {
            DriftStatus::Ok => "ok",
            DriftStatus::Drift => "drift",
            DriftStatus::InsufficientData => "insufficient data",
            DriftStatus::Incomparable => "incomparable",
        }
    }
}

impl From<&Refusal> for DriftStatus {
    fn from(refusal: &Refusal) -> Self {
        match refusal {
            Refusal::Incomparable(_) => DriftStatus::Incomparable,
            Refusal::InsufficientData(_) => DriftStatus::InsufficientData,
        }
    }
}

/// A numeric feature's statistics, or why there are none, and its status.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericEvaluation {
    pub statistics: Result<DriftStatistics, Refusal>,
    pub status: DriftStatus,
}

/// Compares two windows of a numeric feature under its thresholds.
pub fn evaluate_numeric(
    reference: &BinnedDistribution,
    current: &BinnedDistribution,
    thresholds: &Thresholds,
    js_base: LogBase,
) -> NumericEvaluation {
    let statistics = pair(reference, current, thresholds.min_count).map(|pair| DriftStatistics::of(pair, js_base));
    let status = match &statistics {
        Ok(statistics) if thresholds.is_drift(statistics) => DriftStatus::Drift,
        Ok(_) => DriftStatus::Ok,
        Err(refusal) => refusal.into(),
    };
    NumericEvaluation { statistics, status }
}

/// A categorical feature's chi-square (when there is one) and its status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoricalEvaluation {
    pub chi_square: Option<ChiSquare>,
    pub status: DriftStatus,
}

/// Compares two windows of a categorical feature, counts aligned by category
/// (a category missing from one window has count 0 there).
pub fn evaluate_categorical(
    reference_counts: &[f64],
    current_counts: &[f64],
    thresholds: &Thresholds,
) -> CategoricalEvaluation {
    if reference_counts.len() != current_counts.len() {
        return CategoricalEvaluation { chi_square: None, status: DriftStatus::Incomparable };
    }
    let n_ref: f64 = reference_counts.iter().sum();
    let n_cur: f64 = current_counts.iter().sum();
    if n_ref < thresholds.min_count || n_cur < thresholds.min_count {
        return CategoricalEvaluation { chi_square: None, status: DriftStatus::InsufficientData };
    }
    let chi_square = chi_square(reference_counts, current_counts);
    let status = match chi_square {
        Some(chi) if chi.p_value < thresholds.chi_square_p => DriftStatus::Drift,
        // A single category seen in both windows cannot drift.
        _ => DriftStatus::Ok,
    };
    CategoricalEvaluation { chi_square, status }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::histogram::Bucket;

    fn dist(buckets: &[(f64, f64)]) -> BinnedDistribution {
        let buckets: Vec<Bucket> =
            buckets.iter().map(|&(upper_bound, cumulative_count)| Bucket { upper_bound, cumulative_count }).collect();
        BinnedDistribution::from_cumulative(&buckets).unwrap()
    }

    #[test]
    fn defaults_are_the_specs() {
        let t = Thresholds::default();
        assert_eq!((t.psi_moderate, t.psi_major, t.js, t.wasserstein), (0.1, 0.25, 0.1, 0.1));
        assert_eq!((t.chi_square_p, t.min_count), (0.05, 100.0));
        assert_eq!(t.psi_level(0.099), PsiLevel::Stable);
        assert_eq!(t.psi_level(0.1), PsiLevel::Moderate);
        assert_eq!(t.psi_level(0.25), PsiLevel::Major);
    }

    #[test]
    fn feature_overrides_beat_model_overrides_beat_defaults() {
        let mut table = ThresholdTable::default();
        table.models.insert(
            "fraud".into(),
            ThresholdOverride { js: Some(0.2), psi_moderate: Some(0.15), ..Default::default() },
        );
        table
            .features
            .insert(("fraud".into(), "amount".into()), ThresholdOverride { js: Some(0.3), ..Default::default() });
        let amount = table.lookup("fraud", "amount");
        assert_eq!((amount.js, amount.psi_moderate, amount.wasserstein), (0.3, 0.15, 0.1));
        let country = table.lookup("fraud", "country");
        assert_eq!((country.js, country.psi_moderate), (0.2, 0.15));
        // The feature override is per model: "amount" elsewhere keeps defaults.
        assert_eq!(table.lookup("churn", "amount"), Thresholds::default());
    }

    #[test]
    fn statuses_of_numeric_features() {
        let t = Thresholds::default();
        let reference = dist(&[(1.0, 100.0), (2.0, 200.0), (f64::INFINITY, 300.0)]);
        let same_shape = dist(&[(1.0, 200.0), (2.0, 400.0), (f64::INFINITY, 600.0)]);
        let shifted = dist(&[(1.0, 10.0), (2.0, 100.0), (f64::INFINITY, 600.0)]);
        let few = dist(&[(1.0, 10.0), (2.0, 20.0), (f64::INFINITY, 30.0)]);
        let other_layout = dist(&[(1.0, 100.0), (5.0, 200.0), (f64::INFINITY, 300.0)]);
        assert_eq!(evaluate_numeric(&reference, &same_shape, &t, LogBase::E).status, DriftStatus::Ok);
        let drift = evaluate_numeric(&reference, &shifted, &t, LogBase::Two);
        assert_eq!(drift.status, DriftStatus::Drift);
        assert_eq!(drift.statistics.unwrap().js.base, LogBase::Two);
        assert_eq!(evaluate_numeric(&reference, &few, &t, LogBase::E).status, DriftStatus::InsufficientData);
        assert_eq!(evaluate_numeric(&reference, &other_layout, &t, LogBase::E).status, DriftStatus::Incomparable);
    }

    #[test]
    fn js_threshold_is_in_natural_log_whatever_the_display_base() {
        let t = Thresholds { psi_moderate: f64::INFINITY, wasserstein: f64::INFINITY, ..Thresholds::default() };
        // 63 % vs 50 % below 1: JS ≈ 0.094 in ln (ok) but ≈ 0.11 in base 2.
        let reference = dist(&[(1.0, 500.0), (f64::INFINITY, 1000.0)]);
        let current = dist(&[(1.0, 630.0), (f64::INFINITY, 1000.0)]);
        let evaluation = evaluate_numeric(&reference, &current, &t, LogBase::Two);
        let js = evaluation.statistics.unwrap().js;
        let js_e = js.in_base(LogBase::E).value;
        assert!(js.value > 0.1 && js_e < 0.1, "{js:?} / {js_e}");
        assert_eq!(evaluation.status, DriftStatus::Ok);
    }

    #[test]
    fn statuses_of_categorical_features() {
        let t = Thresholds::default();
        assert_eq!(evaluate_categorical(&[500.0, 500.0], &[50.0, 55.0], &t).status, DriftStatus::Ok);
        assert_eq!(evaluate_categorical(&[500.0, 500.0], &[30.0, 70.0], &t).status, DriftStatus::Drift);
        assert_eq!(evaluate_categorical(&[500.0, 500.0], &[30.0, 60.0], &t).status, DriftStatus::InsufficientData);
        assert_eq!(evaluate_categorical(&[500.0, 500.0], &[100.0], &t).status, DriftStatus::Incomparable);
    }
}
