//! The simulator: per 15-second tick, for every model version, whole counts
//! of requests, errors, latency-bucket, feature-bucket and score-bucket
//! observations — a pure function of (seed, schedule, tick). Windows sum
//! ticks; rates and quantiles come from those sums exactly as Prometheus
//! would compute them from counters.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Timelike, Utc};

use super::catalogue::{self, LATENCY_BOUNDS, SCORE_BOUNDS, SimModel, SimVersion};
use super::noise::{normal, normal_cdf, stochastic_round, unit};
use super::scenario::{Scenario, offsets};
use crate::core::fleet::{FleetMetrics, ModelMetrics, VersionMetrics};
use crate::core::histogram::{Bucket, quantile};
use crate::sources::FleetQuery;

/// Length of one simulated scrape interval.
pub const TICK_SECONDS: i64 = 15;

#[derive(Debug, Clone, PartialEq)]
pub struct LabOptions {
    pub seed: u64,
    pub scenario: Scenario,
    pub models: usize,
    /// The scenario's reference instant: its events sit at fixed offsets from it.
    pub anchor: DateTime<Utc>,
}

/// The `outcome` label of `model_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Error,
}

/// From this instant on, the model's versions get these traffic weights.
#[derive(Debug, Clone, PartialEq)]
struct WeightChange {
    at: i64,
    weights: Vec<f64>,
}

/// From this instant on, a feature's mean sits `sigmas` standard deviations away.
#[derive(Debug, Clone, PartialEq)]
struct FeatureShift {
    feature: usize,
    at: i64,
    sigmas: f64,
}

pub struct Simulator {
    options: LabOptions,
    models: Vec<SimModel>,
    by_name: HashMap<String, usize>,
    /// Per model, sorted by time; the first entry is the initial weights.
    weights: RwLock<Vec<Vec<WeightChange>>>,
    shifts: Vec<Vec<FeatureShift>>,
    generation: std::sync::atomic::AtomicU64,
}

/// Counts summed over a window for one version.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub requests: u64,
    pub errors: u64,
    /// Cumulative, one per latency bound (the +Inf bucket is `requests`).
    pub latency: [u64; LATENCY_BOUNDS.len()],
}

impl std::ops::AddAssign for Sums {
    fn add_assign(&mut self, other: Sums) {
        self.requests += other.requests;
        self.errors += other.errors;
        for (a, b) in self.latency.iter_mut().zip(other.latency) {
            *a += b;
        }
    }
}

impl Simulator {
    pub fn new(options: LabOptions) -> Simulator {
        let mut models: Vec<SimModel> = (0..options.models).map(|i| catalogue::model(options.seed, i)).collect();
        let mut weights: Vec<Vec<WeightChange>> =
            models.iter().map(|m| vec![WeightChange { at: i64::MIN, weights: m.initial_weights.clone() }]).collect();
        let mut shifts: Vec<Vec<FeatureShift>> = vec![Vec::new(); models.len()];
        let anchor = options.anchor.timestamp();
        match options.scenario {
            Scenario::Calm => {}
            Scenario::BadDeploy => {
                if let Some(model) = models.first_mut() {
                    let stable = &model.versions[0];
                    let number: u32 = stable.version.parse().unwrap_or(1) + 1;
                    let mut canary = SimVersion::new(
                        number.to_string(),
                        vec!["challenger".into()],
                        0.10,
                        stable.latency_median_seconds * 3.5,
                        stable.latency_sigma * 1.3,
                    );
                    canary.deployed_at = Some(anchor + offsets::CANARY_DEPLOYED);
                    model.versions.push(canary);
                    model.initial_weights.push(0.0);
                    weights[0] = vec![
                        WeightChange { at: i64::MIN, weights: vec![1.0, 0.0] },
                        WeightChange { at: anchor + offsets::CANARY_DEPLOYED, weights: vec![0.75, 0.25] },
                        WeightChange { at: anchor + offsets::CANARY_WIDENED, weights: vec![0.5, 0.5] },
                    ];
                }
            }
            Scenario::FeatureDrift => {
                if !models.is_empty() {
                    shifts[0].push(FeatureShift { feature: 0, at: anchor + offsets::FEATURE_SHIFTED, sigmas: 1.5 });
                }
            }
        }
        let by_name = models.iter().enumerate().map(|(i, m)| (m.name.clone(), i)).collect();
        Simulator { options, models, by_name, weights: RwLock::new(weights), shifts, generation: Default::default() }
    }

    pub fn options(&self) -> &LabOptions {
        &self.options
    }

    /// The fleet as deployed (every version that ever exists, with when).
    pub fn models(&self) -> &[SimModel] {
        &self.models
    }

    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Shifts a model's traffic from `at` on (the lab gateway's admin
    /// endpoint uses this). Weights are normalised; versions not named get 0.
    /// Scripted changes after `at` are dropped: an operator's shift (a
    /// rollback, say) stops the scenario's rollout, as it would a real one.
    /// Bumped by every traffic change, so caches of past sums know to refresh.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn set_weights(&self, model: &str, weights: &[(String, f64)], at: DateTime<Utc>) -> Result<(), String> {
        let m = self.model_index(model).ok_or_else(|| format!("no model named {model}"))?;
        let versions = &self.models[m].versions;
        let mut vector = vec![0.0; versions.len()];
        for (name, weight) in weights {
            let v = versions
                .iter()
                .position(|v| &v.version == name)
                .ok_or_else(|| format!("{model} has no version {name}"))?;
            if !(weight.is_finite() && *weight >= 0.0) {
                return Err(format!("weight of version {name} must be a non-negative number"));
            }
            vector[v] = *weight;
        }
        let total: f64 = vector.iter().sum();
        if total <= 0.0 {
            return Err("weights must not all be zero".into());
        }
        vector.iter_mut().for_each(|w| *w /= total);
        let mut all = self.weights.write().map_err(|_| "weights lock poisoned".to_string())?;
        let changes = &mut all[m];
        let at = at.timestamp();
        let position = changes.partition_point(|c| c.at <= at);
        changes.truncate(position);
        changes.push(WeightChange { at, weights: vector });
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The traffic weights in force at `at`, by version name.
    pub fn weights_at(&self, model: usize, at: DateTime<Utc>) -> Vec<(String, f64)> {
        let all = self.weights.read().expect("weights lock");
        let w = weights_at(&all[model], at.timestamp());
        self.models[model].versions.iter().zip(w).map(|(v, w)| (v.version.clone(), *w)).collect()
    }

    /// Whether a version exists (is deployed) at `t`.
    pub fn version_exists(&self, model: usize, version: usize, t: DateTime<Utc>) -> bool {
        self.models[model].versions[version].deployed_at.is_none_or(|d| d <= t.timestamp())
    }

    /// Requests with `outcome` in the window `(from, to]`: the increase of
    /// `model_requests_total{outcome}` over it.
    pub fn requests(
        &self,
        model: usize,
        version: usize,
        outcome: Outcome,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> u64 {
        let sums = self.sums(model, version, from.timestamp(), to.timestamp());
        match outcome {
            Outcome::Success => sums.requests - sums.errors,
            Outcome::Error => sums.errors,
        }
    }

    /// The increase of `model_request_duration_seconds_bucket` over `(from, to]`, +Inf last.
    pub fn latency_buckets(&self, model: usize, version: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Bucket> {
        let sums = self.sums(model, version, from.timestamp(), to.timestamp());
        to_buckets(&LATENCY_BOUNDS, &sums.latency, sums.requests)
    }

    /// The increase of `model_feature_value_bucket{feature}` over `(from, to]`, +Inf last.
    pub fn feature_buckets(
        &self,
        model: usize,
        version: usize,
        feature: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Bucket> {
        let f = &self.models[model].features[feature];
        let all = self.weights.read().expect("weights lock");
        let mut cumulative = vec![0u64; f.bounds.len()];
        let mut total = 0;
        for k in ticks(from.timestamp(), to.timestamp()) {
            let n = self.tick_requests(model, version, k, &all[model]);
            if n == 0 {
                continue;
            }
            total += n;
            let mean = f.mean + self.shift_sigmas(model, feature, k * TICK_SECONDS) * f.std;
            let u = unit(&[self.options.seed, model as u64, version as u64, k as u64, 30 + feature as u64]);
            for (c, bound) in cumulative.iter_mut().zip(&f.bounds) {
                *c += stochastic_round(n as f64 * normal_cdf((bound - mean) / f.std), u).min(n);
            }
        }
        to_buckets(&f.bounds, &cumulative, total)
    }

    /// The increase of `model_prediction_score_bucket` over `(from, to]`, +Inf last.
    pub fn score_buckets(&self, model: usize, version: usize, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Bucket> {
        let m = &self.models[model];
        let all = self.weights.read().expect("weights lock");
        let cdf: Vec<f64> = SCORE_BOUNDS
            .iter()
            .map(|b| {
                let logit = (b / (1.0 - b).max(1e-12)).ln();
                if *b >= 1.0 { 1.0 } else { normal_cdf((logit - m.score_logit_mean) / m.score_logit_std) }
            })
            .collect();
        let mut cumulative = vec![0u64; SCORE_BOUNDS.len()];
        let mut total = 0;
        for k in ticks(from.timestamp(), to.timestamp()) {
            let n = self.tick_requests(model, version, k, &all[model]);
            total += n;
            let u = unit(&[self.options.seed, model as u64, version as u64, k as u64, 20]);
            for (c, p) in cumulative.iter_mut().zip(&cdf) {
                *c += stochastic_round(n as f64 * p, u).min(n);
            }
        }
        to_buckets(&SCORE_BOUNDS, &cumulative, total)
    }

    /// Rates, errors, quantiles and an hour of history for every model, as
    /// a metrics source reports them.
    pub fn fleet_metrics(&self, query: &FleetQuery) -> FleetMetrics {
        let to = query.at.timestamp();
        let window = query.rate_window.as_secs().max(TICK_SECONDS as u64) as i64;
        let step = query.history_step.as_secs().max(TICK_SECONDS as u64) as i64;
        let points = (query.history.as_secs() as i64 / step).max(1);
        let all = self.weights.read().expect("weights lock");
        let models = self
            .models
            .iter()
            .enumerate()
            .map(|(m, model)| {
                let changes = &all[m];
                let mut model_latency = [0u64; LATENCY_BOUNDS.len()];
                let mut model_requests = 0;
                let mut versions = Vec::new();
                for (v, version) in model.versions.iter().enumerate() {
                    if version.deployed_at.is_some_and(|d| d > to) {
                        continue;
                    }
                    let sums = self.sums_with(m, v, to - window, to, changes);
                    if sums.requests == 0 && version.aliases.is_empty() {
                        continue;
                    }
                    model_requests += sums.requests;
                    for (total, c) in model_latency.iter_mut().zip(sums.latency) {
                        *total += c;
                    }
                    let buckets = to_buckets(&LATENCY_BOUNDS, &sums.latency, sums.requests);
                    versions.push(VersionMetrics {
                        version: Some(version.version.clone()),
                        aliases: version.aliases.clone(),
                        requests_per_second: Some(sums.requests as f64 / window as f64),
                        errors_per_second: Some(sums.errors as f64 / window as f64),
                        latency_p50_seconds: quantile(0.5, &buckets),
                        latency_p99_seconds: quantile(0.99, &buckets),
                        latency_average_seconds: None,
                    });
                }
                let model_buckets = to_buckets(&LATENCY_BOUNDS, &model_latency, model_requests);
                let history = (0..points)
                    .map(|p| {
                        let end = to - (points - 1 - p) * step;
                        let requests: u64 = (0..model.versions.len())
                            .map(|v| ticks(end - step, end).map(|k| self.tick_requests(m, v, k, changes)).sum::<u64>())
                            .sum();
                        Some(requests as f64 / step as f64)
                    })
                    .collect();
                ModelMetrics {
                    model: model.name.clone(),
                    environment: Some(model.environment.clone()),
                    versions,
                    latency_p50_seconds: quantile(0.5, &model_buckets),
                    latency_p99_seconds: quantile(0.99, &model_buckets),
                    latency_average_seconds: None,
                    history,
                }
            })
            .collect();
        FleetMetrics {
            at: query.at,
            rate_window_seconds: window as f64,
            history_step_seconds: step as f64,
            models,
            via: None,
        }
    }

    /// Every count of one version over `(from, to]` (Unix seconds).
    pub fn sums(&self, model: usize, version: usize, from: i64, to: i64) -> Sums {
        let all = self.weights.read().expect("weights lock");
        self.sums_with(model, version, from, to, &all[model])
    }

    fn sums_with(&self, m: usize, v: usize, from: i64, to: i64, changes: &[WeightChange]) -> Sums {
        let version = &self.models[m].versions[v];
        let mut sums = Sums::default();
        for k in ticks(from, to) {
            let n = self.tick_requests(m, v, k, changes);
            if n == 0 {
                continue;
            }
            let draw = |stream: u64| [self.options.seed, m as u64, v as u64, k as u64, stream];
            let p = (version.error_ratio * (1.0 + 0.3 * normal(&draw(3)))).clamp(0.0, 1.0);
            sums.requests += n;
            sums.errors += stochastic_round(n as f64 * p, unit(&draw(4))).min(n);
            let u = unit(&draw(5));
            for (c, f) in sums.latency.iter_mut().zip(&version.latency_cdf) {
                *c += stochastic_round(n as f64 * f, u).min(n);
            }
        }
        sums
    }

    /// Requests a version served in tick `k`, which covers `(k×15 − 15, k×15]`
    /// seconds. A weight change applies to the ticks that start at or after it.
    fn tick_requests(&self, m: usize, v: usize, k: i64, changes: &[WeightChange]) -> u64 {
        let end = k * TICK_SECONDS;
        let weight = weights_at(changes, end - TICK_SECONDS).get(v).copied().unwrap_or(0.0);
        if weight <= 0.0 {
            return 0;
        }
        let model = &self.models[m];
        let seed = self.options.seed;
        let jitter = 1.0 + 0.08 * normal(&[seed, m as u64, v as u64, k as u64, 1]);
        let expected = model.base_rps * daily_rhythm(end) * weight * jitter.max(0.0) * TICK_SECONDS as f64;
        stochastic_round(expected, unit(&[seed, m as u64, v as u64, k as u64, 2]))
    }

    fn shift_sigmas(&self, model: usize, feature: usize, t: i64) -> f64 {
        self.shifts[model].iter().filter(|s| s.feature == feature && s.at <= t).map(|s| s.sigmas).sum()
    }
}

/// The ticks whose end lies in `(from, to]`.
fn ticks(from: i64, to: i64) -> impl Iterator<Item = i64> {
    (from.div_euclid(TICK_SECONDS) + 1)..=to.div_euclid(TICK_SECONDS)
}

fn weights_at(changes: &[WeightChange], t: i64) -> &[f64] {
    let i = changes.partition_point(|c| c.at <= t);
    &changes[i.saturating_sub(1)].weights
}

/// Traffic over the day (UTC): peak mid-afternoon, trough in the small hours,
/// 1.5× and 0.5× of the mean.
pub fn daily_rhythm(t: i64) -> f64 {
    let time = DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default();
    let hour = time.hour() as f64 + time.minute() as f64 / 60.0 + time.second() as f64 / 3600.0;
    1.0 + 0.5 * (std::f64::consts::TAU * (hour - 9.0) / 24.0).sin()
}

fn to_buckets(bounds: &[f64], cumulative: &[u64], total: u64) -> Vec<Bucket> {
    bounds
        .iter()
        .zip(cumulative)
        .map(|(&upper_bound, &c)| Bucket { upper_bound, cumulative_count: c as f64 })
        .chain([Bucket { upper_bound: f64::INFINITY, cumulative_count: total as f64 }])
        .collect()
}
