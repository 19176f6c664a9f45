//! SLO event counts from Prometheus: for every window (5m … 3d and each
//! period in use) the preset's requests, errors and — when a latency SLO
//! needs them — bucket queries, aggregated over the whole fleet. The number
//! of requests depends on the windows, never on how many SLOs or models.
//! Counts are `rate × window`, which is exactly what `increase()` returns.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::fleet::PrometheusFleet;
use super::{Sample, StepGrid};
use crate::core::slo::{
    Counts, SERIES_POINTS, Sli, SloDefinition, SloSeries, SlothCheck, WINDOWS, WindowCounts, bad_events, matching_bound,
};
use crate::sources::http::RequestError;
use crate::sources::presets::{Concept, QueryVars};

/// Marks an SLO whose threshold matched no bucket, until the bounds are listed.
const NO_SUCH_BOUND: &str = "\u{0}no such bound";

/// `le=~"…"` matching every spelling of the thresholds (`1`, `1.0`, `0.25`,
/// `0.250`), in the histogram's own unit; `None` without thresholds.
pub fn le_matcher(thresholds_seconds: &[f64], unit_seconds: f64) -> Option<String> {
    if thresholds_seconds.is_empty() {
        return None;
    }
    let mut spellings: Vec<String> = thresholds_seconds
        .iter()
        .map(|t| {
            // The shortest decimal, then any number of trailing zeros.
            let text = format!("{}", t / unit_seconds);
            if text.contains('.') { format!("{}0*", text.replace('.', "\\\\.")) } else { format!("{text}(\\\\.0*)?") }
        })
        .collect();
    spellings.sort();
    spellings.dedup();
    Some(format!("le=~\"{}\"", spellings.join("|")))
}

/// A window as Sloth writes it in `{{.window}}`: `5m`, `30m`, `1h`, `3d`, `30d`.
fn prometheus_duration(seconds: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

/// One window's fleet-wide answers.
#[derive(Default)]
struct WindowData {
    /// model → requests in the window.
    total: HashMap<String, f64>,
    errors: HashMap<String, f64>,
    /// model → bound → cumulative count.
    buckets: HashMap<String, BTreeMap<u64, (f64, f64)>>,
}

impl PrometheusFleet {
    pub(crate) async fn slo_counts(
        &self,
        slos: &[SloDefinition],
        at: DateTime<Utc>,
    ) -> Result<Vec<Result<WindowCounts, String>>, RequestError> {
        let mut windows: Vec<u64> = WINDOWS.iter().map(|(_, s)| *s).collect();
        for slo in slos {
            let period = slo.objective.period.as_secs();
            if !windows.contains(&period) {
                windows.push(period);
            }
        }
        let thresholds: Vec<f64> = slos
            .iter()
            .filter_map(|s| match s.sli {
                Sli::Latency { threshold_seconds } => Some(threshold_seconds),
                _ => None,
            })
            .collect();
        // Only the buckets at the thresholds: one series per version instead of
        // a dozen, which makes the long windows' bucket queries cheap.
        let le_filter = le_matcher(&thresholds, self.preset().le_unit_seconds);
        let fetched =
            futures::future::join_all(windows.iter().map(|w| self.window_data(*w, at, le_filter.as_deref()))).await;
        let mut data: HashMap<u64, WindowData> = HashMap::new();
        for (w, result) in windows.iter().zip(fetched) {
            data.insert(*w, result?);
        }
        let mut results: Vec<Result<WindowCounts, String>> =
            slos.iter().map(|slo| self.counts_for(slo, &data)).collect();
        // Imported SLOs run their own queries: two per window each.
        for (slo, result) in slos.iter().zip(results.iter_mut()) {
            if let Sli::Events { error_query, total_query } = &slo.sli {
                *result = self.event_counts(error_query, total_query, slo.objective.period, at).await;
            }
        }
        // A threshold that matched no bucket: name the bounds that do exist
        // (one unfiltered query, only on this error path).
        if results.iter().any(|r| r.as_ref().is_err_and(|e| e == NO_SUCH_BOUND)) {
            let all = self.window_data(WINDOWS[0].1, at, Some("")).await?;
            for (slo, result) in slos.iter().zip(results.iter_mut()) {
                if let (Err(e), Sli::Latency { threshold_seconds }) = (&*result, &slo.sli)
                    && e == NO_SUCH_BOUND
                {
                    let bounds: Vec<f64> = all
                        .buckets
                        .get(&slo.model)
                        .map(|b| b.values().map(|(bound, _)| *bound).collect())
                        .unwrap_or_default();
                    *result = Err(matching_bound(*threshold_seconds, &bounds)
                        .err()
                        .unwrap_or_else(|| format!("no bucket at {threshold_seconds}s in the queried windows")));
                }
            }
        }
        Ok(results)
    }

    /// One SLO's events per step over its period: range queries whose
    /// window is the step, so each point is that step's increase.
    pub(crate) async fn slo_series(&self, slo: &SloDefinition, at: DateTime<Utc>) -> Result<SloSeries, RequestError> {
        let step = Duration::from_secs((slo.objective.period.as_secs() / SERIES_POINTS).max(60));
        let points = SERIES_POINTS as usize;
        let step_chrono = chrono::Duration::from_std(step).unwrap_or_default();
        let start = at - step_chrono * (points as i32 - 1);
        let model_matcher = format!("{}={}", self.preset().model_label, super::model::promql_string(&slo.model));
        let with = |extra: Option<String>| -> String {
            [Some(self.filter().to_string()), Some(model_matcher.clone()), extra]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        };
        let (le, need_buckets) = match slo.sli {
            Sli::Latency { threshold_seconds } => {
                (le_matcher(&[threshold_seconds], self.preset().le_unit_seconds), true)
            }
            Sli::Availability => (None, false),
            Sli::Events { ref error_query, ref total_query } => {
                return self.event_series(error_query, total_query, step, start, at, points).await;
            }
        };
        let vars = QueryVars { window: step, step, filter: with(None) };
        let bucket_vars = QueryVars { window: step, step, filter: with(le) };
        let range = |concept: Concept, vars: &QueryVars, wanted: bool| {
            let promql = self.preset().query(concept, vars).filter(|_| wanted);
            async move {
                match promql {
                    Some(q) => self.client().query_range(&q, start, at, step).await,
                    None => Ok(Vec::new()),
                }
            }
        };
        let (requests, errors, buckets) = tokio::join!(
            range(Concept::Requests, &vars, true),
            range(Concept::Errors, &vars, true),
            range(Concept::LatencyBuckets, &bucket_vars, need_buckets),
        );
        let (requests, errors, buckets) = (requests?, errors?, buckets?);
        let grid = StepGrid { start, step, points };
        let seconds = step.as_secs_f64();
        let total = grid.sum(&requests, seconds);
        let failed = grid.sum(&errors, seconds);
        let within = grid.sum(&buckets, seconds);
        let steps = (0..points)
            .map(|i| {
                total[i].map(|t| Counts {
                    total: t,
                    bad: bad_events(
                        &slo.sli,
                        t,
                        failed[i].unwrap_or(0.0),
                        need_buckets.then_some(within[i].unwrap_or(0.0)),
                    )
                    .unwrap_or(0.0),
                })
            })
            .collect();
        Ok(SloSeries { at, step_seconds: step.as_secs(), steps })
    }

    /// Sloth's `slo:sli_error:ratio_rate<w>` series for the SLOs named like
    /// their `sloth_id`, and vigil's own ratios recomputed at the instant
    /// the rules were evaluated (so both describe the same data). Two
    /// queries find them; SLOs without rules cost nothing more.
    pub(crate) async fn sloth_checks(&self, slos: &[SloDefinition], at: DateTime<Utc>) -> Vec<Option<SlothCheck>> {
        const RULES: &str = r#"{__name__=~"slo:sli_error:ratio_rate.+",sloth_id!=""}"#;
        let stamp_query = format!("timestamp({RULES})");
        let values = self.client().query(RULES, Some(at));
        let stamps = self.client().query(&stamp_query, Some(at));
        let (values, stamps) = match tokio::join!(values, stamps) {
            (Ok(v), Ok(t)) => (v, t),
            (Err(e), _) | (_, Err(e)) => {
                tracing::debug!(error = %e, "no Sloth recording rules read");
                return vec![None; slos.len()];
            }
        };
        let window_of = |name: &str| name.strip_prefix("slo:sli_error:ratio_rate").map(str::to_string);
        let mut out = Vec::with_capacity(slos.len());
        for slo in slos {
            let ratios: Vec<(String, f64)> = values
                .iter()
                .filter(|s| s.labels.get("sloth_id") == Some(&slo.name))
                .filter_map(|s| Some((window_of(s.labels.get("__name__")?)?, s.value)))
                .collect();
            // The rules of one SLO are evaluated together: take the 5m rule's time.
            let evaluated = stamps
                .iter()
                .find(|s| {
                    s.labels.get("sloth_id") == Some(&slo.name)
                        && s.labels.get("sloth_window").is_some_and(|w| w == "5m")
                })
                .and_then(|s| DateTime::from_timestamp_millis((s.value * 1000.0).round() as i64));
            let (Some(evaluated_at), false) = (evaluated, ratios.is_empty()) else {
                out.push(None);
                continue;
            };
            let ours = match self.slo_counts(std::slice::from_ref(slo), evaluated_at).await {
                Ok(mut counts) => counts.pop().and_then(Result::ok),
                Err(e) => {
                    tracing::debug!(error = %e, "vigil's side of the Sloth comparison failed");
                    None
                }
            };
            out.push(ours.map(|c| SlothCheck::compare(evaluated_at, &ratios, &c, slo.objective.period.as_secs())));
        }
        out
    }

    /// An imported SLO's counts: its error and total queries for every
    /// window, `{{.window}}` replaced, as Sloth's recording rules would run them.
    async fn event_counts(
        &self,
        error_query: &str,
        total_query: &str,
        period: Duration,
        at: DateTime<Utc>,
    ) -> Result<WindowCounts, String> {
        let windows: Vec<u64> = WINDOWS.iter().map(|(_, s)| *s).chain([period.as_secs()]).collect();
        let one = |template: &str, seconds: u64| {
            let promql = template.replace("{{.window}}", &prometheus_duration(seconds));
            async move {
                let samples = self.client().query(&promql, Some(at)).await.map_err(|e| e.to_string())?;
                Ok::<f64, String>(
                    samples.iter().map(|s| s.value).filter(|v| v.is_finite()).sum::<f64>() * seconds as f64,
                )
            }
        };
        let answers = futures::future::join_all(
            windows.iter().map(|w| async move { (one(error_query, *w).await, one(total_query, *w).await) }),
        )
        .await;
        let mut counts = Vec::new();
        for (bad, total) in answers {
            counts.push(Counts { total: total?, bad: bad? });
        }
        let mut windows_counts = [Counts::default(); 7];
        windows_counts.copy_from_slice(&counts[..7]);
        Ok(WindowCounts { windows: windows_counts, period: counts[7] })
    }

    /// An imported SLO step by step: its queries as range queries.
    async fn event_series(
        &self,
        error_query: &str,
        total_query: &str,
        step: Duration,
        start: DateTime<Utc>,
        at: DateTime<Utc>,
        points: usize,
    ) -> Result<SloSeries, RequestError> {
        let window = prometheus_duration(step.as_secs());
        let (error_promql, total_promql) =
            (error_query.replace("{{.window}}", &window), total_query.replace("{{.window}}", &window));
        let (bad, total) = tokio::join!(
            self.client().query_range(&error_promql, start, at, step),
            self.client().query_range(&total_promql, start, at, step),
        );
        let (bad, total) = (bad?, total?);
        let grid = StepGrid { start, step, points };
        let (bad, total) = (grid.sum(&bad, step.as_secs_f64()), grid.sum(&total, step.as_secs_f64()));
        let steps = (0..points).map(|i| total[i].map(|t| Counts { total: t, bad: bad[i].unwrap_or(0.0) })).collect();
        Ok(SloSeries { at, step_seconds: step.as_secs(), steps })
    }

    /// `le_filter`: `None` when no latency SLO needs buckets, `Some("")` for
    /// every bucket, else the `le` matcher to add.
    async fn window_data(
        &self,
        seconds: u64,
        at: DateTime<Utc>,
        le_filter: Option<&str>,
    ) -> Result<WindowData, RequestError> {
        let window = Duration::from_secs(seconds);
        let vars = QueryVars { window, step: window, filter: self.filter().to_string() };
        let bucket_vars = QueryVars {
            filter: match (self.filter(), le_filter) {
                (base, Some(le)) if !le.is_empty() && !base.is_empty() => format!("{base},{le}"),
                (_, Some(le)) if !le.is_empty() => le.to_string(),
                (base, _) => base.to_string(),
            },
            ..vars.clone()
        };
        let need_latency = le_filter.is_some();
        let query = |concept: Concept, wanted: bool| {
            let vars = if concept == Concept::LatencyBuckets { &bucket_vars } else { &vars };
            let promql = self.preset().query(concept, vars).filter(|_| wanted);
            async move {
                match promql {
                    Some(q) => self.client().query(&q, Some(at)).await,
                    None => Ok(Vec::new()),
                }
            }
        };
        let (requests, errors, buckets) = tokio::join!(
            query(Concept::Requests, true),
            query(Concept::Errors, true),
            query(Concept::LatencyBuckets, need_latency),
        );
        let (requests, errors, buckets) = (requests?, errors?, buckets?);
        let label = &self.preset().model_label;
        let per_model = |samples: &[Sample]| {
            let mut out: HashMap<String, f64> = HashMap::new();
            for s in samples {
                if let Some(model) = s.labels.get(label)
                    && s.value.is_finite()
                {
                    *out.entry(model.clone()).or_default() += s.value * seconds as f64;
                }
            }
            out
        };
        let mut data = WindowData { total: per_model(&requests), errors: per_model(&errors), ..Default::default() };
        let unit = self.preset().le_unit_seconds;
        for s in &buckets {
            let (Some(model), Some(le)) = (s.labels.get(label), s.labels.get("le")) else { continue };
            let Ok(bound) = le.trim().parse::<f64>() else { continue };
            if bound.is_nan() || !s.value.is_finite() {
                continue;
            }
            let bound = if bound.is_infinite() { bound } else { bound * unit };
            // `le="1"` and `le="1.0"` are one bound spelled twice: add them.
            let slot = data.buckets.entry(model.clone()).or_default().entry(bound.to_bits()).or_insert((bound, 0.0));
            slot.1 += s.value * seconds as f64;
        }
        Ok(data)
    }

    fn counts_for(&self, slo: &SloDefinition, data: &HashMap<u64, WindowData>) -> Result<WindowCounts, String> {
        let preset = self.preset();
        match slo.sli {
            Sli::Availability if !preset.has(Concept::Errors) => {
                return Err(format!(
                    "preset {} has no error counter: add `errors` to the context's queries",
                    preset.name
                ));
            }
            Sli::Latency { .. } if !preset.has(Concept::LatencyBuckets) => {
                return Err(format!("preset {} has no latency histogram: a latency SLO needs one", preset.name));
            }
            _ => {}
        }
        // The bound must exist in the histogram the model actually exports.
        let bound = match slo.sli {
            Sli::Latency { threshold_seconds } => {
                let bounds: Vec<f64> = data
                    .values()
                    .filter_map(|d| d.buckets.get(&slo.model))
                    .flat_map(|b| b.values().map(|(bound, _)| *bound))
                    .collect();
                match matching_bound(threshold_seconds, &bounds) {
                    Ok(bound) => Some(bound.to_bits()),
                    // Filtered to the thresholds: nothing here means no such bound.
                    Err(_) if data.values().any(|d| d.total.get(&slo.model).is_some_and(|t| *t > 0.0)) => {
                        return Err(NO_SUCH_BOUND.into());
                    }
                    Err(_) => None,
                }
            }
            Sli::Availability | Sli::Events { .. } => None,
        };
        let counts = |seconds: u64| -> Counts {
            let Some(d) = data.get(&seconds) else { return Counts::default() };
            let total = d.total.get(&slo.model).copied().unwrap_or(0.0);
            let errors = d.errors.get(&slo.model).copied().unwrap_or(0.0);
            let within = bound.and_then(|b| d.buckets.get(&slo.model).and_then(|m| m.get(&b)).map(|(_, c)| *c));
            Counts { total, bad: bad_events(&slo.sli, total, errors, within).unwrap_or(0.0) }
        };
        let mut windows = [Counts::default(); 7];
        for (slot, (_, seconds)) in windows.iter_mut().zip(WINDOWS) {
            *slot = counts(seconds);
        }
        Ok(WindowCounts { windows, period: counts(slo.objective.period.as_secs()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_matchers_cover_every_spelling() {
        assert_eq!(le_matcher(&[], 1.0), None);
        assert_eq!(le_matcher(&[1.0], 1.0).unwrap(), r#"le=~"1(\\.0*)?""#);
        assert_eq!(le_matcher(&[0.25, 1.0, 0.25], 1.0).unwrap(), r#"le=~"0\\.250*|1(\\.0*)?""#);
        // Ray Serve's bounds are milliseconds: 0.25 s is le="250".
        assert_eq!(le_matcher(&[0.25], 0.001).unwrap(), r#"le=~"250(\\.0*)?""#);
    }
}
