//! Drift statistics over two binned distributions with the same bins.
//!
//! Inputs are per-bin probabilities `r` (reference) and `c` (current) in the
//! same bin order, each summing to 1; [`DriftStatistics::of`] takes them from
//! a [`Pair`], which guarantees that. Formulas: `specs/drift.md`.

use super::bins::Pair;

/// The logarithm the Jensen–Shannon distance is measured in. Evidently uses
/// `e` (range 0–√ln2 ≈ 0.833), NannyML base 2 (range 0–1); the value is
/// always shown with its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogBase {
    #[default]
    E,
    Two,
}

impl LogBase {
    fn ln(self) -> f64 {
        match self {
            LogBase::E => 1.0,
            LogBase::Two => std::f64::consts::LN_2,
        }
    }

    /// `ln` or `log2`, for labels.
    pub fn label(self) -> &'static str {
        match self {
            LogBase::E => "ln",
            LogBase::Two => "log2",
        }
    }
}

/// A Jensen–Shannon distance together with the base it was measured in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsDistance {
    pub value: f64,
    pub base: LogBase,
}

impl JsDistance {
    /// The same distance in another base: `d_b = sqrt(JSD_e / ln b)`.
    pub fn in_base(self, base: LogBase) -> JsDistance {
        JsDistance { value: self.value * (self.base.ln() / base.ln()).sqrt(), base }
    }
}

/// Kolmogorov–Smirnov statistic on bins. Binning can only hide differences
/// between the empirical CDFs, so this is a lower bound of the KS statistic
/// of the raw samples, and no p-value is derived from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsLowerBound {
    pub value: f64,
}

/// Evidently's empty-bin rule, applied to one distribution on its own: a zero
/// becomes `min_nonzero / 1e6` when the smallest non-zero probability is
/// ≤ 1e-4, else `1e-4`. The result is not renormalised (nor is Evidently's).
pub fn fill_empty_bins(p: &[f64]) -> Vec<f64> {
    let min_nonzero = p.iter().copied().filter(|&x| x != 0.0).fold(f64::INFINITY, f64::min);
    // No non-zero bin at all: Evidently would fail; 1e-4 is its fallback value.
    let fill = if min_nonzero <= 1e-4 { min_nonzero / 1e6 } else { 1e-4 };
    p.iter().map(|&x| if x == 0.0 { fill } else { x }).collect()
}

/// Population stability index `Σ (c_i − r_i) · ln(c_i / r_i)` after
/// [`fill_empty_bins`] on each side. Never negative: every term is.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    assert_eq!(reference.len(), current.len(), "PSI needs the same bins on both sides");
    let r = fill_empty_bins(reference);
    let c = fill_empty_bins(current);
    r.iter().zip(&c).map(|(&r, &c)| (c - r) * (c / r).ln()).sum()
}

/// Jensen–Shannon distance `sqrt(½ KL(r‖m) + ½ KL(c‖m))`, `m = (r + c) / 2`.
/// Empty bins need no smoothing: `0 · ln 0` is taken as 0.
pub fn jensen_shannon(reference: &[f64], current: &[f64], base: LogBase) -> JsDistance {
    assert_eq!(reference.len(), current.len(), "JS needs the same bins on both sides");
    let mut divergence = 0.0;
    for (&r, &c) in reference.iter().zip(current) {
        let m = (r + c) / 2.0;
        if r > 0.0 {
            divergence += r * (r / m).ln();
        }
        if c > 0.0 {
            divergence += c * (c / m).ln();
        }
    }
    // Rounding can leave a tiny negative divergence for near-identical inputs.
    let value = (divergence / 2.0 / base.ln()).max(0.0).sqrt();
    JsDistance { value, base }
}

/// Largest distance between the two cumulative distributions at bin bounds.
pub fn ks_on_bins(reference: &[f64], current: &[f64]) -> KsLowerBound {
    assert_eq!(reference.len(), current.len(), "KS needs the same bins on both sides");
    let (mut f_r, mut f_c, mut max) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (&r, &c) in reference.iter().zip(current) {
        f_r += r;
        f_c += c;
        max = max.max((f_r - f_c).abs());
    }
    KsLowerBound { value: max.min(1.0) }
}

/// Width of each bin for Wasserstein-1.
///
/// The `+Inf` bin has no width (spec). The first bin `(−∞, b_0]` is open too,
/// but a width of 0 would make any move between it and the second bin
/// invisible, and Prometheus' "starts at 0" would give a layout starting at
/// 1000 a first bin 1000 wide; so it borrows the second bin's width
/// `b_1 − b_0`, as if the layout were continued downwards (0 when there is
/// no second finite bound). `Σ |F_r − F_c| · width_i` is then exactly the
/// Wasserstein-1 distance between point masses at each bin's lower bound.
fn bin_widths(bounds: &[f64]) -> Vec<f64> {
    let first = match bounds {
        [b0, b1, ..] if b1.is_finite() => b1 - b0,
        _ => 0.0,
    };
    (0..bounds.len())
        .map(|i| match i {
            0 => first,
            _ if !bounds[i].is_finite() => 0.0,
            _ => bounds[i] - bounds[i - 1],
        })
        .collect()
}

/// Standard deviation of the reference estimated from bin midpoints, the
/// first bin taken as `(b_0 − width_0, b_0]` (see [`bin_widths`]) and the
/// `+Inf` bin at the highest finite bound, where its mass also sits for
/// Wasserstein. Population form, like `np.std`.
fn binned_std(bounds: &[f64], probabilities: &[f64]) -> f64 {
    let Some(highest_finite) = bounds.iter().copied().rfind(|b| b.is_finite()) else {
        return 0.0;
    };
    let first_width = bin_widths(bounds)[0];
    let points: Vec<f64> = (0..bounds.len())
        .map(|i| match i {
            _ if !bounds[i].is_finite() => highest_finite,
            0 => bounds[0] - first_width / 2.0,
            _ => (bounds[i - 1] + bounds[i]) / 2.0,
        })
        .collect();
    let mass: f64 = probabilities.iter().sum();
    if mass <= 0.0 {
        return 0.0;
    }
    let mean = points.iter().zip(probabilities).map(|(x, p)| x * p).sum::<f64>() / mass;
    let variance = points.iter().zip(probabilities).map(|(x, p)| p * (x - mean).powi(2)).sum::<f64>() / mass;
    variance.max(0.0).sqrt()
}

/// Wasserstein-1 over the finite bins, `Σ |F_r − F_c| · width_i`, divided
/// by `max(std_ref, 0.001)` so the threshold is in units of the reference's
/// spread (Evidently's "normed" Wasserstein). See [`bin_widths`] and
/// [`binned_std`] for the choices binning forces.
pub fn wasserstein_normed(bounds: &[f64], reference: &[f64], current: &[f64]) -> f64 {
    assert!(
        reference.len() == bounds.len() && current.len() == bounds.len(),
        "Wasserstein needs one probability per bound"
    );
    let widths = bin_widths(bounds);
    let (mut f_r, mut f_c, mut distance) = (0.0_f64, 0.0_f64, 0.0_f64);
    for ((&r, &c), &width) in reference.iter().zip(current).zip(&widths) {
        f_r += r;
        f_c += c;
        distance += (f_r - f_c).abs() * width;
    }
    distance / binned_std(bounds, reference).max(0.001)
}

/// All statistics for a numeric feature's pair of windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftStatistics {
    pub psi: f64,
    pub js: JsDistance,
    pub ks: KsLowerBound,
    pub wasserstein: f64,
}

impl DriftStatistics {
    pub fn of(pair: Pair<'_>, js_base: LogBase) -> Self {
        let r = pair.reference.probabilities();
        let c = pair.current.probabilities();
        DriftStatistics {
            psi: psi(&r, &c),
            js: jensen_shannon(&r, &c, js_base),
            ks: ks_on_bins(&r, &c),
            wasserstein: wasserstein_normed(pair.bounds(), &r, &c),
        }
    }
}

/// Pearson's chi-square goodness of fit of the current counts to the
/// reference proportions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub degrees_of_freedom: usize,
    pub p_value: f64,
}

/// Chi-square for a categorical feature, counts aligned by category.
///
/// Expected = `r_i × n_cur`. Categories empty in both windows are left out
/// (no term, no degree of freedom). A category seen now but never in the
/// reference makes the statistic infinite and the p-value 0: a new category
/// is drift. `None` with fewer than two categories or an empty window.
pub fn chi_square(reference_counts: &[f64], current_counts: &[f64]) -> Option<ChiSquare> {
    assert_eq!(reference_counts.len(), current_counts.len(), "chi-square needs the same categories on both sides");
    let n_ref: f64 = reference_counts.iter().sum();
    let n_cur: f64 = current_counts.iter().sum();
    if n_ref <= 0.0 || n_cur <= 0.0 {
        return None;
    }
    let mut statistic = 0.0;
    let mut categories = 0;
    for (&reference, &observed) in reference_counts.iter().zip(current_counts) {
        if reference == 0.0 && observed == 0.0 {
            continue;
        }
        categories += 1;
        let expected = reference / n_ref * n_cur;
        statistic += if expected == 0.0 { f64::INFINITY } else { (observed - expected).powi(2) / expected };
    }
    if categories < 2 {
        return None;
    }
    let degrees_of_freedom = categories - 1;
    let p_value = chi_square_survival(statistic, degrees_of_freedom as f64);
    Some(ChiSquare { statistic, degrees_of_freedom, p_value })
}

/// `P(X > x)` for X ~ χ²(k): the regularized upper incomplete gamma `Q(k/2, x/2)`.
pub fn chi_square_survival(x: f64, k: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    regularized_upper_gamma(k / 2.0, x / 2.0)
}

/// `Q(a, x) = Γ(a, x) / Γ(a)`, a > 0, by the series for `P` when `x < a + 1`
/// and by the continued fraction (modified Lentz) otherwise, where each
/// converges fast (Numerical Recipes §6.2).
fn regularized_upper_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let prefactor = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * f64::EPSILON {
                break;
            }
        }
        (1.0 - sum * prefactor).clamp(0.0, 1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < f64::EPSILON {
                break;
            }
        }
        (prefactor * h).clamp(0.0, 1.0)
    }
}

/// `ln Γ(x)` for x > 0 by the Lanczos approximation (g = 7, 9 terms), good
/// to about 1e-15 relative; reflection below 0.5.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, &coefficient) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += coefficient / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1.0)
    }

    #[test]
    fn empty_bins_follow_evidently() {
        // Smallest non-zero is 0.1 > 1e-4: zeros become 1e-4.
        assert_eq!(fill_empty_bins(&[0.0, 0.1, 0.9]), vec![1e-4, 0.1, 0.9]);
        // Smallest non-zero is 5e-5 ≤ 1e-4: zeros become 5e-5 / 1e6.
        assert_eq!(fill_empty_bins(&[0.0, 5e-5, 1.0 - 5e-5]), vec![5e-11, 5e-5, 1.0 - 5e-5]);
        // Exactly 1e-4 counts as "≤ 1e-4".
        assert_eq!(fill_empty_bins(&[0.0, 1e-4, 1.0 - 1e-4]), vec![1e-10, 1e-4, 1.0 - 1e-4]);
    }

    #[test]
    fn psi_of_a_known_shift() {
        // (0.5−0.25)·ln(0.5/0.25) + (0.5−0.75)·ln(0.5/0.75)
        let expected = 0.25 * 2.0_f64.ln() - 0.25 * (2.0_f64 / 3.0).ln();
        assert!(close(psi(&[0.25, 0.75], &[0.5, 0.5]), expected, 1e-15));
    }

    #[test]
    fn js_of_disjoint_distributions_is_the_maximum() {
        let e = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0], LogBase::E);
        assert!(close(e.value, std::f64::consts::LN_2.sqrt(), 1e-15));
        assert_eq!(e.base, LogBase::E);
        let two = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0], LogBase::Two);
        assert!(close(two.value, 1.0, 1e-15));
        assert!(close(e.in_base(LogBase::Two).value, two.value, 1e-15));
        assert!(close(two.in_base(LogBase::E).value, e.value, 1e-15));
    }

    #[test]
    fn ks_is_the_largest_cdf_gap() {
        // CDFs: 0.2/0.5, 0.7/0.6, 1/1 → gaps 0.3, 0.1, 0.
        assert!(close(ks_on_bins(&[0.2, 0.5, 0.3], &[0.5, 0.1, 0.4]).value, 0.3, 1e-15));
    }

    #[test]
    fn wasserstein_gives_the_inf_bin_no_width_and_the_first_bin_the_seconds() {
        let bounds = [0.0, 1.0, 2.0, f64::INFINITY];
        // Reference: half in (0, 1], half in (1, 2]: midpoints 0.5 and 1.5, std 0.5.
        let r = [0.0, 0.5, 0.5, 0.0];
        // Half moves from (1, 2] into (2, +Inf]: it counts as reaching 2, one width of 1.
        let into_inf = wasserstein_normed(&bounds, &r, &[0.0, 0.5, 0.0, 0.5]);
        assert!(close(into_inf, 0.5 * 1.0 / 0.5, 1e-15), "{into_inf}");
        // Half moves from (0, 1] into (−∞, 0]: seen, across the borrowed width 1.
        let r = [0.5, 0.5, 0.0, 0.0]; // midpoints −0.5 and 0.5, std 0.5
        let into_first = wasserstein_normed(&bounds, &r, &[0.0, 1.0, 0.0, 0.0]);
        assert!(close(into_first, 0.5 * 1.0 / 0.5, 1e-15), "{into_first}");
        // With a single finite bound there is no width to measure anything by.
        assert_eq!(wasserstein_normed(&[1.0, f64::INFINITY], &[0.5, 0.5], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn wasserstein_of_a_one_bin_shift_in_reference_stds() {
        let bounds = [1.0, 2.0, 3.0, 4.0, f64::INFINITY];
        // Reference: all mass in (1, 2] (midpoint 1.5, std 0) → normed by 0.001.
        let w = wasserstein_normed(&bounds, &[0.0, 1.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 1.0, 0.0, 0.0]);
        assert!(close(w, 1.0 / 0.001, 1e-12));
    }

    #[test]
    fn a_layout_of_only_inf_has_no_wasserstein_distance() {
        assert_eq!(wasserstein_normed(&[f64::INFINITY], &[1.0], &[1.0]), 0.0);
    }

    #[test]
    fn chi_square_matches_a_hand_computation() {
        // Reference 50/50, current 30/70 out of 100: (30−50)²/50 + (70−50)²/50 = 16, 1 dof.
        let chi = chi_square(&[500.0, 500.0], &[30.0, 70.0]).unwrap();
        assert_eq!(chi.degrees_of_freedom, 1);
        assert!(close(chi.statistic, 16.0, 1e-15));
        // P(χ²₁ > 16) = erfc(√8) = 6.334248366623996e-05
        assert!((chi.p_value - 6.334_248_366_623_996e-5).abs() < 1e-17);
    }

    #[test]
    fn chi_square_new_category_is_drift_and_empty_categories_have_no_freedom() {
        let chi = chi_square(&[10.0, 10.0, 0.0, 0.0], &[10.0, 5.0, 5.0, 0.0]).unwrap();
        assert_eq!(chi.degrees_of_freedom, 2);
        assert_eq!(chi.statistic, f64::INFINITY);
        assert_eq!(chi.p_value, 0.0);
        assert_eq!(chi_square(&[10.0, 0.0], &[10.0, 0.0]), None);
        assert_eq!(chi_square(&[10.0, 5.0], &[0.0, 0.0]), None);
    }

    #[test]
    fn chi_square_survival_known_values() {
        // scipy.stats.chi2.sf
        assert!(close(chi_square_survival(3.84145882069412, 1.0), 0.05, 1e-12));
        assert!(close(chi_square_survival(2.0, 2.0), (-1.0_f64).exp(), 1e-14));
        assert!(close(chi_square_survival(10.0, 4.0), 0.04042768199451279, 1e-13));
        assert_eq!(chi_square_survival(0.0, 3.0), 1.0);
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!(close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-15));
        assert!(close(ln_gamma(10.0), 362_880.0_f64.ln(), 1e-15));
        assert!(close(ln_gamma(0.25), 3.625_609_908_221_908_f64.ln(), 1e-14));
    }

    /// 2 to 12 bins of probabilities, some exactly empty, summing to 1.
    fn probabilities(len: usize) -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec(prop_oneof![1 => Just(0.0), 4 => 0.0f64..1000.0], len).prop_filter_map(
            "needs some mass",
            |weights| {
                let total: f64 = weights.iter().sum();
                (total > 0.0).then(|| weights.iter().map(|w| w / total).collect())
            },
        )
    }

    fn two_distributions() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (2usize..12).prop_flat_map(|len| (probabilities(len), probabilities(len)))
    }

    fn bounds_for(len: usize) -> Vec<f64> {
        let mut bounds: Vec<f64> = (0..len - 1).map(|i| -1.0 + 0.5 * i as f64).collect();
        bounds.push(f64::INFINITY);
        bounds
    }

    proptest! {
        #[test]
        fn identical_distributions_show_no_drift(p in (2usize..12).prop_flat_map(probabilities)) {
            let bounds = bounds_for(p.len());
            prop_assert_eq!(psi(&p, &p), 0.0);
            prop_assert_eq!(jensen_shannon(&p, &p, LogBase::E).value, 0.0);
            prop_assert_eq!(jensen_shannon(&p, &p, LogBase::Two).value, 0.0);
            prop_assert_eq!(ks_on_bins(&p, &p).value, 0.0);
            prop_assert_eq!(wasserstein_normed(&bounds, &p, &p), 0.0);
        }

        #[test]
        fn statistics_stay_in_their_ranges((r, c) in two_distributions()) {
            prop_assert!(psi(&r, &c) >= 0.0);
            let js_e = jensen_shannon(&r, &c, LogBase::E).value;
            prop_assert!((0.0..=std::f64::consts::LN_2.sqrt() + 1e-12).contains(&js_e));
            let js_2 = jensen_shannon(&r, &c, LogBase::Two).value;
            prop_assert!((0.0..=1.0 + 1e-12).contains(&js_2));
            prop_assert!((0.0..=1.0).contains(&ks_on_bins(&r, &c).value));
            prop_assert!(wasserstein_normed(&bounds_for(r.len()), &r, &c) >= 0.0);
        }

        #[test]
        fn js_is_symmetric((r, c) in two_distributions()) {
            let forward = jensen_shannon(&r, &c, LogBase::E).value;
            let backward = jensen_shannon(&c, &r, LogBase::E).value;
            prop_assert!((forward - backward).abs() <= 1e-15);
        }

        #[test]
        fn psi_and_js_ignore_bin_order((r, c) in two_distributions(), seed in any::<u64>()) {
            let mut order: Vec<usize> = (0..r.len()).collect();
            fastrand::Rng::with_seed(seed).shuffle(&mut order);
            let r_permuted: Vec<f64> = order.iter().map(|&i| r[i]).collect();
            let c_permuted: Vec<f64> = order.iter().map(|&i| c[i]).collect();
            prop_assert!(close(psi(&r_permuted, &c_permuted), psi(&r, &c), 1e-9));
            let js = jensen_shannon(&r, &c, LogBase::E).value;
            prop_assert!(close(jensen_shannon(&r_permuted, &c_permuted, LogBase::E).value, js, 1e-9));
        }
    }

    /// KS and Wasserstein depend on which bins are neighbours, so relabelling
    /// bins changes them; PSI and JS of the same data do not change.
    #[test]
    fn ks_and_wasserstein_depend_on_bin_order() {
        let bounds = bounds_for(4);
        let (r, c) = ([0.5, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 0.5]);
        // The same permutation (swap the middle bins) applied to both sides.
        let (r_permuted, c_permuted) = ([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]);
        assert!(close(ks_on_bins(&r, &c).value, 0.5, 1e-15));
        assert!(close(ks_on_bins(&r_permuted, &c_permuted).value, 1.0, 1e-15));
        let w = wasserstein_normed(&bounds, &r, &c);
        let w_permuted = wasserstein_normed(&bounds, &r_permuted, &c_permuted);
        // Widths 0.5, 0.5, 0.5, 0; reference std 0.5 vs 0.25.
        assert!(close(w, 0.5 / 0.5, 1e-12), "{w}");
        assert!(close(w_permuted, 1.0 / 0.25, 1e-12), "{w_permuted}");
        assert!(close(psi(&r, &c), psi(&r_permuted, &c_permuted), 1e-15));
        assert!(close(
            jensen_shannon(&r, &c, LogBase::E).value,
            jensen_shannon(&r_permuted, &c_permuted, LogBase::E).value,
            1e-15
        ));
    }
}
