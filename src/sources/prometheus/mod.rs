//! A client for Prometheus' HTTP API — and the servers that speak it
//! (Thanos, Mimir, Cortex, VictoriaMetrics): instant and range queries,
//! alerts, rules, targets and label values. Reads only.

pub mod api;
pub mod fleet;
pub mod model;
pub mod slo;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use self::api::{AlertsData, Envelope, QueryData, RuleAlert, RuleGroup, RulesData, Target, TargetsData};
use crate::config::Endpoint;
use crate::sources::http::{Limits, Reason, RequestError, ServerClient};

/// One series of an instant query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query, oldest point first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// The steps a range query was asked for: `points` instants `step` apart,
/// the last at the range's end. Answers skip steps with no data, so every
/// caller places points through this, never by position in the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepGrid {
    pub start: DateTime<Utc>,
    pub step: Duration,
    pub points: usize,
}

impl StepGrid {
    pub fn ending_at(end: DateTime<Utc>, step: Duration, points: usize) -> StepGrid {
        let back = chrono::Duration::from_std(step * (points.max(1) as u32 - 1)).unwrap_or_default();
        StepGrid { start: end - back, step, points: points.max(1) }
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.step * (self.points as u32 - 1)).unwrap_or_default()
    }

    /// The step nearest to `t` (Prometheus aligns points to start + k·step).
    pub fn slot(&self, t: DateTime<Utc>) -> Option<usize> {
        let step_ms = (self.step.as_millis() as i64).max(1);
        let i = ((t - self.start).num_milliseconds() + step_ms / 2).div_euclid(step_ms);
        usize::try_from(i).ok().filter(|i| *i < self.points)
    }

    /// The finite points of `series`, summed per step and multiplied by
    /// `scale`; steps without any point stay `None`.
    pub fn sum<'a>(&self, series: impl IntoIterator<Item = &'a Series>, scale: f64) -> Vec<Option<f64>> {
        let mut out = vec![None; self.points];
        for s in series {
            for (t, v) in &s.points {
                if let (Some(i), true) = (self.slot(*t), v.is_finite()) {
                    *out[i].get_or_insert(0.0) += v * scale;
                }
            }
        }
        out
    }
}

/// Queries longer than this go as a POST form: URLs that long are cut by
/// some proxies, and Prometheus accepts both.
const LONGEST_GET_QUERY: usize = 2000;
/// How much of a query is quoted in an error message.
const QUOTED_QUERY_CHARS: usize = 160;

#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: ServerClient,
}

impl PrometheusClient {
    pub fn new(endpoint: &Endpoint, limits: Limits) -> Result<Self, String> {
        let http = ServerClient::new("prometheus", endpoint, limits)?.with_api_errors(api::api_error);
        Ok(PrometheusClient { http })
    }

    /// `prometheus http://host:9090`.
    pub fn name(&self) -> &str {
        self.http.name()
    }

    pub fn http(&self) -> &ServerClient {
        &self.http
    }

    /// An instant query evaluated at `at` (the server's now when `None`).
    pub async fn query(&self, promql: &str, at: Option<DateTime<Utc>>) -> Result<Vec<Sample>, RequestError> {
        let mut params = vec![("query", promql.to_string())];
        if let Some(at) = at {
            params.push(("time", unix_seconds(at)));
        }
        let what = describe_query(promql);
        let data = self.read_query("api/v1/query", &params, &what).await?;
        match data {
            QueryData::Vector(samples) => {
                Ok(samples.into_iter().map(|s| Sample { value: s.value.value(), labels: s.metric }).collect())
            }
            QueryData::Scalar(point) => Ok(vec![Sample { labels: BTreeMap::new(), value: point.value() }]),
            other => Err(self.http.error(&what, unexpected("a vector", &other))),
        }
    }

    /// A range query over `[start, end]` every `step`.
    pub async fn query_range(
        &self,
        promql: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<Vec<Series>, RequestError> {
        let params = vec![
            ("query", promql.to_string()),
            ("start", unix_seconds(start)),
            ("end", unix_seconds(end)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        let what = format!("range {}", describe_query(promql));
        match self.read_query("api/v1/query_range", &params, &what).await? {
            QueryData::Matrix(series) => Ok(series
                .into_iter()
                .map(|s| Series {
                    points: s.values.iter().filter_map(|p| Some((from_unix(p.0)?, p.value()))).collect(),
                    labels: s.metric,
                })
                .collect()),
            other => Err(self.http.error(&what, unexpected("a matrix", &other))),
        }
    }

    /// Alerts from Prometheus' own rule evaluation (pending and firing).
    pub async fn alerts(&self) -> Result<Vec<RuleAlert>, RequestError> {
        let data: AlertsData = self.read("api/v1/alerts", &[], "GET /api/v1/alerts").await?;
        Ok(data.alerts)
    }

    pub async fn rules(&self) -> Result<Vec<RuleGroup>, RequestError> {
        let data: RulesData = self.read("api/v1/rules", &[], "GET /api/v1/rules").await?;
        Ok(data.groups)
    }

    /// The active scrape targets (where the direct-scrape fallback goes).
    pub async fn targets(&self) -> Result<Vec<Target>, RequestError> {
        let data: TargetsData =
            self.read("api/v1/targets", &[("state", "active".to_string())], "GET /api/v1/targets").await?;
        Ok(data.active)
    }

    /// The values `label` takes, optionally only on series matching `matchers`.
    pub async fn label_values(&self, label: &str, matchers: &[&str]) -> Result<Vec<String>, RequestError> {
        let params: Vec<(&str, String)> = matchers.iter().map(|m| ("match[]", m.to_string())).collect();
        let path = format!("api/v1/label/{}/values", urlencode_segment(label));
        self.read(&path, &params, &format!("label values of {label}")).await
    }

    async fn read_query(&self, path: &str, params: &[(&str, String)], what: &str) -> Result<QueryData, RequestError> {
        let long = params.iter().map(|(_, v)| v.len()).sum::<usize>() > LONGEST_GET_QUERY;
        let bytes = if long {
            self.http.post_form(path, params, what).await?
        } else {
            self.http.get(path, params, what).await?
        };
        self.unwrap(&bytes, what)
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T, RequestError> {
        let bytes = self.http.get(path, params, what).await?;
        self.unwrap(&bytes, what)
    }

    fn unwrap<T: serde::de::DeserializeOwned>(&self, bytes: &[u8], what: &str) -> Result<T, RequestError> {
        let envelope: Envelope<T> = self.http.decode(bytes, what)?;
        for warning in &envelope.warnings {
            tracing::warn!(server = self.name(), what, warning = %warning, "prometheus warning");
        }
        if envelope.status != "success" {
            let reason = api::api_error(bytes).unwrap_or(Reason::Decode(format!("status {:?}", envelope.status)));
            return Err(self.http.error(what, reason));
        }
        envelope.data.ok_or_else(|| self.http.error(what, Reason::Decode("no `data` in a successful answer".into())))
    }
}

fn unexpected(wanted: &str, got: &QueryData) -> Reason {
    let kind = match got {
        QueryData::Vector(_) => "vector",
        QueryData::Matrix(_) => "matrix",
        QueryData::Scalar(_) => "scalar",
        QueryData::String(_) => "string",
    };
    Reason::Decode(format!("expected {wanted}, got a {kind}"))
}

/// `query sum by (model) (rate(…))`, shortened for messages.
fn describe_query(promql: &str) -> String {
    let flat: String = promql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut quoted: String = flat.chars().take(QUOTED_QUERY_CHARS).collect();
    if flat.chars().count() > QUOTED_QUERY_CHARS {
        quoted.push('…');
    }
    format!("query `{quoted}`")
}

/// Seconds since the epoch with millisecond precision, as Prometheus takes them.
pub fn unix_seconds(at: DateTime<Utc>) -> String {
    let millis = at.timestamp_millis();
    format!("{}.{:03}", millis.div_euclid(1000), millis.rem_euclid(1000))
}

fn from_unix(seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
}

fn urlencode_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_seconds_with_milliseconds() {
        let at = DateTime::parse_from_rfc3339("2026-11-20T14:00:00.250Z").unwrap().with_timezone(&Utc);
        assert_eq!(unix_seconds(at), "1795183200.250");
        assert_eq!(from_unix(1795183200.25), Some(at));
    }

    #[test]
    fn grid_places_points_by_time_and_leaves_gaps_empty() {
        let end = DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z").unwrap().with_timezone(&Utc);
        let grid = StepGrid::ending_at(end, Duration::from_secs(60), 4);
        assert_eq!(grid.end(), end);
        let at = |minutes_before: i64| end - chrono::Duration::minutes(minutes_before);
        let a = Series { labels: BTreeMap::new(), points: vec![(at(3), 1.0), (at(0), 2.0)] };
        let b = Series { labels: BTreeMap::new(), points: vec![(at(0), 3.0), (at(1), f64::NAN), (at(9), 7.0)] };
        assert_eq!(grid.sum([&a, &b], 10.0), [Some(10.0), None, None, Some(50.0)]);
        // A point a few milliseconds off its step still lands on it.
        assert_eq!(grid.slot(at(2) + chrono::Duration::milliseconds(3)), Some(1));
    }

    #[test]
    fn long_queries_are_shortened_in_messages() {
        let long = format!("sum by (model) (\n  rate(x[5m])\n) {}", "+ 1 ".repeat(100));
        let text = describe_query(&long);
        assert!(text.starts_with("query `sum by (model) ( rate(x[5m]) ) + 1"));
        assert!(text.ends_with("…`"));
    }
}
