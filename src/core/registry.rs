//! The model registry as vigil sees it: registered models, their versions,
//! the aliases that point at versions, and tags. MLflow's shapes are mapped
//! onto these by `sources::mlflow`; the lab builds them from its simulator.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

/// A registered model with every version and alias.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RegisteredModel {
    pub name: String,
    pub description: Option<String>,
    /// Milliseconds since the epoch, as MLflow keeps them.
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub tags: BTreeMap<String, String>,
    /// Alias → version.
    pub aliases: BTreeMap<String, String>,
    /// Newest version first.
    pub versions: Vec<ModelVersion>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ModelVersion {
    /// MLflow sends version numbers as strings; compare with [`compare_versions`].
    pub version: String,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub user_id: Option<String>,
    /// Deprecated since MLflow 2.9 (`None`, `Staging`, `Production`, `Archived`); read only.
    pub stage: Option<String>,
    pub status: VersionStatus,
    pub status_message: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    pub run_link: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Aliases pointing at this version (filled from the model's aliases).
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VersionStatus {
    #[default]
    Ready,
    PendingRegistration,
    FailedRegistration,
    /// A status this version of vigil does not know, kept as sent.
    #[serde(untagged)]
    Other(String),
}

impl VersionStatus {
    pub fn parse(text: &str) -> VersionStatus {
        match text {
            "READY" => VersionStatus::Ready,
            "PENDING_REGISTRATION" => VersionStatus::PendingRegistration,
            "FAILED_REGISTRATION" => VersionStatus::FailedRegistration,
            other => VersionStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            VersionStatus::Ready => "READY",
            VersionStatus::PendingRegistration => "PENDING_REGISTRATION",
            VersionStatus::FailedRegistration => "FAILED_REGISTRATION",
            VersionStatus::Other(s) => s,
        }
    }
}

/// Orders version strings numerically when both are numbers ("9" < "10"),
/// else as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

impl RegisteredModel {
    /// The version an alias points at.
    pub fn alias(&self, alias: &str) -> Option<&str> {
        self.aliases.get(alias).map(String::as_str)
    }

    pub fn version(&self, version: &str) -> Option<&ModelVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// Copies the model's alias map onto its versions and sorts them newest
    /// first, so both directions read the same facts.
    pub fn normalise(&mut self) {
        for v in &mut self.versions {
            v.aliases = self.aliases.iter().filter(|(_, to)| **to == v.version).map(|(a, _)| a.clone()).collect();
        }
        self.versions.sort_by(|a, b| compare_versions(&b.version, &a.version));
    }

    /// The highest READY version below `version`: where a rollback goes when
    /// vigil has no record of what served before.
    pub fn highest_ready_below(&self, version: &str) -> Option<&ModelVersion> {
        self.versions
            .iter()
            .filter(|v| v.status == VersionStatus::Ready && compare_versions(&v.version, version) == Ordering::Less)
            .max_by(|a, b| compare_versions(&a.version, &b.version))
    }
}

/// A change to the registry, as a plan shows it and the audit log records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum RegistryWrite {
    SetAlias { model: String, alias: String, version: String },
    SetModelTag { model: String, key: String, value: String },
    DeleteModelTag { model: String, key: String },
    SetVersionTag { model: String, version: String, key: String, value: String },
}

impl std::fmt::Display for RegistryWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryWrite::SetAlias { model, alias, version } => {
                write!(f, "set alias {alias:?} of {model:?} to version {version:?}")
            }
            RegistryWrite::SetModelTag { model, key, .. } => write!(f, "set tag {key:?} of {model:?}"),
            RegistryWrite::DeleteModelTag { model, key } => write!(f, "delete tag {key:?} of {model:?}"),
            RegistryWrite::SetVersionTag { model, version, key, .. } => {
                write!(f, "set tag {key:?} of {model:?} version {version:?}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(v: &str, status: VersionStatus) -> ModelVersion {
        ModelVersion { version: v.into(), status, ..ModelVersion::default() }
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare_versions("9", "10"), Ordering::Less);
        assert_eq!(compare_versions("10", "10"), Ordering::Equal);
        assert_eq!(compare_versions("b", "a"), Ordering::Greater);
    }

    #[test]
    fn normalise_sorts_and_spreads_aliases() {
        let mut m = RegisteredModel {
            name: "m".into(),
            aliases: [("champion".to_string(), "9".to_string()), ("challenger".into(), "10".into())].into(),
            versions: vec![version("9", VersionStatus::Ready), version("10", VersionStatus::Ready)],
            ..RegisteredModel::default()
        };
        m.normalise();
        assert_eq!(m.versions[0].version, "10");
        assert_eq!(m.versions[0].aliases, vec!["challenger"]);
        assert_eq!(m.versions[1].aliases, vec!["champion"]);
        assert_eq!(m.alias("champion"), Some("9"));
    }

    #[test]
    fn rollback_fallback_skips_versions_that_are_not_ready() {
        let m = RegisteredModel {
            versions: vec![
                version("5", VersionStatus::Ready),
                version("4", VersionStatus::FailedRegistration),
                version("3", VersionStatus::Ready),
                version("12", VersionStatus::Ready),
            ],
            ..RegisteredModel::default()
        };
        assert_eq!(m.highest_ready_below("5").map(|v| v.version.as_str()), Some("3"));
        assert_eq!(m.highest_ready_below("3"), None);
        assert_eq!(VersionStatus::parse("WEIRD").as_str(), "WEIRD");
    }
}
