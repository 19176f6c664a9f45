//! The simulated fleet's traffic weights as a serving gateway holds them:
//! read as of now, shifted from now on. [`LabTraffic`] is a lab context's
//! in-process [`TrafficControl`]; the lab server's `/admin/traffic` calls
//! the same two functions, so both refuse the same shifts in the same words.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::serve::Clock;
use super::sim::Simulator;
use crate::core::registry::compare_versions;
use crate::sources::{BoxFuture, SourceError, TrafficControl};

/// The weights of model `model` (by index) at `now`, of the versions that
/// exist then, in version order.
pub fn weights_now(simulator: &Simulator, model: usize, now: DateTime<Utc>) -> Vec<(String, f64)> {
    let mut weights: Vec<(String, f64)> = simulator
        .weights_at(model, now)
        .into_iter()
        .enumerate()
        .filter(|(v, _)| simulator.version_exists(model, *v, now))
        .map(|(_, weight)| weight)
        .collect();
    weights.sort_by(|a, b| compare_versions(&a.0, &b.0));
    weights
}

/// Applies `weights` to `model` from `now` on and returns the weights then
/// in force, or says what is wrong with the shift (nothing changes then).
pub fn shift(
    simulator: &Simulator,
    model: &str,
    weights: &[(String, f64)],
    now: DateTime<Utc>,
) -> Result<Vec<(String, f64)>, String> {
    let index = simulator.model_index(model).ok_or_else(|| format!("no model named {model}"))?;
    let versions = &simulator.models()[index].versions;
    for (i, (name, _)) in weights.iter().enumerate() {
        if weights[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(format!("version {name} is given twice"));
        }
        match versions.iter().position(|v| &v.version == name) {
            None => return Err(format!("{model} has no version {name}")),
            Some(v) if !simulator.version_exists(index, v, now) => {
                return Err(format!("version {name} of {model} is not deployed yet"));
            }
            Some(_) => {}
        }
    }
    simulator.set_weights(model, weights, now)?;
    Ok(weights_now(simulator, index, now))
}

/// A lab context's gateway: the simulator's weights, shifted in process.
pub struct LabTraffic {
    simulator: Arc<Simulator>,
    clock: Clock,
}

impl LabTraffic {
    /// Shifts apply from the wall-clock instant they are made, as on a real gateway.
    pub fn new(simulator: Arc<Simulator>) -> LabTraffic {
        LabTraffic::with_clock(simulator, Arc::new(Utc::now))
    }

    pub fn with_clock(simulator: Arc<Simulator>, clock: Clock) -> LabTraffic {
        LabTraffic { simulator, clock }
    }

    fn error(&self, message: String) -> SourceError {
        SourceError { source_name: self.name(), message }
    }
}

impl TrafficControl for LabTraffic {
    fn name(&self) -> String {
        format!("demo gateway ({})", self.simulator.options().scenario.name())
    }

    fn weights<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>> {
        Box::pin(async move {
            let index =
                self.simulator.model_index(model).ok_or_else(|| self.error(format!("no model named {model}")))?;
            Ok(weights_now(&self.simulator, index, (self.clock)()))
        })
    }

    fn set_weights<'a>(
        &'a self,
        model: &'a str,
        weights: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>> {
        Box::pin(async move {
            let now = (self.clock)();
            let applied = shift(&self.simulator, model, weights, now).map_err(|m| self.error(m))?;
            tracing::info!(model, weights = ?applied, "lab traffic shifted");
            Ok(applied)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Outcome;
    use crate::lab::fixtures::{bad_deploy, end};
    use crate::lab::scenario::offsets;
    use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};

    fn traffic() -> (LabTraffic, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(end().timestamp()));
        let read = Arc::clone(&now);
        let clock: Clock = Arc::new(move || DateTime::from_timestamp(read.load(AtomicOrdering::SeqCst), 0).unwrap());
        (LabTraffic::with_clock(Arc::new(bad_deploy(3)), clock), now)
    }

    fn pairs(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(v, w)| (v.to_string(), *w)).collect()
    }

    #[tokio::test]
    async fn reads_the_weights_in_force_now_and_shifts_from_now_on() {
        let (traffic, now) = traffic();
        assert_eq!(traffic.weights("fraud-detector").await.unwrap(), pairs(&[("9", 0.75), ("10", 0.25)]));
        now.fetch_add(30, AtomicOrdering::SeqCst);
        let applied = traffic.set_weights("fraud-detector", &pairs(&[("10", 0.0), ("9", 2.0)])).await.unwrap();
        assert_eq!(applied, pairs(&[("9", 1.0), ("10", 0.0)]), "normalised, in version order");
        assert_eq!(traffic.weights("fraud-detector").await.unwrap(), applied);
        // The canary stops receiving traffic from the tick after the shift.
        let shifted = end() + chrono::Duration::seconds(45);
        let s = &traffic.simulator;
        assert_eq!(s.requests(0, 1, Outcome::Success, shifted, shifted + chrono::Duration::hours(1)), 0);
        assert!(s.requests(0, 1, Outcome::Success, end() - chrono::Duration::minutes(5), end()) > 0);
    }

    #[tokio::test]
    async fn refuses_shifts_that_cannot_apply_and_changes_nothing() {
        let (traffic, now) = traffic();
        let cases = [
            ("nope", pairs(&[("9", 1.0)]), "no model named nope"),
            ("fraud-detector", pairs(&[("99", 1.0)]), "fraud-detector has no version 99"),
            ("fraud-detector", pairs(&[("9", 1.0), ("9", 0.0)]), "version 9 is given twice"),
            ("fraud-detector", pairs(&[("9", -1.0)]), "non-negative"),
            ("fraud-detector", pairs(&[("9", 0.0), ("10", 0.0)]), "must not all be zero"),
        ];
        for (model, weights, message) in cases {
            let error = traffic.set_weights(model, &weights).await.unwrap_err();
            assert!(error.message.contains(message), "{error}");
            assert_eq!(error.source_name, "demo gateway (bad-deploy)");
        }
        assert_eq!(traffic.weights("fraud-detector").await.unwrap(), pairs(&[("9", 0.75), ("10", 0.25)]));
        assert!(traffic.weights("nope").await.unwrap_err().message.contains("no model named nope"));

        // Before the scenario deploys it, the canary is neither listed nor shiftable.
        now.store(end().timestamp() + offsets::CANARY_DEPLOYED - 60, AtomicOrdering::SeqCst);
        assert_eq!(traffic.weights("fraud-detector").await.unwrap(), pairs(&[("9", 1.0)]));
        let error = traffic.set_weights("fraud-detector", &pairs(&[("10", 1.0)])).await.unwrap_err();
        assert!(error.message.contains("version 10 of fraud-detector is not deployed yet"), "{error}");
    }
}
