//! An append-only JSON Lines record of every change attempted from the
//! console: when, who, in which context, what, why, and how it ended. Each
//! record is flushed to disk (fsync) before the operator is told the result.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;
use serde_json::json;

use crate::app::change::Change;
use crate::core::sanitize::sanitize;

#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(path: PathBuf) -> Journal {
        Journal { path }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn record(
        &self,
        context: &str,
        operator: &str,
        change: &Change,
        outcome: &Result<String, String>,
    ) -> Result<(), String> {
        let (result, detail) = match outcome {
            Ok(text) => ("ok", text.as_str()),
            Err(text) => ("failed", text.as_str()),
        };
        let record = json!({
            "at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "operator": sanitize(operator),
            "context": sanitize(context),
            "change": change,
            "description": sanitize(&change.describe()),
            "result": result,
            "detail": sanitize(detail),
        });
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        let mut line = record.to_string();
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(|e| format!("{}: {e}", self.path.display()))?;
        file.sync_all().map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_one_json_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().join("state/changes.jsonl"));
        let change = Change::ExpireSilence { id: "abc-1".into(), reason: "fixed".into(), target: "fraud".into() };
        journal.record("prod", "ana", &change, &Ok("expired silence abc-1".into())).unwrap();
        journal.record("prod", "ana", &change, &Err("HTTP 500".into())).unwrap();
        let text = std::fs::read_to_string(journal.path()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["change"]["kind"], "expire_silence");
        assert_eq!(lines[0]["result"], "ok");
        assert_eq!(lines[1]["result"], "failed");
        assert_eq!(lines[1]["operator"], "ana");
    }
}
