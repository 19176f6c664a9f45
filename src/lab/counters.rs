//! Cumulative counters of the simulated fleet, as an instrumented server
//! would hold them: a counter's value at `t` is the sum of the simulator's
//! ticks in `(origin, t]`, where `origin` is when counting started (the
//! exporter's start, or the first instant of a backfill). Each accumulator
//! remembers how far it has counted and asks the simulator only for the new
//! ticks, so scraping every second, or writing a day of history, costs
//! O(new ticks) per step instead of re-summing from the origin.

use chrono::{DateTime, Utc};

use super::catalogue::{LATENCY_BOUNDS, SCORE_BOUNDS};
use super::sim::{Outcome, Simulator};
use crate::core::histogram::Bucket;

/// What one accumulator counts for one version: a part the simulator
/// computes in one pass over the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `model_requests_total` by outcome, and `model_request_duration_seconds`.
    Requests,
    /// `model_feature_value` of the model's feature with this index.
    Feature(usize),
    /// `model_prediction_score`.
    Scores,
}

/// One version's cumulative counts of one [`Part`] since its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Cumulative {
    model: usize,
    version: usize,
    part: Part,
    /// Unix seconds: the counts cover the ticks that end in `(origin, at]`.
    at: i64,
    /// Failed requests (`Part::Requests` only; 0 otherwise).
    errors: u64,
    /// Cumulative bucket counts, one per finite bound, then `+Inf`.
    buckets: Vec<u64>,
}

impl Cumulative {
    /// Counts from `origin` on: every count is 0 at `origin`.
    pub fn new(simulator: &Simulator, model: usize, version: usize, part: Part, origin: DateTime<Utc>) -> Self {
        let finite = bounds(simulator, model, part).len();
        Cumulative { model, version, part, at: origin.timestamp(), errors: 0, buckets: vec![0; finite + 1] }
    }

    /// Adds the ticks that end in `(self.at, to]`. Going back does nothing:
    /// a counter never decreases.
    pub fn advance(&mut self, simulator: &Simulator, to: DateTime<Utc>) {
        if to.timestamp() <= self.at {
            return;
        }
        let from = DateTime::<Utc>::from_timestamp(self.at, 0).expect("a counter's instant is representable");
        let (m, v) = (self.model, self.version);
        let increase = match self.part {
            Part::Requests => {
                self.errors += simulator.requests(m, v, Outcome::Error, from, to);
                simulator.latency_buckets(m, v, from, to)
            }
            Part::Feature(f) => simulator.feature_buckets(m, v, f, from, to),
            Part::Scores => simulator.score_buckets(m, v, from, to),
        };
        add(&mut self.buckets, &increase);
        self.at = to.timestamp();
    }

    pub fn model(&self) -> usize {
        self.model
    }

    pub fn version(&self) -> usize {
        self.version
    }

    pub fn part(&self) -> Part {
        self.part
    }

    /// All observations (requests, for every part): the `+Inf` bucket.
    pub fn count(&self) -> u64 {
        *self.buckets.last().expect("a +Inf bucket")
    }

    pub fn successes(&self) -> u64 {
        self.count() - self.errors
    }

    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Cumulative counts, one per bound of [`bounds`], then `+Inf`.
    pub fn buckets(&self) -> &[u64] {
        &self.buckets
    }
}

/// The finite bucket bounds of a part's histogram.
pub fn bounds(simulator: &Simulator, model: usize, part: Part) -> &[f64] {
    match part {
        Part::Requests => &LATENCY_BOUNDS,
        Part::Feature(f) => &simulator.models()[model].features[f].bounds,
        Part::Scores => &SCORE_BOUNDS,
    }
}

fn add(total: &mut [u64], increase: &[Bucket]) {
    debug_assert_eq!(total.len(), increase.len());
    for (t, b) in total.iter_mut().zip(increase) {
        // Whole counts well below 2^53: the conversion is exact.
        *t += b.cumulative_count as u64;
    }
}

/// Every part of one version, for an exporter that serves them all.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionCounters {
    pub requests: Cumulative,
    pub features: Vec<Cumulative>,
    pub scores: Cumulative,
}

/// Every version of every model in the catalogue (including those a
/// scenario deploys later: they have no traffic until then, and the
/// exposition leaves out versions that do not exist yet).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetCounters {
    pub versions: Vec<VersionCounters>,
}

impl FleetCounters {
    pub fn new(simulator: &Simulator, origin: DateTime<Utc>) -> Self {
        let mut versions = Vec::new();
        for (m, model) in simulator.models().iter().enumerate() {
            for v in 0..model.versions.len() {
                let part = |p| Cumulative::new(simulator, m, v, p, origin);
                versions.push(VersionCounters {
                    requests: part(Part::Requests),
                    features: (0..model.features.len()).map(|f| part(Part::Feature(f))).collect(),
                    scores: part(Part::Scores),
                });
            }
        }
        FleetCounters { versions }
    }

    /// Counts every tick that ended by `to`.
    pub fn advance(&mut self, simulator: &Simulator, to: DateTime<Utc>) {
        for v in &mut self.versions {
            v.requests.advance(simulator, to);
            v.features.iter_mut().for_each(|f| f.advance(simulator, to));
            v.scores.advance(simulator, to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::fixtures::at;

    fn sim() -> Simulator {
        crate::lab::fixtures::bad_deploy(3)
    }

    #[test]
    fn the_increase_over_a_window_is_the_simulators() {
        let s = sim();
        let origin = at("2026-11-20T13:00:07Z");
        let (a, b) = (at("2026-11-20T13:41:13Z"), at("2026-11-20T13:58:00Z"));
        for (m, model) in s.models().iter().enumerate() {
            for v in 0..model.versions.len() {
                let mut c = Cumulative::new(&s, m, v, Part::Requests, origin);
                // Advance in uneven steps, as scrapes arrive.
                let mut t = origin;
                while t < a {
                    t = (t + chrono::Duration::seconds(7)).min(a);
                    c.advance(&s, t);
                }
                let (ok_a, err_a, buckets_a) = (c.successes(), c.errors(), c.buckets().to_vec());
                c.advance(&s, b);
                assert_eq!(c.successes() - ok_a, s.requests(m, v, Outcome::Success, a, b));
                assert_eq!(c.errors() - err_a, s.requests(m, v, Outcome::Error, a, b));
                let window = s.latency_buckets(m, v, a, b);
                for ((now, before), w) in c.buckets().iter().zip(&buckets_a).zip(&window) {
                    assert_eq!((now - before) as f64, w.cumulative_count);
                }
                let mut f = Cumulative::new(&s, m, v, Part::Feature(1), origin);
                f.advance(&s, a);
                let before = f.buckets().to_vec();
                f.advance(&s, b);
                let window = s.feature_buckets(m, v, 1, a, b);
                for ((now, before), w) in f.buckets().iter().zip(&before).zip(&window) {
                    assert_eq!((now - before) as f64, w.cumulative_count);
                }
            }
        }
    }

    #[test]
    fn counters_start_at_zero_and_never_decrease() {
        let s = sim();
        let origin = at("2026-11-20T13:30:00Z");
        let mut fleet = FleetCounters::new(&s, origin);
        assert!(fleet.versions.iter().all(|v| v.requests.count() == 0 && v.scores.count() == 0));
        let mut previous = fleet.clone();
        for step in 1..=80 {
            fleet.advance(&s, origin + chrono::Duration::seconds(step * 15));
            if step == 40 {
                // A clock that steps back changes nothing.
                let copy = fleet.clone();
                fleet.advance(&s, origin);
                assert_eq!(fleet, copy);
            }
            for (now, before) in fleet.versions.iter().zip(&previous.versions) {
                for (n, b) in now
                    .features
                    .iter()
                    .chain([&now.requests, &now.scores])
                    .zip(before.features.iter().chain([&before.requests, &before.scores]))
                {
                    assert!(n.buckets().iter().zip(b.buckets()).all(|(n, b)| n >= b));
                    assert!(n.errors() >= b.errors());
                    assert!(n.buckets().windows(2).all(|w| w[0] <= w[1]), "buckets are cumulative");
                }
            }
            previous = fleet.clone();
        }
        assert!(fleet.versions[0].requests.count() > 0);
    }
}
