//! A traffic gateway over HTTP, speaking the lab's small protocol (see
//! `crate::lab::serve`): `GET /admin/traffic?model=M` reads a model's
//! weights, `POST /admin/traffic {"model":M,"weights":{"9":1.0}}` sets them
//! and answers with the weights in force. Errors are `{"error": "..."}`.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;

use crate::config::Endpoint;
use crate::core::registry::compare_versions;
use crate::core::sanitize::sanitize;
use crate::sources::http::{Limits, Reason, ServerClient};
use crate::sources::{BoxFuture, SourceError, TrafficControl};

const PATH: &str = "admin/traffic";

pub struct HttpGateway {
    client: ServerClient,
}

#[derive(Debug, Deserialize)]
struct TrafficList {
    models: Vec<Traffic>,
}

#[derive(Debug, Deserialize)]
struct Traffic {
    model: String,
    weights: BTreeMap<String, f64>,
}

/// The gateway's own error answer, quoted instead of the raw body.
fn gateway_error(body: &[u8]) -> Option<Reason> {
    #[derive(Deserialize)]
    struct Answer {
        error: String,
    }
    let answer: Answer = serde_json::from_slice(body).ok()?;
    Some(Reason::Api { kind: "refused".into(), message: sanitize(&answer.error).into_owned() })
}

impl HttpGateway {
    pub fn new(endpoint: &Endpoint, limits: Limits) -> Result<HttpGateway, String> {
        Ok(HttpGateway {
            client: ServerClient::new("traffic gateway", endpoint, limits)?.with_api_errors(gateway_error),
        })
    }

    /// Weights as shares in version order, names cleaned; a share that is
    /// not a number from 0 to 1 means the answer cannot be trusted.
    fn shares(&self, traffic: Traffic, what: &str) -> Result<Vec<(String, f64)>, SourceError> {
        let mut weights = Vec::with_capacity(traffic.weights.len());
        for (version, share) in traffic.weights {
            if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
                let reason = Reason::Decode(format!("weight {share} of version {} is not a share", sanitize(&version)));
                return Err(self.client.error(what, reason).into());
            }
            weights.push((sanitize(&version).into_owned(), share));
        }
        weights.sort_by(|a, b| compare_versions(&a.0, &b.0));
        Ok(weights)
    }
}

impl TrafficControl for HttpGateway {
    fn name(&self) -> String {
        self.client.name().to_string()
    }

    fn weights<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>> {
        Box::pin(async move {
            let what = format!("GET /{PATH}?model={}", sanitize(model));
            let bytes = self.client.get(PATH, &[("model", model.to_string())], &what).await?;
            let list: TrafficList = self.client.decode(&bytes, &what)?;
            let Some(traffic) = list.models.into_iter().find(|t| t.model == model) else {
                let reason = Reason::Decode(format!("the answer has no weights for {}", sanitize(model)));
                return Err(self.client.error(&what, reason).into());
            };
            self.shares(traffic, &what)
        })
    }

    fn set_weights<'a>(
        &'a self,
        model: &'a str,
        weights: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<Vec<(String, f64)>, SourceError>> {
        Box::pin(async move {
            let what = format!("POST /{PATH} {}", sanitize(model));
            let mut body = serde_json::Map::new();
            for (version, weight) in weights {
                // A JSON object keeps one of two equal keys: refuse rather than guess which.
                if body.contains_key(version) {
                    let reason = Reason::Other(format!("version {} is given twice", sanitize(version)));
                    return Err(self.client.error(&what, reason).into());
                }
                body.insert(version.clone(), serde_json::json!(weight));
            }
            let request = serde_json::json!({ "model": model, "weights": body });
            let bytes = self.client.send_json(Method::POST, PATH, Some(&request), &what).await?;
            let traffic: Traffic = self.client.decode(&bytes, &what)?;
            self.shares(traffic, &what)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::fixtures::{bad_deploy, end};
    use crate::lab::serve::{self, Lab};
    use std::sync::Arc;
    use std::time::Duration;

    /// The lab's real router on a loopback port, its clock at the anchor.
    async fn gateway() -> (HttpGateway, Arc<Lab>) {
        let lab = Arc::new(Lab::new(bad_deploy(3), Arc::new(end)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve::serve(listener, Arc::clone(&lab), std::future::pending()));
        let endpoint = Endpoint { url, ..Endpoint::default() };
        (HttpGateway::new(&endpoint, Limits::default()).unwrap(), lab)
    }

    fn pairs(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(v, w)| (v.to_string(), *w)).collect()
    }

    #[tokio::test]
    async fn reads_and_shifts_the_weights_of_the_lab_gateway() {
        let (gateway, lab) = gateway().await;
        assert!(gateway.name().starts_with("traffic gateway http://127.0.0.1:"));
        assert_eq!(gateway.weights("fraud-detector").await.unwrap(), pairs(&[("9", 0.75), ("10", 0.25)]));
        let applied = gateway.set_weights("fraud-detector", &pairs(&[("9", 3.0), ("10", 1.0)])).await.unwrap();
        assert_eq!(applied, pairs(&[("9", 0.75), ("10", 0.25)]));
        let applied = gateway.set_weights("fraud-detector", &pairs(&[("9", 1.0), ("10", 0.0)])).await.unwrap();
        assert_eq!(applied, pairs(&[("9", 1.0), ("10", 0.0)]));
        assert_eq!(gateway.weights("fraud-detector").await.unwrap(), applied);
        // The change reached the simulator behind the server.
        assert_eq!(lab.simulator().weights_at(0, end()), pairs(&[("9", 1.0), ("10", 0.0)]));
    }

    #[tokio::test]
    async fn the_gateways_refusals_are_quoted_and_nothing_is_sent_twice() {
        let (gateway, lab) = gateway().await;
        let error = gateway.set_weights("fraud-detector", &pairs(&[("99", 1.0)])).await.unwrap_err();
        assert!(error.source_name.starts_with("traffic gateway http://127.0.0.1:"), "{error}");
        assert_eq!(error.message, "POST /admin/traffic fraud-detector: refused: fraud-detector has no version 99");
        let error = gateway.weights("nope").await.unwrap_err();
        assert_eq!(error.message, "GET /admin/traffic?model=nope: refused: no model named nope");
        let error = gateway.set_weights("fraud-detector", &pairs(&[("9", 1.0), ("9", 0.0)])).await.unwrap_err();
        assert!(error.message.ends_with("version 9 is given twice"), "{error}");
        assert_eq!(lab.simulator().weights_at(0, end()), pairs(&[("9", 0.75), ("10", 0.25)]), "nothing changed");
    }

    #[tokio::test]
    async fn an_unreachable_gateway_is_named_with_why() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let endpoint = Endpoint { url: format!("http://127.0.0.1:{port}"), ..Endpoint::default() };
        let limits = Limits { retries: 0, timeout: Duration::from_secs(2), ..Limits::default() };
        let gateway = HttpGateway::new(&endpoint, limits).unwrap();
        let error = gateway.weights("fraud-detector").await.unwrap_err();
        assert!(error.message.contains("cannot connect"), "{error}");
        let error = gateway.set_weights("fraud-detector", &pairs(&[("9", 1.0)])).await.unwrap_err();
        assert!(error.message.starts_with("POST /admin/traffic fraud-detector: cannot connect"), "{error}");
    }

    #[test]
    fn a_share_out_of_range_is_a_malformed_answer() {
        let endpoint = Endpoint { url: "http://127.0.0.1:9".into(), ..Endpoint::default() };
        let gateway = HttpGateway::new(&endpoint, Limits::default()).unwrap();
        let traffic = Traffic { model: "m".into(), weights: [("1".to_string(), 1.5)].into() };
        let error = gateway.shares(traffic, "GET /admin/traffic?model=m").unwrap_err();
        assert!(error.message.contains("malformed answer: weight 1.5 of version 1 is not a share"), "{error}");
    }
}
