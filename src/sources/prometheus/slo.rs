//! SLO event counts from Prometheus: for every window (5m … 3d and each
//! period in use) the preset's requests, errors and — when a latency SLO
//! needs them — bucket queries, aggregated over the whole fleet. The number
//! of requests depends on the windows, never on how many SLOs or models.
//! Counts are `rate × window`, which is exactly what `increase()` returns.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Sample;
use super::fleet::PrometheusFleet;
use crate::core::slo::{Counts, Sli, SloDefinition, WINDOWS, WindowCounts, bad_events, matching_bound};
use crate::sources::http::RequestError;
use crate::sources::presets::{Concept, QueryVars};

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
        let need_latency = slos.iter().any(|s| matches!(s.sli, Sli::Latency { .. }));
        let fetched = futures::future::join_all(windows.iter().map(|w| self.window_data(*w, at, need_latency))).await;
        let mut data: HashMap<u64, WindowData> = HashMap::new();
        for (w, result) in windows.iter().zip(fetched) {
            data.insert(*w, result?);
        }
        Ok(slos.iter().map(|slo| self.counts_for(slo, &data)).collect())
    }

    async fn window_data(
        &self,
        seconds: u64,
        at: DateTime<Utc>,
        need_latency: bool,
    ) -> Result<WindowData, RequestError> {
        let window = Duration::from_secs(seconds);
        let vars = QueryVars { window, step: window, filter: self.filter().to_string() };
        let query = |concept: Concept, wanted: bool| {
            let promql = self.preset().query(concept, &vars).filter(|_| wanted);
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
                if bounds.is_empty() { None } else { Some(matching_bound(threshold_seconds, &bounds)?.to_bits()) }
            }
            Sli::Availability => None,
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
