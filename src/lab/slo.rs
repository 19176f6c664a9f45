//! SLO event counts from the simulated fleet. A 30-day period is 172 800
//! ticks per version, so whole UTC days are summed once and kept (keyed by
//! the simulator's traffic generation, which changes with every shift);
//! only the partial days at a window's ends are summed afresh.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::catalogue::LATENCY_BOUNDS;
use super::sim::{Simulator, Sums};
use crate::core::slo::{
    Counts, PERIOD_KEY, SERIES_POINTS, Sli, SloDefinition, SloSeries, WINDOWS, WindowCounts, bad_events, matching_bound,
};

const DAY: i64 = 86_400;

/// Imported SLOs bring their own PromQL, which the lab cannot run.
const IMPORTED_NEEDS_PROMETHEUS: &str = "an imported SLO's queries need a Prometheus; the lab cannot run PromQL";

/// The SLO's model in the lab, and the index of its latency bound if any.
fn resolve(sim: &Simulator, slo: &SloDefinition) -> Result<(usize, Option<usize>), String> {
    let bound_index = match slo.sli {
        Sli::Availability => None,
        Sli::Events { .. } => return Err(IMPORTED_NEEDS_PROMETHEUS.into()),
        Sli::Latency { threshold_seconds } => {
            let bound = matching_bound(threshold_seconds, &LATENCY_BOUNDS)?;
            LATENCY_BOUNDS.iter().position(|b| *b == bound)
        }
    };
    let m = sim.model_index(&slo.model).ok_or_else(|| format!("no model named {} in the lab", slo.model))?;
    Ok((m, bound_index))
}

#[derive(Default)]
pub struct SloCounter {
    /// (model, version, day number, generation) → that day's sums.
    days: Mutex<HashMap<(usize, usize, i64, u64), Sums>>,
}

impl SloCounter {
    /// Sums of one version over `(from, to]`.
    fn sums(&self, sim: &Simulator, m: usize, v: usize, from: i64, to: i64) -> Sums {
        let generation = sim.generation();
        let first_full = from.div_euclid(DAY) + 1;
        let last_full = to.div_euclid(DAY);
        if last_full <= first_full {
            return sim.sums(m, v, from, to);
        }
        // (from, first_full·DAY] + whole days + (last_full·DAY, to]
        let mut total = sim.sums(m, v, from, first_full * DAY);
        for day in first_full..last_full {
            let key = (m, v, day, generation);
            let cached = self.days.lock().ok().and_then(|d| d.get(&key).copied());
            let sums = cached.unwrap_or_else(|| {
                let fresh = sim.sums(m, v, day * DAY, (day + 1) * DAY);
                if let Ok(mut d) = self.days.lock() {
                    d.insert(key, fresh);
                }
                fresh
            });
            total += sums;
        }
        total += sim.sums(m, v, last_full * DAY, to);
        total
    }

    /// One SLO's events per step over its period ending at `at`.
    pub fn series(&self, sim: &Simulator, slo: &SloDefinition, at: DateTime<Utc>) -> Result<SloSeries, String> {
        let (m, bound_index) = resolve(sim, slo)?;
        let step = (slo.objective.period.as_secs() / SERIES_POINTS).max(1) as i64;
        let end = at.timestamp();
        let versions = sim.models()[m].versions.len();
        let steps = (0..SERIES_POINTS as i64)
            .map(|i| {
                let to = end - (SERIES_POINTS as i64 - 1 - i) * step;
                let mut sums = Sums::default();
                for v in 0..versions {
                    sums += self.sums(sim, m, v, to - step, to);
                }
                let total = sums.requests as f64;
                let within = bound_index.map(|b| sums.latency[b] as f64);
                Some(Counts { total, bad: bad_events(&slo.sli, total, sums.errors as f64, within).unwrap_or(0.0) })
            })
            .collect();
        Ok(SloSeries { at, step_seconds: step as u64, steps })
    }

    /// Counts for one SLO at `at`, over every window and the period.
    pub fn counts(&self, sim: &Simulator, slo: &SloDefinition, at: DateTime<Utc>) -> Result<WindowCounts, String> {
        let (m, bound_index) = resolve(sim, slo)?;
        let to = at.timestamp();
        let versions = sim.models()[m].versions.len();
        let window = |seconds: i64| -> Counts {
            let mut sums = Sums::default();
            for v in 0..versions {
                sums += self.sums(sim, m, v, to - seconds, to);
            }
            let total = sums.requests as f64;
            let within = bound_index.map(|i| sums.latency[i] as f64);
            Counts { total, bad: bad_events(&slo.sli, total, sums.errors as f64, within).unwrap_or(0.0) }
        };
        let mut windows = [Counts::default(); 7];
        for (slot, (_, seconds)) in windows.iter_mut().zip(WINDOWS) {
            *slot = window(seconds as i64);
        }
        let _ = PERIOD_KEY;
        Ok(WindowCounts { windows, period: window(slo.objective.period.as_secs() as i64) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::slo::{Objective, evaluate};
    use crate::lab::{LabOptions, Scenario};
    use std::time::Duration;

    fn at() -> DateTime<Utc> {
        "2026-11-20T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn day_blocks_give_the_same_sums_as_the_ticks() {
        let sim = Simulator::new(LabOptions { seed: 42, scenario: Scenario::Calm, models: 2, anchor: at() });
        let counter = SloCounter::default();
        let (from, to) = (at().timestamp() - 3 * DAY - 1234, at().timestamp());
        assert_eq!(counter.sums(&sim, 0, 0, from, to), sim.sums(0, 0, from, to));
        // Again, from the cache.
        assert_eq!(counter.sums(&sim, 0, 0, from, to), sim.sums(0, 0, from, to));
    }

    #[test]
    fn the_bad_canary_pages_half_an_hour_in_and_a_calm_model_does_not() {
        let sim = Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models: 12, anchor: at() });
        let period = Duration::from_secs(30 * 86_400);
        let slo = |model: &str, sli, percent| SloDefinition {
            name: format!("{model}-x"),
            model: model.into(),
            sli,
            objective: Objective::from_percent(percent, period),
            origin: "test".into(),
        };
        let counter = SloCounter::default();
        // 10 % errors on 25 % of the traffic, widened to 50 % two minutes after
        // the anchor: half an hour later the last hour averages ~3 % errors,
        // 30× a 99.9 % budget, over the 1h/5m row's 14.4.
        let later = at() + chrono::Duration::minutes(30);
        let fraud = slo("fraud-detector", Sli::Availability, 99.9);
        let state = evaluate(&fraud.objective, &counter.counts(&sim, &fraud, later).unwrap());
        assert!(state.burn_rate.get("1h").unwrap() > 14.4, "{state:?}");
        assert!(state.pages(), "{:?}", state.alerts);
        // At the anchor the canary has run 15 minutes at 25 %: burning, no page yet.
        let early = evaluate(&fraud.objective, &counter.counts(&sim, &fraud, at()).unwrap());
        assert!(!early.pages() && early.burn_rate.get("5m").unwrap() > 14.4, "{early:?}");

        let calm = slo("churn-predictor", Sli::Availability, 99.5);
        let calm_state = evaluate(&calm.objective, &counter.counts(&sim, &calm, later).unwrap());
        assert!(calm_state.alerts.iter().all(|a| !a.firing), "{calm_state:?}");
        let latency = slo("fraud-detector", Sli::Latency { threshold_seconds: 1.0 }, 99.0);
        assert!(counter.counts(&sim, &latency, at()).is_ok());
        let bad = slo("fraud-detector", Sli::Latency { threshold_seconds: 0.3 }, 99.0);
        assert!(counter.counts(&sim, &bad, at()).unwrap_err().contains("not a bucket bound"));
    }
}
