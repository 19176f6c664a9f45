//! Deterministic noise: a hash of the coordinates (seed, model, version,
//! tick, stream) instead of a random-number generator, so the value at any
//! instant is computed directly, without replaying history. That is what
//! makes `--at` and backfilling history exact and cheap.

/// splitmix64's finaliser: a good 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A 64-bit hash of the coordinates.
pub fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x9e37_79b9_7f4a_7c15, |acc, &p| mix(acc ^ mix(p.wrapping_add(0x9e37_79b9_7f4a_7c15))))
}

/// Uniform in [0, 1).
pub fn unit(parts: &[u64]) -> f64 {
    (hash(parts) >> 11) as f64 / (1u64 << 53) as f64
}

/// Standard normal (Box–Muller over two derived uniforms).
pub fn normal(parts: &[u64]) -> f64 {
    let h = hash(parts);
    let u1 = ((mix(h) >> 11) as f64 + 1.0) / ((1u64 << 53) as f64 + 1.0);
    let u2 = (mix(h ^ 0xdead_beef) >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Rounds `x` up with probability equal to its fraction, using `u` in [0,1):
/// whole counts whose expectation is exactly `x`.
pub fn stochastic_round(x: f64, u: f64) -> u64 {
    if x <= 0.0 { 0 } else { (x + u).floor() as u64 }
}

/// The standard normal CDF (erfc via Numerical Recipes' Chebyshev fit,
/// relative error below 1.2e-7 — far finer than a count can show).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_in_range_and_spread() {
        let values: Vec<f64> = (0..10_000).map(|i| unit(&[7, i])).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn normals_have_zero_mean_and_unit_variance() {
        let values: Vec<f64> = (0..20_000).map(|i| normal(&[3, i])).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
    }

    #[test]
    fn cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-2.326_347_874) - 0.01).abs() < 1e-6);
    }

    #[test]
    fn stochastic_rounding_keeps_the_expectation() {
        let total: u64 = (0..10_000).map(|i| stochastic_round(0.3, unit(&[i]))).sum();
        assert!((2_800..3_200).contains(&total), "{total}");
    }
}
