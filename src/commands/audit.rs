//! `vigil audit verify` and `vigil audit list`: the audit log, checked and read.

use crate::cli::{AuditCommand, Format};
use crate::commands::tables::{self, Align};
use crate::launch::{Failure, Setup};
use crate::playbook::audit::{AuditLog, verify};

pub fn run(setup: &Setup, command: &AuditCommand) -> Result<u8, Failure> {
    let log = |file: &Option<std::path::PathBuf>| match file {
        Some(path) => AuditLog::new(path.clone()),
        None => setup.audit_log(),
    };
    match command {
        AuditCommand::Verify { file } => {
            let log = log(file);
            let text = match std::fs::read_to_string(log.path()) {
                Ok(text) => text,
                // No log yet is an empty, intact log — unless a file was named.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.is_none() => String::new(),
                Err(e) => return Err(Failure::usage(format!("{}: {e}", log.path().display()))),
            };
            match verify(&text) {
                Ok(n) => {
                    println!("{}: {n} record{} intact", log.path().display(), if n == 1 { "" } else { "s" });
                    Ok(0)
                }
                Err(broken) => {
                    eprintln!("{}: broken at {broken}", log.path().display());
                    Ok(1)
                }
            }
        }
        AuditCommand::List { format, last, file } => {
            let log = log(file);
            if file.is_some() && !log.path().exists() {
                return Err(Failure::usage(format!("{}: no such audit log", log.path().display())));
            }
            let mut records = log.records().map_err(Failure::usage)?;
            if let Some(n) = last {
                records = records.split_off(records.len().saturating_sub(*n));
            }
            match format {
                Format::Json => {
                    let text = serde_json::to_string_pretty(&records).map_err(|e| Failure::usage(e.to_string()))?;
                    println!("{text}");
                }
                Format::Table => {
                    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                    let rows: Vec<Vec<String>> = records
                        .iter()
                        .map(|r| {
                            vec![
                                text(&r["seq"]),
                                text(&r["ts"]),
                                who(&r["actor"]),
                                text(&r["context"]),
                                text(&r["step"]),
                                text(&r["result"]),
                                text(&r["request"]),
                            ]
                        })
                        .collect();
                    let headers = [
                        ("SEQ", Align::Right),
                        ("WHEN", Align::Left),
                        ("WHO", Align::Left),
                        ("CONTEXT", Align::Left),
                        ("STEP", Align::Left),
                        ("RESULT", Align::Left),
                        ("WHAT", Align::Left),
                    ];
                    print!("{}", tables::format(&headers, &rows, 80));
                }
            }
            Ok(0)
        }
    }
}

/// The login that acted, with the name it declared (`VIGIL_ACTOR`) when that differs.
fn who(actor: &serde_json::Value) -> String {
    let user = actor["os_user"].as_str().unwrap_or("unknown");
    match actor["declared"].as_str() {
        Some(declared) if declared != user => format!("{declared} ({user})"),
        _ => user.to_string(),
    }
}
