//! `vigil lab serve` and `vigil lab backfill`: the simulated fleet for a real
//! Prometheus. Neither needs a config file or a context; both take the
//! global `--scenario`, `--models` and `--seed`.

use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::cli::{GlobalOptions, LabBackfillArgs, LabServeArgs};
use crate::config::LabSettings;
use crate::core::{duration, timeref};
use crate::lab::backfill::{self, BackfillOptions};
use crate::lab::serve::{self, Lab};
use crate::lab::{LabOptions, Scenario, Simulator};
use crate::launch::Failure;

/// The simulator `--scenario`, `--models` and `--seed` ask for, anchored at `anchor`.
fn simulator(global: &GlobalOptions, anchor: DateTime<Utc>) -> Result<Simulator, Failure> {
    if global.at.is_some() {
        return Err(Failure::usage(
            "--at does not apply to `vigil lab`: serve runs in real time, backfill takes --end",
        ));
    }
    let defaults = LabSettings::default();
    let scenario =
        Scenario::from_name(global.scenario.as_deref().unwrap_or(&defaults.scenario)).map_err(Failure::usage)?;
    Ok(Simulator::new(LabOptions {
        seed: global.seed.unwrap_or(defaults.seed),
        scenario,
        models: global.models.map_or(defaults.models, |m| m as usize),
        anchor,
    }))
}

fn describe(simulator: &Simulator) -> String {
    let o = simulator.options();
    format!("{} ({} models, seed {})", o.scenario.name(), o.models, o.seed)
}

pub fn serve(global: &GlobalOptions, args: &LabServeArgs) -> Result<u8, Failure> {
    // The scenario's events sit at offsets from the start, as in `vigil demo`.
    let simulator = simulator(global, Utc::now())?;
    init_stderr_logging();
    let runtime = crate::launch::runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let address = listener.local_addr().map_err(|e| Failure::usage(e.to_string()))?;
        // Tests and scripts read this line to learn the port (with --listen …:0).
        eprintln!("vigil lab: serving {} on http://{address}/metrics", describe(&simulator));
        if !address.ip().is_loopback() {
            eprintln!("vigil lab: {address} is not a loopback address: whoever reaches it can shift the lab's traffic");
        }
        let lab = Arc::new(Lab::new(simulator, Arc::new(Utc::now)));
        serve::serve(listener, lab, shutdown_signal())
            .await
            .map_err(|e| Failure::usage(format!("serving failed: {e}")))?;
        eprintln!("vigil lab: stopped");
        Ok(0)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// A server's log belongs on stderr (the console's goes to a file, away from the screen).
fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).try_init();
}

pub fn backfill(global: &GlobalOptions, args: &LabBackfillArgs) -> Result<u8, Failure> {
    let now = Utc::now();
    let end = match &args.end {
        Some(text) => timeref::parse_at(text, now).map_err(|e| Failure::usage(format!("--end {e}")))?,
        None => now,
    };
    let end = DateTime::<Utc>::from_timestamp(end.timestamp(), 0).expect("a whole second of a valid instant");
    // The end is the scenario's anchor: bad-deploy's canary lands 15 minutes before it.
    let simulator = simulator(global, end)?;
    let options = BackfillOptions {
        end,
        span: std::time::Duration::from_secs_f64(args.hours * 3600.0),
        step_seconds: backfill::step_seconds(args.step).map_err(|e| Failure::usage(format!("--step {e}")))?,
        features: !args.no_features,
    };
    options.validate().map_err(Failure::usage)?;
    let out = &args.out;
    let file = File::create(out).map_err(|e| Failure::usage(format!("cannot create {}: {e}", out.display())))?;
    let summary = backfill::write(&simulator, &options, BufWriter::new(file))
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
    let at = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0).map_or(t.to_string(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    eprintln!(
        "vigil lab: wrote {} series, {} samples, {} bytes to {} ({} from {} to {} every {}); load it with \
         `promtool tsdb create-blocks-from openmetrics {} DATA_DIR`",
        summary.series,
        summary.samples,
        summary.bytes,
        out.display(),
        describe(&simulator),
        at(summary.first),
        at(summary.last),
        duration::format(args.step),
        out.display(),
    );
    Ok(0)
}
