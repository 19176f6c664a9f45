//! Binned distributions built from cumulative Prometheus-style buckets, and
//! the pairing of a reference and a current window that every statistic needs:
//! same bucket layout, enough observations in both.

use std::fmt;

use crate::core::histogram::Bucket;

/// Observations below which a window's drift numbers are not shown: small
/// samples inflate PSI (spec: "insufficient data" below 100).
pub const DEFAULT_MIN_COUNT: f64 = 100.0;

/// Why a set of buckets is not a distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BinsError {
    #[error("no buckets")]
    Empty,
    #[error("no +Inf bucket, so the total count is unknown")]
    NoInfBucket,
    #[error("bucket bound `{0}` is not a number")]
    BadBound(String),
    #[error("bucket le={bound} has count {count}, not a finite number ≥ 0")]
    BadCount { bound: f64, count: f64 },
}

/// Parses a Prometheus `le` label: `"1"` and `"1.0"` give the same f64, and
/// `"+Inf"` gives infinity. NaN is refused: it cannot be ordered.
pub fn parse_le(le: &str) -> Result<f64, BinsError> {
    match le.trim().parse::<f64>() {
        Ok(bound) if !bound.is_nan() => Ok(bound),
        _ => Err(BinsError::BadBound(le.to_string())),
    }
}

/// A histogram as per-bin counts. Bin `i` holds observations in
/// `(bounds[i-1], bounds[i]]`; the first bin is open below, the last bound is
/// always `+Inf`.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedDistribution {
    bounds: Vec<f64>,
    counts: Vec<f64>,
    total: f64,
}

impl BinnedDistribution {
    /// Builds the distribution from cumulative buckets in any order.
    ///
    /// Like Prometheus' `histogram_quantile`: buckets with the same bound are
    /// summed (a `le="1"` and a `le="1.0"` series after `sum by (le)`), and
    /// cumulative counts that go down — which `increase()` produces across
    /// resets and scrape jitter — are raised to the previous bucket's count.
    /// Fractional counts are kept as they are.
    pub fn from_cumulative(buckets: &[Bucket]) -> Result<Self, BinsError> {
        if buckets.is_empty() {
            return Err(BinsError::Empty);
        }
        for bucket in buckets {
            if bucket.upper_bound.is_nan() {
                return Err(BinsError::BadBound("NaN".to_string()));
            }
            if !(bucket.cumulative_count.is_finite() && bucket.cumulative_count >= 0.0) {
                return Err(BinsError::BadCount { bound: bucket.upper_bound, count: bucket.cumulative_count });
            }
        }
        let mut sorted = buckets.to_vec();
        sorted.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
        let mut merged: Vec<Bucket> = Vec::with_capacity(sorted.len());
        for bucket in sorted {
            match merged.last_mut() {
                Some(last) if last.upper_bound == bucket.upper_bound => {
                    last.cumulative_count += bucket.cumulative_count
                }
                _ => merged.push(bucket),
            }
        }
        if merged.last().map(|b| b.upper_bound) != Some(f64::INFINITY) {
            return Err(BinsError::NoInfBucket);
        }
        let mut bounds = Vec::with_capacity(merged.len());
        let mut counts = Vec::with_capacity(merged.len());
        let mut previous = 0.0_f64;
        for bucket in merged {
            let cumulative = bucket.cumulative_count.max(previous);
            bounds.push(bucket.upper_bound);
            counts.push(cumulative - previous);
            previous = cumulative;
        }
        Ok(Self { bounds, counts, total: previous })
    }

    /// Upper bounds, ascending, ending with `+Inf`.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Observations per bin (after repair), same length as `bounds`.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// Observations in all bins: the `+Inf` bucket's cumulative count.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Share of observations per bin, summing to 1; all zeros when empty.
    pub fn probabilities(&self) -> Vec<f64> {
        if self.total <= 0.0 {
            return vec![0.0; self.counts.len()];
        }
        self.counts.iter().map(|c| c / self.total).collect()
    }
}

/// Two windows cannot be compared: their bucket bounds differ (typically a
/// new model version with a different layout).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bucket bounds differ: reference has {}, current has {}", Layout(.reference), Layout(.current))]
pub struct LayoutMismatch {
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// Too few observations in at least one window to show a number.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("insufficient data: reference has {reference} observations, current has {current}, minimum is {minimum}")]
pub struct InsufficientData {
    pub reference: f64,
    pub current: f64,
    pub minimum: f64,
}

/// Why two windows get no drift numbers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Incomparable(#[from] LayoutMismatch),
    #[error(transparent)]
    InsufficientData(#[from] InsufficientData),
}

/// A reference and a current window known to share a layout and to hold
/// enough observations; the only way to reach the statistics over bins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair<'a> {
    pub reference: &'a BinnedDistribution,
    pub current: &'a BinnedDistribution,
}

impl Pair<'_> {
    /// The shared bucket bounds.
    pub fn bounds(&self) -> &[f64] {
        self.reference.bounds()
    }
}

/// Pairs two windows, refusing when layouts differ (checked first: more data
/// would not help) or when either window has fewer than `min_count`
/// observations.
pub fn pair<'a>(
    reference: &'a BinnedDistribution,
    current: &'a BinnedDistribution,
    min_count: f64,
) -> Result<Pair<'a>, Refusal> {
    // Exact f64 comparison: both sides were parsed from `le` labels, so "1"
    // and "1.0" are already equal and anything else is a different layout.
    if reference.bounds != current.bounds {
        return Err(LayoutMismatch { reference: reference.bounds.clone(), current: current.bounds.clone() }.into());
    }
    if reference.total < min_count || current.total < min_count {
        return Err(InsufficientData { reference: reference.total, current: current.total, minimum: min_count }.into());
    }
    Ok(Pair { reference, current })
}

/// A layout as people write it: `[0.1, 0.5, 1, +Inf]`.
struct Layout<'a>(&'a [f64]);

impl fmt::Display for Layout<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, bound) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if *bound == f64::INFINITY {
                f.write_str("+Inf")?;
            } else {
                write!(f, "{bound}")?;
            }
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(upper_bound: f64, cumulative_count: f64) -> Bucket {
        Bucket { upper_bound, cumulative_count }
    }

    fn dist(buckets: &[(f64, f64)]) -> BinnedDistribution {
        let buckets: Vec<Bucket> = buckets.iter().map(|&(ub, c)| b(ub, c)).collect();
        BinnedDistribution::from_cumulative(&buckets).unwrap()
    }

    #[test]
    fn cumulative_counts_become_per_bin_counts_and_probabilities() {
        let d = dist(&[(0.1, 20.0), (0.5, 70.0), (f64::INFINITY, 100.0)]);
        assert_eq!(d.bounds(), &[0.1, 0.5, f64::INFINITY]);
        assert_eq!(d.counts(), &[20.0, 50.0, 30.0]);
        assert_eq!(d.total(), 100.0);
        assert_eq!(d.probabilities(), vec![0.2, 0.5, 0.3]);
    }

    #[test]
    fn non_monotonic_counts_are_raised_to_the_previous_bucket() {
        // 0.5 dips below 0.1 after increase(): repaired to 60, so that bin is empty.
        let d = dist(&[(f64::INFINITY, 100.0), (0.5, 55.5), (0.1, 60.0)]);
        assert_eq!(d.counts(), &[60.0, 0.0, 40.0]);
        assert_eq!(d.total(), 100.0);
    }

    #[test]
    fn an_inf_bucket_below_the_finite_ones_is_raised_too() {
        let d = dist(&[(1.0, 120.0), (f64::INFINITY, 119.0)]);
        assert_eq!(d.counts(), &[120.0, 0.0]);
        assert_eq!(d.total(), 120.0);
    }

    #[test]
    fn fractional_counts_are_kept() {
        let d = dist(&[(1.0, 10.25), (f64::INFINITY, 12.5)]);
        assert_eq!(d.counts(), &[10.25, 2.25]);
    }

    #[test]
    fn equal_bounds_from_different_spellings_are_merged() {
        let one = parse_le("1").unwrap();
        let one_point_zero = parse_le("1.0").unwrap();
        assert_eq!(one, one_point_zero);
        let d = dist(&[(one, 3.0), (one_point_zero, 4.0), (f64::INFINITY, 10.0)]);
        assert_eq!(d.bounds(), &[1.0, f64::INFINITY]);
        assert_eq!(d.counts(), &[7.0, 3.0]);
    }

    #[test]
    fn le_labels_parse_including_inf_and_refuse_nan() {
        assert_eq!(parse_le("+Inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_le("1e-3").unwrap(), 0.001);
        assert_eq!(parse_le("-0.5").unwrap(), -0.5);
        assert!(matches!(parse_le("NaN"), Err(BinsError::BadBound(_))));
        assert!(matches!(parse_le("fast"), Err(BinsError::BadBound(_))));
    }

    #[test]
    fn buckets_without_inf_or_with_bad_counts_are_refused() {
        assert_eq!(BinnedDistribution::from_cumulative(&[]), Err(BinsError::Empty));
        assert_eq!(BinnedDistribution::from_cumulative(&[b(1.0, 3.0), b(2.0, 4.0)]), Err(BinsError::NoInfBucket));
        assert!(matches!(
            BinnedDistribution::from_cumulative(&[b(1.0, -1.0), b(f64::INFINITY, 4.0)]),
            Err(BinsError::BadCount { .. })
        ));
        assert!(matches!(
            BinnedDistribution::from_cumulative(&[b(1.0, f64::NAN), b(f64::INFINITY, 4.0)]),
            Err(BinsError::BadCount { .. })
        ));
        assert!(matches!(
            BinnedDistribution::from_cumulative(&[b(f64::NAN, 1.0), b(f64::INFINITY, 4.0)]),
            Err(BinsError::BadBound(_))
        ));
    }

    #[test]
    fn an_empty_window_has_zero_probabilities_not_nan() {
        let d = dist(&[(1.0, 0.0), (f64::INFINITY, 0.0)]);
        assert_eq!(d.probabilities(), vec![0.0, 0.0]);
    }

    #[test]
    fn different_layouts_are_refused_naming_both() {
        let reference = dist(&[(0.1, 100.0), (0.5, 150.0), (f64::INFINITY, 200.0)]);
        let current = dist(&[(0.1, 100.0), (1.0, 150.0), (f64::INFINITY, 200.0)]);
        let refusal = pair(&reference, &current, DEFAULT_MIN_COUNT).unwrap_err();
        assert!(matches!(refusal, Refusal::Incomparable(_)));
        assert_eq!(
            refusal.to_string(),
            "bucket bounds differ: reference has [0.1, 0.5, +Inf], current has [0.1, 1, +Inf]"
        );
    }

    #[test]
    fn layout_is_checked_before_the_count() {
        let reference = dist(&[(0.1, 1.0), (f64::INFINITY, 2.0)]);
        let current = dist(&[(0.2, 1.0), (f64::INFINITY, 2.0)]);
        assert!(matches!(pair(&reference, &current, DEFAULT_MIN_COUNT), Err(Refusal::Incomparable(_))));
    }

    #[test]
    fn too_few_observations_in_either_window_is_insufficient_data() {
        let enough = dist(&[(1.0, 60.0), (f64::INFINITY, 100.0)]);
        let few = dist(&[(1.0, 60.0), (f64::INFINITY, 99.5)]);
        for (reference, current) in [(&enough, &few), (&few, &enough)] {
            let refusal = pair(reference, current, DEFAULT_MIN_COUNT).unwrap_err();
            assert_eq!(
                refusal,
                Refusal::InsufficientData(InsufficientData {
                    reference: reference.total(),
                    current: current.total(),
                    minimum: 100.0
                })
            );
        }
        assert!(pair(&enough, &enough, DEFAULT_MIN_COUNT).is_ok());
        // The minimum is configurable.
        assert!(pair(&few, &enough, 50.0).is_ok());
    }
}
