//! SLOs that teams already keep as Sloth specs (`version: prometheus/v1`)
//! or OpenSLO v1 documents (`apiVersion: openslo/v1`, `kind: SLO` with a
//! Prometheus ratio indicator), imported as they are so nobody writes them
//! twice. A context lists the files with `slo_files = ["slos/fraud.yml"]`
//! (relative to the config file). Every problem is reported with the file,
//! line and column.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::core::diagnostic::Diagnostic;
use crate::core::slo::{Objective, Sli, SloDefinition};

/// Sloth's default period, used when a spec does not say.
const SLOTH_PERIOD: Duration = Duration::from_secs(30 * 86_400);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSpec {
    version: String,
    service: String,
    #[serde(default)]
    #[allow(dead_code)]
    labels: std::collections::BTreeMap<String, String>,
    slos: Vec<SlothSlo>,
}

#[derive(Debug, Deserialize)]
struct SlothSlo {
    name: String,
    objective: f64,
    sli: SlothSli,
    /// Sloth's own alerting config; vigil evaluates the workbook's rows itself.
    #[serde(default)]
    #[allow(dead_code)]
    alerting: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct SlothSli {
    events: Option<SlothEvents>,
}

#[derive(Debug, Deserialize)]
struct SlothEvents {
    error_query: String,
    total_query: String,
}

/// The SLOs of one file, Sloth or OpenSLO (told apart by their first key).
pub fn import(path: &Path) -> Result<Vec<SloDefinition>, Diagnostic> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::file_level(&label, format!("cannot read the SLO file: {e}")))?;
    if text.lines().any(|l| l.trim_start().starts_with("apiVersion:")) {
        return import_openslo(&label, &text);
    }
    import_sloth(&label, &text)
}

/// A Sloth spec: the model is its `service`, each name `service-slo`
/// (Sloth's `sloth_id`).
fn import_sloth(label: &str, text: &str) -> Result<Vec<SloDefinition>, Diagnostic> {
    let label = label.to_string();
    let spec: SlothSpec =
        serde_saphyr::from_str(text).map_err(|e| yaml_problem(&label, text, "a Sloth spec", &e.to_string()))?;
    if spec.version != "prometheus/v1" {
        return Err(Diagnostic::file_level(
            &label,
            format!("version `{}`: only Sloth's `prometheus/v1` specs are understood", spec.version),
        ));
    }
    spec.slos
        .iter()
        .map(|slo| {
            let key = format!("slos.{}", slo.name);
            if !(slo.objective > 0.0 && slo.objective < 100.0) {
                return Err(at_key(
                    &label,
                    text,
                    &slo.name,
                    &key,
                    format!("objective {} is not between 0 and 100", slo.objective),
                ));
            }
            let Some(events) = &slo.sli.events else {
                return Err(at_key(
                    &label,
                    text,
                    &slo.name,
                    &key,
                    "only `sli.events` (error_query and total_query) can be imported; raw and plugin SLIs cannot"
                        .into(),
                ));
            };
            for (name, query) in [("error_query", &events.error_query), ("total_query", &events.total_query)] {
                if !query.contains("{{.window}}") {
                    return Err(at_key(
                        &label,
                        text,
                        &slo.name,
                        &format!("{key}.sli.events.{name}"),
                        "has no {{.window}} placeholder, so it cannot be evaluated over the SLO windows".into(),
                    ));
                }
            }
            Ok(SloDefinition {
                name: format!("{}-{}", spec.service, slo.name),
                model: spec.service.clone(),
                sli: Sli::Events { error_query: events.error_query.clone(), total_query: events.total_query.clone() },
                objective: Objective::from_percent(slo.objective, SLOTH_PERIOD),
                origin: label.clone(),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenSloDocument {
    api_version: String,
    kind: String,
    metadata: OpenSloMetadata,
    spec: Option<OpenSloSpec>,
}

#[derive(Debug, Deserialize)]
struct OpenSloMetadata {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenSloSpec {
    /// Optional here because other kinds (Service, SLI) have other specs.
    service: Option<String>,
    indicator: Option<OpenSloIndicator>,
    #[serde(default)]
    time_window: Vec<OpenSloWindow>,
    #[serde(default)]
    budgeting_method: Option<String>,
    #[serde(default)]
    objectives: Vec<OpenSloObjective>,
}

#[derive(Debug, Deserialize)]
struct OpenSloIndicator {
    spec: OpenSloIndicatorSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenSloIndicatorSpec {
    ratio_metric: Option<OpenSloRatio>,
}

#[derive(Debug, Deserialize)]
struct OpenSloRatio {
    #[serde(default)]
    counter: bool,
    good: Option<OpenSloMetric>,
    bad: Option<OpenSloMetric>,
    total: OpenSloMetric,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenSloMetric {
    metric_source: OpenSloSource,
}

#[derive(Debug, Deserialize)]
struct OpenSloSource {
    #[serde(rename = "type")]
    kind: String,
    spec: OpenSloQuery,
}

#[derive(Debug, Deserialize)]
struct OpenSloQuery {
    query: String,
}

#[derive(Debug, Deserialize)]
struct OpenSloWindow {
    duration: String,
}

#[derive(Debug, Deserialize)]
struct OpenSloObjective {
    target: f64,
}

/// OpenSLO v1 `kind: SLO` documents with an inline Prometheus `ratioMetric`
/// whose queries are counters (`counter: true`): a plain selector each,
/// taken as `sum(rate(QUERY[window]))`. Other kinds in the file (Service,
/// SLI, AlertPolicy) are skipped; other SLIs are refused with the reason.
fn import_openslo(label: &str, text: &str) -> Result<Vec<SloDefinition>, Diagnostic> {
    let documents: Vec<OpenSloDocument> = serde_saphyr::from_multiple(text)
        .map_err(|e| yaml_problem(label, text, "an OpenSLO document", &e.to_string()))?;
    let selector = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?$").expect("a valid regex");
    let mut out = Vec::new();
    for doc in documents.iter().filter(|d| d.kind == "SLO") {
        let name = &doc.metadata.name;
        let refuse = |key: &str, message: String| at_key(label, text, name, &format!("{name}.{key}"), message);
        if doc.api_version != "openslo/v1" {
            return Err(refuse("apiVersion", format!("`{}`: only openslo/v1 is understood", doc.api_version)));
        }
        let Some(spec) = &doc.spec else { return Err(refuse("spec", "an SLO needs a spec".into())) };
        let Some(service) = &spec.service else {
            return Err(refuse("spec.service", "an SLO names its service".into()));
        };
        if spec.budgeting_method.as_deref().is_some_and(|m| m != "Occurrences") {
            return Err(refuse("spec.budgetingMethod", "only Occurrences budgeting can be imported".into()));
        }
        let Some(ratio) = spec.indicator.as_ref().and_then(|i| i.spec.ratio_metric.as_ref()) else {
            return Err(refuse("spec.indicator", "only an inline ratioMetric indicator can be imported".into()));
        };
        if !ratio.counter {
            return Err(refuse(
                "spec.indicator.spec.ratioMetric.counter",
                "only counter ratio metrics (counter: true) can be imported".into(),
            ));
        }
        let query = |metric: &OpenSloMetric, which: &str| -> Result<String, Diagnostic> {
            let q = metric.metric_source.spec.query.trim();
            if metric.metric_source.kind != "Prometheus" {
                return Err(refuse(
                    which,
                    format!("metric source `{}`: only Prometheus is read", metric.metric_source.kind),
                ));
            }
            if !selector.is_match(q) {
                return Err(refuse(which, format!("`{q}` is not a counter selector like name{{label=\"value\"}}")));
            }
            Ok(format!("sum(rate({q}[{{{{.window}}}}]))"))
        };
        let total = query(&ratio.total, "spec.indicator.spec.ratioMetric.total")?;
        let error_query = match (&ratio.bad, &ratio.good) {
            (Some(bad), _) => query(bad, "spec.indicator.spec.ratioMetric.bad")?,
            (None, Some(good)) => format!("({total}) - ({})", query(good, "spec.indicator.spec.ratioMetric.good")?),
            (None, None) => return Err(refuse("spec.indicator.spec.ratioMetric", "needs `good` or `bad`".into())),
        };
        let period = match spec.time_window.first() {
            Some(w) => crate::core::duration::parse(&w.duration).map_err(|e| refuse("spec.timeWindow", e))?,
            None => SLOTH_PERIOD,
        };
        let Some(objective) = spec.objectives.first() else {
            return Err(refuse("spec.objectives", "needs an objective with a target".into()));
        };
        if !(objective.target > 0.0 && objective.target < 1.0) {
            return Err(refuse("spec.objectives", format!("target {} is not between 0 and 1", objective.target)));
        }
        out.push(SloDefinition {
            name: name.clone(),
            model: service.clone(),
            sli: Sli::Events { error_query, total_query: total },
            objective: Objective { target: objective.target, period },
            origin: label.to_string(),
        });
    }
    Ok(out)
}

/// serde-saphyr writes "… at line L column C"; keep its words, add our frame.
fn yaml_problem(label: &str, text: &str, what: &str, message: &str) -> Diagnostic {
    let first = message.lines().next().unwrap_or(message).to_string();
    let location = regex::Regex::new(r"line (\d+),? column (\d+)").ok().and_then(|re| {
        re.captures(message).map(|c| (c[1].parse::<usize>().unwrap_or(1), c[2].parse::<usize>().unwrap_or(1)))
    });
    match location {
        Some((line, column)) => {
            let offset = text.lines().take(line.saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>()
                + column.saturating_sub(1);
            Diagnostic::at(label, text, offset.min(text.len()), "", format!("not {what}: {first}"))
        }
        None => Diagnostic::file_level(label, format!("not {what}: {message}")),
    }
}

/// A problem with one SLO, placed at the line naming it.
fn at_key(label: &str, text: &str, slo: &str, key: &str, message: String) -> Diagnostic {
    let offset = text.find(&format!("name: {slo}")).or_else(|| text.find(&format!("name: \"{slo}\""))).unwrap_or(0);
    // `Diagnostic::at` wants a key; an empty one reads as the whole document.
    Diagnostic::at(label, text, offset, key, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"version: "prometheus/v1"
service: "fraud-detector"
labels:
  owner: "risk-ml"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Predictions answered without error."
    sli:
      events:
        error_query: sum(rate(model_requests_total{model="fraud-detector",outcome="error"}[{{.window}}]))
        total_query: sum(rate(model_requests_total{model="fraud-detector"}[{{.window}}]))
    alerting:
      name: FraudAvailability
      page_alert:
        labels:
          severity: page
"#;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fraud.yml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_sloth_spec_becomes_an_slo_per_entry() {
        let (_dir, path) = write(SPEC);
        let slos = import(&path).unwrap();
        assert_eq!(slos.len(), 1);
        assert_eq!(slos[0].name, "fraud-detector-requests-availability");
        assert_eq!(slos[0].model, "fraud-detector");
        assert_eq!(slos[0].objective, Objective::from_percent(99.9, SLOTH_PERIOD));
        assert!(matches!(&slos[0].sli, Sli::Events { error_query, .. } if error_query.contains("outcome=\"error\"")));
    }

    const OPENSLO: &str = r#"apiVersion: openslo/v1
kind: Service
metadata:
  name: fraud-detector
spec:
  description: Fraud scoring
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: fraud-availability
spec:
  service: fraud-detector
  indicator:
    metadata:
      name: fraud-errors
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: model_requests_total{model="fraud-detector",outcome="success"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: model_requests_total{model="fraud-detector"}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good predictions
      target: 0.995
"#;

    #[test]
    fn an_openslo_ratio_objective_is_imported_with_its_window_and_target() {
        let (_dir, path) = write(OPENSLO);
        let slos = import(&path).unwrap();
        assert_eq!(slos.len(), 1, "the Service document is skipped");
        assert_eq!(slos[0].name, "fraud-availability");
        assert_eq!(slos[0].model, "fraud-detector");
        assert_eq!(slos[0].objective, Objective { target: 0.995, period: Duration::from_secs(28 * 86_400) });
        let Sli::Events { error_query, total_query } = &slos[0].sli else { panic!() };
        assert_eq!(total_query, r#"sum(rate(model_requests_total{model="fraud-detector"}[{{.window}}]))"#);
        assert_eq!(
            error_query,
            r#"(sum(rate(model_requests_total{model="fraud-detector"}[{{.window}}]))) - (sum(rate(model_requests_total{model="fraud-detector",outcome="success"}[{{.window}}])))"#
        );
    }

    #[test]
    fn openslo_shapes_that_cannot_be_evaluated_are_refused_with_the_key() {
        let (_dir, path) = write(&OPENSLO.replace("counter: true", "counter: false"));
        let problem = import(&path).unwrap_err().to_string();
        assert!(problem.contains("fraud-availability.spec.indicator.spec.ratioMetric.counter"), "{problem}");
        let (_dir, path) = write(&OPENSLO.replace(
            r#"query: model_requests_total{model="fraud-detector"}"#,
            "query: sum(rate(model_requests_total[5m]))",
        ));
        let problem = import(&path).unwrap_err().to_string();
        assert!(problem.contains("is not a counter selector"), "{problem}");
        let (_dir, path) = write(&OPENSLO.replace("target: 0.995", "target: 99.5"));
        assert!(import(&path).unwrap_err().to_string().contains("target 99.5 is not between 0 and 1"));
    }

    #[test]
    fn problems_name_the_file_line_and_key() {
        let (_dir, path) = write(&SPEC.replace("objective: 99.9", "objective: lots"));
        let problem = import(&path).unwrap_err().to_string();
        assert!(problem.starts_with(&format!("{}:7:16", path.display())), "{problem}");
        assert!(problem.contains("not a Sloth spec"), "{problem}");
        let (_dir, path) = write(&SPEC.replace("[{{.window}}]))\n        total", "[5m]))\n        total"));
        let problem = import(&path).unwrap_err().to_string();
        assert!(problem.contains("slos.requests-availability.sli.events.error_query"), "{problem}");
        assert!(problem.contains("{{.window}}"), "{problem}");
        let (_dir, path) = write(&SPEC.replace("prometheus/v1", "prometheus/v2"));
        assert!(import(&path).unwrap_err().to_string().contains("only Sloth's `prometheus/v1`"));
    }
}
