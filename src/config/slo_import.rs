//! SLOs that teams already keep as Sloth specs (`version: prometheus/v1`),
//! imported as they are so nobody writes them twice. A context lists the
//! files with `slo_files = ["slos/fraud.yml"]` (relative to the config
//! file). Every problem is reported with the file, line and column.

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

/// The SLOs of one Sloth file. The model is the spec's `service`, the name
/// `service-slo` (Sloth's `sloth_id`).
pub fn import(path: &Path) -> Result<Vec<SloDefinition>, Diagnostic> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::file_level(&label, format!("cannot read the SLO file: {e}")))?;
    let spec: SlothSpec = serde_saphyr::from_str(&text).map_err(|e| yaml_problem(&label, &text, &e.to_string()))?;
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
                    &text,
                    &slo.name,
                    &key,
                    format!("objective {} is not between 0 and 100", slo.objective),
                ));
            }
            let Some(events) = &slo.sli.events else {
                return Err(at_key(
                    &label,
                    &text,
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
                        &text,
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

/// serde-saphyr writes "… at line L column C"; keep its words, add our frame.
fn yaml_problem(label: &str, text: &str, message: &str) -> Diagnostic {
    let first = message.lines().next().unwrap_or(message).to_string();
    let location = regex::Regex::new(r"line (\d+),? column (\d+)").ok().and_then(|re| {
        re.captures(message).map(|c| (c[1].parse::<usize>().unwrap_or(1), c[2].parse::<usize>().unwrap_or(1)))
    });
    match location {
        Some((line, column)) => {
            let offset = text.lines().take(line.saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>()
                + column.saturating_sub(1);
            Diagnostic::at(label, text, offset.min(text.len()), "", format!("not a Sloth spec: {first}"))
        }
        None => Diagnostic::file_level(label, format!("not a Sloth spec: {message}")),
    }
}

/// A problem with one SLO, placed at the line naming it.
fn at_key(label: &str, text: &str, slo: &str, key: &str, message: String) -> Diagnostic {
    let offset = text.find(&format!("name: {slo}")).or_else(|| text.find(&format!("name: \"{slo}\""))).unwrap_or(0);
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
