//! A client for Alertmanager's v2 API: alerts (active, silenced, inhibited)
//! and silences. Creating and expiring a silence are changes: the callers
//! go through the read-only gate and confirmation before they get here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::config::Endpoint;
use crate::sources::http::{Limits, Reason, RequestError, ServerClient};

/// An alert as Alertmanager holds it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Alert {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "endsAt")]
    pub ends_at: Option<DateTime<Utc>>,
    pub fingerprint: String,
    pub status: AlertStatus,
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertStatus {
    /// `active`, `suppressed` (silenced or inhibited) or `unprocessed`.
    pub state: String,
    #[serde(rename = "silencedBy", default)]
    pub silenced_by: Vec<String>,
    #[serde(rename = "inhibitedBy", default)]
    pub inhibited_by: Vec<String>,
}

impl Alert {
    pub fn is_silenced(&self) -> bool {
        !self.status.silenced_by.is_empty()
    }
    pub fn is_inhibited(&self) -> bool {
        !self.status.inhibited_by.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(rename = "isRegex")]
    pub is_regex: bool,
    /// `false` for `!=` / `!~`; absent in answers from old servers (= true).
    #[serde(rename = "isEqual", default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (false, true) => "!~",
        };
        write!(f, "{}{op}{:?}", self.name, self.value)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Silence {
    pub id: String,
    pub status: SilenceStatus,
    pub matchers: Vec<Matcher>,
    #[serde(rename = "startsAt")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "endsAt")]
    pub ends_at: DateTime<Utc>,
    #[serde(rename = "createdBy", default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    pub state: String,
}

/// What a new silence says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    #[serde(rename = "startsAt")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "endsAt")]
    pub ends_at: DateTime<Utc>,
    #[serde(rename = "createdBy")]
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: ServerClient,
}

impl AlertmanagerClient {
    pub fn new(endpoint: &Endpoint, limits: Limits) -> Result<Self, String> {
        Ok(AlertmanagerClient { http: ServerClient::new("alertmanager", endpoint, limits)? })
    }

    pub fn name(&self) -> &str {
        self.http.name()
    }

    /// Every alert: active, silenced, inhibited and unprocessed.
    pub async fn alerts(&self) -> Result<Vec<Alert>, RequestError> {
        let params = [
            ("active", "true".to_string()),
            ("silenced", "true".to_string()),
            ("inhibited", "true".to_string()),
            ("unprocessed", "true".to_string()),
        ];
        let what = "GET /api/v2/alerts";
        let bytes = self.http.get("api/v2/alerts", &params, what).await?;
        self.http.decode(&bytes, what)
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, RequestError> {
        let what = "GET /api/v2/silences";
        let bytes = self.http.get("api/v2/silences", &[], what).await?;
        self.http.decode(&bytes, what)
    }

    /// Creates a silence and returns its id. Never retried.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<String, RequestError> {
        let what = "POST /api/v2/silences";
        if silence.matchers.is_empty() {
            return Err(self.http.error(what, Reason::Other("a silence needs at least one matcher".into())));
        }
        let body = serde_json::to_value(silence).map_err(|e| self.http.error(what, Reason::Other(e.to_string())))?;
        let bytes = self.http.send_json(Method::POST, "api/v2/silences", Some(&body), what).await?;
        let created: Created = self.http.decode(&bytes, what)?;
        Ok(created.silence_id)
    }

    /// Expires a silence now. Never retried.
    pub async fn expire_silence(&self, id: &str) -> Result<(), RequestError> {
        let what = format!("DELETE /api/v2/silence/{id}");
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(self.http.error(&what, Reason::Other("not a silence id".into())));
        }
        self.http.send_json(Method::DELETE, &format!("api/v2/silence/{id}"), None, &what).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_parse_as_alertmanager_025_writes_them() {
        let body = r#"[{"annotations":{"summary":"errors"},"endsAt":"2026-11-20T14:05:00.000Z","fingerprint":"5f1b","receivers":[{"name":"null"}],"startsAt":"2026-11-20T13:58:00.000Z","status":{"inhibitedBy":[],"silencedBy":["0a1b"],"state":"suppressed"},"updatedAt":"2026-11-20T14:00:00.000Z","generatorURL":"http://p/graph","labels":{"alertname":"ModelErrors","model":"fraud-detector"}}]"#;
        let alerts: Vec<Alert> = serde_json::from_str(body).unwrap();
        assert_eq!(alerts[0].labels["model"], "fraud-detector");
        assert!(alerts[0].is_silenced());
        assert!(!alerts[0].is_inhibited());
    }

    #[test]
    fn matchers_print_like_promql() {
        assert_eq!(Matcher::equal("model", "fraud").to_string(), "model=\"fraud\"");
        let not_regex = Matcher { name: "env".into(), value: "dev|test".into(), is_regex: true, is_equal: false };
        assert_eq!(not_regex.to_string(), "env!~\"dev|test\"");
    }
}
