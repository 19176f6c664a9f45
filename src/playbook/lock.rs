//! One operator at a time per model. Two layers:
//! - a lock file per context and model in the state directory, so runs on
//!   one machine queue without a network round trip;
//! - a lease in the registry (a model tag `vigil.lock` naming the run, its
//!   holder and an expiry), which operators on different machines share.
//!
//! MLflow has no compare-and-set, so taking the lease is: read the tag
//! (refuse if someone else holds an unexpired lease), write ours, wait,
//! read it back. Whoever wrote last wins and the other sees that on its
//! read-back. The wait is longer than the gap between one run's read and
//! its write, so a run that read "free" before another's write cannot
//! write after that other's read-back.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sources::RegistrySource;

pub const LEASE_TAG: &str = "vigil.lock";
/// The shortest wait before reading the lease back.
const SETTLE_FLOOR: Duration = Duration::from_millis(300);

/// Locks held for one run; released by [`Locks::release`] (a lease that is
/// never released, e.g. after kill -9, expires by itself).
pub struct Locks {
    files: Vec<File>,
    leases: Vec<String>,
    run_id: String,
    registry: Option<Arc<dyn RegistrySource>>,
}

pub struct Holder<'a> {
    pub run_id: &'a str,
    pub actor: &'a str,
    pub playbook: &'a str,
    pub lease: Duration,
}

fn lock_file_name(context: &str, model: &str) -> String {
    use sha2::{Digest, Sha256};
    // Model names may hold anything (`/`, `..`): the file is named by a hash.
    let digest = Sha256::digest(format!("{context}\u{0}{model}").as_bytes());
    format!("{}.lock", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>())
}

/// Takes every lock for `models`, or none: the first refusal releases what was taken.
pub async fn acquire(
    dir: &Path,
    context: &str,
    models: &[String],
    registry: Option<Arc<dyn RegistrySource>>,
    holder: &Holder<'_>,
) -> Result<Locks, String> {
    let mut locks = Locks { files: Vec::new(), leases: Vec::new(), run_id: holder.run_id.to_string(), registry };
    for model in models {
        if let Err(e) = locks.take_file(dir, context, model) {
            locks.release().await;
            return Err(e);
        }
    }
    for model in models {
        if let Err(e) = locks.take_lease(model, holder).await {
            locks.release().await;
            return Err(e);
        }
    }
    Ok(locks)
}

impl Locks {
    fn take_file(&mut self, dir: &Path, context: &str, model: &str) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("lock directory {}: {e}", dir.display()))?;
        let path: PathBuf = dir.join(lock_file_name(context, model));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                self.files.push(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(format!("{model} is locked: another vigil run on this machine is changing it"))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(format!("lock file {}: {e}", path.display())),
        }
    }

    async fn take_lease(&mut self, model: &str, holder: &Holder<'_>) -> Result<(), String> {
        let Some(registry) = self.registry.clone() else { return Ok(()) };
        let started = Instant::now();
        let current = registry.model(model).await.map_err(|e| e.to_string())?;
        if let Some(other) = current.tags.get(LEASE_TAG).and_then(|t| Lease::parse(t))
            && other.run != holder.run_id
            && other.expires > Utc::now()
        {
            return Err(other.refusal(model));
        }
        let expires = Utc::now() + chrono::Duration::from_std(holder.lease).unwrap_or(chrono::Duration::minutes(15));
        let value = json!({
            "run": holder.run_id,
            "holder": holder.actor,
            "playbook": holder.playbook,
            "expires": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .to_string();
        registry.set_model_tag(model, LEASE_TAG, &value).await.map_err(|e| e.to_string())?;
        self.leases.push(model.to_string());
        tokio::time::sleep((started.elapsed() * 3).max(SETTLE_FLOOR)).await;
        let after = registry.model(model).await.map_err(|e| e.to_string())?;
        match after.tags.get(LEASE_TAG).and_then(|t| Lease::parse(t)) {
            Some(lease) if lease.run == holder.run_id => Ok(()),
            Some(other) => {
                // Not ours any more: forget it so release leaves it alone.
                self.leases.retain(|m| m != model);
                Err(other.refusal(model))
            }
            None => {
                self.leases.retain(|m| m != model);
                Err(format!("{model}: the lease vanished while it was being taken; try again"))
            }
        }
    }

    /// Removes our leases (only where they are still ours) and unlocks the files.
    pub async fn release(&mut self) {
        if let Some(registry) = &self.registry {
            for model in std::mem::take(&mut self.leases) {
                let ours = registry
                    .model(&model)
                    .await
                    .ok()
                    .and_then(|m| m.tags.get(LEASE_TAG).and_then(|t| Lease::parse(t)))
                    .is_some_and(|l| l.run == self.run_id);
                if ours && let Err(e) = registry.delete_model_tag(&model, LEASE_TAG).await {
                    tracing::warn!(model, error = %e, "could not release the lease; it expires by itself");
                }
            }
        }
        for file in self.files.drain(..) {
            let _ = file.unlock();
        }
    }
}

struct Lease {
    run: String,
    holder: String,
    playbook: String,
    expires: DateTime<Utc>,
}

impl Lease {
    fn parse(text: &str) -> Option<Lease> {
        let v: Value = serde_json::from_str(text).ok()?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Lease {
            run: s("run")?,
            holder: s("holder").unwrap_or_else(|| "someone".into()),
            playbook: s("playbook").unwrap_or_default(),
            expires: s("expires")?.parse().ok()?,
        })
    }

    fn refusal(&self, model: &str) -> String {
        crate::core::sanitize::sanitize(&format!(
            "{model} is locked by {} ({} run {}) until {}",
            self.holder,
            self.playbook,
            self.run,
            self.expires.format("%H:%M:%S UTC")
        ))
        .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_are_named_by_hash_whatever_the_model_is_called() {
        let name = lock_file_name("prod", "../../etc/passwd");
        assert!(name.ends_with(".lock") && !name.contains('/'));
        assert_ne!(name, lock_file_name("staging", "../../etc/passwd"));
    }

    #[tokio::test]
    async fn a_second_run_on_this_machine_is_refused_until_the_first_releases() {
        let dir = tempfile::tempdir().unwrap();
        let holder = Holder { run_id: "r1", actor: "alice", playbook: "rollback", lease: Duration::from_secs(60) };
        let models = vec!["fraud-detector".to_string()];
        let mut first = acquire(dir.path(), "prod", &models, None, &holder).await.unwrap();
        let second = acquire(dir.path(), "prod", &models, None, &Holder { run_id: "r2", ..holder }).await;
        assert!(second.err().unwrap().contains("another vigil run on this machine"));
        assert!(acquire(dir.path(), "staging", &models, None, &Holder { run_id: "r3", ..holder }).await.is_ok());
        first.release().await;
        assert!(acquire(dir.path(), "prod", &models, None, &Holder { run_id: "r4", ..holder }).await.is_ok());
    }

    #[test]
    fn leases_read_back_and_refuse_with_who_and_until_when() {
        let lease =
            Lease::parse(r#"{"run":"abc","holder":"alice","playbook":"rollback","expires":"2026-11-23T10:00:00Z"}"#)
                .unwrap();
        assert_eq!(lease.refusal("m"), "m is locked by alice (rollback run abc) until 10:00:00 UTC");
        assert!(Lease::parse("not json").is_none());
    }
}
