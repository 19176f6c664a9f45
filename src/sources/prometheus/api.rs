//! The shapes of Prometheus' HTTP API answers (`/api/v1/...`), parsed
//! leniently where servers differ (Thanos, Mimir and VictoriaMetrics add
//! fields) and strictly where vigil relies on a value.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::core::sanitize::sanitize;
use crate::sources::http::{Reason, quote_body};

/// Every answer is wrapped: `{"status": "success", "data": …}` or
/// `{"status": "error", "errorType": …, "error": …}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub status: String,
    pub data: Option<T>,
    #[serde(rename = "errorType")]
    pub error_type: Option<String>,
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorOnly {
    status: String,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

/// Reads `{"status":"error"}` out of a failed answer (HTTP 400, 422, 503 …).
pub fn api_error(bytes: &[u8]) -> Option<Reason> {
    let parsed: ErrorOnly = serde_json::from_slice(bytes).ok()?;
    (parsed.status == "error").then(|| Reason::Api {
        kind: sanitize(parsed.error_type.as_deref().unwrap_or("error")).into_owned(),
        message: quote_body(parsed.error.unwrap_or_default().as_bytes()),
    })
}

/// `data` of an instant or range query.
#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryData {
    Vector(Vec<InstantSample>),
    Matrix(Vec<RangeSamples>),
    Scalar(Point),
    String(Point),
}

#[derive(Debug, Deserialize)]
pub struct InstantSample {
    pub metric: BTreeMap<String, String>,
    pub value: Point,
}

#[derive(Debug, Deserialize)]
pub struct RangeSamples {
    pub metric: BTreeMap<String, String>,
    pub values: Vec<Point>,
}

/// `[1700000000.5, "1.25"]`: the time in seconds and the value as a string
/// (so NaN and ±Inf survive JSON).
#[derive(Debug, Clone, Deserialize)]
pub struct Point(pub f64, pub String);

impl Point {
    pub fn value(&self) -> f64 {
        parse_value(&self.1)
    }
}

/// Prometheus writes `NaN`, `+Inf`, `-Inf` and decimal numbers.
pub fn parse_value(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// `/api/v1/alerts`.
#[derive(Debug, Deserialize)]
pub struct AlertsData {
    pub alerts: Vec<RuleAlert>,
}

/// An alert as Prometheus' rule evaluation sees it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RuleAlert {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `pending` or `firing`.
    pub state: String,
    #[serde(rename = "activeAt")]
    pub active_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub value: String,
}

/// `/api/v1/rules`.
#[derive(Debug, Deserialize)]
pub struct RulesData {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    #[serde(default)]
    pub file: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Rule {
    pub name: String,
    pub query: String,
    /// `alerting` or `recording`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub health: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Alerting rules only: `inactive`, `pending` or `firing`.
    pub state: Option<String>,
    #[serde(default)]
    pub alerts: Vec<RuleAlert>,
    #[serde(rename = "lastError")]
    pub last_error: Option<String>,
}

/// `/api/v1/targets`.
#[derive(Debug, Deserialize)]
pub struct TargetsData {
    #[serde(rename = "activeTargets", default)]
    pub active: Vec<Target>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Target {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "scrapeUrl")]
    pub scrape_url: String,
    #[serde(rename = "scrapePool", default)]
    pub scrape_pool: String,
    /// `up`, `down` or `unknown`.
    pub health: String,
    #[serde(rename = "lastError", default)]
    pub last_error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values_parse() {
        assert!(parse_value("NaN").is_nan());
        assert_eq!(parse_value("+Inf"), f64::INFINITY);
        assert_eq!(parse_value("-Inf"), f64::NEG_INFINITY);
        assert_eq!(parse_value("1.5e-3"), 0.0015);
    }

    #[test]
    fn query_answers_parse_in_every_result_type() {
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"model":"a"},"value":[1700000000.500,"2"]}]}}"#;
        let parsed: Envelope<QueryData> = serde_json::from_str(vector).unwrap();
        match parsed.data.unwrap() {
            QueryData::Vector(samples) => {
                assert_eq!(samples[0].metric["model"], "a");
                assert_eq!(samples[0].value.value(), 2.0);
            }
            other => panic!("{other:?}"),
        }
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000060,"NaN"]]}]}}"#;
        let parsed: Envelope<QueryData> = serde_json::from_str(matrix).unwrap();
        assert!(matches!(parsed.data.unwrap(), QueryData::Matrix(m) if m[0].values.len() == 2));
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1795430670.112,"1"]}}"#;
        let parsed: Envelope<QueryData> = serde_json::from_str(scalar).unwrap();
        assert!(matches!(parsed.data.unwrap(), QueryData::Scalar(p) if p.value() == 1.0));
    }

    #[test]
    fn error_answers_quote_the_server_sanitised() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis\u001b[31m"}"#;
        let reason = api_error(body).unwrap();
        assert_eq!(
            reason.to_string(),
            "bad_data: invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"
        );
        assert!(api_error(b"<html>502 Bad Gateway</html>").is_none());
    }
}
