//! Carrying out the changes the operator confirmed, and recording them.
//!
//! Every change arrives here already past the read-only gate and the typed
//! confirmation; this module asks the gate once more (so no path can skip
//! it), performs the change, and appends a record of the attempt — success,
//! failure or refusal — to the hash-chained audit log.

use chrono::{Duration as ChronoDuration, Utc};

use crate::app::change::Change;
use crate::playbook::audit::Entry;
use crate::sources::alertmanager::{AlertmanagerClient, NewSilence};

pub use crate::playbook::audit::AuditLog;

/// Who made the change, as recorded: the login name, else "unknown".
pub fn operator() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into())
}

/// Performs `change` and records it. `read_only` is the gate's decision for
/// this session. Returns the sentence to show.
pub async fn apply(
    change: &Change,
    context: &str,
    read_only: Option<&str>,
    alertmanager: Option<&AlertmanagerClient>,
    audit: &AuditLog,
) -> Result<String, String> {
    let operator = operator();
    let outcome = perform(change, read_only, alertmanager, &operator).await;
    let (result, detail) = match (&outcome, read_only) {
        (Ok(text), _) => ("ok", text.clone()),
        (Err(text), Some(_)) => ("refused", text.clone()),
        (Err(text), None) => ("failed", text.clone()),
    };
    let step = match change {
        Change::CreateSilence { .. } => "alertmanager.silence",
        Change::ExpireSilence { .. } => "alertmanager.expire_silence",
    };
    let entry = Entry {
        context: context.to_string(),
        playbook: None,
        step: step.to_string(),
        params: serde_json::to_value(change).unwrap_or_default(),
        request: change.describe(),
        result: result.to_string(),
        detail,
    };
    let recorded = audit.append(&entry).map(|_| ());
    match (outcome, recorded) {
        (Ok(done), Ok(())) => Ok(done),
        (Ok(done), Err(e)) => Err(format!("{done}, but it could not be recorded: {e}")),
        (Err(e), _) => Err(e),
    }
}

async fn perform(
    change: &Change,
    read_only: Option<&str>,
    alertmanager: Option<&AlertmanagerClient>,
    operator: &str,
) -> Result<String, String> {
    if let Some(reason) = read_only {
        return Err(format!("read-only ({reason}): {} refused", change.describe()));
    }
    let Some(client) = alertmanager else {
        return Err("this context has no Alertmanager".into());
    };
    match change {
        Change::CreateSilence { matchers, duration, reason, .. } => {
            let now = Utc::now();
            let silence = NewSilence {
                matchers: matchers.clone(),
                starts_at: now,
                ends_at: now + ChronoDuration::from_std(*duration).map_err(|e| e.to_string())?,
                created_by: format!("{operator} (vigil)"),
                comment: reason.clone(),
            };
            let id = client.create_silence(&silence).await.map_err(|e| e.to_string())?;
            Ok(format!("{} — silence {id}", change.describe()))
        }
        Change::ExpireSilence { id, .. } => {
            client.expire_silence(id).await.map_err(|e| e.to_string())?;
            Ok(format!("expired silence {id}"))
        }
    }
}
