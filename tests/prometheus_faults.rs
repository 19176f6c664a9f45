//! The Prometheus client against servers that misbehave: silence, errors,
//! garbage and floods. Each failure must come back as a clear error naming
//! the server and the query, within the configured limits.

mod support;

use std::time::Duration;

use support::faulty::{FaultyServer, Misbehaviour};
use vigil::config::Endpoint;
use vigil::sources::http::{Limits, Reason};
use vigil::sources::prometheus::PrometheusClient;

fn client(url: &str, limits: Limits) -> PrometheusClient {
    PrometheusClient::new(&Endpoint { url: url.to_string(), ..Endpoint::default() }, limits).unwrap()
}

fn quick() -> Limits {
    Limits { timeout: Duration::from_millis(500), max_response_bytes: 1024 * 1024, retries: 2, concurrency: 2 }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_without_retrying() {
    let server = FaultyServer::start(Misbehaviour::Silent).await;
    let error = client(&server.url, quick()).query("up", None).await.unwrap_err();
    assert_eq!(error.reason, Reason::Timeout(Duration::from_millis(500)));
    assert_eq!(error.to_string(), format!("prometheus {}: query `up`: no answer within 500ms", server.url));
    assert!(error.is_unreachable());
    assert_eq!(server.connections(), 1, "a timeout is not retried at once");
}

#[tokio::test]
async fn service_unavailable_is_retried_then_reported() {
    let server = FaultyServer::start(Misbehaviour::Status(503, "overloaded, try later".into())).await;
    let error = client(&server.url, quick()).query("up", None).await.unwrap_err();
    assert_eq!(error.reason, Reason::Status { code: 503, body: "overloaded, try later".into() });
    assert_eq!(server.connections(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn an_internal_error_is_not_retried() {
    let server = FaultyServer::start(Misbehaviour::Status(500, "boom".into())).await;
    let error = client(&server.url, quick()).query("up", None).await.unwrap_err();
    assert_eq!(error.to_string(), format!("prometheus {}: query `up`: HTTP 500: boom", server.url));
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_promql_error_is_quoted_from_the_server() {
    let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}"#;
    let server = FaultyServer::start(Misbehaviour::Status(400, body.into())).await;
    let error = client(&server.url, quick()).query("sum(", None).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("prometheus {}: query `sum(`: bad_data: 1:5: parse error: unclosed left parenthesis", server.url)
    );
}

#[tokio::test]
async fn malformed_json_is_reported_as_such() {
    let server = FaultyServer::start(Misbehaviour::Status(200, r#"{"status":"success","data":{"resultT"#.into())).await;
    let error = client(&server.url, quick()).query("up", None).await.unwrap_err();
    assert!(matches!(error.reason, Reason::Decode(_)), "{error}");
    assert!(error.to_string().contains("malformed answer"), "{error}");
}

#[tokio::test]
async fn a_huge_answer_is_cut_off_at_the_cap_without_reading_it_all() {
    let flood = 200 * 1024 * 1024;
    let server = FaultyServer::start(Misbehaviour::Huge { bytes: flood, declared: false }).await;
    let limits = Limits { timeout: Duration::from_secs(60), ..quick() };
    let error = client(&server.url, limits).query("up", None).await.unwrap_err();
    assert_eq!(error.reason, Reason::TooLarge { limit: 1024 * 1024, declared: None });
    // The client hung up near the cap; the socket buffers let a little more through.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.bytes_sent() < flood / 4, "sent {} bytes before the client hung up", server.bytes_sent());
}

#[tokio::test]
async fn a_declared_huge_answer_is_refused_before_reading() {
    let server = FaultyServer::start(Misbehaviour::Huge { bytes: 200 * 1024 * 1024, declared: true }).await;
    let error = client(&server.url, quick()).query("up", None).await.unwrap_err();
    assert_eq!(error.reason, Reason::TooLarge { limit: 1024 * 1024, declared: Some(200 * 1024 * 1024) });
    assert!(error.to_string().ends_with("answer larger than the 1 MiB cap (declared 209715200 bytes)"), "{error}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let error = client(&url, quick()).query("up", None).await.unwrap_err();
    assert!(error.is_unreachable(), "{error}");
    assert_eq!(
        error.to_string(),
        format!("prometheus {url}: query `up`: cannot connect: Connection refused (os error 111)")
    );
}
