//! Scripted scenarios: timed events at fixed offsets from the anchor instant.

use super::SCENARIO_NAMES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every model healthy: the quiet baseline (and the idle benchmark).
    Calm,
    /// A new version of fraud-detector goes to 25 % of traffic 15 minutes
    /// before the anchor with ~10 % errors and ~3.5× latency, then to 50 %
    /// two minutes after it.
    BadDeploy,
    /// An upstream change shifts fraud-detector's `transaction_amount` by
    /// 1.5 standard deviations 30 minutes before the anchor.
    FeatureDrift,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Calm, Scenario::BadDeploy, Scenario::FeatureDrift];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Calm => "calm",
            Scenario::BadDeploy => "bad-deploy",
            Scenario::FeatureDrift => "feature-drift",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Scenario::Calm => "every model healthy",
            Scenario::BadDeploy => "a canary of fraud-detector raises errors and latency, then gets more traffic",
            Scenario::FeatureDrift => "an upstream change shifts one of fraud-detector's features",
        }
    }

    pub fn from_name(name: &str) -> Result<Scenario, String> {
        Scenario::ALL.into_iter().find(|s| s.name() == name).ok_or_else(|| {
            let hint = crate::core::diagnostic::did_you_mean(name, SCENARIO_NAMES.iter().copied())
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            format!("no scenario named `{name}`{hint}; known: {}", SCENARIO_NAMES.join(", "))
        })
    }
}

/// Seconds relative to the anchor at which the scenarios' events happen.
pub mod offsets {
    pub const CANARY_DEPLOYED: i64 = -15 * 60;
    pub const CANARY_WIDENED: i64 = 2 * 60;
    pub const FEATURE_SHIFTED: i64 = -30 * 60;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_with_the_shared_list() {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, SCENARIO_NAMES);
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Ok(s));
        }
        assert_eq!(
            Scenario::from_name("bad-deploi"),
            Err("no scenario named `bad-deploi` (did you mean bad-deploy?); known: calm, bad-deploy, feature-drift"
                .into())
        );
    }
}
