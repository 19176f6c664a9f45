//! One model over a range from Prometheus: three range queries (requests,
//! errors, latency buckets — each `by (version)`), whatever the range.
//! The model is picked by adding its label matcher to the preset's `$filter`.

use std::collections::{BTreeMap, HashMap};

use super::fleet::PrometheusFleet;
use super::{Series, StepGrid};
use crate::core::fleet::error_ratio;
use crate::core::histogram::{Bucket, quantile};
use crate::core::model_detail::{ModelDetail, VersionSeries};
use crate::sources::ModelQuery;
use crate::sources::http::RequestError;
use crate::sources::presets::{Concept, QueryVars};

/// A PromQL string literal: quotes and backslashes escaped.
pub fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl PrometheusFleet {
    pub(crate) async fn model_detail(&self, query: &ModelQuery) -> Result<ModelDetail, RequestError> {
        let preset = self.preset();
        let matcher = format!("{}={}", preset.model_label, promql_string(&query.model));
        let filter = if self.filter().is_empty() { matcher } else { format!("{},{matcher}", self.filter()) };
        let vars = QueryVars { window: query.rate_window, step: query.step, filter };
        let points = query.points();
        let grid = StepGrid::ending_at(query.at, query.step, points);
        let start = grid.start;
        let range = |concept| {
            let promql = preset.query(concept, &vars);
            async move {
                match promql {
                    Some(q) => self.client().query_range(&q, start, query.at, query.step).await,
                    None => Ok(Vec::new()),
                }
            }
        };
        let (requests, errors, buckets) =
            tokio::join!(range(Concept::Requests), range(Concept::Errors), range(Concept::LatencyBuckets));
        let (requests, errors, buckets) = (requests?, errors?, buckets?);

        // Rates are never negative; a stray negative from float noise reads as 0.
        let fill = |s: &Series, into: &mut [Option<f64>]| {
            for (slot, value) in into.iter_mut().zip(grid.sum([s], 1.0)) {
                if let Some(v) = value {
                    *slot = Some(v.max(0.0));
                }
            }
        };
        let version_of = |labels: &BTreeMap<String, String>| -> Option<String> {
            preset.version_label.as_ref().and_then(|l| labels.get(l).cloned())
        };
        let mut by_version: BTreeMap<Option<String>, VersionSeries> = BTreeMap::new();
        let blank = |version: &Option<String>| VersionSeries {
            version: version.clone(),
            requests_per_second: vec![None; points],
            error_ratio: vec![None; points],
            latency_p50_seconds: vec![None; points],
            latency_p95_seconds: vec![None; points],
            latency_p99_seconds: vec![None; points],
        };
        for s in &requests {
            let v = version_of(&s.labels);
            let entry = by_version.entry(v.clone()).or_insert_with(|| blank(&v));
            fill(s, &mut entry.requests_per_second);
        }
        let mut error_rates: HashMap<Option<String>, Vec<Option<f64>>> = HashMap::new();
        for s in &errors {
            fill(s, error_rates.entry(version_of(&s.labels)).or_insert_with(|| vec![None; points]));
        }
        let has_errors = preset.has(Concept::Errors);
        for (version, series) in by_version.iter_mut() {
            let errors = error_rates.get(version);
            for i in 0..points {
                let rps = series.requests_per_second[i];
                // With an errors query, no error series at a step means zero errors.
                let eps = errors.and_then(|e| e[i]).or(if has_errors && rps.is_some() { Some(0.0) } else { None });
                series.error_ratio[i] = error_ratio(rps, eps);
            }
        }
        // Bucket rates per version and step, merged across `le` spellings.
        let mut histograms: HashMap<Option<String>, Vec<StepBuckets>> = HashMap::new();
        for s in &buckets {
            let Some(le) = s.labels.get("le").and_then(|l| l.trim().parse::<f64>().ok()).filter(|l| !l.is_nan()) else {
                continue;
            };
            let bound = if le.is_infinite() { le } else { le * preset.le_unit_seconds };
            let mut values = vec![None; points];
            fill(s, &mut values);
            let per_step = histograms.entry(version_of(&s.labels)).or_insert_with(|| vec![BTreeMap::new(); points]);
            for (i, value) in values.into_iter().enumerate() {
                if let Some(v) = value {
                    let slot = per_step[i].entry(bound.to_bits()).or_insert((bound, 0.0));
                    slot.1 += v;
                }
            }
        }
        for (version, per_step) in histograms {
            let Some(series) = by_version.get_mut(&version) else { continue };
            for (i, buckets) in per_step.iter().enumerate() {
                let buckets: Vec<Bucket> =
                    buckets.values().map(|(b, c)| Bucket { upper_bound: *b, cumulative_count: *c }).collect();
                if buckets.iter().all(|b| b.cumulative_count <= 0.0) {
                    continue;
                }
                series.latency_p50_seconds[i] = quantile(0.5, &buckets);
                series.latency_p95_seconds[i] = quantile(0.95, &buckets);
                series.latency_p99_seconds[i] = quantile(0.99, &buckets);
            }
        }
        let mut notes = Vec::new();
        if !preset.has(Concept::LatencyBuckets) {
            notes.push(format!("preset {} has no latency histogram: percentiles unavailable", preset.name));
        }
        if !has_errors {
            notes.push(format!("preset {} has no error counter: error ratio unavailable", preset.name));
        }
        let mut versions: Vec<VersionSeries> = by_version.into_values().collect();
        versions.sort_by_key(|v| super::fleet::version_order(&v.version));
        Ok(ModelDetail {
            model: query.model.clone(),
            at: query.at,
            range_seconds: query.range.as_secs(),
            step_seconds: query.step.as_secs(),
            versions,
            notes,
        })
    }
}

/// One step's bucket rates: bound bits → (bound, rate).
type StepBuckets = BTreeMap<u64, (f64, f64)>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_quoted_for_promql() {
        assert_eq!(promql_string("fraud-detector"), "\"fraud-detector\"");
        assert_eq!(promql_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
