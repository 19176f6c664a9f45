//! The one HTTP client every server client is built on: authentication,
//! TLS (rustls; verification always on, an extra CA and client certificates
//! on request), a tenant header, per-request timeouts, a cap on response
//! size, a bound on concurrent requests per server, and retries with
//! backoff and jitter — for idempotent reads only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Endpoint;
use crate::core::duration;
use crate::core::sanitize::sanitize;

/// How a client treats one server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The whole request, body included.
    pub timeout: Duration,
    /// Larger answers are refused, read no further than this.
    pub max_response_bytes: usize,
    /// Extra attempts for idempotent reads that failed in a way worth retrying.
    pub retries: u32,
    /// Requests in flight at once to this server.
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(10), max_response_bytes: 32 * 1024 * 1024, retries: 2, concurrency: 4 }
    }
}

/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// A server's `Retry-After` is honoured up to this, so a refresh never stalls.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// How much of an error body is quoted in the message.
const QUOTED_BODY_CHARS: usize = 300;

/// Why a request failed. The message names the server, what was asked and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{server}: {what}: {reason}")]
pub struct RequestError {
    /// `prometheus http://host:9090` — never with credentials.
    pub server: String,
    /// What was being asked: `query sum by (model) (…)`, `GET /api/v2/alerts`.
    pub what: String,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reason {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {}", duration::format(*.0))]
    Timeout(Duration),
    #[error("HTTP {code}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status { code: u16, body: String },
    #[error("answer larger than the {} MiB cap{}", limit / (1024 * 1024), declared.map(|d| format!(" (declared {d} bytes)")).unwrap_or_default())]
    TooLarge { limit: usize, declared: Option<u64> },
    #[error("answer cut off: {0}")]
    Body(String),
    #[error("malformed answer: {0}")]
    Decode(String),
    /// The server answered, and said the request was wrong (PromQL errors etc.).
    #[error("{kind}: {message}")]
    Api { kind: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl RequestError {
    /// What was asked and why it failed, without the server (for messages
    /// that already name it).
    pub fn detail(&self) -> String {
        format!("{}: {}", self.what, self.reason)
    }

    /// True when the server could not be reached at all (connection refused,
    /// DNS, timeout), as opposed to answering badly.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.reason, Reason::Connect(_) | Reason::Timeout(_))
    }
}

/// Reads a server's own error answer into a [`Reason`], when it is one.
pub type ApiErrorParser = fn(&[u8]) -> Option<Reason>;

/// A client for one configured server.
#[derive(Clone)]
pub struct ServerClient {
    base: Url,
    name: String,
    client: reqwest::Client,
    headers: HeaderMap,
    limits: Limits,
    permits: Arc<Semaphore>,
    /// Reads a server's own error format (Prometheus' `{"status":"error"}`)
    /// out of a failed answer, so the message quotes what the server said.
    api_errors: Option<ApiErrorParser>,
    /// HTTP requests sent (every attempt), for benchmarks and the log.
    sent: Arc<AtomicU64>,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers hold credentials: never printed.
        f.debug_struct("ServerClient").field("name", &self.name).field("limits", &self.limits).finish()
    }
}

impl ServerClient {
    /// Builds a client for `endpoint`. `kind` names the server in messages
    /// (`prometheus`, `alertmanager`). Secrets are read here, once.
    pub fn new(kind: &str, endpoint: &Endpoint, limits: Limits) -> Result<ServerClient, String> {
        let limits = Limits { timeout: endpoint.timeout.unwrap_or(limits.timeout), ..limits };
        let mut base = Url::parse(&endpoint.url).map_err(|e| format!("{kind} url {}: {e}", endpoint.url))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(format!(
                "{kind} url must not carry credentials; use username with password_env or password_file"
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let name = format!("{kind} {}", endpoint.url.trim_end_matches('/'));

        let mut headers = HeaderMap::new();
        if let Some(token) = &endpoint.token {
            let token = token.resolve().map_err(|e| format!("{kind} token: {e}"))?;
            headers.insert(AUTHORIZATION, sensitive(&format!("Bearer {}", token.expose()), kind)?);
        } else if let Some(user) = &endpoint.username {
            let password = match &endpoint.password {
                Some(p) => p.resolve().map_err(|e| format!("{kind} password: {e}"))?.expose().to_string(),
                None => String::new(),
            };
            use base64::Engine as _;
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            headers.insert(AUTHORIZATION, sensitive(&format!("Basic {pair}"), kind)?);
        }
        if let Some(tenant) = &endpoint.tenant {
            let value =
                HeaderValue::from_str(tenant).map_err(|_| format!("{kind} tenant: not a valid header value"))?;
            headers.insert(HeaderName::from_static("x-scope-orgid"), value);
        }

        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(3));
        if let Some(ca) = &endpoint.ca_file {
            let pem = std::fs::read(ca).map_err(|e| format!("{kind} ca_file {}: {e}", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{kind} ca_file {}: not PEM certificates: {e}", ca.display()))?;
            if certs.is_empty() {
                return Err(format!("{kind} ca_file {}: no certificates in it", ca.display()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        match (&endpoint.client_cert_file, &endpoint.client_key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = std::fs::read(cert).map_err(|e| format!("{kind} client_cert_file: {e}"))?;
                pem.push(b'\n');
                pem.extend(std::fs::read(key).map_err(|e| format!("{kind} client_key_file: {e}"))?);
                let identity =
                    reqwest::Identity::from_pem(&pem).map_err(|e| format!("{kind} client certificate: {e}"))?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => return Err(format!("{kind}: client_cert_file and client_key_file go together")),
        }
        let client = builder.build().map_err(|e| format!("{kind} client: {e}"))?;
        Ok(ServerClient {
            base,
            name,
            client,
            headers,
            permits: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
            api_errors: None,
            sent: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Uses `parse` to explain failed answers in the server's own words.
    pub fn with_api_errors(mut self, parse: ApiErrorParser) -> Self {
        self.api_errors = Some(parse);
        self
    }

    /// `prometheus http://host:9090`, for headers and messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// How many HTTP requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The URL of `path` (relative to the configured base, which may carry a
    /// path prefix such as `/prometheus/`).
    pub fn url(&self, path: &str) -> Result<Url, String> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| format!("{path}: {e}"))
    }

    /// A read: retried on connection failures and 429/502/503/504.
    pub async fn get(&self, path: &str, query: &[(&str, String)], what: &str) -> Result<Vec<u8>, RequestError> {
        self.send(Method::GET, path, query, Body::None, what, true).await
    }

    /// A read of exactly the configured URL (a scrape target's `/metrics`).
    pub async fn get_exact(&self, what: &str) -> Result<Vec<u8>, RequestError> {
        let mut url = self.base.clone();
        if url.path().len() > 1 {
            // `new` added a trailing slash for joining; a page wants it off.
            let path = url.path().trim_end_matches('/').to_string();
            url.set_path(&path);
        }
        self.send_to(Method::GET, url, &[], Body::None, what, true).await
    }

    /// A read sent as a form (Prometheus accepts long queries this way).
    pub async fn post_form(&self, path: &str, form: &[(&str, String)], what: &str) -> Result<Vec<u8>, RequestError> {
        let body = serde_urlencoded::to_string(form).map_err(|e| self.error(what, Reason::Other(e.to_string())))?;
        self.send(Method::POST, path, &[], Body::Form(body), what, true).await
    }

    /// A change (POST/PUT/DELETE with a JSON body): never retried, because
    /// repeating a change the server may already have made is not safe.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Vec<u8>, RequestError> {
        let body = Body::json(body);
        self.send(method, path, &[], body, what, false).await
    }

    /// A playbook's `http` step: any method to a full URL with its own
    /// headers and an optional JSON body. A change, so never retried.
    pub async fn send_to_url(
        &self,
        method: Method,
        url: Url,
        headers: &[(String, String)],
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Vec<u8>, RequestError> {
        let body = Body::json(body);
        let _permit = self.permits.acquire().await.map_err(|e| self.error(what, Reason::Other(e.to_string())))?;
        self.attempt(&method, &url, &[], headers, &body, what).await.map_err(|f| f.error)
    }

    /// Parses a JSON answer, naming the server and request when it is malformed.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, bytes: &[u8], what: &str) -> Result<T, RequestError> {
        serde_json::from_slice(bytes).map_err(|e| self.error(what, Reason::Decode(e.to_string())))
    }

    pub fn error(&self, what: &str, reason: Reason) -> RequestError {
        RequestError { server: self.name.clone(), what: what.to_string(), reason }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        what: &str,
        idempotent: bool,
    ) -> Result<Vec<u8>, RequestError> {
        let url = self.url(path).map_err(|e| self.error(what, Reason::Other(e)))?;
        self.send_to(method, url, query, body, what, idempotent).await
    }

    async fn send_to(
        &self,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Body,
        what: &str,
        idempotent: bool,
    ) -> Result<Vec<u8>, RequestError> {
        let _permit = self.permits.acquire().await.map_err(|e| self.error(what, Reason::Other(e.to_string())))?;
        let attempts = if idempotent { 1 + self.limits.retries } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(&method, &url, query, &[], &body, what).await;
            let wait = match &outcome {
                Err(Failure { retry: Some(wait), .. }) if attempt < attempts => *wait,
                _ => return outcome.map_err(|f| f.error),
            };
            let wait = wait.unwrap_or_else(|| backoff(attempt));
            tracing::debug!(server = %self.name, what, attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        query: &[(&str, String)],
        extra_headers: &[(String, String)],
        body: &Body,
        what: &str,
    ) -> Result<Vec<u8>, Failure> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut request = self.client.request(method.clone(), url.clone()).headers(self.headers.clone());
        for (name, value) in extra_headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if !query.is_empty() {
            request = request.query(query);
        }
        request = match body {
            Body::None => request,
            Body::Form(text) => request.header("content-type", "application/x-www-form-urlencoded").body(text.clone()),
            Body::Json(text) => request.header("content-type", "application/json").body(text.clone()),
        };
        let response = request.send().await.map_err(|e| self.transport_failure(what, e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let bytes = self.read_capped(response, what).await?;
        if status.is_success() {
            return Ok(bytes);
        }
        let retry = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
        )
        .then_some(retry_after);
        let reason = match self.api_errors.and_then(|parse| parse(&bytes)) {
            Some(reason) => reason,
            None => Reason::Status { code: status.as_u16(), body: quote_body(&bytes) },
        };
        Err(Failure { error: self.error(what, reason), retry })
    }

    /// Reads the body chunk by chunk and stops at the cap, so a runaway
    /// answer costs at most `max_response_bytes` of memory.
    async fn read_capped(&self, mut response: reqwest::Response, what: &str) -> Result<Vec<u8>, Failure> {
        let limit = self.limits.max_response_bytes;
        if let Some(declared) = response.content_length()
            && declared > limit as u64
        {
            return Err(Failure::fatal(self.error(what, Reason::TooLarge { limit, declared: Some(declared) })));
        }
        let mut bytes = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > limit {
                        return Err(Failure::fatal(self.error(what, Reason::TooLarge { limit, declared: None })));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(bytes),
                Err(e) if e.is_timeout() => {
                    return Err(Failure::fatal(self.error(what, Reason::Timeout(self.limits.timeout))));
                }
                Err(e) => return Err(Failure::fatal(self.error(what, Reason::Body(error_chain(&e))))),
            }
        }
    }

    fn transport_failure(&self, what: &str, e: reqwest::Error) -> Failure {
        if e.is_timeout() {
            // A slow server is not helped by asking again at once; the next
            // refresh will try.
            return Failure::fatal(self.error(what, Reason::Timeout(self.limits.timeout)));
        }
        let reason = Reason::Connect(error_chain(&e));
        Failure { error: self.error(what, reason), retry: e.is_connect().then_some(None) }
    }
}

enum Body {
    None,
    Form(String),
    Json(String),
}

impl Body {
    fn json(value: Option<&serde_json::Value>) -> Body {
        value.map_or(Body::None, |v| Body::Json(v.to_string()))
    }
}

/// One attempt's failure, and whether (and after how long) to try again.
struct Failure {
    error: RequestError,
    /// `Some(None)`: retry after the usual backoff; `Some(Some(d))`: after `d`.
    retry: Option<Option<Duration>>,
}

impl Failure {
    fn fatal(error: RequestError) -> Self {
        Failure { error, retry: None }
    }
}

/// Exponential backoff with jitter: attempt n waits between half and all of
/// base·2ⁿ⁻¹, so many consoles retrying together do not arrive in step.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE * 2u32.saturating_pow(attempt.saturating_sub(1).min(6));
    full / 2 + full.mul_f64(fastrand::f64() / 2.0)
}

/// The innermost cause is the informative one ("Connection refused (os
/// error 111)", "invalid peer certificate: UnknownIssuer"); the layers above
/// it only say which library noticed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut innermost = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        innermost = inner.to_string();
        source = inner.source();
    }
    sanitize(&innermost).into_owned()
}

pub(crate) fn quote_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let clean = sanitize(text.trim());
    let mut quoted: String = clean.chars().take(QUOTED_BODY_CHARS).collect();
    if clean.chars().count() > QUOTED_BODY_CHARS {
        quoted.push('…');
    }
    quoted
}

fn sensitive(value: &str, kind: &str) -> Result<HeaderValue, String> {
    let mut header =
        HeaderValue::from_str(value).map_err(|_| format!("{kind}: credentials contain characters not allowed"))?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_band() {
        for attempt in 1..=4 {
            let full = BACKOFF_BASE * 2u32.pow(attempt - 1);
            for _ in 0..50 {
                let wait = backoff(attempt);
                assert!(wait >= full / 2 && wait <= full, "attempt {attempt}: {wait:?}");
            }
        }
    }

    #[test]
    fn a_base_path_is_kept_when_joining() {
        let endpoint = Endpoint { url: "http://127.0.0.1:9/prom".into(), ..Endpoint::default() };
        let client = ServerClient::new("prometheus", &endpoint, Limits::default()).unwrap();
        assert_eq!(client.url("/api/v1/query").unwrap().as_str(), "http://127.0.0.1:9/prom/api/v1/query");
        assert_eq!(client.name(), "prometheus http://127.0.0.1:9/prom");
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        let endpoint = Endpoint { url: "http://user:pw@127.0.0.1:9".into(), ..Endpoint::default() };
        let error = ServerClient::new("prometheus", &endpoint, Limits::default()).unwrap_err();
        assert!(error.contains("must not carry credentials"), "{error}");
        assert!(!error.contains("pw"), "{error}");
    }

    #[test]
    fn error_bodies_are_sanitised_and_shortened() {
        let hostile = format!("\x1b]52;c;ZXZpbA==\x07bad\x1b[2J{}", "x".repeat(1000));
        let quoted = quote_body(hostile.as_bytes());
        assert!(!quoted.contains('\x1b') && !quoted.contains('\x07'));
        assert!(quoted.starts_with("bad"));
        assert_eq!(quoted.chars().count(), QUOTED_BODY_CHARS + 1);
    }
}
