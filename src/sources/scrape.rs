//! Degraded mode: when Prometheus cannot be reached, read the model servers'
//! own `/metrics` pages and compute rates from two successive scrapes.
//!
//! Only the generic preset's names are understood here (a preset's PromQL
//! cannot run without Prometheus): `model_requests_total{model, version,
//! outcome}` and `model_request_duration_seconds` buckets. Replicas of one
//! model add up. There is no history: sparklines stay empty.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_parse::{Scrape, Value};

use crate::config::Endpoint;
use crate::core::fleet::{FleetMetrics, ModelMetrics, VersionMetrics};
use crate::core::histogram::{Bucket, quantile};
use crate::sources::http::{Limits, ServerClient};

/// Two scrapes closer than this give rates too noisy to show; the first
/// fallback waits this long for its second scrape.
pub const MIN_INTERVAL: Duration = Duration::from_secs(2);
/// Scraping more targets than this in one refresh would itself be a load.
pub const MAX_TARGETS: usize = 50;

/// Counters of one model version, summed over every target that serves it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counters {
    requests: f64,
    errors: f64,
    /// Bound → cumulative count.
    buckets: BTreeMap<u64, (f64, f64)>,
}

#[derive(Debug, Clone)]
struct Reading {
    at: DateTime<Utc>,
    counters: HashMap<(String, String), Counters>,
    targets_read: usize,
}

pub struct DirectScrape {
    limits: Limits,
    previous: Mutex<Option<Reading>>,
    /// One client per target, kept between scrapes: building one loads the
    /// TLS roots, which is far more work than the scrape itself.
    clients: Mutex<HashMap<String, ServerClient>>,
}

/// Which targets were read and which failed, for the source label.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeReport {
    pub metrics: FleetMetrics,
    pub targets_read: usize,
    pub targets_failed: Vec<String>,
}

impl DirectScrape {
    pub fn new(limits: Limits) -> Self {
        DirectScrape { limits, previous: Mutex::new(None), clients: Mutex::new(HashMap::new()) }
    }

    /// Scrapes `targets` and returns rates against the previous reading —
    /// taking a second reading after [`MIN_INTERVAL`] when there is none.
    pub async fn fleet(&self, targets: &[String], environment: Option<&str>) -> Result<ScrapeReport, String> {
        if targets.is_empty() {
            return Err("no scrape targets known (list them in the context's scrape_targets)".into());
        }
        let targets = &targets[..targets.len().min(MAX_TARGETS)];
        let previous = self.previous.lock().map_err(|_| "scrape state poisoned")?.clone();
        let (older, failed_first) = match previous {
            Some(p) if Utc::now() - p.at >= chrono::Duration::from_std(MIN_INTERVAL).unwrap_or_default() => (p, vec![]),
            _ => {
                let (first, failed) = self.read(targets).await;
                tokio::time::sleep(MIN_INTERVAL).await;
                (first, failed)
            }
        };
        let (newer, failed) = self.read(targets).await;
        if newer.targets_read == 0 {
            return Err(format!("direct scrape failed for every target: {}", failed.join("; ")));
        }
        let metrics = rates(&older, &newer, environment);
        *self.previous.lock().map_err(|_| "scrape state poisoned")? = Some(newer.clone());
        let mut targets_failed = failed;
        for f in failed_first {
            if !targets_failed.contains(&f) {
                targets_failed.push(f);
            }
        }
        Ok(ScrapeReport { metrics, targets_read: newer.targets_read, targets_failed })
    }

    async fn read(&self, targets: &[String]) -> (Reading, Vec<String>) {
        let at = Utc::now();
        let pages = futures::future::join_all(targets.iter().map(|t| self.scrape_one(t))).await;
        let mut counters: HashMap<(String, String), Counters> = HashMap::new();
        let mut failed = Vec::new();
        let mut read = 0;
        for (target, page) in targets.iter().zip(pages) {
            match page {
                Ok(text) => {
                    read += 1;
                    add_page(&text, &mut counters);
                }
                Err(e) => failed.push(format!("{target}: {e}")),
            }
        }
        (Reading { at, counters, targets_read: read }, failed)
    }

    async fn scrape_one(&self, target: &str) -> Result<String, String> {
        let cached = self.clients.lock().ok().and_then(|c| c.get(target).cloned());
        let client = match cached {
            Some(client) => client,
            None => {
                let endpoint = Endpoint { url: target.to_string(), ..Endpoint::default() };
                let client = ServerClient::new("target", &endpoint, Limits { retries: 0, ..self.limits })?;
                if let Ok(mut clients) = self.clients.lock() {
                    clients.insert(target.to_string(), client.clone());
                }
                client
            }
        };
        let bytes = client.get_exact("GET /metrics").await.map_err(|e| e.reason.to_string())?;
        String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
    }
}

/// Adds one exposition page's generic-preset counters into `into`.
fn add_page(text: &str, into: &mut HashMap<(String, String), Counters>) {
    let Ok(scrape) = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))) else { return };
    for sample in scrape.samples {
        let (Some(model), version) = (sample.labels.get("model"), sample.labels.get("version").unwrap_or("")) else {
            continue;
        };
        let key = (model.to_string(), version.to_string());
        match (sample.metric.as_str(), &sample.value) {
            ("model_requests_total", Value::Counter(v) | Value::Untyped(v)) => {
                let entry = into.entry(key).or_default();
                entry.requests += v;
                if sample.labels.get("outcome") == Some("error") {
                    entry.errors += v;
                }
            }
            ("model_request_duration_seconds", Value::Histogram(counts)) => {
                let entry = into.entry(key).or_default();
                for c in counts {
                    let slot = entry.buckets.entry(c.less_than.to_bits()).or_insert((c.less_than, 0.0));
                    slot.1 += c.count;
                }
            }
            _ => {}
        }
    }
}

/// Per-second increases between two readings. A counter that went down was
/// reset (a restarted server): its new value is all increase, as in PromQL.
fn rates(older: &Reading, newer: &Reading, environment: Option<&str>) -> FleetMetrics {
    let seconds = (newer.at - older.at).num_milliseconds().max(1) as f64 / 1000.0;
    let increase = |new: f64, old: Option<f64>| match old {
        Some(old) if new >= old => new - old,
        _ if old.is_some() => new,
        _ => 0.0,
    };
    let mut models: BTreeMap<String, ModelMetrics> = BTreeMap::new();
    let mut model_buckets: HashMap<String, BTreeMap<u64, (f64, f64)>> = HashMap::new();
    for ((model, version), now) in &newer.counters {
        let before = older.counters.get(&(model.clone(), version.clone()));
        // A version seen only once has no rate yet.
        let Some(before) = before else { continue };
        let requests = increase(now.requests, Some(before.requests)) / seconds;
        let errors = increase(now.errors, Some(before.errors)) / seconds;
        let mut buckets = Vec::new();
        for (bits, (bound, count)) in &now.buckets {
            let old = before.buckets.get(bits).map(|(_, c)| *c);
            let delta = increase(*count, old);
            buckets.push(Bucket { upper_bound: *bound, cumulative_count: delta });
            let slot = model_buckets.entry(model.clone()).or_default().entry(*bits).or_insert((*bound, 0.0));
            slot.1 += delta;
        }
        let has_traffic = buckets.iter().any(|b| b.cumulative_count > 0.0);
        let entry = models.entry(model.clone()).or_insert_with(|| ModelMetrics {
            model: model.clone(),
            environment: environment.map(String::from),
            versions: Vec::new(),
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
            history: Vec::new(),
        });
        entry.versions.push(VersionMetrics {
            version: (!version.is_empty()).then(|| version.clone()),
            aliases: Vec::new(),
            requests_per_second: Some(requests),
            errors_per_second: Some(errors),
            latency_p50_seconds: if has_traffic { quantile(0.5, &buckets) } else { None },
            latency_p99_seconds: if has_traffic { quantile(0.99, &buckets) } else { None },
            latency_average_seconds: None,
        });
    }
    for (name, model) in models.iter_mut() {
        if let Some(b) = model_buckets.get(name) {
            let buckets: Vec<Bucket> =
                b.values().map(|(bound, c)| Bucket { upper_bound: *bound, cumulative_count: *c }).collect();
            if buckets.iter().any(|b| b.cumulative_count > 0.0) {
                model.latency_p50_seconds = quantile(0.5, &buckets);
                model.latency_p99_seconds = quantile(0.99, &buckets);
            }
        }
        model.versions.sort_by_key(|v| super::prometheus::fleet::version_order(&v.version));
    }
    FleetMetrics {
        at: newer.at,
        rate_window_seconds: seconds,
        history_step_seconds: 60.0,
        models: models.into_values().collect(),
        via: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ok: u64, failed: u64, fast: u64, slow: u64) -> String {
        format!(
            "# TYPE model_requests_total counter\n\
             model_requests_total{{model=\"fraud\",version=\"9\",outcome=\"success\"}} {ok}\n\
             model_requests_total{{model=\"fraud\",version=\"9\",outcome=\"error\"}} {failed}\n\
             # TYPE model_request_duration_seconds histogram\n\
             model_request_duration_seconds_bucket{{model=\"fraud\",version=\"9\",le=\"0.1\"}} {fast}\n\
             model_request_duration_seconds_bucket{{model=\"fraud\",version=\"9\",le=\"1\"}} {}\n\
             model_request_duration_seconds_bucket{{model=\"fraud\",version=\"9\",le=\"+Inf\"}} {}\n\
             model_request_duration_seconds_sum{{model=\"fraud\",version=\"9\"}} 1\n\
             model_request_duration_seconds_count{{model=\"fraud\",version=\"9\"}} {}\n",
            fast + slow,
            fast + slow,
            fast + slow
        )
    }

    fn reading(at: &str, pages: &[String]) -> Reading {
        let mut counters = HashMap::new();
        for p in pages {
            add_page(p, &mut counters);
        }
        Reading { at: at.parse().unwrap(), counters, targets_read: pages.len() }
    }

    #[test]
    fn rates_come_from_the_difference_of_two_scrapes_summed_over_replicas() {
        let older = reading("2026-11-20T14:00:00Z", &[page(100, 10, 100, 10), page(50, 0, 50, 0)]);
        let newer = reading("2026-11-20T14:00:10Z", &[page(190, 20, 180, 30), page(100, 0, 100, 0)]);
        let metrics = rates(&older, &newer, Some("prod"));
        let v = &metrics.models[0].versions[0];
        // (190+20+100) − (100+10+50) = 150 requests in 10 s.
        assert_eq!(v.requests_per_second, Some(15.0));
        assert_eq!(v.errors_per_second, Some(1.0));
        assert_eq!(metrics.models[0].environment.as_deref(), Some("prod"));
        assert!(v.latency_p99_seconds.unwrap() > 0.1);
    }

    #[test]
    fn a_restarted_server_counts_from_zero_not_negative() {
        let older = reading("2026-11-20T14:00:00Z", &[page(1000, 0, 1000, 0)]);
        let newer = reading("2026-11-20T14:00:10Z", &[page(30, 0, 30, 0)]);
        let metrics = rates(&older, &newer, None);
        assert_eq!(metrics.models[0].versions[0].requests_per_second, Some(3.0));
    }

    #[test]
    fn pages_without_model_metrics_add_nothing() {
        let mut counters = HashMap::new();
        add_page("# TYPE up gauge\nup 1\ngarbage line {{{\n", &mut counters);
        assert!(counters.is_empty());
    }
}
