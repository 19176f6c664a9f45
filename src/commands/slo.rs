//! `vigil slo`: every SLO's budget and burn rates as a table or JSON; exits
//! 1 when a page-level row fires, so it can gate a deploy.

use chrono::Utc;

use crate::cli::{Format, SloArgs};
use crate::collect::slo::evaluate;
use crate::commands::tables::{self, Align};
use crate::core::diagnostic::did_you_mean;
use crate::core::duration::format_age;
use crate::core::slo::{SloEntry, SloReport};
use crate::launch::{Failure, Setup};

pub async fn run(setup: &Setup, args: &SloArgs) -> Result<u8, Failure> {
    let report = collect(setup, args.model.as_deref()).await?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| Failure::usage(e.to_string()))? + "\n",
        Format::Table => table(&report),
    };
    print!("{text}");
    for entry in report.slos.iter().filter(|s| s.error.is_some()) {
        eprintln!("vigil: {}: {}", entry.name, entry.error.as_deref().unwrap_or_default());
    }
    Ok(if report.pages() { 1 } else { 0 })
}

/// The SLO report the command prints (and the SLO view will show).
pub async fn collect(setup: &Setup, model: Option<&str>) -> Result<SloReport, Failure> {
    let context = setup.initial_context()?;
    let sources = setup.sources(&context)?;
    let source = sources.metrics;
    let at = setup.at.unwrap_or_else(Utc::now);
    let plan = setup.slo_plan(&context)?;
    let mut definitions = match tokio::time::timeout(super::ONE_SHOT_TIMEOUT, plan.definitions(&source, at)).await {
        Ok(Ok(list)) => list,
        Ok(Err(e)) => return Err(Failure::unreachable(e.to_string())),
        Err(_) => return Err(Failure::unreachable(format!("{}: no answer", source.name()))),
    };
    if let Some(model) = model {
        if !definitions.iter().any(|d| d.model == model) {
            let hint = did_you_mean(model, definitions.iter().map(|d| d.model.as_str()))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            return Err(Failure::usage(format!("no SLO for a model named {model} in context {}{hint}", context.name)));
        }
        definitions.retain(|d| d.model == model);
    }
    let slos = match tokio::time::timeout(super::ONE_SHOT_TIMEOUT * 2, evaluate(&source, &definitions, at)).await {
        Ok(Ok(slos)) => slos,
        Ok(Err(e)) => return Err(Failure::unreachable(e.to_string())),
        Err(_) => return Err(Failure::unreachable(format!("{}: no answer for the SLO windows", source.name()))),
    };
    Ok(SloReport { at, context: context.name.clone(), source: source.name(), slos })
}

fn table(report: &SloReport) -> String {
    let dash = || "—".to_string();
    let burn =
        |e: &SloEntry, w: &str| e.state.burn_rate.get(w).map_or_else(|| "no traffic".into(), |b| format!("{b:.2}"));
    let rows: Vec<Vec<String>> = report
        .slos
        .iter()
        .map(|e| {
            let firing = e.state.firing_rows();
            vec![
                e.name.clone(),
                e.model.clone(),
                format!("{} {}%", e.kind, e.objective),
                e.state.budget_remaining.map_or_else(dash, |b| format!("{:.1}%", b * 100.0)),
                burn(e, "5m"),
                burn(e, "1h"),
                burn(e, "6h"),
                burn(e, "3d"),
                e.state.exhaustion_seconds.map_or_else(dash, format_age),
                if let Some(error) = &e.error {
                    format!("error: {error}")
                } else if firing.is_empty() {
                    "—".into()
                } else {
                    firing.join(", ")
                },
            ]
        })
        .collect();
    let headers = [
        ("SLO", Align::Left),
        ("MODEL", Align::Left),
        ("OBJECTIVE", Align::Left),
        ("BUDGET LEFT", Align::Right),
        ("BURN 5M", Align::Right),
        ("1H", Align::Right),
        ("6H", Align::Right),
        ("3D", Align::Right),
        ("EXHAUSTED IN", Align::Right),
        ("FIRING", Align::Left),
    ];
    tables::format(&headers, &rows, 48)
}
