//! The JSON MLflow's registry API answers with (checked against mlflow
//! 3.17), and its mapping onto [`crate::core::registry`]. Empty lists and
//! empty strings are left out of MLflow's answers, so every field has a
//! default; numbers are accepted as JSON numbers or strings because
//! protobuf-to-JSON writers differ on 64-bit integers.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::core::registry::{ModelVersion, RegisteredModel, VersionStatus};
use crate::core::sanitize::sanitize;
use crate::sources::http::{Reason, quote_body};

/// One page of a search answer and the token of the next, if any.
pub trait Page {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

#[derive(Debug, Deserialize)]
pub struct ModelsPage {
    #[serde(default)]
    registered_models: Vec<Model>,
    next_page_token: Option<String>,
}

impl Page for ModelsPage {
    type Item = Model;
    fn into_parts(self) -> (Vec<Model>, Option<String>) {
        (self.registered_models, self.next_page_token)
    }
}

#[derive(Debug, Deserialize)]
pub struct VersionsPage {
    #[serde(default)]
    model_versions: Vec<Version>,
    next_page_token: Option<String>,
}

impl Page for VersionsPage {
    type Item = Version;
    fn into_parts(self) -> (Vec<Version>, Option<String>) {
        (self.model_versions, self.next_page_token)
    }
}

/// `registered-models/get`.
#[derive(Debug, Deserialize)]
pub struct GetModel {
    pub registered_model: Model,
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub name: String,
    #[serde(default, deserialize_with = "opt_i64")]
    creation_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    last_updated_timestamp: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    aliases: Vec<Alias>,
}

#[derive(Debug, Deserialize)]
pub struct Version {
    pub name: String,
    #[serde(deserialize_with = "text")]
    version: String,
    #[serde(default, deserialize_with = "opt_i64")]
    creation_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    last_updated_timestamp: Option<i64>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    current_stage: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    run_link: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tag {
    key: String,
    #[serde(default)]
    value: String,
}

#[derive(Debug, Deserialize)]
struct Alias {
    alias: String,
    #[serde(deserialize_with = "text")]
    version: String,
}

/// MLflow's error body: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": …}`.
#[derive(Debug, Deserialize)]
struct ApiError {
    error_code: String,
    #[serde(default)]
    message: String,
}

/// Quotes MLflow's own `error_code` and `message` from a failed answer.
/// Both are cleaned: messages repeat names, which may hold escape sequences.
pub fn api_error(bytes: &[u8]) -> Option<Reason> {
    let parsed: ApiError = serde_json::from_slice(bytes).ok()?;
    Some(Reason::Api {
        kind: sanitize(&parsed.error_code).into_owned(),
        message: quote_body(parsed.message.as_bytes()),
    })
}

impl Model {
    /// The model without versions (they come from a separate search).
    pub fn into_registered(self) -> RegisteredModel {
        RegisteredModel {
            name: self.name,
            description: non_empty(self.description),
            created_ms: self.creation_timestamp,
            updated_ms: self.last_updated_timestamp,
            tags: tags(self.tags),
            aliases: self.aliases.into_iter().map(|a| (a.alias, a.version)).collect(),
            versions: Vec::new(),
        }
    }
}

impl Version {
    pub fn into_version(self) -> ModelVersion {
        ModelVersion {
            version: self.version,
            created_ms: self.creation_timestamp,
            updated_ms: self.last_updated_timestamp,
            user_id: non_empty(self.user_id),
            stage: non_empty(self.current_stage),
            // Never assume READY when the server did not say: a rollback
            // looks for READY versions.
            status: self.status.as_deref().map_or(VersionStatus::Other("UNKNOWN".into()), VersionStatus::parse),
            status_message: non_empty(self.status_message),
            description: non_empty(self.description),
            source: non_empty(self.source),
            run_id: non_empty(self.run_id),
            run_link: non_empty(self.run_link),
            tags: tags(self.tags),
            aliases: Vec::new(),
        }
    }
}

/// Puts each model's versions under it (`keep` says which models were
/// asked for) and normalises every model. Versions of models not listed —
/// created between the two searches, or only near the filter — are
/// dropped; a version listed twice (a page boundary moved under
/// concurrent writes) is kept once. Sorted by name.
pub fn assemble(models: Vec<Model>, versions: Vec<Version>, keep: impl Fn(&str) -> bool) -> Vec<RegisteredModel> {
    let mut by_name: BTreeMap<String, RegisteredModel> = BTreeMap::new();
    for model in models.into_iter().filter(|m| keep(&m.name)) {
        by_name.insert(model.name.clone(), model.into_registered());
    }
    for version in versions {
        if let Some(model) = by_name.get_mut(&version.name)
            && model.version(&version.version).is_none()
        {
            model.versions.push(version.into_version());
        }
    }
    let mut out: Vec<RegisteredModel> = by_name.into_values().collect();
    for model in &mut out {
        model.normalise();
    }
    out
}

fn tags(tags: Vec<Tag>) -> BTreeMap<String, String> {
    tags.into_iter().map(|t| (t.key, t.value)).collect()
}

/// MLflow sends "" for a field that was never set.
fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => n.to_string(),
        NumberOrText::Text(t) => t,
    })
}

fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) => {
            t.parse().map(Some).map_err(|_| serde::de::Error::custom(format!("not a timestamp: {t:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As mlflow 3.17 answers `model-versions/search` (an empty field is left out).
    const VERSIONS: &str = r#"{"model_versions": [
        {"name": "fraud", "version": "10", "creation_timestamp": 1795438864464,
         "last_updated_timestamp": 1795438864470, "current_stage": "None", "description": "",
         "source": "s3://bucket/m/10", "run_id": "", "status": "READY", "run_link": "",
         "tags": [{"key": "owner", "value": "risk"}]},
        {"name": "fraud", "version": 9, "creation_timestamp": "1795438864400",
         "status": "SOMETHING_NEW"},
        {"name": "fraud", "version": "8"}
    ], "next_page_token": "eyJvZmZzZXQiOiAzfQ=="}"#;

    const MODEL: &str = r#"{"registered_model": {"name": "fraud", "creation_timestamp": 1795438864407,
        "last_updated_timestamp": 1795438864478, "description": "",
        "aliases": [{"alias": "champion", "version": "9"}, {"alias": "challenger", "version": "10"}]}}"#;

    #[test]
    fn versions_map_with_empty_fields_left_out() {
        let page: VersionsPage = serde_json::from_str(VERSIONS).unwrap();
        let (versions, next) = page.into_parts();
        assert_eq!(next.as_deref(), Some("eyJvZmZzZXQiOiAzfQ=="));
        let model: GetModel = serde_json::from_str(MODEL).unwrap();
        let [m] = assemble(vec![model.registered_model], versions, |_| true).try_into().unwrap();
        assert_eq!(m.description, None, "\"\" is no description");
        assert_eq!(m.alias("champion"), Some("9"));
        let [ten, nine, eight] = &m.versions[..] else { panic!("{:?}", m.versions) };
        assert_eq!(ten.version, "10");
        assert_eq!(ten.stage.as_deref(), Some("None"));
        assert_eq!(ten.source.as_deref(), Some("s3://bucket/m/10"));
        assert_eq!((ten.run_id.as_ref(), ten.run_link.as_ref(), ten.description.as_ref()), (None, None, None));
        assert_eq!(ten.tags["owner"], "risk");
        assert_eq!(ten.aliases, vec!["challenger"]);
        assert_eq!(ten.created_ms, Some(1795438864464));
        assert_eq!(nine.version, "9", "a numeric version is read as text");
        assert_eq!(nine.created_ms, Some(1795438864400));
        assert_eq!(nine.status, VersionStatus::Other("SOMETHING_NEW".into()));
        assert_eq!(nine.aliases, vec!["champion"]);
        assert_eq!(eight.status, VersionStatus::Other("UNKNOWN".into()), "no status is not READY");
        assert!(eight.tags.is_empty());
    }

    #[test]
    fn versions_of_models_not_asked_for_are_dropped_and_duplicates_kept_once() {
        let (mut versions, _) = serde_json::from_str::<VersionsPage>(VERSIONS).unwrap().into_parts();
        let (again, _) = serde_json::from_str::<VersionsPage>(VERSIONS).unwrap().into_parts();
        versions.extend(again);
        let models: ModelsPage =
            serde_json::from_str(r#"{"registered_models": [{"name": "fraud"}, {"name": "churn"}]}"#).unwrap();
        let (models, next) = models.into_parts();
        assert_eq!(next, None);
        let out = assemble(models, versions, |name| name != "churn");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].versions.len(), 3);
    }

    #[test]
    fn error_bodies_quote_code_and_message_cleaned() {
        let body = br#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with name=\u001b[2Jx not found", "sqlstate": "KAM00"}"#;
        let reason = api_error(body).unwrap();
        assert_eq!(reason.to_string(), "RESOURCE_DOES_NOT_EXIST: Registered Model with name=x not found");
        assert_eq!(api_error(b"<html>502</html>"), None, "not MLflow's shape: the plain status is shown");
    }
}
