//! `vigil registry`: every registered model's versions — aliases, status,
//! who registered them and when, source, tags — with the serving metrics of
//! the versions that take traffic, as a table or JSON.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::state::build_report;
use crate::cli::{Format, RegistryArgs};
use crate::commands::tables::{self, Align};
use crate::config::Context;
use crate::core::diagnostic::did_you_mean;
use crate::core::health::{self, FleetReport, Provenance};
use crate::core::registry::RegisteredModel;
use crate::core::registry_join::{self, NameMapping, RegistryReport, relative_age, status_word};
use crate::launch::{Failure, Setup, no_registry};
use crate::sources::RegistrySource;
use crate::ui::views::fleet::rate;

pub async fn run(setup: &Setup, args: &RegistryArgs) -> Result<u8, Failure> {
    let report = collect(setup, args.model.as_deref()).await?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| Failure::usage(e.to_string()))? + "\n",
        Format::Table => table(&report),
    };
    print!("{text}");
    Ok(0)
}

/// The registry of the context joined with its fleet as of `--at` (or now).
/// Metrics that cannot be read leave the numbers out, with a warning: the
/// registry is still worth printing.
pub async fn collect(setup: &Setup, model: Option<&str>) -> Result<RegistryReport, Failure> {
    let context = setup.initial_context()?;
    let sources = setup.sources(&context)?;
    let registry = sources.registry.clone().ok_or_else(|| no_registry(&context))?;
    let at = setup.at.unwrap_or_else(Utc::now);
    let (models, metrics) =
        tokio::join!(fetch_models(&registry, model, &context), super::fetch_fleet(&sources.metrics, at));
    let models = models?;
    let (fleet, metrics_name) = match metrics {
        Ok(metrics) => {
            let age = (at - metrics.at).num_milliseconds() as f64 / 1000.0;
            let source = metrics.via.clone().unwrap_or_else(|| sources.metrics.name());
            let provenance = Provenance { source: source.clone(), age_seconds: Some(age.max(0.0)) };
            (Some(build_report(&metrics, &context.name, &context.health, &provenance)), Some(source))
        }
        Err(e) => {
            eprintln!("vigil: serving metrics unavailable, shown without them: {}", e.message.trim_end());
            (None, None)
        }
    };
    Ok(report(&context, registry.name(), &models, fleet.as_ref(), metrics_name, at))
}

/// The report of `models` joined with `fleet` (shared with `vigil render`).
pub fn report(
    context: &Context,
    registry: String,
    models: &[RegisteredModel],
    fleet: Option<&FleetReport>,
    metrics: Option<String>,
    at: DateTime<Utc>,
) -> RegistryReport {
    RegistryReport {
        at,
        context: context.name.clone(),
        registry,
        metrics,
        models: registry_join::join(models, fleet, &context.registry_names, at),
    }
}

/// Every registered model, or the one named `model` — by its registry name
/// or its metrics label. Unreachable exits 3; a name nobody has exits 2.
pub async fn fetch_models(
    registry: &Arc<dyn RegistrySource>,
    model: Option<&str>,
    context: &Context,
) -> Result<Vec<RegisteredModel>, Failure> {
    let Some(model) = model else { return ask(registry, None).await };
    for name in candidates(model, &context.registry_names) {
        // Narrowed on the server's side; the exact name is picked here.
        let found: Vec<RegisteredModel> =
            ask(registry, Some(&name)).await?.into_iter().filter(|m| m.name == name).collect();
        if !found.is_empty() {
            return Ok(found);
        }
    }
    // Only on the way to an error: every name, for a hint.
    let all = ask(registry, None).await.unwrap_or_default();
    let hint = did_you_mean(model, all.iter().map(|m| m.name.as_str()))
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Err(Failure::usage(format!("no registered model named {model} in context {}{hint}", context.name)))
}

/// The name as typed, then the registry's name for it as a metrics label.
fn candidates(model: &str, names: &NameMapping) -> Vec<String> {
    let mapped = names.registry_name(model);
    if mapped == model { vec![model.to_string()] } else { vec![model.to_string(), mapped] }
}

async fn ask(registry: &Arc<dyn RegistrySource>, name_contains: Option<&str>) -> Result<Vec<RegisteredModel>, Failure> {
    match tokio::time::timeout(super::ONE_SHOT_TIMEOUT, registry.models(name_contains)).await {
        Ok(Ok(models)) => Ok(models),
        Ok(Err(e)) => Err(Failure::unreachable(e.to_string())),
        Err(_) => Err(Failure::unreachable(format!(
            "{}: no answer within {}s",
            registry.name(),
            super::ONE_SHOT_TIMEOUT.as_secs()
        ))),
    }
}

/// One row per version, newest first, the model named on its first row;
/// the serving columns are filled only for versions the metrics see.
pub fn table(report: &RegistryReport) -> String {
    let dash = || "—".to_string();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for model in &report.models {
        let mut name = Some(model.model.clone());
        if model.versions.is_empty() {
            let mut row = vec![model.model.clone(), dash(), String::new(), "no versions".into()];
            row.resize(13, String::new());
            rows.push(row);
        }
        for v in &model.versions {
            let tags: Vec<String> = v.tags.iter().map(|(k, value)| format!("{k}={value}")).collect();
            let mut row = vec![
                name.take().unwrap_or_default(),
                format!("v{}", v.version),
                v.aliases.join(","),
                status_word(&v.status).to_string(),
                v.user_id.clone().unwrap_or_else(dash),
                v.created_age_seconds.map_or_else(dash, relative_age),
                v.source.clone().unwrap_or_else(dash),
                if tags.is_empty() { dash() } else { tags.join(",") },
            ];
            match &v.serving {
                Some(s) => row.extend([
                    s.traffic_share.map_or_else(dash, |t| format!("{:.0}%", t * 100.0)),
                    s.requests_per_second.map_or_else(dash, rate),
                    s.error_ratio.map_or_else(dash, health::percent),
                    s.latency_p99_seconds.map_or_else(dash, health::seconds),
                    s.status.as_str().to_string(),
                ]),
                None => row.resize(13, String::new()),
            }
            rows.push(row);
        }
    }
    let headers = [
        ("MODEL", Align::Left),
        ("VERSION", Align::Left),
        ("ALIASES", Align::Left),
        ("STATUS", Align::Left),
        ("USER", Align::Left),
        ("CREATED", Align::Left),
        ("SOURCE", Align::Left),
        ("TAGS", Align::Left),
        ("TRAFFIC", Align::Right),
        ("REQ/S", Align::Right),
        ("ERR%", Align::Right),
        ("P99", Align::Right),
        ("HEALTH", Align::Left),
    ];
    let metrics = match &report.metrics {
        Some(source) => format!("metrics {source} at {}", report.at.format("%Y-%m-%dT%H:%M:%SZ")),
        None => "no serving metrics".to_string(),
    };
    let mut out = format!(
        "context {} · registry {} · {metrics} · {} · {} · {} failed\n",
        report.context,
        report.registry,
        count(report.models.len(), "model"),
        count(report.version_count(), "version"),
        report.failed_count(),
    );
    out.push_str(&tables::format(&headers, &rows, 48));
    out
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{BoxFuture, SourceError};

    /// A registry that cannot be reached: the command's exit code is under test, not a backend.
    struct Down;

    impl RegistrySource for Down {
        fn name(&self) -> String {
            "mlflow http://127.0.0.1:9".into()
        }
        fn models<'a>(&'a self, _: Option<&'a str>) -> BoxFuture<'a, Result<Vec<RegisteredModel>, SourceError>> {
            Box::pin(async { Err(SourceError { source_name: self.name(), message: "cannot connect: refused".into() }) })
        }
        fn model<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<RegisteredModel, SourceError>> {
            Box::pin(async { Err(SourceError { source_name: self.name(), message: "cannot connect: refused".into() }) })
        }
        fn set_alias<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
            Box::pin(async { Ok(()) })
        }
        fn set_model_tag<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
            Box::pin(async { Ok(()) })
        }
        fn delete_model_tag<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
            Box::pin(async { Ok(()) })
        }
        fn set_version_tag<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: &'a str,
            _: &'a str,
        ) -> BoxFuture<'a, Result<(), SourceError>> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn an_unreachable_registry_exits_3_naming_it() {
        let registry: Arc<dyn RegistrySource> = Arc::new(Down);
        let context = Context::named("prod");
        for model in [None, Some("fraud-detector")] {
            let failure = fetch_models(&registry, model, &context).await.unwrap_err();
            assert_eq!(failure.code, 3);
            assert_eq!(failure.message, "mlflow http://127.0.0.1:9: cannot connect: refused");
        }
    }

    #[tokio::test]
    async fn a_model_is_found_by_its_registry_name_or_its_metrics_label() {
        let simulator = crate::lab::fixtures::bad_deploy(3);
        let mut context = Context::named("lab");
        // Metrics that call the model `fraud`, a registry that calls it `fraud-detector`.
        let overrides = [("fraud".to_string(), "fraud-detector".to_string())].into();
        context.registry_names = NameMapping::new("{model}", overrides).unwrap();
        let registry: Arc<dyn RegistrySource> = Arc::new(crate::lab::LabRegistry::new(&simulator));
        for typed in ["fraud-detector", "fraud"] {
            let found = fetch_models(&registry, Some(typed), &context).await.unwrap();
            assert_eq!(found.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["fraud-detector"], "{typed}");
        }
        assert_eq!(candidates("fraud", &context.registry_names), ["fraud", "fraud-detector"]);
        let failure = fetch_models(&registry, Some("churn-predictr"), &context).await.unwrap_err();
        assert_eq!(failure.code, 2);
        assert_eq!(
            failure.message,
            "no registered model named churn-predictr in context lab (did you mean churn-predictor?)"
        );
    }
}
