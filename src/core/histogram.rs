//! Quantiles from cumulative histogram buckets, the way Prometheus'
//! `histogram_quantile` computes them, so the lab and a real server agree.

/// One cumulative bucket: observations `<= upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub cumulative_count: f64,
}

/// The `q`-quantile (0 ≤ q ≤ 1) of a cumulative histogram.
///
/// Follows Prometheus: buckets sorted by bound, non-monotonic counts repaired
/// upwards, linear interpolation inside the bucket, the lowest bucket starts
/// at 0 (when its bound is positive), and a quantile that falls in the `+Inf`
/// bucket returns the highest finite bound. `None` when there are no
/// observations or no `+Inf` bucket.
pub fn quantile(q: f64, buckets: &[Bucket]) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) || buckets.len() < 2 {
        return None;
    }
    let mut sorted: Vec<Bucket> = buckets.to_vec();
    sorted.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    if sorted.last()?.upper_bound != f64::INFINITY {
        return None;
    }
    for i in 1..sorted.len() {
        if sorted[i].cumulative_count < sorted[i - 1].cumulative_count {
            sorted[i].cumulative_count = sorted[i - 1].cumulative_count;
        }
    }
    let total = sorted.last()?.cumulative_count;
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let rank = q * total;
    let index = sorted.iter().position(|b| b.cumulative_count >= rank)?;
    if index == sorted.len() - 1 {
        return Some(sorted[sorted.len() - 2].upper_bound);
    }
    let bucket = sorted[index];
    let (lower_bound, lower_count) = if index == 0 {
        (0.0_f64.min(bucket.upper_bound), 0.0)
    } else {
        (sorted[index - 1].upper_bound, sorted[index - 1].cumulative_count)
    };
    if index == 0 && bucket.upper_bound <= 0.0 {
        return Some(bucket.upper_bound);
    }
    let in_bucket = bucket.cumulative_count - lower_count;
    if in_bucket <= 0.0 {
        return Some(bucket.upper_bound);
    }
    Some(lower_bound + (bucket.upper_bound - lower_bound) * ((rank - lower_count) / in_bucket))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(upper_bound: f64, cumulative_count: f64) -> Bucket {
        Bucket { upper_bound, cumulative_count }
    }

    #[test]
    fn interpolates_inside_the_bucket_like_prometheus() {
        // 100 observations: 50 in (0, 0.1], 50 in (0.1, 0.5].
        let h = [b(0.1, 50.0), b(0.5, 100.0), b(f64::INFINITY, 100.0)];
        assert_eq!(quantile(0.5, &h), Some(0.1));
        assert!((quantile(0.75, &h).unwrap() - 0.3).abs() < 1e-12);
        assert!((quantile(0.25, &h).unwrap() - 0.05).abs() < 1e-12);
    }

    #[test]
    fn quantile_in_the_infinite_bucket_is_the_highest_finite_bound() {
        let h = [b(0.1, 10.0), b(1.0, 20.0), b(f64::INFINITY, 100.0)];
        assert_eq!(quantile(0.99, &h), Some(1.0));
    }

    #[test]
    fn no_observations_or_no_inf_bucket_gives_none() {
        assert_eq!(quantile(0.5, &[b(1.0, 0.0), b(f64::INFINITY, 0.0)]), None);
        assert_eq!(quantile(0.5, &[b(1.0, 3.0), b(2.0, 4.0)]), None);
    }

    #[test]
    fn unsorted_and_non_monotonic_buckets_are_repaired() {
        let h = [b(f64::INFINITY, 100.0), b(0.5, 99.0), b(0.1, 100.0)];
        // Repaired to 0.1→100, 0.5→100: the median lies in the first bucket.
        assert!((quantile(0.5, &h).unwrap() - 0.05).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn quantiles_are_monotonic_in_q(counts in proptest::collection::vec(0.0f64..1000.0, 4), q1 in 0.0f64..1.0, q2 in 0.0f64..1.0) {
            let bounds = [0.01, 0.1, 1.0, f64::INFINITY];
            let mut cumulative = 0.0;
            let h: Vec<Bucket> = bounds.iter().zip(&counts).map(|(&ub, &c)| { cumulative += c; b(ub, cumulative) }).collect();
            let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
            if let (Some(a), Some(z)) = (quantile(lo, &h), quantile(hi, &h)) {
                prop_assert!(a <= z + 1e-12);
                prop_assert!((0.0..=1.0).contains(&a));
            }
        }
    }
}
