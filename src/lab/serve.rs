//! `vigil lab serve`: the simulated fleet as a live exporter a real
//! Prometheus can scrape, and a small admin API that shifts its traffic the
//! way a serving gateway would.
//!
//! - `GET /metrics`: the text exposition of every counter, counted from the
//!   server's start (the scenario's anchor too, as in `vigil demo`).
//! - `GET /admin/traffic[?model=M]`: `{"models":[{"model":M,"weights":{"9":0.75,"10":0.25}}]}`.
//! - `POST /admin/traffic` `{"model":M,"weights":{"9":1.0,"10":0.0}}`: the new
//!   weights apply from now on; the answer is the weights now in force.
//! - `GET /healthz`: 200.
//!
//! Errors are JSON, `{"error": "..."}`. The clock is real time; tests of
//! the handlers give the server their own.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::counters::FleetCounters;
use super::exposition::{self, Encoder, Format, TEXT_CONTENT_TYPE};
use super::sim::Simulator;
use super::traffic;

/// Admin requests are a model name and a few weights: anything bigger is a mistake.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Where the server reads the time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The simulated fleet and its counters since the server started.
pub struct Lab {
    simulator: Simulator,
    counters: Mutex<FleetCounters>,
    clock: Clock,
}

impl Lab {
    /// Counting starts at the simulator's anchor: the server's start, where
    /// `vigil lab serve` puts it (scenario events sit at offsets from it).
    pub fn new(simulator: Simulator, clock: Clock) -> Lab {
        let counters = Mutex::new(FleetCounters::new(&simulator, simulator.options().anchor));
        Lab { simulator, counters, clock }
    }

    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// The exposition as of now: counts every tick that ended since the last scrape.
    pub fn scrape(&self) -> Vec<u8> {
        let now = (self.clock)();
        let mut counters = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counters.advance(&self.simulator, now);
        let mut encoder = Encoder::new(Vec::new(), Format::Text);
        exposition::write_fleet(&mut encoder, &self.simulator, &counters, now).expect("writing to memory cannot fail");
        encoder.finish().expect("writing to memory cannot fail")
    }

    /// The traffic weights of `model` (by index) now, of the versions that exist now.
    fn traffic(&self, model: usize, now: DateTime<Utc>) -> Traffic {
        let weights = traffic::weights_now(&self.simulator, model, now).into_iter().collect();
        Traffic { model: self.simulator.models()[model].name.clone(), weights }
    }

    /// Applies a shift from now on, or says what is wrong with it.
    fn shift(&self, shift: Shift) -> Result<Traffic, String> {
        let weights: Vec<(String, f64)> = shift.weights.into_iter().collect();
        let applied = traffic::shift(&self.simulator, &shift.model, &weights, (self.clock)())?;
        tracing::info!(model = %shift.model, weights = ?applied, "traffic shifted");
        Ok(Traffic { model: shift.model, weights: applied.into_iter().collect() })
    }
}

/// One model's traffic weights by version name.
#[derive(Debug, Serialize)]
struct Traffic {
    model: String,
    weights: BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
struct TrafficList {
    models: Vec<Traffic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Shift {
    model: String,
    weights: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
struct TrafficQuery {
    model: Option<String>,
}

/// The routes, for [`axum::serve`].
pub fn router(lab: Arc<Lab>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/admin/traffic", get(traffic).post(shift))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(lab)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    lab: Arc<Lab>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(lab)).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(lab): State<Arc<Lab>>) -> Response {
    // Thousands of models take a while to count: keep that off the event loop.
    match tokio::task::spawn_blocking(move || lab.scrape()).await {
        Ok(body) => ([(header::CONTENT_TYPE, TEXT_CONTENT_TYPE)], body).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("counting failed: {e}")),
    }
}

async fn traffic(State(lab): State<Arc<Lab>>, Query(query): Query<TrafficQuery>) -> Response {
    let now = (lab.clock)();
    let simulator = &lab.simulator;
    let models: Vec<usize> = match &query.model {
        Some(name) => match simulator.model_index(name) {
            Some(m) => vec![m],
            None => return error(StatusCode::BAD_REQUEST, format!("no model named {name}")),
        },
        None => (0..simulator.models().len()).collect(),
    };
    Json(TrafficList { models: models.into_iter().map(|m| lab.traffic(m, now)).collect() }).into_response()
}

async fn shift(State(lab): State<Arc<Lab>>, body: Result<Json<Shift>, JsonRejection>) -> Response {
    let Json(shift) = match body {
        Ok(body) => body,
        Err(rejection) => {
            // Too large and not JSON keep their own status; any other bad body is a 400.
            let status = match rejection.status() {
                s @ (StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE) => s,
                _ => StatusCode::BAD_REQUEST,
            };
            return error(status, rejection.body_text());
        }
    };
    match lab.shift(shift) {
        Ok(traffic) => Json(traffic).into_response(),
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Outcome;
    use crate::lab::fixtures::{bad_deploy, end as start};
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::atomic::{AtomicI64, Ordering};
    use tower::ServiceExt;

    /// A lab whose clock the test moves.
    fn lab() -> (Arc<Lab>, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(start().timestamp()));
        let clock_now = Arc::clone(&now);
        let clock: Clock =
            Arc::new(move || DateTime::<Utc>::from_timestamp(clock_now.load(Ordering::SeqCst), 0).unwrap());
        (Arc::new(Lab::new(bad_deploy(3), clock)), now)
    }

    async fn call(lab: &Arc<Lab>, request: Request<Body>) -> (StatusCode, String, Option<String>) {
        let response = router(Arc::clone(lab)).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap(), content_type)
    }

    fn get(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).unwrap()
    }

    fn post(body: impl Into<Body>) -> Request<Body> {
        Request::post("/admin/traffic").header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap()
    }

    #[tokio::test]
    async fn metrics_count_from_the_start() {
        let (lab, now) = lab();
        let (status, body, content_type) = call(&lab, get("/metrics")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type.as_deref(), Some(TEXT_CONTENT_TYPE));
        let zero = "model_requests_total{model=\"fraud-detector\",version=\"9\",outcome=\"success\"} 0\n";
        assert!(body.contains(zero), "{body}");
        now.fetch_add(95, Ordering::SeqCst);
        let (_, body, _) = call(&lab, get("/metrics")).await;
        let expected =
            lab.simulator().requests(0, 0, Outcome::Success, start(), start() + chrono::Duration::seconds(95));
        assert!(expected > 0);
        let line =
            format!("model_requests_total{{model=\"fraud-detector\",version=\"9\",outcome=\"success\"}} {expected}\n");
        assert!(body.contains(&line), "{body}");
        assert_eq!(call(&lab, get("/healthz")).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn traffic_is_read_and_shifted_from_now_on() {
        let (lab, now) = lab();
        let (status, body, _) = call(&lab, get("/admin/traffic?model=fraud-detector")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"models":[{"model":"fraud-detector","weights":{"10":0.25,"9":0.75}}]}"#);
        let (_, all, _) = call(&lab, get("/admin/traffic")).await;
        let all: serde_json::Value = serde_json::from_str(&all).unwrap();
        assert_eq!(all["models"].as_array().unwrap().len(), 3);

        now.fetch_add(7, Ordering::SeqCst);
        let (status, body, _) = call(&lab, post(r#"{"model":"fraud-detector","weights":{"9":3,"10":1}}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, r#"{"model":"fraud-detector","weights":{"10":0.25,"9":0.75}}"#);
        let (status, body, _) = call(&lab, post(r#"{"model":"fraud-detector","weights":{"9":1.0,"10":0.0}}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, r#"{"model":"fraud-detector","weights":{"10":0.0,"9":1.0}}"#);
        // The tick under way when the shift came keeps its traffic; later ones have none.
        let shifted = start() + chrono::Duration::seconds(7);
        let s = lab.simulator();
        assert!(s.requests(0, 1, Outcome::Success, start(), start() + chrono::Duration::seconds(15)) > 0);
        assert_eq!(
            s.requests(
                0,
                1,
                Outcome::Success,
                start() + chrono::Duration::seconds(15),
                shifted + chrono::Duration::hours(1)
            ),
            0
        );
    }

    #[tokio::test]
    async fn bad_shifts_are_refused_with_a_reason() {
        let (lab, _) = lab();
        let cases = [
            (post(r#"{"model":"nope","weights":{"9":1}}"#), StatusCode::BAD_REQUEST, "no model named nope"),
            (
                post(r#"{"model":"fraud-detector","weights":{"99":1}}"#),
                StatusCode::BAD_REQUEST,
                "fraud-detector has no version 99",
            ),
            (post(r#"{"model":"fraud-detector","weights":{"9":-1}}"#), StatusCode::BAD_REQUEST, "non-negative"),
            (post(r#"{"model":"fraud-detector","weights":{"9":0}}"#), StatusCode::BAD_REQUEST, "must not all be zero"),
            (post(r#"{"model":"fraud-detector","weights":{}}"#), StatusCode::BAD_REQUEST, "must not all be zero"),
            (post(r#"{"model":"fraud-detector"}"#), StatusCode::BAD_REQUEST, "weights"),
            (post(r#"{"model":"fraud-detector","weights":{"9":1},"extra":1}"#), StatusCode::BAD_REQUEST, "extra"),
            (post("{not json"), StatusCode::BAD_REQUEST, "JSON"),
            (
                post(format!(r#"{{"model":"{}","weights":{{}}}}"#, "x".repeat(MAX_BODY_BYTES))),
                StatusCode::PAYLOAD_TOO_LARGE,
                "length limit",
            ),
            (
                Request::post("/admin/traffic")
                    .body(Body::from(r#"{"model":"fraud-detector","weights":{"9":1}}"#))
                    .unwrap(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type",
            ),
            (get("/admin/traffic?model=nope"), StatusCode::BAD_REQUEST, "no model named nope"),
        ];
        for (request, status, message) in cases {
            let (got, body, content_type) = call(&lab, request).await;
            assert_eq!(got, status, "{body}");
            assert_eq!(content_type.as_deref(), Some("application/json"));
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(json["error"].as_str().unwrap().contains(message), "{body} lacks {message}");
        }
        let (_, body, _) = call(&lab, get("/admin/traffic?model=fraud-detector")).await;
        assert!(body.contains(r#""9":0.75"#), "refused shifts change nothing: {body}");
    }

    #[tokio::test]
    async fn versions_not_deployed_yet_are_neither_listed_nor_shifted() {
        let (lab, now) = lab();
        // Bad-deploy's canary arrives 15 minutes before the anchor.
        now.store(start().timestamp() - 20 * 60, Ordering::SeqCst);
        let (_, body, _) = call(&lab, get("/admin/traffic?model=fraud-detector")).await;
        assert_eq!(body, r#"{"models":[{"model":"fraud-detector","weights":{"9":1.0}}]}"#);
        let (status, body, _) = call(&lab, post(r#"{"model":"fraud-detector","weights":{"10":1}}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("version 10 of fraud-detector is not deployed yet"), "{body}");
    }
}
