//! The fleet from Prometheus: a fixed handful of aggregate queries per
//! refresh — requests, errors and latency buckets `by (model, version)`,
//! version info, and one range query for the sparklines — however many
//! models there are. They run concurrently (bounded by the client).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use std::time::Duration;

use super::{PrometheusClient, Sample, StepGrid};
use crate::core::fleet::{FleetMetrics, ModelMetrics, VersionMetrics};
use crate::core::histogram::{Bucket, quantile};
use crate::core::model_detail::ModelDetail;
use crate::sources::http::RequestError;
use crate::sources::presets::{Concept, Preset, QueryVars};
use crate::sources::scrape::{DirectScrape, MAX_TARGETS};
use crate::sources::{BoxFuture, FleetQuery, MetricsSource, ModelQuery, SourceError};

/// Sparkline windows shorter than this see too few scrapes to rate over.
const MIN_HISTORY_WINDOW: Duration = Duration::from_secs(60);

pub struct PrometheusFleet {
    client: PrometheusClient,
    preset: Preset,
    /// Extra label matchers from the context (`$filter`).
    filter: String,
    /// Shown for models whose metrics carry no environment.
    environment: Option<String>,
    /// Degraded mode: read the model servers directly when Prometheus is down.
    scrape: DirectScrape,
    /// Targets listed in the config, always tried in degraded mode.
    configured_targets: Vec<String>,
    /// Targets from the last good `/api/v1/targets`, and when it was read.
    learned_targets: Mutex<(Vec<String>, Option<DateTime<Utc>>)>,
    /// The last history, keyed by its step-aligned end: refreshes within
    /// one step share it, so most refreshes skip the range query.
    history_cache: Mutex<Option<(HistoryKey, History)>>,
}

type History = HashMap<String, Vec<Option<f64>>>;
/// (aligned end in seconds, step seconds, history seconds).
type HistoryKey = (i64, u64, u64);

/// An empty target list is re-read this often: targets appear as Prometheus
/// discovers them, and a fallback with no targets cannot help anyone.
const EMPTY_TARGETS_REFRESH: chrono::Duration = chrono::Duration::seconds(10);

/// How often the target list is re-read while Prometheus is healthy.
const TARGETS_REFRESH: chrono::Duration = chrono::Duration::minutes(10);
/// A query further back than this is time travel: a direct scrape cannot answer it.
const LIVE_TOLERANCE: chrono::Duration = chrono::Duration::minutes(2);

/// Which `(model, version)` a series belongs to.
type Key = (String, Option<String>);

impl PrometheusFleet {
    pub fn new(client: PrometheusClient, preset: Preset, filter: String, environment: Option<String>) -> Self {
        let limits = client.http().limits();
        PrometheusFleet {
            client,
            preset,
            filter,
            environment,
            scrape: DirectScrape::new(limits),
            configured_targets: Vec::new(),
            learned_targets: Mutex::new((Vec::new(), None)),
            history_cache: Mutex::new(None),
        }
    }

    /// Targets to scrape directly when Prometheus is down, besides the ones
    /// Prometheus itself reported.
    pub fn with_scrape_targets(mut self, targets: Vec<String>) -> Self {
        self.configured_targets = targets;
        self
    }

    /// The targets a direct scrape would read now: the configured ones, then
    /// those Prometheus last reported.
    pub fn scrape_targets(&self) -> Vec<String> {
        let mut targets = self.configured_targets.clone();
        if let Ok(guard) = self.learned_targets.lock() {
            targets.extend(guard.0.iter().filter(|t| !self.configured_targets.contains(t)).cloned());
        }
        targets
    }

    /// Re-reads the scrape targets from Prometheus when the list is old.
    /// A failure here costs nothing: the previous list stays.
    async fn learn_targets(&self) {
        let due = match self.learned_targets.lock() {
            Ok(guard) => {
                let every = if guard.0.is_empty() { EMPTY_TARGETS_REFRESH } else { TARGETS_REFRESH };
                guard.1.is_none_or(|at| Utc::now() - at > every)
            }
            Err(_) => false,
        };
        if !due {
            return;
        }
        match self.client.targets().await {
            Ok(targets) => {
                let urls: Vec<String> = targets
                    .into_iter()
                    .filter(|t| t.health != "down")
                    .map(|t| t.scrape_url)
                    .take(MAX_TARGETS)
                    .collect();
                if let Ok(mut guard) = self.learned_targets.lock() {
                    *guard = (urls, Some(Utc::now()));
                }
            }
            Err(e) => tracing::debug!(error = %e, "could not read scrape targets"),
        }
    }

    /// Degraded mode: the fleet from the model servers' own pages.
    async fn direct(&self, query: &FleetQuery, cause: &RequestError) -> Result<FleetMetrics, String> {
        if (Utc::now() - query.at).abs() > LIVE_TOLERANCE {
            return Err(format!("{} (a direct scrape cannot show a past instant)", cause.detail()));
        }
        let targets = self.scrape_targets();
        let report = self
            .scrape
            .fleet(&targets, self.environment.as_deref())
            .await
            .map_err(|e| format!("{}; direct scrape: {e}", cause.detail()))?;
        let mut metrics = report.metrics;
        let failed = if report.targets_failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", report.targets_failed.len())
        };
        metrics.via = Some(format!(
            "direct scrape of {} target{}{failed} — {} unreachable",
            report.targets_read,
            if report.targets_read == 1 { "" } else { "s" },
            self.client.name()
        ));
        Ok(metrics)
    }

    pub fn client(&self) -> &PrometheusClient {
        &self.client
    }

    pub fn preset(&self) -> &Preset {
        &self.preset
    }

    /// The context's extra matchers.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    fn key(&self, labels: &BTreeMap<String, String>) -> Option<Key> {
        let model = labels.get(&self.preset.model_label)?.clone();
        let version = self.preset.version_label.as_ref().and_then(|l| labels.get(l).cloned());
        Some((model, version))
    }

    async fn instant(
        &self,
        concept: Concept,
        vars: &QueryVars,
        query: &FleetQuery,
    ) -> Result<Vec<Sample>, RequestError> {
        match self.preset.query(concept, vars) {
            Some(promql) => self.client.query(&promql, Some(query.at)).await,
            None => Ok(Vec::new()),
        }
    }

    async fn history(&self, query: &FleetQuery) -> Result<History, RequestError> {
        let step = query.history_step.max(Duration::from_secs(1));
        let vars = QueryVars { window: step.max(MIN_HISTORY_WINDOW), step, filter: self.filter.clone() };
        let Some(promql) = self.preset.query(Concept::History, &vars) else { return Ok(HashMap::new()) };
        let points = (query.history.as_secs() / step.as_secs()).max(1) as usize;
        // The range ends on the step grid, so every refresh within one step
        // asks the same question — and gets the cached answer.
        let step_s = step.as_secs() as i64;
        let end_s = query.at.timestamp().div_euclid(step_s) * step_s;
        let key = (end_s, step.as_secs(), query.history.as_secs());
        if let Ok(guard) = self.history_cache.lock()
            && let Some((cached_key, history)) = guard.as_ref()
            && *cached_key == key
        {
            return Ok(history.clone());
        }
        let grid = StepGrid::ending_at(DateTime::from_timestamp(end_s, 0).unwrap_or(query.at), step, points);
        let series = self.client.query_range(&promql, grid.start, grid.end(), step).await?;
        let mut out = HashMap::new();
        for s in &series {
            let Some(model) = s.labels.get(&self.preset.model_label) else { continue };
            out.insert(model.clone(), grid.sum([s], 1.0));
        }
        if let Ok(mut guard) = self.history_cache.lock() {
            *guard = Some((key, out.clone()));
        }
        Ok(out)
    }

    async fn fetch(&self, query: &FleetQuery) -> Result<FleetMetrics, RequestError> {
        let vars = QueryVars { window: query.rate_window, step: query.history_step, filter: self.filter.clone() };
        // Without a histogram the average is the only latency there is; with
        // one, percentiles say more and the average is not fetched.
        let latency =
            if self.preset.has(Concept::LatencyBuckets) { Concept::LatencyBuckets } else { Concept::LatencyAverage };
        let (requests, errors, latency_samples, info, history) = tokio::join!(
            self.instant(Concept::Requests, &vars, query),
            self.instant(Concept::Errors, &vars, query),
            self.instant(latency, &vars, query),
            self.instant(Concept::VersionInfo, &vars, query),
            self.history(query),
        );
        let (requests, errors, latency_samples, info, history) =
            (requests?, errors?, latency_samples?, info?, history?);
        let (buckets, averages) = match latency {
            Concept::LatencyBuckets => (latency_samples, Vec::new()),
            _ => (Vec::new(), latency_samples),
        };
        let mut metrics = self.assemble(query, requests, errors, buckets, info, history);
        self.attach_averages(&mut metrics, &averages);
        Ok(metrics)
    }

    /// Per-version averages, and the model's weighted by each version's requests.
    fn attach_averages(&self, metrics: &mut FleetMetrics, averages: &[Sample]) {
        if averages.is_empty() {
            return;
        }
        let mut by_key: HashMap<Key, f64> = HashMap::new();
        for sample in averages {
            if let Some(key) = self.key(&sample.labels)
                && sample.value.is_finite()
            {
                by_key.insert(key, sample.value);
            }
        }
        for model in &mut metrics.models {
            let (mut weighted, mut total) = (0.0, 0.0);
            for v in &mut model.versions {
                v.latency_average_seconds = by_key.get(&(model.model.clone(), v.version.clone())).copied();
                if let (Some(avg), Some(rps)) = (v.latency_average_seconds, v.requests_per_second) {
                    weighted += avg * rps;
                    total += rps;
                }
            }
            model.latency_average_seconds = (total > 0.0).then(|| weighted / total);
        }
    }

    fn assemble(
        &self,
        query: &FleetQuery,
        requests: Vec<Sample>,
        errors: Vec<Sample>,
        buckets: Vec<Sample>,
        info: Vec<Sample>,
        mut history: HashMap<String, Vec<Option<f64>>>,
    ) -> FleetMetrics {
        let has_errors = self.preset.has(Concept::Errors);
        let mut versions: BTreeMap<Key, VersionMetrics> = BTreeMap::new();
        let mut environments: HashMap<String, String> = HashMap::new();
        let blank = |version: &Option<String>| VersionMetrics {
            version: version.clone(),
            aliases: Vec::new(),
            requests_per_second: None,
            errors_per_second: None,
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
        };
        for sample in &requests {
            let Some(key) = self.key(&sample.labels) else { continue };
            let entry = versions.entry(key.clone()).or_insert_with(|| blank(&key.1));
            entry.requests_per_second = Some(finite_or_zero(sample.value));
            // A stack that reports errors reports zero errors as absence.
            if has_errors {
                entry.errors_per_second.get_or_insert(0.0);
            }
        }
        for sample in &errors {
            let Some(key) = self.key(&sample.labels) else { continue };
            let entry = versions.entry(key.clone()).or_insert_with(|| blank(&key.1));
            entry.errors_per_second = Some(finite_or_zero(sample.value));
        }
        for sample in &info {
            let Some(key) = self.key(&sample.labels) else { continue };
            let entry = versions.entry(key.clone()).or_insert_with(|| blank(&key.1));
            if let Some(aliases) = sample.labels.get("aliases") {
                entry.aliases = aliases.split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect();
            }
            if let Some(env) = sample.labels.get("environment").filter(|e| !e.is_empty()) {
                environments.insert(key.0.clone(), env.clone());
            }
        }

        // Buckets per version, and summed per model for model-wide quantiles.
        let mut version_buckets: HashMap<Key, BTreeMap<OrderedBound, f64>> = HashMap::new();
        let mut model_buckets: HashMap<String, BTreeMap<OrderedBound, f64>> = HashMap::new();
        for sample in &buckets {
            let (Some(key), Some(le)) = (self.key(&sample.labels), sample.labels.get("le")) else { continue };
            let Some(bound) = parse_le(le, self.preset.le_unit_seconds) else { continue };
            // `le="1"` and `le="1.0"` are the same bound under two spellings: add them up.
            *version_buckets.entry(key.clone()).or_default().entry(OrderedBound(bound)).or_default() +=
                finite_or_zero(sample.value);
            *model_buckets.entry(key.0.clone()).or_default().entry(OrderedBound(bound)).or_default() +=
                finite_or_zero(sample.value);
        }
        for (key, entry) in versions.iter_mut() {
            if let Some(b) = version_buckets.get(key) {
                let b = to_buckets(b);
                entry.latency_p50_seconds = quantile(0.5, &b);
                entry.latency_p99_seconds = quantile(0.99, &b);
            }
        }

        let mut models: BTreeMap<String, ModelMetrics> = BTreeMap::new();
        for ((model, _), version) in versions {
            let entry = models.entry(model.clone()).or_insert_with(|| ModelMetrics {
                model: model.clone(),
                environment: environments.get(&model).cloned().or_else(|| self.environment.clone()),
                versions: Vec::new(),
                latency_p50_seconds: None,
                latency_p99_seconds: None,
                latency_average_seconds: None,
                history: Vec::new(),
            });
            entry.versions.push(version);
        }
        for (name, model) in models.iter_mut() {
            if let Some(b) = model_buckets.get(name) {
                let b = to_buckets(b);
                model.latency_p50_seconds = quantile(0.5, &b);
                model.latency_p99_seconds = quantile(0.99, &b);
            }
            model.history = history.remove(name).unwrap_or_default();
            // Versions in number order where they are numbers (v9 before v10).
            model.versions.sort_by_key(|v| version_order(&v.version));
        }
        FleetMetrics {
            at: query.at,
            rate_window_seconds: query.rate_window.as_secs_f64(),
            history_step_seconds: query.history_step.as_secs_f64(),
            models: models.into_values().collect(),
            via: None,
        }
    }
}

impl MetricsSource for PrometheusFleet {
    fn name(&self) -> String {
        self.client.name().to_string()
    }

    fn fleet<'a>(&'a self, query: &'a FleetQuery) -> BoxFuture<'a, Result<FleetMetrics, SourceError>> {
        Box::pin(async move {
            match self.fetch(query).await {
                Ok(metrics) => {
                    self.learn_targets().await;
                    Ok(metrics)
                }
                Err(e) if e.is_unreachable() => {
                    self.direct(query, &e).await.map_err(|message| SourceError { source_name: self.name(), message })
                }
                Err(e) => Err(SourceError::from(e)),
            }
        })
    }

    fn slo_counts<'a>(
        &'a self,
        slos: &'a [crate::core::slo::SloDefinition],
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, crate::sources::SloCounts> {
        Box::pin(async move { self.slo_counts(slos, at).await.map_err(SourceError::from) })
    }

    fn sloth_checks<'a>(
        &'a self,
        slos: &'a [crate::core::slo::SloDefinition],
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Vec<Option<crate::core::slo::SlothCheck>>> {
        Box::pin(async move { self.sloth_checks(slos, at).await })
    }

    fn slo_series<'a>(
        &'a self,
        slo: &'a crate::core::slo::SloDefinition,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<crate::core::slo::SloSeries, SourceError>> {
        Box::pin(async move { self.slo_series(slo, at).await.map_err(SourceError::from) })
    }

    fn model<'a>(&'a self, query: &'a ModelQuery) -> BoxFuture<'a, Result<ModelDetail, SourceError>> {
        Box::pin(async move { self.model_detail(query).await.map_err(SourceError::from) })
    }
}

/// A bucket bound usable as a map key (bounds are never NaN once parsed).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedBound(f64);

impl Eq for OrderedBound {}

impl PartialOrd for OrderedBound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedBound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// `le` in seconds: `+Inf`, `0.25`, `1`, `1.0`, `1e-3`; scaled by the
/// preset's unit (Ray Serve's bounds are milliseconds).
fn parse_le(text: &str, unit_seconds: f64) -> Option<f64> {
    let value: f64 = text.trim().parse().ok()?;
    if value.is_nan() {
        return None;
    }
    Some(if value.is_infinite() { value } else { value * unit_seconds })
}

fn to_buckets(map: &BTreeMap<OrderedBound, f64>) -> Vec<Bucket> {
    map.iter().map(|(b, c)| Bucket { upper_bound: b.0, cumulative_count: *c }).collect()
}

/// A rate is NaN when a series had a single sample; treat it as no traffic.
fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

pub(crate) fn version_order(version: &Option<String>) -> (u8, u64, String) {
    match version {
        None => (2, 0, String::new()),
        Some(v) => match v.trim_start_matches('v').parse::<u64>() {
            Ok(n) => (0, n, v.clone()),
            Err(_) => (1, 0, v.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_parse_in_every_spelling() {
        assert_eq!(parse_le("1", 1.0), Some(1.0));
        assert_eq!(parse_le("1.0", 1.0), Some(1.0));
        assert_eq!(parse_le("+Inf", 1.0), Some(f64::INFINITY));
        assert_eq!(parse_le("250", 0.001), Some(0.25));
        assert_eq!(parse_le("NaN", 1.0), None);
        assert_eq!(parse_le("x", 1.0), None);
    }

    #[test]
    fn versions_sort_by_number() {
        let mut v = vec![Some("10".to_string()), Some("9".to_string()), None, Some("canary".to_string())];
        v.sort_by_key(version_order);
        assert_eq!(v, [Some("9".into()), Some("10".into()), Some("canary".into()), None]);
    }
}
