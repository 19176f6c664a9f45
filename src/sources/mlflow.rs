//! The MLflow Model Registry over its REST API (`/api/2.0/mlflow/`), as a
//! [`RegistrySource`]. Reads are searches followed to their last page;
//! writes (aliases, tags) are single JSON requests, never retried. Every
//! MLflow error is quoted in MLflow's words (`error_code: message`).
//!
//! Listing costs two paged searches, not a request per model:
//! `registered-models/search` already carries each model's aliases, tags
//! and description (mlflow 3.17), and one `model-versions/search` with the
//! same filter returns the versions of every listed model.

mod filter;
mod wire;

use std::collections::HashSet;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::config::Endpoint;
use crate::core::registry::{RegisteredModel, RegistryWrite};
use crate::sources::http::{Limits, Reason, RequestError, ServerClient};
use crate::sources::{BoxFuture, RegistrySource, SourceError};

use wire::Page;

/// Every registry call lives under this path.
const API: &str = "api/2.0/mlflow/";

/// `registered-models/search` refuses more than 1000 per page. Versions
/// use the same size, so one answer stays around a megabyte.
const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone)]
pub struct MlflowRegistry {
    http: ServerClient,
    page_size: u32,
}

impl MlflowRegistry {
    pub fn new(endpoint: &Endpoint, limits: Limits) -> Result<MlflowRegistry, String> {
        let http = ServerClient::new("mlflow", endpoint, limits)?.with_api_errors(wire::api_error);
        Ok(MlflowRegistry { http, page_size: MAX_PAGE_SIZE })
    }

    /// Asks for `size` results per page (1..=1000): tests page through a
    /// few models instead of creating a thousand.
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// HTTP requests sent so far, every attempt counted.
    pub fn requests_sent(&self) -> u64 {
        self.http.requests_sent()
    }

    async fn list(&self, name_contains: Option<&str>) -> Result<Vec<RegisteredModel>, RequestError> {
        let needle = name_contains.filter(|n| !n.is_empty());
        let filter = needle.map(filter::name_contains);
        let what_models = match needle {
            Some(n) => format!("search registered models with names containing {n:?}"),
            None => "search registered models".to_string(),
        };
        let what_versions = match needle {
            Some(n) => format!("search versions of models with names containing {n:?}"),
            None => "search model versions".to_string(),
        };
        let (models, versions) = futures::join!(
            self.search_models(filter.as_deref(), &what_models),
            self.search_versions(filter.as_deref(), &what_versions)
        );
        // The filter may match more names than asked for (see `filter`).
        let keep = |name: &str| needle.is_none_or(|n| name.contains(n));
        Ok(wire::assemble(models?, versions?, keep))
    }

    async fn one(&self, name: &str) -> Result<RegisteredModel, RequestError> {
        let what_versions = format!("search versions of {name:?}");
        let versions_filter = filter::name_is(name);
        let (model, versions) =
            futures::join!(self.get_model(name), self.search_versions(Some(&versions_filter), &what_versions));
        let mut models = wire::assemble(vec![model?], versions?, |n| n == name);
        let what = format!("get registered model {name:?}");
        models.pop().ok_or_else(|| self.http.error(&what, Reason::Other("the answer is about another model".into())))
    }

    /// `registered-models/get`: the model, its aliases, tags and description.
    async fn get_model(&self, name: &str) -> Result<wire::Model, RequestError> {
        let what = format!("get registered model {name:?}");
        let query = [("name", name.to_string())];
        let bytes = self.http.get(&format!("{API}registered-models/get"), &query, &what).await?;
        Ok(self.http.decode::<wire::GetModel>(&bytes, &what)?.registered_model)
    }

    async fn search_models(&self, filter: Option<&str>, what: &str) -> Result<Vec<wire::Model>, RequestError> {
        let mut query = vec![("order_by", "name ASC".to_string())];
        query.extend(filter.map(|f| ("filter", f.to_string())));
        self.pages::<wire::ModelsPage>(&format!("{API}registered-models/search"), query, what).await
    }

    async fn search_versions(&self, filter: Option<&str>, what: &str) -> Result<Vec<wire::Version>, RequestError> {
        // A total order, so offset-based pages of a registry nobody is
        // changing neither skip nor repeat (repeats are dropped in `assemble`).
        let mut query = vec![("order_by", "name ASC".to_string()), ("order_by", "version_number DESC".to_string())];
        query.extend(filter.map(|f| ("filter", f.to_string())));
        self.pages::<wire::VersionsPage>(&format!("{API}model-versions/search"), query, what).await
    }

    /// Follows `next_page_token` until an answer has none.
    async fn pages<P: Page + DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        what: &str,
    ) -> Result<Vec<P::Item>, RequestError> {
        query.push(("max_results", self.page_size.to_string()));
        let mut items = Vec::new();
        let mut seen_tokens = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut page_query = query.clone();
            page_query.extend(token.take().map(|t| ("page_token", t)));
            let bytes = self.http.get(path, &page_query, what).await?;
            let (batch, next) = self.http.decode::<P>(&bytes, what)?.into_parts();
            items.extend(batch);
            match next.filter(|t| !t.is_empty()) {
                None => return Ok(items),
                // A server handing out a token twice would page forever.
                Some(t) if !seen_tokens.insert(t.clone()) => {
                    return Err(self.http.error(what, Reason::Other(format!("page token {t:?} came back twice"))));
                }
                Some(t) => token = Some(t),
            }
        }
    }

    /// A change: one JSON request, never retried; MLflow answers `{}`.
    async fn change(&self, method: Method, path: &str, body: serde_json::Value, what: &str) -> Result<(), SourceError> {
        self.http.send_json(method, &format!("{API}{path}"), Some(&body), what).await?;
        Ok(())
    }
}

/// The one mapping from a registry write to MLflow's request: used to send
/// it and to show it in plans and the audit log, so the two cannot differ.
fn write_request(write: &RegistryWrite) -> (Method, &'static str, serde_json::Value) {
    match write {
        RegistryWrite::SetAlias { model, alias, version } => {
            (Method::POST, "registered-models/alias", json!({"name": model, "alias": alias, "version": version}))
        }
        RegistryWrite::SetModelTag { model, key, value } => {
            (Method::POST, "registered-models/set-tag", json!({"name": model, "key": key, "value": value}))
        }
        RegistryWrite::DeleteModelTag { model, key } => {
            (Method::DELETE, "registered-models/delete-tag", json!({"name": model, "key": key}))
        }
        RegistryWrite::SetVersionTag { model, version, key, value } => (
            Method::POST,
            "model-versions/set-tag",
            json!({"name": model, "version": version, "key": key, "value": value}),
        ),
    }
}

impl MlflowRegistry {
    async fn write(&self, write: RegistryWrite) -> Result<(), SourceError> {
        let (method, path, body) = write_request(&write);
        self.change(method, path, body, &write.to_string()).await
    }
}

impl RegistrySource for MlflowRegistry {
    fn name(&self) -> String {
        self.http.name().to_string()
    }

    fn describe_write(&self, write: &RegistryWrite) -> String {
        let (method, path, body) = write_request(write);
        let url = self.http.url(&format!("{API}{path}")).map(|u| u.to_string()).unwrap_or_else(|_| path.to_string());
        format!("{method} {url} {body}")
    }

    fn models<'a>(
        &'a self,
        name_contains: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<RegisteredModel>, SourceError>> {
        Box::pin(async move { Ok(self.list(name_contains).await?) })
    }

    fn model<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<RegisteredModel, SourceError>> {
        Box::pin(async move { Ok(self.one(name).await?) })
    }

    fn set_alias<'a>(
        &'a self,
        model: &'a str,
        alias: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(self.write(RegistryWrite::SetAlias {
            model: model.into(),
            alias: alias.into(),
            version: version.into(),
        }))
    }

    fn set_model_tag<'a>(
        &'a self,
        model: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(self.write(RegistryWrite::SetModelTag { model: model.into(), key: key.into(), value: value.into() }))
    }

    /// MLflow answers `{}` for a tag that is not there (and an error for a
    /// model that is not), so nothing needs translating.
    fn delete_model_tag<'a>(&'a self, model: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(self.write(RegistryWrite::DeleteModelTag { model: model.into(), key: key.into() }))
    }

    fn set_version_tag<'a>(
        &'a self,
        model: &'a str,
        version: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(self.write(RegistryWrite::SetVersionTag {
            model: model.into(),
            version: version.into(),
            key: key.into(),
            value: value.into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode};

    use super::*;
    use crate::config::SecretRef;

    /// The only thing checked against a stand-in server: that the token
    /// configured for the endpoint is sent (real MLflow does not check auth).
    #[tokio::test]
    async fn a_configured_token_is_sent_as_a_bearer_header() {
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let record = Arc::clone(&seen);
        let app = axum::Router::new().fallback(move |headers: HeaderMap| {
            let record = Arc::clone(&record);
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
                record.lock().unwrap().push(auth);
                StatusCode::IM_A_TEAPOT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "t0ken-value\n").unwrap();
        let endpoint = Endpoint { url: url.clone(), token: Some(SecretRef::File(token_file)), ..Endpoint::default() };
        let registry = MlflowRegistry::new(&endpoint, Limits::default()).unwrap();
        let read = registry.model("m").await.unwrap_err();
        let write = registry.set_alias("m", "champion", "1").await.unwrap_err();
        server.abort();

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "a get, a versions search and a write");
        assert!(seen.iter().all(|h| h.as_deref() == Some("Bearer t0ken-value")), "{seen:?}");
        for error in [read, write] {
            assert!(error.to_string().contains("HTTP 418"), "{error}");
            assert!(!error.to_string().contains("t0ken"), "{error}");
        }
        assert_eq!(registry.name(), format!("mlflow {url}"));
    }
}
