//! The registry joined with the serving metrics: for every registered model
//! and version, the aliases pointing at it and, for a version the metrics
//! see serving, its traffic share, request rate, error ratio, p99 latency
//! and verdict. Models are matched by name through a [`NameMapping`]
//! (registries and metrics often spell a model differently); versions by
//! their exact label. Every string is cleaned here, so the table, the JSON
//! and the console all show the same safe text.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::health::{FleetReport, ModelHealth, Status};
use super::registry::{RegisteredModel, VersionStatus};
use super::sanitize::sanitize;

/// Where a model's metrics label goes in a registry name template.
pub const MODEL_PLACEHOLDER: &str = "{model}";

/// How a model's metrics label and its registry name relate: a template
/// (`main.ml.{model}`) for the usual case and explicit exceptions, label →
/// registry name. The default is the same name on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameMapping {
    prefix: String,
    suffix: String,
    /// Metrics label → registry name, for the models the template misses.
    overrides: BTreeMap<String, String>,
}

impl NameMapping {
    /// `template` must hold `{model}` exactly once: with two there would be
    /// no telling which part of a registry name is the label.
    pub fn new(template: &str, overrides: BTreeMap<String, String>) -> Result<NameMapping, String> {
        let Some((prefix, suffix)) = template.split_once(MODEL_PLACEHOLDER) else {
            return Err(format!("`{template}` does not contain {MODEL_PLACEHOLDER}"));
        };
        if suffix.contains(MODEL_PLACEHOLDER) {
            return Err(format!("`{template}` contains {MODEL_PLACEHOLDER} more than once"));
        }
        Ok(NameMapping { prefix: prefix.to_string(), suffix: suffix.to_string(), overrides })
    }

    /// The registry's name for the model the metrics call `label`.
    pub fn registry_name(&self, label: &str) -> String {
        match self.overrides.get(label) {
            Some(name) => name.clone(),
            None => format!("{}{label}{}", self.prefix, self.suffix),
        }
    }

    /// The metrics label of the registered model `name`, when it has one.
    pub fn metrics_label(&self, name: &str) -> Option<String> {
        if let Some((label, _)) = self.overrides.iter().find(|(_, registry)| *registry == name) {
            return Some(label.clone());
        }
        let label = name.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        // A label with an exception is named by the exception only.
        (!label.is_empty() && !self.overrides.contains_key(label)).then(|| label.to_string())
    }
}

/// The registry as one report: what `vigil registry` prints and the
/// registry view shows. The JSON names are a contract (see the command's help).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryReport {
    /// The instant the serving metrics describe, and that ages count to.
    pub at: DateTime<Utc>,
    pub context: String,
    /// The registry read (`demo registry (calm)`, `mlflow http://…`).
    pub registry: String,
    /// The metrics source joined, `None` when no metrics were at hand.
    pub metrics: Option<String>,
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    /// The registry's name.
    pub model: String,
    /// The name the metrics use, when the fleet has this model.
    pub metrics_model: Option<String>,
    /// The fleet's verdict on the model, with its reason.
    pub health: Option<Status>,
    pub health_reason: Option<String>,
    pub description: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub tags: BTreeMap<String, String>,
    /// Alias → version.
    pub aliases: BTreeMap<String, String>,
    /// Newest first.
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionEntry {
    pub version: String,
    pub aliases: Vec<String>,
    pub status: VersionStatus,
    pub status_message: Option<String>,
    pub user_id: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub created_ms: Option<i64>,
    /// Seconds from `created` to the report's `at`; negative when the
    /// version was created after it (a registry has no history to travel to).
    pub created_age_seconds: Option<f64>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    /// Where the run that made this version can be looked at.
    pub run_link: Option<String>,
    pub stage: Option<String>,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// What the metrics say about this version; `None` when they do not see it.
    pub serving: Option<Serving>,
}

/// A version as the serving metrics see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub traffic_share: Option<f64>,
    pub requests_per_second: Option<f64>,
    pub error_ratio: Option<f64>,
    pub latency_p99_seconds: Option<f64>,
    pub status: Status,
    /// The aliases the metrics label it with (`model_version_info`), which
    /// can lag behind the registry's.
    pub metrics_aliases: Vec<String>,
}

impl ModelEntry {
    pub fn version(&self, version: &str) -> Option<&VersionEntry> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// Versions the metrics see serving.
    pub fn serving(&self) -> impl Iterator<Item = &VersionEntry> {
        self.versions.iter().filter(|v| v.serving.is_some())
    }

    /// Aliases the metrics label a version with that the registry gives to
    /// another version or to none: (alias, the version the metrics say).
    /// A rollout the serving side has not caught up with shows here.
    pub fn alias_disagreements(&self) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = self
            .versions
            .iter()
            .filter_map(|v| v.serving.as_ref().map(|s| (v, s)))
            .flat_map(|(v, s)| s.metrics_aliases.iter().map(move |alias| (alias, &v.version)))
            .filter(|(alias, version)| self.aliases.get(*alias) != Some(*version))
            .map(|(alias, version)| (alias.clone(), version.clone()))
            .collect();
        found.sort();
        found
    }
}

impl RegistryReport {
    pub fn version_count(&self) -> usize {
        self.models.iter().map(|m| m.versions.len()).sum()
    }

    /// Versions whose registration failed.
    pub fn failed_count(&self) -> usize {
        self.models.iter().flat_map(|m| &m.versions).filter(|v| v.status == VersionStatus::FailedRegistration).count()
    }

    /// The entry whose metrics label is `label` (the model view's model).
    pub fn by_metrics_model(&self, label: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.metrics_model.as_deref() == Some(label))
    }
}

/// A version's status in one short word for tables: `ready`, `pending`,
/// `failed`, or what the registry sent.
pub fn status_word(status: &VersionStatus) -> &str {
    match status {
        VersionStatus::Ready => "ready",
        VersionStatus::PendingRegistration => "pending",
        VersionStatus::FailedRegistration => "failed",
        VersionStatus::Other(text) => text,
    }
}

/// `40m ago`, `3d ago`; `in 2h` for a version created after the instant shown.
pub fn relative_age(seconds: f64) -> String {
    if seconds < 0.0 {
        format!("in {}", super::duration::format_age(-seconds))
    } else {
        format!("{} ago", super::duration::format_age(seconds))
    }
}

fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn clean_map(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (clean(k), clean(v))).collect()
}

fn instant(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
}

/// Every registered model of `models`, in their order, with what `fleet`
/// says about the versions that serve. Ages count to `at`.
pub fn join(
    models: &[RegisteredModel],
    fleet: Option<&FleetReport>,
    names: &NameMapping,
    at: DateTime<Utc>,
) -> Vec<ModelEntry> {
    let by_label: HashMap<&str, &ModelHealth> =
        fleet.map(|f| f.models.iter().map(|m| (m.model.as_str(), m)).collect()).unwrap_or_default();
    models
        .iter()
        .map(|model| {
            let name = clean(&model.name);
            // The fleet's names are cleaned already; compare like with like.
            let health = names.metrics_label(&name).and_then(|label| by_label.get(label.as_str()).copied());
            let versions = model
                .versions
                .iter()
                .map(|v| {
                    let version = clean(&v.version);
                    let serving = health
                        .and_then(|h| h.versions.iter().find(|hv| hv.version.as_deref() == Some(version.as_str())))
                        .map(|hv| Serving {
                            traffic_share: hv.traffic_share,
                            requests_per_second: hv.requests_per_second,
                            error_ratio: hv.error_ratio,
                            latency_p99_seconds: hv.latency_p99_seconds,
                            status: hv.status,
                            metrics_aliases: hv.aliases.clone(),
                        });
                    let created = instant(v.created_ms);
                    VersionEntry {
                        version,
                        aliases: v.aliases.iter().map(|a| clean(a)).collect(),
                        status: match &v.status {
                            VersionStatus::Other(text) => VersionStatus::Other(clean(text)),
                            known => known.clone(),
                        },
                        status_message: v.status_message.as_deref().map(clean),
                        user_id: v.user_id.as_deref().map(clean),
                        created,
                        created_ms: v.created_ms,
                        created_age_seconds: created.map(|c| (at - c).num_milliseconds() as f64 / 1000.0),
                        source: v.source.as_deref().map(clean),
                        run_id: v.run_id.as_deref().map(clean),
                        run_link: v.run_link.as_deref().map(clean),
                        stage: v.stage.as_deref().map(clean),
                        description: v.description.as_deref().map(clean),
                        tags: clean_map(&v.tags),
                        serving,
                    }
                })
                .collect();
            ModelEntry {
                model: name,
                metrics_model: health.map(|h| h.model.clone()),
                health: health.map(|h| h.status),
                health_reason: health.map(|h| h.reason.clone()),
                description: model.description.as_deref().map(clean),
                created: instant(model.created_ms),
                updated: instant(model.updated_ms),
                tags: clean_map(&model.tags),
                aliases: clean_map(&model.aliases),
                versions,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::health::{HealthThresholds, Provenance, assess};
    use crate::core::registry::ModelVersion;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn metrics(model: &str, versions: &[(&str, f64, f64, &[&str])]) -> crate::core::fleet::ModelMetrics {
        crate::core::fleet::ModelMetrics {
            model: model.into(),
            environment: None,
            versions: versions
                .iter()
                .map(|(v, rps, eps, aliases)| crate::core::fleet::VersionMetrics {
                    version: Some(v.to_string()),
                    aliases: aliases.iter().map(|a| a.to_string()).collect(),
                    requests_per_second: Some(*rps),
                    errors_per_second: Some(*eps),
                    latency_p50_seconds: Some(0.05),
                    latency_p99_seconds: Some(0.2),
                    latency_average_seconds: None,
                })
                .collect(),
            latency_p50_seconds: Some(0.05),
            latency_p99_seconds: Some(0.2),
            latency_average_seconds: None,
            history: vec![],
        }
    }

    fn fleet(models: &[crate::core::fleet::ModelMetrics]) -> FleetReport {
        let provenance = Provenance { source: "test".into(), age_seconds: Some(0.0) };
        FleetReport {
            at: at(),
            context: "test".into(),
            models: models.iter().map(|m| assess(m, &HealthThresholds::default(), &provenance)).collect(),
        }
    }

    fn registered(name: &str, aliases: &[(&str, &str)], versions: &[&str]) -> RegisteredModel {
        let mut m = RegisteredModel {
            name: name.into(),
            aliases: aliases.iter().map(|(a, v)| (a.to_string(), v.to_string())).collect(),
            versions: versions
                .iter()
                .map(|v| ModelVersion {
                    version: v.to_string(),
                    created_ms: Some(at().timestamp_millis() - 3_600_000),
                    ..ModelVersion::default()
                })
                .collect(),
            ..RegisteredModel::default()
        };
        m.normalise();
        m
    }

    #[test]
    fn serving_versions_get_their_metrics_and_others_none() {
        let fleet = fleet(&[metrics("fraud", &[("9", 75.0, 0.0, &["champion"]), ("10", 25.0, 2.5, &["challenger"])])]);
        let models = [registered("fraud", &[("champion", "10")], &["8", "9", "10"])];
        let joined = join(&models, Some(&fleet), &NameMapping::default(), at());
        let fraud = &joined[0];
        assert_eq!(fraud.metrics_model.as_deref(), Some("fraud"));
        assert_eq!(fraud.health, Some(Status::Critical), "the canary's 10 % errors");
        let versions: Vec<&str> = fraud.versions.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(versions, ["10", "9", "8"]);
        let canary = fraud.version("10").unwrap();
        assert_eq!(canary.aliases, ["champion"]);
        let serving = canary.serving.as_ref().unwrap();
        assert_eq!(serving.traffic_share, Some(0.25));
        assert_eq!(serving.error_ratio, Some(0.1));
        assert_eq!(serving.status, Status::Critical);
        assert_eq!(serving.metrics_aliases, ["challenger"], "the metrics' labels are kept beside the registry's");
        assert_eq!(fraud.version("9").unwrap().serving.as_ref().unwrap().traffic_share, Some(0.75));
        assert_eq!(fraud.version("8").unwrap().serving, None);
        assert_eq!(fraud.serving().count(), 2);
        assert_eq!(
            fraud.alias_disagreements(),
            [("challenger".to_string(), "10".to_string()), ("champion".to_string(), "9".to_string())],
            "the metrics still label the old champion"
        );
        assert_eq!(canary.created_age_seconds, Some(3600.0));
        assert_eq!(relative_age(3600.0), "60m ago");
        assert_eq!(relative_age(-7200.0), "in 2h");
        assert_eq!(status_word(&VersionStatus::FailedRegistration), "failed");
    }

    #[test]
    fn models_the_fleet_does_not_have_join_nothing() {
        let fleet = fleet(&[metrics("fraud", &[("1", 1.0, 0.0, &[])])]);
        let joined = join(&[registered("churn", &[], &["1"])], Some(&fleet), &NameMapping::default(), at());
        assert_eq!(joined[0].metrics_model, None);
        assert!(joined[0].alias_disagreements().is_empty());
        assert_eq!(joined[0].health, None);
        assert_eq!(joined[0].versions[0].serving, None);
        let without_metrics = join(&[registered("fraud", &[], &["1"])], None, &NameMapping::default(), at());
        assert_eq!(without_metrics[0].versions[0].serving, None);
    }

    #[test]
    fn names_map_through_the_template_and_the_exceptions() {
        let overrides = BTreeMap::from([("fraud-detector".to_string(), "fraud_detector_xgb".to_string())]);
        let names = NameMapping::new("main.ml.{model}", overrides).unwrap();
        assert_eq!(names.registry_name("churn"), "main.ml.churn");
        assert_eq!(names.registry_name("fraud-detector"), "fraud_detector_xgb");
        assert_eq!(names.metrics_label("main.ml.churn").as_deref(), Some("churn"));
        assert_eq!(names.metrics_label("fraud_detector_xgb").as_deref(), Some("fraud-detector"));
        assert_eq!(names.metrics_label("main.ml.fraud-detector"), None, "the exception names it, not the template");
        assert_eq!(names.metrics_label("other.churn"), None);
        assert_eq!(names.metrics_label("main.ml."), None);
        assert_eq!(NameMapping::default().metrics_label("x").as_deref(), Some("x"));
        let suffixed = NameMapping::new("{model}-prod", BTreeMap::new()).unwrap();
        assert_eq!(suffixed.metrics_label("churn-prod").as_deref(), Some("churn"));
        assert!(NameMapping::new("main.ml", BTreeMap::new()).unwrap_err().contains("does not contain {model}"));
        assert!(NameMapping::new("{model}.{model}", BTreeMap::new()).unwrap_err().contains("more than once"));

        let fleet = fleet(&[metrics("fraud-detector", &[("3", 5.0, 0.0, &[])])]);
        let joined = join(&[registered("fraud_detector_xgb", &[], &["3"])], Some(&fleet), &names, at());
        assert_eq!(joined[0].metrics_model.as_deref(), Some("fraud-detector"));
        assert!(joined[0].versions[0].serving.is_some());
    }

    #[test]
    fn strings_from_the_registry_are_cleaned() {
        let mut model = registered("evil\x1b]52;c;ZXZpbA==\x07", &[("champ\x1b[2Jion", "1")], &["1"]);
        model.versions[0].user_id = Some("bob\x1b[31m".into());
        model.versions[0].source = Some("s3://x\u{202e}gpj.exe".into());
        model.versions[0].tags.insert("k\x07".into(), "v\x1b[0m".into());
        model.versions[0].status = VersionStatus::Other("WEIRD\x1b[5m".into());
        model.description = Some("line\rover".into());
        let joined = join(&[model], None, &NameMapping::default(), at());
        let text = serde_json::to_string(&joined).unwrap();
        for bad in ["\\u001b", "\\u0007", "\u{202e}", "\\r"] {
            assert!(!text.contains(bad), "{bad} survived: {text}");
        }
        assert_eq!(joined[0].model, "evil");
        assert_eq!(joined[0].versions[0].aliases, ["champion"]);
        assert_eq!(joined[0].versions[0].status.as_str(), "WEIRD");
    }
}
