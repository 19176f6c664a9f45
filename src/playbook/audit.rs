//! The audit log: append-only JSON Lines, one record per action, each
//! carrying the SHA-256 of the one before it, so changing, removing or
//! reordering any record breaks the chain from there on. Each record is
//! written with one `write` and flushed to disk (`fsync`) before the
//! operator is told the result; appends take an exclusive file lock, so two
//! consoles on one machine cannot interleave.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::core::sanitize::sanitize;

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What one record says, before the chain fields are added.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub context: String,
    pub playbook: Option<String>,
    pub step: String,
    pub params: Value,
    /// What was sent, without secrets.
    pub request: String,
    /// `ok`, `failed`, `refused`, `started`, `already satisfied`.
    pub result: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

/// Who acted: the OS user, and who they say they are (`VIGIL_ACTOR`).
pub fn actor() -> Value {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let declared = std::env::var("VIGIL_ACTOR").ok().filter(|a| !a.is_empty());
    json!({ "os_user": sanitize(&user), "declared": declared.map(|d| sanitize(&d).into_owned()) })
}

/// The actor as one name (plans' `{{actor}}`, run options, locks):
/// `VIGIL_ACTOR` when set, else the login name.
pub fn actor_name() -> String {
    let actor = actor();
    actor
        .get("declared")
        .and_then(Value::as_str)
        .or_else(|| actor.get("os_user").and_then(Value::as_str))
        .unwrap_or("unknown")
        .to_string()
}

/// The hash of a record: SHA-256 over its canonical JSON (keys sorted, no
/// `hash` field), as lowercase hex.
pub fn record_hash(record: &Map<String, Value>) -> String {
    let mut canonical = record.clone();
    canonical.remove("hash");
    // serde_json's Map is ordered by key (no preserve_order feature): canonical.
    let text = Value::Object(canonical).to_string();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditLog {
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and flushes it to disk. Returns its `seq`.
    pub fn append(&self, entry: &Entry) -> Result<u64, String> {
        let fail = |e: std::io::Error| format!("audit log {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(&self.path).map_err(fail)?;
        file.lock().map_err(fail)?;
        let result = self.append_locked(&mut file, entry);
        let _ = file.unlock();
        result
    }

    fn append_locked(&self, file: &mut File, entry: &Entry) -> Result<u64, String> {
        let fail = |e: std::io::Error| format!("audit log {}: {e}", self.path.display());
        let (seq, prev_hash) = match last_record(file).map_err(fail)? {
            Some(last) => (
                last.get("seq").and_then(Value::as_u64).unwrap_or(0) + 1,
                last.get("hash").and_then(Value::as_str).unwrap_or(GENESIS).to_string(),
            ),
            None => (1, GENESIS.to_string()),
        };
        let mut record = Map::new();
        record.insert("seq".into(), json!(seq));
        record.insert("ts".into(), json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)));
        record.insert("actor".into(), actor());
        record.insert("context".into(), json!(sanitize(&entry.context)));
        record.insert("playbook".into(), json!(entry.playbook.as_deref().map(|p| sanitize(p).into_owned())));
        record.insert("step".into(), json!(sanitize(&entry.step)));
        record.insert("params".into(), entry.params.clone());
        record.insert("request".into(), json!(sanitize(&entry.request)));
        record.insert("result".into(), json!(sanitize(&entry.result)));
        record.insert("detail".into(), json!(sanitize(&entry.detail)));
        record.insert("prev_hash".into(), json!(prev_hash));
        let hash = record_hash(&record);
        record.insert("hash".into(), json!(hash));
        let mut line = Value::Object(record).to_string();
        line.push('\n');
        // One write: a killed process leaves the record whole or absent.
        file.write_all(line.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        Ok(seq)
    }

    /// Every record, in order (for `vigil audit list`).
    pub fn records(&self) -> Result<Vec<Map<String, Value>>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("audit log {}: {e}", self.path.display())),
        };
        text.lines()
            .enumerate()
            .map(|(i, line)| match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(format!("line {} is not a record", i + 1)),
            })
            .collect()
    }
}

/// The last complete record, repairing a torn tail (a line without its
/// newline, left by a crash mid-write) by cutting it off.
fn last_record(file: &mut File) -> std::io::Result<Option<Map<String, Value>>> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(None);
    }
    // Read back far enough for the last line (records are small).
    let window = length.min(64 * 1024);
    file.seek(SeekFrom::Start(length - window))?;
    let mut tail = Vec::with_capacity(window as usize);
    file.read_to_end(&mut tail)?;
    if tail.last() != Some(&b'\n') {
        let keep = tail.iter().rposition(|b| *b == b'\n').map_or(length - window, |i| length - window + i as u64 + 1);
        tracing::warn!(cut_bytes = length - keep, "audit log ended in a torn record; cutting it off");
        file.set_len(keep)?;
        return last_record(file);
    }
    let body = &tail[..tail.len() - 1];
    let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    Ok(match serde_json::from_slice::<Value>(&body[start..]) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    })
}

/// The first place the chain breaks, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// 1-based line in the file.
    pub line: usize,
    pub seq: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "record {seq} (line {}): {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// Recomputes the chain. `Ok(n)`: all `n` records intact.
pub fn verify(text: &str) -> Result<usize, Break> {
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    for (expected_seq, line) in (1u64..).zip(text.split_inclusive('\n')) {
        let line_no = expected_seq as usize;
        let Some(body) = line.strip_suffix('\n') else {
            return Err(Break { line: line_no, seq: None, reason: "torn record (no end of line)".into() });
        };
        let Ok(Value::Object(record)) = serde_json::from_str::<Value>(body) else {
            return Err(Break { line: line_no, seq: None, reason: "not a JSON record".into() });
        };
        let seq = record.get("seq").and_then(Value::as_u64);
        let broken = |reason: String| Break { line: line_no, seq, reason };
        if seq != Some(expected_seq) {
            return Err(broken(format!("sequence number {seq:?}, expected {expected_seq}")));
        }
        if record.get("prev_hash").and_then(Value::as_str) != Some(prev.as_str()) {
            return Err(broken("prev_hash does not match the record before it".into()));
        }
        let stated = record.get("hash").and_then(Value::as_str).unwrap_or_default().to_string();
        if record_hash(&record) != stated {
            return Err(broken("hash does not match the record's content".into()));
        }
        prev = stated;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(step: &str) -> Entry {
        Entry {
            context: "prod".into(),
            playbook: None,
            step: step.into(),
            params: json!({"model": "fraud-detector"}),
            request: "POST /api/v2/silences".into(),
            result: "ok".into(),
            detail: "silence 1".into(),
        }
    }

    fn log_with(n: usize) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("state/audit.jsonl"));
        for i in 0..n {
            assert_eq!(log.append(&entry(&format!("step-{i}"))).unwrap(), i as u64 + 1);
        }
        (dir, log)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (_dir, log) = log_with(5);
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(verify(&text), Ok(5));
        let records = log.records().unwrap();
        assert_eq!(records[0]["prev_hash"], GENESIS);
        assert_eq!(records[1]["prev_hash"], records[0]["hash"]);
    }

    #[test]
    fn changing_any_byte_of_any_record_is_detected_and_located() {
        let (_dir, log) = log_with(4);
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (target, line) in lines.iter().enumerate() {
            for position in 0..line.len() {
                let mut bytes = text.clone().into_bytes();
                let offset: usize = lines[..target].iter().map(|l| l.len() + 1).sum::<usize>() + position;
                bytes[offset] = if bytes[offset] == b'x' { b'y' } else { b'x' };
                let tampered = String::from_utf8_lossy(&bytes).into_owned();
                let broken = verify(&tampered).expect_err("tampering is detected");
                assert_eq!(broken.line, target + 1, "flip at line {} byte {position}: {broken}", target + 1);
            }
        }
    }

    #[test]
    fn removing_or_reordering_records_breaks_the_chain() {
        let (_dir, log) = log_with(3);
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let without_second = format!("{}\n{}\n", lines[0], lines[2]);
        assert_eq!(verify(&without_second).unwrap_err().line, 2);
        let swapped = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        assert_eq!(verify(&swapped).unwrap_err().line, 1);
    }

    #[test]
    fn a_torn_tail_is_cut_off_on_the_next_append_and_the_chain_goes_on() {
        let (_dir, log) = log_with(2);
        let mut file = OpenOptions::new().append(true).open(log.path()).unwrap();
        file.write_all(br#"{"seq":3,"ts":"2026-"#).unwrap();
        drop(file);
        let torn = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(verify(&torn).unwrap_err().reason, "torn record (no end of line)");
        assert_eq!(log.append(&entry("after-crash")).unwrap(), 3);
        assert_eq!(verify(&std::fs::read_to_string(log.path()).unwrap()), Ok(3));
    }

    #[test]
    fn hostile_strings_are_cleaned_before_they_are_recorded() {
        let (_dir, log) = log_with(0);
        let mut hostile = entry("x");
        hostile.detail = "\x1b]52;c;ZXZpbA==\x07done\x1b[2J".into();
        log.append(&hostile).unwrap();
        assert_eq!(log.records().unwrap()[0]["detail"], "done");
    }
}
