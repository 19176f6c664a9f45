//! The simulated models: names, environments, traffic levels, versions,
//! latency profiles and features — all drawn deterministically from the seed.

use super::noise;

/// Latency buckets of the generic preset (Prometheus' default buckets).
pub const LATENCY_BOUNDS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Prediction-score buckets.
pub const SCORE_BOUNDS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

const BASE_NAMES: [&str; 12] = [
    "fraud-detector",
    "churn-predictor",
    "credit-risk-scorer",
    "recsys-ranker",
    "search-embedder",
    "ad-ctr-predictor",
    "demand-forecaster",
    "image-moderation",
    "toxicity-classifier",
    "eta-regressor",
    "pricing-optimizer",
    "support-router",
];
const REGIONS: [&str; 3] = ["eu", "us", "ap"];

/// Feature names by model family; the first model's are fixed because the
/// scenarios refer to them.
const FEATURES: [&[&str]; 12] = [
    &["transaction_amount", "account_age_days", "merchant_risk", "txn_per_hour", "distance_from_home"],
    &["tenure_months", "monthly_spend", "support_tickets", "logins_per_week"],
    &["income", "debt_ratio", "credit_lines", "age", "utilisation"],
    &["user_embedding_norm", "item_popularity", "session_length", "dwell_seconds"],
    &["query_length", "token_count", "embedding_norm"],
    &["bid_price", "slot_position", "user_ctr_7d", "creative_age_days"],
    &["lag_7d", "lag_28d", "promo_flag", "temperature", "price_index", "stock_level"],
    &["image_width", "image_height", "nsfw_prior"],
    &["text_length", "caps_ratio", "link_count", "reply_depth"],
    &["distance_km", "traffic_index", "hour_of_day", "stops"],
    &["base_price", "competitor_gap", "inventory_days", "elasticity"],
    &["message_length", "language_score", "priority_prior"],
];

/// A version as deployed: its quality is fixed for its lifetime.
#[derive(Debug, Clone, PartialEq)]
pub struct SimVersion {
    pub version: String,
    pub aliases: Vec<String>,
    pub error_ratio: f64,
    /// Log-normal latency: median and log-space sigma.
    pub latency_median_seconds: f64,
    pub latency_sigma: f64,
    /// When the version starts to exist (unix seconds); `None` = always.
    pub deployed_at: Option<i64>,
    /// Cumulative fraction of requests at or under each latency bound.
    pub latency_cdf: Vec<f64>,
}

impl SimVersion {
    pub fn new(version: String, aliases: Vec<String>, error_ratio: f64, median: f64, sigma: f64) -> Self {
        let latency_cdf = LATENCY_BOUNDS.iter().map(|b| noise::normal_cdf((b.ln() - median.ln()) / sigma)).collect();
        SimVersion {
            version,
            aliases,
            error_ratio,
            latency_median_seconds: median,
            latency_sigma: sigma,
            deployed_at: None,
            latency_cdf,
        }
    }

    /// The latency this version's requests are at or under with probability `q`.
    pub fn latency_quantile(&self, z: f64) -> f64 {
        self.latency_median_seconds * (self.latency_sigma * z).exp()
    }
}

/// A numeric feature: normally distributed around `mean`, with a fixed
/// bucket layout of 12 equal-width buckets over mean ± 3σ plus +Inf.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFeature {
    pub name: String,
    pub mean: f64,
    pub std: f64,
    pub bounds: Vec<f64>,
}

impl SimFeature {
    fn new(name: &str, mean: f64, std: f64) -> Self {
        let bounds = (0..=12).map(|i| mean - 3.0 * std + i as f64 * std / 2.0).collect();
        SimFeature { name: name.to_string(), mean, std, bounds }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimModel {
    pub name: String,
    pub environment: String,
    /// Mean requests per second over a day, all versions together.
    pub base_rps: f64,
    /// Index 0 is the stable version; later ones may be canaries or appear
    /// only when a scenario deploys them.
    pub versions: Vec<SimVersion>,
    /// Initial traffic weight per version (sums to 1 over existing versions).
    pub initial_weights: Vec<f64>,
    pub features: Vec<SimFeature>,
    /// Prediction scores: a logistic-normal with these parameters.
    pub score_logit_mean: f64,
    pub score_logit_std: f64,
}

/// A unique, plausible name for model `i`.
pub fn model_name(i: usize) -> String {
    let base = BASE_NAMES[i % BASE_NAMES.len()];
    if i < BASE_NAMES.len() {
        base.to_string()
    } else {
        let region = REGIONS[(i / BASE_NAMES.len()) % REGIONS.len()];
        format!("{base}-{region}-{}", i / (BASE_NAMES.len() * REGIONS.len()) + 1)
    }
}

/// Builds model `i` of a fleet seeded with `seed`.
pub fn model(seed: u64, i: usize) -> SimModel {
    let i64_ = i as u64;
    let draw = |stream: u64| noise::unit(&[seed, i64_, stream]);
    // Log-uniform traffic between 0.5 and 400 req/s; the first model is busy.
    let base_rps = if i == 0 { 120.0 } else { 0.5 * (800.0_f64).powf(draw(1)) };
    let environment = if i != 0 && draw(2) < 0.25 { "staging" } else { "prod" };
    let stable_number = 2 + (noise::hash(&[seed, i64_, 3]) % 9) as u32;
    let median = 0.015 + 0.1 * draw(4);
    let sigma = 0.3 + 0.15 * draw(5);
    let error_ratio = 0.0005 + 0.0035 * draw(6);
    let mut versions =
        vec![SimVersion::new(stable_number.to_string(), vec!["champion".into()], error_ratio, median, sigma)];
    let mut initial_weights = vec![1.0];
    // Some models already run a healthy canary.
    if i != 0 && draw(7) < 0.2 {
        versions.push(SimVersion::new(
            (stable_number + 1).to_string(),
            vec!["challenger".into()],
            error_ratio * (0.8 + 0.4 * draw(8)),
            median * (0.9 + 0.2 * draw(9)),
            sigma,
        ));
        initial_weights = vec![0.9, 0.1];
    }
    let names = FEATURES[i % FEATURES.len()];
    let features = names
        .iter()
        .enumerate()
        .map(|(f, name)| {
            let mean = 10.0 + 990.0 * noise::unit(&[seed, i64_, 100 + f as u64]);
            let std = mean * (0.1 + 0.3 * noise::unit(&[seed, i64_, 200 + f as u64]));
            SimFeature::new(name, mean, std)
        })
        .collect();
    SimModel {
        name: model_name(i),
        environment: environment.to_string(),
        base_rps,
        versions,
        initial_weights,
        features,
        score_logit_mean: -1.5 + draw(10),
        score_logit_std: 0.8 + 0.6 * draw(11),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_at_scale() {
        let names: HashSet<String> = (0..10_000).map(model_name).collect();
        assert_eq!(names.len(), 10_000);
        assert_eq!(model_name(0), "fraud-detector");
        assert_eq!(model_name(12), "fraud-detector-us-1");
    }

    #[test]
    fn calm_models_are_healthy_by_the_default_thresholds() {
        for i in 0..500 {
            let m = model(42, i);
            for v in &m.versions {
                assert!(v.error_ratio < 0.01, "{} error ratio {}", m.name, v.error_ratio);
                assert!(v.latency_quantile(2.326) < 0.5, "{} p99 {}", m.name, v.latency_quantile(2.326));
            }
            assert!((3..=6).contains(&m.features.len()));
        }
    }
}
