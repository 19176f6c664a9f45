//! Error budgets and multiwindow, multi-burn-rate alerting (Google SRE
//! Workbook, ch. 5), as pure functions of event counts per window.
//!
//! Terms: objective `O` (0.999), budget `B = 1 − O`, error ratio `e(w)` = bad
//! events / all events over window `w`, burn rate `e(w) / B`. A window with
//! no events has no error ratio ("no traffic") — never 0 % and never NaN.

use std::time::Duration;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The windows every SLO is evaluated over, shortest first, besides the period.
pub const WINDOWS: [(&str, u64); 7] =
    [("5m", 300), ("30m", 1_800), ("1h", 3_600), ("2h", 7_200), ("6h", 21_600), ("1d", 86_400), ("3d", 259_200)];

/// The key the period is reported under (next to "5m" … "3d").
pub const PERIOD_KEY: &str = "period";

/// Which window's burn rate "time to exhaustion" extrapolates: long enough
/// not to swing with every blip, short enough to follow an incident.
pub const EXHAUSTION_WINDOW: &str = "1h";

/// Events counted over one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub total: f64,
    pub bad: f64,
}

impl Counts {
    /// Bad over total; `None` without traffic (or without a usable number).
    pub fn error_ratio(&self) -> Option<f64> {
        if !(self.total.is_finite() && self.bad.is_finite()) || self.total <= 0.0 {
            return None;
        }
        Some((self.bad / self.total).clamp(0.0, 1.0))
    }
}

/// One row of the multiwindow alert table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRule {
    /// `page` or `ticket`.
    pub severity: &'static str,
    pub long: (&'static str, u64),
    pub short: (&'static str, u64),
    /// Share of the period's budget spent when the row starts firing.
    pub budget_fraction: f64,
}

/// The workbook's four rows; their factors scale with the period.
pub const ALERT_RULES: [AlertRule; 4] = [
    AlertRule { severity: "page", long: ("1h", 3_600), short: ("5m", 300), budget_fraction: 0.02 },
    AlertRule { severity: "page", long: ("6h", 21_600), short: ("30m", 1_800), budget_fraction: 0.05 },
    AlertRule { severity: "ticket", long: ("1d", 86_400), short: ("2h", 7_200), budget_fraction: 0.10 },
    AlertRule { severity: "ticket", long: ("3d", 259_200), short: ("6h", 21_600), budget_fraction: 0.10 },
];

impl AlertRule {
    /// Burn-rate threshold: budget fraction × period / long window
    /// (14.4, 6, 3, 1 for 30 days; 13.44, 5.6, 2.8, 0.933 for 28).
    pub fn factor(&self, period: Duration) -> f64 {
        self.budget_fraction * period.as_secs_f64() / self.long.1 as f64
    }
}

/// An objective over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// As a ratio: 0.999 for 99.9 %.
    pub target: f64,
    pub period: Duration,
}

impl Objective {
    /// From a percentage (the config's `objective = 99.9`).
    pub fn from_percent(percent: f64, period: Duration) -> Objective {
        Objective { target: percent / 100.0, period }
    }

    pub fn budget(&self) -> f64 {
        1.0 - self.target
    }
}

/// What counts as a bad event.
#[derive(Debug, Clone, PartialEq)]
pub enum Sli {
    /// Failed requests.
    Availability,
    /// Requests slower than the threshold (which must be a bucket bound).
    Latency { threshold_seconds: f64 },
    /// Imported (Sloth): the team's own PromQL for error and total rates,
    /// with `{{.window}}` where the window goes.
    Events { error_query: String, total_query: String },
}

impl Sli {
    pub fn kind(&self) -> &'static str {
        match self {
            Sli::Availability => "availability",
            Sli::Latency { .. } => "latency",
            Sli::Events { .. } => "events",
        }
    }
}

/// One SLO as the console evaluates it.
#[derive(Debug, Clone, PartialEq)]
pub struct SloDefinition {
    pub name: String,
    pub model: String,
    pub sli: Sli,
    pub objective: Objective,
    /// Where it came from: `config`, `default`, a Sloth or OpenSLO file.
    pub origin: String,
}

/// The SLOs a model gets when the config names none: 99.5 % of requests
/// succeed (a first objective most serving stacks meet on a normal day), and — when latency buckets exist — 99 % are served within 1 s
/// (a bound of the generic preset's buckets and of most exporters').
pub fn default_slos(model: &str, errors: bool, latency_bounds: bool) -> Vec<SloDefinition> {
    let period = Duration::from_secs(30 * 86_400);
    let mut slos = Vec::new();
    if errors {
        slos.push(SloDefinition {
            name: format!("{model}-availability"),
            model: model.to_string(),
            sli: Sli::Availability,
            objective: Objective::from_percent(99.5, period),
            origin: "default".into(),
        });
    }
    if latency_bounds {
        slos.push(SloDefinition {
            name: format!("{model}-latency"),
            model: model.to_string(),
            sli: Sli::Latency { threshold_seconds: 1.0 },
            objective: Objective::from_percent(99.0, period),
            origin: "default".into(),
        });
    }
    slos
}

/// Bad and total events from a version's counters: total requests, failed
/// ones, and the cumulative count at the latency threshold's bucket.
pub fn bad_events(sli: &Sli, total: f64, errors: f64, within_threshold: Option<f64>) -> Option<f64> {
    match sli {
        Sli::Availability | Sli::Events { .. } => Some(errors),
        Sli::Latency { .. } => within_threshold.map(|good| (total - good).max(0.0)),
    }
}

/// Finds the bucket bound equal to `threshold` (1e-9 relative, so `1` and
/// `1.0` and `0.25`/`0.250` all match), or says which bounds exist.
pub fn matching_bound(threshold: f64, bounds: &[f64]) -> Result<f64, String> {
    bounds.iter().copied().find(|b| (b - threshold).abs() <= 1e-9 * threshold.abs().max(1e-12)).ok_or_else(|| {
        let mut finite: Vec<f64> = bounds.iter().copied().filter(|b| b.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        finite.dedup();
        let name = |s: f64| crate::core::duration::format(Duration::from_secs_f64(s.max(0.0)));
        let listed: Vec<String> = finite.iter().map(|b| name(*b)).collect();
        format!(
            "latency threshold {} is not a bucket bound of the histogram; its bounds are {}",
            name(threshold),
            if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
        )
    })
}

/// Counts for every window of [`WINDOWS`] (in order) and the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowCounts {
    pub windows: [Counts; 7],
    pub period: Counts,
}

/// Values keyed by window name, in window order ("5m" … "3d", "period");
/// `None` is written as JSON `null` (no traffic).
#[derive(Debug, Clone, PartialEq)]
pub struct PerWindow(pub Vec<(String, Option<f64>)>);

impl PerWindow {
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v)
    }
}

impl Serialize for PerWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertState {
    pub severity: &'static str,
    pub long: &'static str,
    pub short: &'static str,
    pub factor: f64,
    pub firing: bool,
}

/// Everything the console says about one SLO at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloState {
    pub error_ratio: PerWindow,
    pub burn_rate: PerWindow,
    /// `1 − e(P)/B`: 1 untouched, 0 spent, negative overspent (never clamped).
    pub budget_remaining: Option<f64>,
    /// At the [`EXHAUSTION_WINDOW`] burn rate; 0 when already spent, `None`
    /// when not burning (or no traffic).
    pub exhaustion_seconds: Option<f64>,
    pub alerts: Vec<AlertState>,
}

impl SloState {
    /// The rows that fire, as `page 1h/5m`.
    pub fn firing_rows(&self) -> Vec<String> {
        self.alerts.iter().filter(|a| a.firing).map(|a| format!("{} {}/{}", a.severity, a.long, a.short)).collect()
    }

    /// Whether any page-level row fires (`vigil slo` exits 1 then).
    pub fn pages(&self) -> bool {
        self.alerts.iter().any(|a| a.firing && a.severity == "page")
    }
}

/// The whole evaluation: ratios, burn rates, budget, exhaustion, alert rows.
pub fn evaluate(objective: &Objective, counts: &WindowCounts) -> SloState {
    let budget = objective.budget();
    let mut ratios: Vec<(String, Option<f64>)> =
        WINDOWS.iter().zip(&counts.windows).map(|((name, _), c)| (name.to_string(), c.error_ratio())).collect();
    ratios.push((PERIOD_KEY.to_string(), counts.period.error_ratio()));
    let burn = |r: Option<f64>| r.filter(|_| budget > 0.0).map(|r| r / budget);
    let burn_rate = PerWindow(ratios.iter().map(|(k, r)| (k.clone(), burn(*r))).collect());
    let error_ratio = PerWindow(ratios);
    let budget_remaining = burn_rate.get(PERIOD_KEY).map(|b| 1.0 - b);
    let exhaustion_seconds = match (budget_remaining, burn_rate.get(EXHAUSTION_WINDOW)) {
        (Some(left), _) if left <= 0.0 => Some(0.0),
        (Some(left), Some(rate)) if rate > 0.0 => Some(left * objective.period.as_secs_f64() / rate),
        _ => None,
    };
    let alerts = ALERT_RULES
        .iter()
        .map(|rule| {
            let factor = rule.factor(objective.period);
            let over = |w: &str| error_ratio.get(w).is_some_and(|e| e > factor * budget);
            AlertState {
                severity: rule.severity,
                long: rule.long.0,
                short: rule.short.0,
                factor,
                firing: over(rule.long.0) && over(rule.short.0),
            }
        })
        .collect();
    SloState { error_ratio, burn_rate, budget_remaining, exhaustion_seconds, alerts }
}

/// One SLO's line in `vigil slo` and the SLO view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloEntry {
    pub name: String,
    pub model: String,
    pub kind: &'static str,
    /// Percent, as configured (99.9).
    pub objective: f64,
    pub period_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_seconds: Option<f64>,
    /// Imported SLOs: the error and total queries, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries: Option<[String; 2]>,
    /// `config`, `default`, or the file it was imported from.
    pub origin: String,
    /// Why this SLO could not be evaluated (the others still are).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Which window `exhaustion_seconds` extrapolates.
    pub exhaustion_window: &'static str,
    /// Sloth's own recording rules for this SLO, where they exist, and
    /// whether they agree with vigil's numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sloth: Option<SlothCheck>,
    #[serde(flatten)]
    pub state: SloState,
}

impl SloEntry {
    pub fn new(definition: &SloDefinition, counts: Result<WindowCounts, String>) -> SloEntry {
        let (state, error) = match counts {
            Ok(c) => (evaluate(&definition.objective, &c), None),
            Err(e) => (evaluate(&definition.objective, &WindowCounts::default()), Some(e)),
        };
        SloEntry {
            name: definition.name.clone(),
            model: definition.model.clone(),
            kind: definition.sli.kind(),
            // Back to the percent as written (0.999 × 100 is not exactly 99.9 in binary).
            objective: (definition.objective.target * 100.0 * 1e9).round() / 1e9,
            period_seconds: definition.objective.period.as_secs(),
            threshold_seconds: match definition.sli {
                Sli::Latency { threshold_seconds } => Some(threshold_seconds),
                Sli::Availability | Sli::Events { .. } => None,
            },
            queries: match &definition.sli {
                Sli::Events { error_query, total_query } => Some([error_query.clone(), total_query.clone()]),
                _ => None,
            },
            origin: definition.origin.clone(),
            error,
            exhaustion_window: EXHAUSTION_WINDOW,
            sloth: None,
            state,
        }
    }
}

impl SloEntry {
    /// The definition this entry was evaluated from.
    pub fn definition(&self) -> SloDefinition {
        SloDefinition {
            name: self.name.clone(),
            model: self.model.clone(),
            sli: match (self.threshold_seconds, &self.queries) {
                (Some(threshold_seconds), _) => Sli::Latency { threshold_seconds },
                (None, Some([error_query, total_query])) => {
                    Sli::Events { error_query: error_query.clone(), total_query: total_query.clone() }
                }
                (None, None) => Sli::Availability,
            },
            objective: Objective::from_percent(self.objective, Duration::from_secs(self.period_seconds)),
            origin: self.origin.clone(),
        }
    }
}

/// Sloth's `slo:sli_error:ratio_rate<w>` next to vigil's own error ratio,
/// both at the instant Sloth's rules were last evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlothCheck {
    /// When the rules were evaluated (vigil recomputed at the same instant).
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    pub windows: Vec<SlothWindow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlothWindow {
    pub window: String,
    pub sloth: Option<f64>,
    pub vigil: Option<f64>,
    /// Whether the two are the same quantity: Sloth's 30 d ratio is the mean
    /// of its 5 m ratios, vigil's the ratio of the period's totals.
    pub comparable: bool,
    /// Within 1e-9 relative (or both without traffic); `None` when not comparable.
    pub agrees: Option<bool>,
}

impl SlothCheck {
    /// Compares Sloth's ratios (by window name) with vigil's at the same instant.
    pub fn compare(
        evaluated_at: chrono::DateTime<chrono::Utc>,
        sloth: &[(String, f64)],
        vigil: &WindowCounts,
        period_seconds: u64,
    ) -> SlothCheck {
        let mut windows = Vec::new();
        for (name, seconds) in WINDOWS.iter().copied().chain([("30d", 30 * 86_400)]) {
            let Some((_, value)) = sloth.iter().find(|(w, _)| w == name) else { continue };
            let sloth_value = value.is_finite().then_some(*value);
            let comparable = seconds != 30 * 86_400;
            let ours = match WINDOWS.iter().position(|(w, _)| *w == name) {
                Some(i) => vigil.windows[i].error_ratio(),
                None if period_seconds == seconds => vigil.period.error_ratio(),
                None => None,
            };
            let agrees = comparable.then(|| match (sloth_value, ours) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12),
                (None, None) => true,
                _ => false,
            });
            windows.push(SlothWindow { window: name.to_string(), sloth: sloth_value, vigil: ours, comparable, agrees });
        }
        SlothCheck { evaluated_at, windows }
    }

    /// The comparable windows where the two disagree.
    pub fn disagreements(&self) -> Vec<&str> {
        self.windows.iter().filter(|w| w.agrees == Some(false)).map(|w| w.window.as_str()).collect()
    }
}

/// Every SLO at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloReport {
    pub at: chrono::DateTime<chrono::Utc>,
    pub context: String,
    pub source: String,
    pub slos: Vec<SloEntry>,
}

impl SloReport {
    pub fn pages(&self) -> bool {
        self.slos.iter().any(|s| s.state.pages())
    }
}

/// One SLO's events step by step over its period, oldest first: what the
/// burn-down and the error-ratio chart draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloSeries {
    /// The end of the last step.
    pub at: chrono::DateTime<chrono::Utc>,
    pub step_seconds: u64,
    /// Events in each step (`None`: the source had nothing for that step).
    pub steps: Vec<Option<Counts>>,
}

/// Points on the period's charts.
pub const SERIES_POINTS: u64 = 60;

impl SloSeries {
    /// Budget left after each step, spending from the start of the period:
    /// 1 at the start, `budget_remaining` at the end (same denominator: all
    /// the period's events), negative once overspent.
    pub fn burn_down(&self, objective: &Objective) -> Vec<Option<f64>> {
        let total: f64 = self.steps.iter().flatten().map(|c| c.total).sum();
        let budget = objective.budget();
        if total <= 0.0 || budget <= 0.0 {
            return vec![None; self.steps.len()];
        }
        let mut bad = 0.0;
        self.steps
            .iter()
            .map(|step| {
                bad += step.map_or(0.0, |c| c.bad);
                Some(1.0 - bad / (budget * total))
            })
            .collect()
    }

    /// Each step's own error ratio (`None` without traffic).
    pub fn error_ratios(&self) -> Vec<Option<f64>> {
        self.steps.iter().map(|s| s.and_then(|c| c.error_ratio())).collect()
    }
}

/// Counts over `(end − window, end]` from per-step events (time, total, bad),
/// for simulations and tests: what `increase()` over the window would see.
pub fn counts_over(events: &[(f64, f64, f64)], end: f64, window: f64) -> Counts {
    events
        .iter()
        .filter(|(t, _, _)| *t > end - window && *t <= end)
        .fold(Counts::default(), |c, (_, total, bad)| Counts { total: c.total + total, bad: c.bad + bad })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAYS_30: Duration = Duration::from_secs(30 * 86_400);
    const DAYS_28: Duration = Duration::from_secs(28 * 86_400);

    /// One second per step, 100 requests a second, `bad(t)` failing; kept
    /// as running totals so any window is two lookups.
    struct Traffic {
        total: Vec<f64>,
        bad: Vec<f64>,
    }

    fn traffic(seconds: u64, bad: impl Fn(f64) -> f64) -> Traffic {
        let (mut total, mut failed) = (vec![0.0], vec![0.0]);
        for t in 1..=seconds {
            total.push(total[t as usize - 1] + 100.0);
            failed.push(failed[t as usize - 1] + 100.0 * bad(t as f64));
        }
        Traffic { total, bad: failed }
    }

    impl Traffic {
        /// What `increase()` sees over `(t − w, t]`.
        fn over(&self, t: u64, w: u64) -> Counts {
            let from = t.saturating_sub(w) as usize;
            Counts { total: self.total[t as usize] - self.total[from], bad: self.bad[t as usize] - self.bad[from] }
        }
    }

    fn counts_at(traffic: &Traffic, t: u64, period: Duration) -> WindowCounts {
        let mut windows = [Counts::default(); 7];
        for (slot, (_, w)) in windows.iter_mut().zip(WINDOWS) {
            *slot = traffic.over(t, w);
        }
        WindowCounts { windows, period: traffic.over(t, period.as_secs()) }
    }

    /// The first second at which `row` fires, if it ever does.
    fn first_firing(traffic: &Traffic, objective: &Objective, row: usize, from: u64, to: u64) -> Option<u64> {
        (from..=to).find(|t| evaluate(objective, &counts_at(traffic, *t, objective.period)).alerts[row].firing)
    }

    #[test]
    fn thresholds_match_bounds_in_any_spelling_or_name_the_bounds() {
        assert_eq!(matching_bound(1.0, &[0.5, 1.0, f64::INFINITY]), Ok(1.0));
        assert_eq!(matching_bound(0.25, &[0.25000000000001]), Ok(0.25000000000001));
        let error = matching_bound(0.3, &[0.1, 0.25, 0.5, f64::INFINITY]).unwrap_err();
        assert_eq!(
            error,
            "latency threshold 300ms is not a bucket bound of the histogram; its bounds are 100ms, 250ms, 500ms"
        );
    }

    #[test]
    fn the_burn_down_starts_full_and_ends_at_the_budget_remaining() {
        let objective = Objective::from_percent(99.0, DAYS_30);
        let steps = vec![
            Some(Counts { total: 1000.0, bad: 0.0 }),
            None,
            Some(Counts { total: 1000.0, bad: 10.0 }),
            Some(Counts { total: 1000.0, bad: 40.0 }),
        ];
        let series = SloSeries { at: "2026-11-20T14:00:00Z".parse().unwrap(), step_seconds: 3600, steps };
        let down = series.burn_down(&objective);
        // Budget: 1 % of 3000 events = 30 bad events.
        let expected = [1.0, 1.0, 1.0 - 10.0 / 30.0, 1.0 - 50.0 / 30.0];
        for (got, want) in down.iter().zip(expected) {
            assert!((got.unwrap() - want).abs() < 1e-12, "{down:?}");
        }
        assert_eq!(series.error_ratios(), [Some(0.0), None, Some(0.01), Some(0.04)]);
    }

    #[test]
    fn sloth_comparisons_flag_differences_and_label_the_30d_mean() {
        let mut vigil = WindowCounts::default();
        vigil.windows[0] = Counts { total: 1000.0, bad: 10.0 };
        vigil.windows[2] = Counts { total: 1000.0, bad: 20.0 };
        let at = "2026-11-20T14:00:00Z".parse().unwrap();
        let sloth = [("5m".to_string(), 0.01), ("1h".to_string(), 0.03), ("30d".to_string(), 0.5)];
        let check = SlothCheck::compare(at, &sloth, &vigil, 30 * 86_400);
        assert_eq!(check.disagreements(), ["1h"]);
        let thirty = check.windows.iter().find(|w| w.window == "30d").unwrap();
        assert!(!thirty.comparable && thirty.agrees.is_none());
    }

    #[test]
    fn counts_over_takes_the_half_open_window() {
        let events = [(1.0, 10.0, 1.0), (2.0, 10.0, 2.0), (3.0, 10.0, 3.0)];
        assert_eq!(counts_over(&events, 3.0, 2.0), Counts { total: 20.0, bad: 5.0 });
    }

    #[test]
    fn factors_scale_with_the_period() {
        let f30: Vec<f64> = ALERT_RULES.iter().map(|r| r.factor(DAYS_30)).collect();
        let f28: Vec<f64> = ALERT_RULES.iter().map(|r| r.factor(DAYS_28)).collect();
        for (got, want) in f30.iter().zip([14.4, 6.0, 3.0, 1.0]) {
            assert!((got - want).abs() < 1e-12, "{f30:?}");
        }
        for (got, want) in f28.iter().zip([13.44, 5.6, 2.8, 0.9333333333333333]) {
            assert!((got - want).abs() < 1e-12, "{f28:?}");
        }
    }

    #[test]
    fn a_full_outage_at_99_9_pages_after_52_seconds_and_the_6h_row_after_2_16_minutes() {
        // A quiet day, then everything fails from t = 86 400 s on.
        let start = 86_400u64;
        let events = traffic(start + 400, |t| if t > start as f64 { 1.0 } else { 0.0 });
        let objective = Objective::from_percent(99.9, DAYS_30);
        // 1h row: e(1h) = s/3600 > 14.4 × 0.001 once s > 51.84 s.
        assert_eq!(first_firing(&events, &objective, 0, start, start + 400), Some(start + 52));
        // 6h row: e(6h) = s/21600 > 6 × 0.001 once s > 129.6 s = 2.16 min.
        assert_eq!(first_firing(&events, &objective, 1, start, start + 400), Some(start + 130));
    }

    #[test]
    fn at_90_percent_a_full_outage_never_trips_the_1h_row() {
        // Budget 10 %: the row needs e > 14.4 × 0.1 = 1.44, impossible.
        let events = traffic(7_200, |_| 1.0);
        let objective = Objective::from_percent(90.0, DAYS_30);
        assert_eq!(first_firing(&events, &objective, 0, 1, 7_200), None);
        let state = evaluate(&objective, &counts_at(&events, 7_200, DAYS_30));
        assert_eq!(state.error_ratio.get("1h"), Some(1.0));
        assert!(!state.alerts[0].firing, "shown honestly: burning, but not this row");
        assert!(state.alerts[1].firing, "the 6h row (factor 6 → e > 0.6) does fire");
    }

    #[test]
    fn fifteen_percent_errors_for_ten_minutes_fire_about_five_minutes_in_and_clear_five_after() {
        let start = 86_400.0;
        let end = start + 600.0;
        let events = traffic(86_400 + 2_400, |t| if t > start && t <= end { 0.15 } else { 0.0 });
        let objective = Objective::from_percent(99.9, DAYS_30);
        let firing = |t: u64| evaluate(&objective, &counts_at(&events, t, DAYS_30)).alerts[0].firing;
        let on = (86_400..86_400 + 2_400).find(|t| firing(*t)).expect("it fires");
        let off = (on..86_400 + 2_400).find(|t| !firing(*t)).expect("it clears");
        // Fires when e(1h) = 0.15·s/3600 > 14.4 × 0.001, s > 345.6: 346 s ≈ 5.8 min in.
        assert_eq!(on as f64 - start, 346.0);
        // Clears when e(5m) = 0.15·(300 − s)/300 ≤ 0.0144, s ≥ 271.2: 272 s ≈ 4.5 min after.
        assert_eq!(off as f64 - end, 272.0);
    }

    #[test]
    fn no_traffic_is_none_never_zero_or_nan() {
        let objective = Objective::from_percent(99.9, DAYS_30);
        let state = evaluate(&objective, &WindowCounts::default());
        assert!(state.error_ratio.0.iter().all(|(_, v)| v.is_none()));
        assert!(state.burn_rate.0.iter().all(|(_, v)| v.is_none()));
        assert_eq!((state.budget_remaining, state.exhaustion_seconds), (None, None));
        assert!(state.alerts.iter().all(|a| !a.firing));
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["error_ratio"]["5m"], serde_json::Value::Null);
        let keys: Vec<&String> = json["burn_rate"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn an_overspent_budget_is_negative_and_exhausted() {
        let objective = Objective::from_percent(99.0, DAYS_30);
        let mut counts = WindowCounts { period: Counts { total: 1000.0, bad: 30.0 }, ..Default::default() };
        counts.windows[2] = Counts { total: 100.0, bad: 5.0 };
        let state = evaluate(&objective, &counts);
        assert!((state.budget_remaining.unwrap() - (-2.0)).abs() < 1e-12, "3 % spent of a 1 % budget");
        assert_eq!(state.exhaustion_seconds, Some(0.0));
    }

    #[test]
    fn exhaustion_extrapolates_the_1h_burn() {
        let objective = Objective::from_percent(99.9, DAYS_30);
        // Half the budget left.
        let mut counts = WindowCounts { period: Counts { total: 1_000_000.0, bad: 500.0 }, ..Default::default() };
        counts.windows[2] = Counts { total: 10_000.0, bad: 20.0 }; // burning at 2×
        let state = evaluate(&objective, &counts);
        let expected = 0.5 * DAYS_30.as_secs_f64() / 2.0;
        assert!((state.exhaustion_seconds.unwrap() - expected).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn burn_rate_is_the_ratio_over_the_budget(total in 1.0f64..1e9, share in 0.0f64..=1.0, percent in 50.0f64..99.999) {
            let objective = Objective::from_percent(percent, DAYS_30);
            let mut counts = WindowCounts::default();
            for c in counts.windows.iter_mut() {
                *c = Counts { total, bad: total * share };
            }
            counts.period = Counts { total, bad: total * share };
            let state = evaluate(&objective, &counts);
            let e = state.error_ratio.get("1h").unwrap();
            prop_assert!((0.0..=1.0).contains(&e));
            let b = state.burn_rate.get("1h").unwrap();
            prop_assert!((b * objective.budget() - e).abs() <= 1e-9 * e.max(1e-12));
            prop_assert!((state.budget_remaining.unwrap() - (1.0 - b)).abs() < 1e-9 * b.max(1.0));
            // More errors never make a row stop firing.
            let mut worse = counts.clone();
            for c in worse.windows.iter_mut() { c.bad = (c.bad * 1.5).min(c.total); }
            let worse_state = evaluate(&objective, &worse);
            for (a, w) in state.alerts.iter().zip(&worse_state.alerts) {
                prop_assert!(!a.firing || w.firing);
            }
        }
    }
}
