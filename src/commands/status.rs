//! `vigil status`: the fleet's health as a table or JSON. Exits 1 when any
//! model is critical, so scripts and CI gates can use it.

use crate::app::state::build_report;
use crate::cli::{Format, StatusArgs};
use crate::commands::tables::{self, Align};
use crate::core::diagnostic::did_you_mean;
use crate::core::health::{self, FleetReport, Provenance, Status};
use crate::launch::{Failure, Setup};
use crate::ui::views::fleet::rate;

pub async fn run(setup: &Setup, args: &StatusArgs) -> Result<u8, Failure> {
    let context = setup.initial_context()?;
    let sources = setup.sources(&context)?;
    let source = sources.metrics;
    let asked_for = setup.at.unwrap_or_else(chrono::Utc::now);
    let (metrics, alerts) = match &sources.alerts {
        Some(alerts) => {
            let (m, a) = tokio::join!(super::fetch_fleet(&source, asked_for), super::fetch_alerts(alerts, setup.at));
            (m?, Some(a))
        }
        None => (super::fetch_fleet(&source, asked_for).await?, None),
    };
    // How far the data lags behind the instant it was asked for.
    let age = (asked_for - metrics.at).num_milliseconds() as f64 / 1000.0;
    let provenance =
        Provenance { source: metrics.via.clone().unwrap_or_else(|| source.name()), age_seconds: Some(age.max(0.0)) };
    let mut report = build_report(&metrics, &context.name, &context.health, &provenance);
    match alerts {
        Some(Ok(snapshot)) => {
            for note in &snapshot.notes {
                eprintln!("vigil: note: {note}");
            }
            report.attach_alerts(&snapshot.alerts);
        }
        Some(Err(e)) => eprintln!("vigil: alerts unavailable: {e}"),
        None => {}
    }
    if let Some(model) = &args.model {
        select_model(&mut report, model)?;
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| Failure::usage(e.to_string()))? + "\n",
        Format::Table => table(&report),
    };
    print!("{text}");
    Ok(if report.worst() == Some(Status::Critical) { 1 } else { 0 })
}

/// Keeps only `model`; an unknown name is a usage error with a hint.
pub fn select_model(report: &mut FleetReport, model: &str) -> Result<(), Failure> {
    if !report.models.iter().any(|m| m.model == model) {
        let hint = did_you_mean(model, report.models.iter().map(|m| m.model.as_str()))
            .map(|s| format!(" (did you mean {s}?)"))
            .unwrap_or_default();
        return Err(Failure::usage(format!("no model named {model} in context {}{hint}", report.context)));
    }
    report.models.retain(|m| m.model == model);
    Ok(())
}

pub fn table(report: &FleetReport) -> String {
    let dash = || "—".to_string();
    let mut models: Vec<_> = report.models.iter().collect();
    models.sort_by(|a, b| b.status.cmp(&a.status).then(a.model.cmp(&b.model)));
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            let serving: Vec<String> = m
                .versions
                .iter()
                .map(|v| {
                    let name = v.version.as_ref().map_or_else(dash, |s| format!("v{s}"));
                    let share = v.traffic_share.map(|s| format!(" {:.0}%", s * 100.0)).unwrap_or_default();
                    let aliases =
                        if v.aliases.is_empty() { String::new() } else { format!(" {}", v.aliases.join(",")) };
                    format!("{name}{aliases}{share}")
                })
                .collect();
            vec![
                m.status.as_str().to_string(),
                m.model.clone(),
                m.environment.clone().unwrap_or_else(dash),
                if serving.is_empty() { dash() } else { serving.join(" / ") },
                m.requests_per_second.map_or_else(dash, rate),
                m.error_ratio.map_or_else(dash, health::percent),
                match (m.latency_p50_seconds, m.latency_average_seconds) {
                    (Some(p50), _) => health::seconds(p50),
                    (None, Some(mean)) => format!("~{} mean", health::seconds(mean)),
                    (None, None) => dash(),
                },
                m.latency_p99_seconds.map_or_else(dash, health::seconds),
                m.reason.clone(),
            ]
        })
        .collect();
    let headers = [
        ("STATUS", Align::Left),
        ("MODEL", Align::Left),
        ("ENV", Align::Left),
        ("SERVING", Align::Left),
        ("REQ/S", Align::Right),
        ("ERR%", Align::Right),
        ("P50", Align::Right),
        ("P99", Align::Right),
        ("REASON", Align::Left),
    ];
    let mut out = format!(
        "context {} · at {} · {} models: {} critical, {} warning, {} unknown, {} ok\n",
        report.context,
        report.at.format("%Y-%m-%dT%H:%M:%SZ"),
        report.models.len(),
        report.count(Status::Critical),
        report.count(Status::Warning),
        report.count(Status::Unknown),
        report.count(Status::Ok),
    );
    out.push_str(&tables::format(&headers, &rows, 48));
    out
}
