//! The simulated fleet's model registry, shaped as MLflow would answer:
//! every model has versions 1..=N (N its newest simulated version), the
//! older ones READY (one may have failed to register), each created days
//! before the next by a deterministic user, with `s3://models/<name>/<v>`
//! as its source. Served versions carry `validation_status=passed`.
//!
//! Aliases follow the simulator, except for a version a scenario deploys
//! (bad-deploy's canary): a deploy is the champion alias moving to the new
//! version, so it holds `champion` and rolling back means moving it back.
//!
//! It lives in memory behind a lock, so the demo's playbooks can move
//! aliases and set tags, and the registry view shows the change.

use std::collections::BTreeMap;
use std::sync::RwLock;

use super::catalogue::SimModel;
use super::noise;
use super::sim::Simulator;
use crate::core::registry::{ModelVersion, RegisteredModel, VersionStatus};
use crate::sources::{BoxFuture, RegistrySource, SourceError};

/// Who registers versions: mostly the pipeline, sometimes a person.
const USERS: [&str; 6] = ["ci-bot", "ci-bot", "ci-bot", "a.okafor", "m.lindqvist", "j.tanaka"];

/// MLflow refuses longer tag keys and values; the lab does the same.
const MAX_TAG_KEY: usize = 250;
const MAX_TAG_VALUE: usize = 5000;

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// A version a scenario deploys is registered this long before it goes out.
const REGISTERED_BEFORE_DEPLOY_MS: i64 = 25 * MINUTE_MS;

pub struct LabRegistry {
    scenario: &'static str,
    models: RwLock<BTreeMap<String, RegisteredModel>>,
}

impl LabRegistry {
    /// The registry as it stands at the simulator's anchor.
    pub fn new(simulator: &Simulator) -> LabRegistry {
        let options = simulator.options();
        let anchor_ms = options.anchor.timestamp() * 1000;
        let models = simulator
            .models()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let model = registered(options.seed, i as u64, m, anchor_ms);
                (model.name.clone(), model)
            })
            .collect();
        LabRegistry { scenario: options.scenario.name(), models: RwLock::new(models) }
    }

    fn error(&self, message: String) -> SourceError {
        SourceError { source_name: self.name(), message }
    }

    /// Runs `change` on one model, or says the model does not exist.
    fn change<T>(
        &self,
        model: &str,
        change: impl FnOnce(&mut RegisteredModel) -> Result<T, String>,
    ) -> Result<T, SourceError> {
        let mut models = self.models.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = models.get_mut(model).ok_or_else(|| self.error(not_found(model)))?;
        change(entry).map_err(|m| self.error(m))
    }
}

fn not_found(model: &str) -> String {
    format!("no registered model named {model}")
}

fn check_tag(key: &str, value: &str) -> Result<(), String> {
    if key.trim().is_empty() {
        return Err("a tag needs a key".into());
    }
    if key.chars().count() > MAX_TAG_KEY {
        return Err(format!("tag key longer than {MAX_TAG_KEY} characters"));
    }
    if value.chars().count() > MAX_TAG_VALUE {
        return Err(format!("tag value longer than {MAX_TAG_VALUE} characters"));
    }
    Ok(())
}

/// One simulated model as the registry holds it.
fn registered(seed: u64, index: u64, model: &SimModel, anchor_ms: i64) -> RegisteredModel {
    let number = |v: &str| v.parse::<u64>().unwrap_or(1);
    let newest = model.versions.iter().map(|v| number(&v.version)).max().unwrap_or(1);
    let stable = model.versions.first().map_or(1, |v| number(&v.version));
    let draw = |version: u64, stream: u64| noise::hash(&[seed, index, version, 500 + stream]);
    // At most one older version failed to register: never one that serves,
    // so a rollback has to skip it to find the version below.
    let failed = (stable >= 3 && draw(0, 0) % 3 == 0).then(|| 1 + draw(0, 1) % (stable - 1));

    let mut versions = Vec::new();
    let mut created_ms = anchor_ms;
    for v in (1..=newest).rev() {
        let simulated = model.versions.iter().find(|s| number(&s.version) == v);
        created_ms = match simulated.and_then(|s| s.deployed_at) {
            Some(deployed) => deployed * 1000 - REGISTERED_BEFORE_DEPLOY_MS,
            // Days apart, at some minute of the working day before.
            None => {
                let days = if v == newest { 1 + draw(v, 2) % 4 } else { 2 + draw(v, 2) % 12 } as i64;
                let minutes = (draw(v, 3) % (10 * 60)) as i64;
                (created_ms - days * DAY_MS).div_euclid(DAY_MS) * DAY_MS + (8 * 60 + minutes) * MINUTE_MS
            }
        };
        let status = if failed == Some(v) { VersionStatus::FailedRegistration } else { VersionStatus::Ready };
        let source = format!("s3://models/{}/{v}", model.name);
        let mut tags = BTreeMap::new();
        if simulated.is_some() {
            tags.insert("validation_status".to_string(), "passed".to_string());
        }
        versions.push(ModelVersion {
            version: v.to_string(),
            created_ms: Some(created_ms),
            // Validation tags the version a few minutes after it is registered.
            updated_ms: Some(
                created_ms + if simulated.is_some() { (2 + draw(v, 4) % 9) as i64 * MINUTE_MS } else { 0 },
            ),
            user_id: Some(USERS[(draw(v, 5) % USERS.len() as u64) as usize].to_string()),
            stage: None,
            status_message: (status == VersionStatus::FailedRegistration)
                .then(|| format!("copying the artifacts to {source} failed: AccessDenied")),
            status,
            description: None,
            run_id: Some(format!("{:016x}{:016x}", draw(v, 6), draw(v, 7))),
            source: Some(source),
            run_link: None,
            tags,
            aliases: Vec::new(),
        });
    }

    let mut aliases = BTreeMap::new();
    for simulated in &model.versions {
        for alias in &simulated.aliases {
            aliases.insert(alias.clone(), simulated.version.clone());
        }
    }
    // A scenario's deploy moved champion to the new version; whatever alias
    // the simulator gives it (challenger, for the canary's metrics) is the
    // registry's champion now, and the version it replaced holds none.
    for simulated in model.versions.iter().filter(|s| s.deployed_at.is_some()) {
        aliases.retain(|_, version| *version != simulated.version);
        aliases.insert("champion".to_string(), simulated.version.clone());
    }

    let oldest_ms = versions.last().and_then(|v| v.created_ms);
    let newest_ms = versions.iter().filter_map(|v| v.updated_ms).max();
    let mut registered = RegisteredModel {
        name: model.name.clone(),
        description: None,
        created_ms: oldest_ms,
        updated_ms: newest_ms,
        tags: [("environment".to_string(), model.environment.clone())].into(),
        aliases,
        versions,
    };
    registered.normalise();
    registered
}

impl RegistrySource for LabRegistry {
    fn name(&self) -> String {
        format!("demo registry ({})", self.scenario)
    }

    fn models<'a>(
        &'a self,
        name_contains: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<RegisteredModel>, SourceError>> {
        Box::pin(async move {
            let models = self.models.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            Ok(models.values().filter(|m| name_contains.is_none_or(|part| m.name.contains(part))).cloned().collect())
        })
    }

    fn model<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<RegisteredModel, SourceError>> {
        Box::pin(async move {
            let models = self.models.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            models.get(name).cloned().ok_or_else(|| self.error(not_found(name)))
        })
    }

    fn set_alias<'a>(
        &'a self,
        model: &'a str,
        alias: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.change(model, |m| {
                if alias.trim().is_empty() {
                    return Err("an alias needs a name".into());
                }
                if m.version(version).is_none() {
                    return Err(format!("{model} has no version {version}"));
                }
                m.aliases.insert(alias.to_string(), version.to_string());
                m.normalise();
                Ok(())
            })
        })
    }

    fn set_model_tag<'a>(
        &'a self,
        model: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.change(model, |m| {
                check_tag(key, value)?;
                m.tags.insert(key.to_string(), value.to_string());
                Ok(())
            })
        })
    }

    fn delete_model_tag<'a>(&'a self, model: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.change(model, |m| {
                m.tags.remove(key);
                Ok(())
            })
        })
    }

    fn set_version_tag<'a>(
        &'a self,
        model: &'a str,
        version: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.change(model, |m| {
                check_tag(key, value)?;
                let v = m
                    .versions
                    .iter_mut()
                    .find(|v| v.version == version)
                    .ok_or_else(|| format!("{model} has no version {version}"))?;
                v.tags.insert(key.to_string(), value.to_string());
                Ok(())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::compare_versions;
    use crate::lab::fixtures::{bad_deploy, end};
    use crate::lab::{LabOptions, Scenario};

    fn calm(models: usize) -> Simulator {
        Simulator::new(LabOptions { seed: 42, scenario: Scenario::Calm, models, anchor: end() })
    }

    async fn all(registry: &LabRegistry) -> Vec<RegisteredModel> {
        registry.models(None).await.unwrap()
    }

    #[tokio::test]
    async fn every_simulated_model_has_versions_one_to_its_newest() {
        let sim = calm(40);
        let registry = LabRegistry::new(&sim);
        let models = all(&registry).await;
        assert_eq!(models.len(), 40);
        let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
        assert!(names.is_sorted(), "listed by name, as MLflow's search does");
        for simulated in sim.models() {
            let m = registry.model(&simulated.name).await.unwrap();
            let newest: u64 = simulated.versions.iter().map(|v| v.version.parse::<u64>().unwrap()).max().unwrap();
            let numbers: Vec<String> = (1..=newest).rev().map(|n| n.to_string()).collect();
            let listed: Vec<&str> = m.versions.iter().map(|v| v.version.as_str()).collect();
            assert_eq!(listed, numbers, "{}: newest first, none missing", m.name);
            // Older versions were created first, days apart.
            for pair in m.versions.windows(2) {
                let gap = pair[0].created_ms.unwrap() - pair[1].created_ms.unwrap();
                assert!(gap >= DAY_MS, "{} v{} is {gap} ms after v{}", m.name, pair[0].version, pair[1].version);
            }
            assert!(m.versions[0].created_ms.unwrap() < end().timestamp_millis());
            for v in &m.versions {
                assert_eq!(v.source.as_deref(), Some(format!("s3://models/{}/{}", m.name, v.version).as_str()));
                assert!(v.user_id.is_some() && v.run_id.as_ref().is_some_and(|r| r.len() == 32));
                let served = simulated.versions.iter().any(|s| s.version == v.version);
                assert_eq!(v.tags.contains_key("validation_status"), served, "{} v{}", m.name, v.version);
            }
            // The simulator's aliases, spread onto the versions.
            for s in &simulated.versions {
                for alias in &s.aliases {
                    assert_eq!(m.alias(alias), Some(s.version.as_str()));
                    assert!(m.version(&s.version).unwrap().aliases.contains(alias));
                }
            }
            assert_eq!(m.tags.get("environment"), Some(&simulated.environment));
        }
    }

    #[tokio::test]
    async fn a_failed_registration_is_never_served_and_rollback_skips_it() {
        let sim = calm(40);
        let models = all(&LabRegistry::new(&sim)).await;
        let mut failed = 0;
        for m in &models {
            let bad: Vec<&ModelVersion> =
                m.versions.iter().filter(|v| v.status == VersionStatus::FailedRegistration).collect();
            assert!(bad.len() <= 1, "{}", m.name);
            let Some(bad) = bad.first() else { continue };
            failed += 1;
            assert!(bad.aliases.is_empty() && bad.tags.is_empty(), "{} v{}", m.name, bad.version);
            assert!(bad.status_message.as_deref().unwrap().contains("failed"));
            let above = (bad.version.parse::<u64>().unwrap() + 1).to_string();
            match m.highest_ready_below(&above) {
                Some(target) => assert_eq!(compare_versions(&target.version, &bad.version), std::cmp::Ordering::Less),
                None => assert_eq!(bad.version, "1", "{}: only the first version has none below", m.name),
            }
        }
        assert!((5..=25).contains(&failed), "about a third of the models have one, got {failed}");
    }

    #[tokio::test]
    async fn bad_deploys_canary_holds_champion_and_rollback_goes_to_the_stable_version() {
        let sim = bad_deploy(3);
        let registry = LabRegistry::new(&sim);
        let fraud = registry.model("fraud-detector").await.unwrap();
        assert_eq!(fraud.aliases, BTreeMap::from([("champion".to_string(), "10".to_string())]));
        assert_eq!(fraud.versions[0].aliases, ["champion"]);
        assert!(fraud.versions[1].aliases.is_empty(), "the version it replaced holds no alias");
        let deployed_ms = sim.models()[0].versions[1].deployed_at.unwrap() * 1000;
        assert_eq!(fraud.versions[0].created_ms, Some(deployed_ms - REGISTERED_BEFORE_DEPLOY_MS));
        assert_eq!(fraud.versions[0].tags.get("validation_status").map(String::as_str), Some("passed"));
        assert_eq!(fraud.highest_ready_below("10").map(|v| v.version.as_str()), Some("9"));

        registry.set_alias("fraud-detector", "champion", "9").await.unwrap();
        let rolled_back = registry.model("fraud-detector").await.unwrap();
        assert_eq!(rolled_back.alias("champion"), Some("9"));
        assert!(rolled_back.versions[0].aliases.is_empty());
        assert_eq!(rolled_back.version("9").unwrap().aliases, ["champion"]);
        // Other models are untouched by the scenario.
        let other = registry.model(&sim.models()[1].name).await.unwrap();
        assert_eq!(other.alias("champion"), Some(sim.models()[1].versions[0].version.as_str()));
    }

    #[tokio::test]
    async fn tags_are_set_and_removed_and_bad_changes_are_refused() {
        let registry = LabRegistry::new(&bad_deploy(2));
        registry.set_version_tag("fraud-detector", "10", "vigil.previous_champion", "9").await.unwrap();
        registry.set_model_tag("fraud-detector", "incident", "INC-3").await.unwrap();
        let m = registry.model("fraud-detector").await.unwrap();
        assert_eq!(m.version("10").unwrap().tags["vigil.previous_champion"], "9");
        assert_eq!(m.tags["incident"], "INC-3");
        registry.delete_model_tag("fraud-detector", "incident").await.unwrap();
        registry.delete_model_tag("fraud-detector", "never-set").await.unwrap();
        assert!(!registry.model("fraud-detector").await.unwrap().tags.contains_key("incident"));

        let refusals = [
            (registry.set_alias("nope", "champion", "1").await, "no registered model named nope"),
            (registry.set_alias("fraud-detector", "champion", "99").await, "fraud-detector has no version 99"),
            (registry.set_alias("fraud-detector", " ", "9").await, "an alias needs a name"),
            (registry.set_version_tag("fraud-detector", "99", "k", "v").await, "has no version 99"),
            (registry.set_model_tag("fraud-detector", "", "v").await, "a tag needs a key"),
            (registry.set_model_tag("fraud-detector", &"k".repeat(251), "v").await, "longer than 250"),
            (registry.delete_model_tag("nope", "k").await, "no registered model named nope"),
        ];
        for (result, message) in refusals {
            let error = result.unwrap_err();
            assert!(error.message.contains(message), "{error}");
            assert_eq!(error.source_name, "demo registry (bad-deploy)");
        }
        assert_eq!(registry.model("fraud-detector").await.unwrap().alias("champion"), Some("10"));
        assert!(registry.model("nope").await.is_err());
        let found = registry.models(Some("detect")).await.unwrap();
        assert_eq!(found.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["fraud-detector"]);
    }

    #[test]
    fn the_same_seed_and_anchor_give_the_same_registry() {
        let a = LabRegistry::new(&calm(12));
        let b = LabRegistry::new(&calm(12));
        assert_eq!(*a.models.read().unwrap(), *b.models.read().unwrap());
        let other = LabRegistry::new(&Simulator::new(LabOptions { seed: 7, ..calm(12).options().clone() }));
        assert_ne!(*a.models.read().unwrap(), *other.models.read().unwrap());
    }
}
