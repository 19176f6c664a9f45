//! Logs go to a file under the XDG state dir — never to the screen, where
//! they would tear the console apart.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;

/// Starts logging to `file` (level from `VIGIL_LOG`, default `info`). Returns
/// the guard that flushes on drop, or `None` when the file cannot be opened —
/// the console still runs, just without a log.
pub fn init(file: &Path) -> Option<WorkerGuard> {
    let dir = file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let name = file.file_name()?;
    let appender = tracing_appender::rolling::never(dir, name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
