//! The drift statistics against values from an independent numpy/scipy
//! implementation: `tests/fixtures/drift/reference.py` wrote
//! `reference.json`; this test only reads the JSON, it needs no Python.

use serde::Deserialize;
use vigil::core::drift::stats::{chi_square, fill_empty_bins};
use vigil::core::drift::{BinnedDistribution, DriftStatistics, LogBase, pair, parse_le};
use vigil::core::histogram::Bucket;

#[derive(Deserialize)]
struct Reference {
    numeric: Vec<NumericCase>,
    categorical: Vec<CategoricalCase>,
}

#[derive(Deserialize)]
struct NumericCase {
    name: String,
    bounds: Vec<String>,
    reference_cumulative: Vec<f64>,
    current_cumulative: Vec<f64>,
    psi: f64,
    js_ln: f64,
    js_log2: f64,
    ks: f64,
    wasserstein_normed: f64,
}

#[derive(Deserialize)]
struct CategoricalCase {
    name: String,
    reference_counts: Vec<f64>,
    current_counts: Vec<f64>,
    chi_square: f64,
    degrees_of_freedom: usize,
    p_value: f64,
}

/// Absolute 1e-9 for values up to 1, relative 1e-9 above.
const TOLERANCE: f64 = 1e-9;

/// Deviation scaled so that it must stay ≤ TOLERANCE.
fn deviation(actual: f64, expected: f64) -> f64 {
    (actual - expected).abs() / expected.abs().max(1.0)
}

fn load() -> Reference {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/drift/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference.json is committed"))
        .expect("reference.json parses")
}

fn distribution(bounds: &[String], cumulative: &[f64]) -> BinnedDistribution {
    let buckets: Vec<Bucket> = bounds
        .iter()
        .zip(cumulative)
        .map(|(le, &cumulative_count)| Bucket { upper_bound: parse_le(le).unwrap(), cumulative_count })
        .collect();
    BinnedDistribution::from_cumulative(&buckets).unwrap()
}

#[test]
fn numeric_statistics_match_numpy_and_scipy() {
    let reference = load();
    assert!(reference.numeric.len() >= 8, "the fixture lost cases");
    let mut worst = (0.0_f64, String::new());
    for case in &reference.numeric {
        let r = distribution(&case.bounds, &case.reference_cumulative);
        let c = distribution(&case.bounds, &case.current_cumulative);
        let paired = pair(&r, &c, 100.0).unwrap_or_else(|refusal| panic!("{}: {refusal}", case.name));
        let ln = DriftStatistics::of(paired, LogBase::E);
        let log2 = DriftStatistics::of(paired, LogBase::Two);
        for (statistic, actual, expected) in [
            ("psi", ln.psi, case.psi),
            ("js_ln", ln.js.value, case.js_ln),
            ("js_log2", log2.js.value, case.js_log2),
            ("ks", ln.ks.value, case.ks),
            ("wasserstein_normed", ln.wasserstein, case.wasserstein_normed),
        ] {
            let off = deviation(actual, expected);
            assert!(off <= TOLERANCE, "{} {statistic}: {actual} vs scipy {expected}", case.name);
            if off > worst.0 {
                worst = (off, format!("{} {statistic}", case.name));
            }
        }
    }
    println!("numeric: largest scaled deviation {:e} ({})", worst.0, worst.1);
}

#[test]
fn categorical_chi_square_matches_scipy() {
    let reference = load();
    assert!(reference.categorical.len() >= 3, "the fixture lost cases");
    let mut worst = (0.0_f64, String::new());
    for case in &reference.categorical {
        let chi = chi_square(&case.reference_counts, &case.current_counts).unwrap();
        assert_eq!(chi.degrees_of_freedom, case.degrees_of_freedom, "{}", case.name);
        let statistic_off = deviation(chi.statistic, case.chi_square);
        // p-values can be tiny (1e-42): compare them relative to themselves.
        let p_off = (chi.p_value - case.p_value).abs() / case.p_value;
        assert!(statistic_off <= TOLERANCE, "{} chi²: {} vs scipy {}", case.name, chi.statistic, case.chi_square);
        assert!(p_off <= TOLERANCE, "{} p: {:e} vs scipy {:e}", case.name, chi.p_value, case.p_value);
        for (off, what) in [(statistic_off, "chi²"), (p_off, "p (relative)")] {
            if off > worst.0 {
                worst = (off, format!("{} {what}", case.name));
            }
        }
    }
    println!("categorical: largest scaled deviation {:e} ({})", worst.0, worst.1);
}

/// The fixture really exercises both branches of Evidently's empty-bin rule.
#[test]
fn fixture_covers_both_empty_bin_fills() {
    let reference = load();
    let mut fills = Vec::new();
    for case in &reference.numeric {
        for cumulative in [&case.reference_cumulative, &case.current_cumulative] {
            let p = distribution(&case.bounds, cumulative).probabilities();
            let filled = fill_empty_bins(&p);
            fills.extend(p.iter().zip(&filled).filter(|(before, _)| **before == 0.0).map(|(_, after)| *after));
        }
    }
    assert!(fills.contains(&1e-4), "no case fills with 1e-4");
    assert!(fills.iter().any(|&fill| fill < 1e-10), "no case fills with min_nonzero / 1e6");
}
