//! Reading and validating the config file.
//!
//! The TOML is parsed with spans kept, then walked by hand (not deserialized
//! with serde) so that every problem is reported, each at its own line and
//! column, instead of only the first one serde would stop at.

use std::collections::BTreeSet;
use std::path::Path;

use toml::de::DeTable;

use super::model::Config;
use super::reader::{Reader, Section};
use super::schema;
use crate::core::diagnostic::Diagnostic;
use crate::sources::presets::Preset;

/// Validates `source`; `file_label` is how diagnostics name the file.
/// The returned config has `file: None`: it did not come from a path.
/// Only the shipped presets are known here; [`load`] knows the user's too.
pub fn load_str(file_label: &str, source: &str) -> Result<Config, Vec<Diagnostic>> {
    validate(file_label, source, None)
}

/// Validates `source` with the presets of `presets_dir` known besides the
/// shipped ones (a context may name either).
fn validate(file_label: &str, source: &str, presets_dir: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let document = DeTable::parse(source).map_err(|e| vec![syntax_error(file_label, source, &e)])?;
    let mut reader = Reader::new(file_label, source);
    let root = Section::new(String::new(), document.get_ref(), document.span());
    let config = schema::config(&mut reader, &root, &Preset::names(presets_dir));
    let problems = reader.finish();
    if problems.is_empty() { Ok(config) } else { Err(problems) }
}

/// Reads and validates the file at `path`; a context's `preset` may name a
/// shipped preset or a user preset in `presets_dir`. A file that cannot be
/// read is one file-level diagnostic naming the operating system's reason.
pub fn load(path: &Path, presets_dir: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let label = path.display().to_string();
    let source = std::fs::read_to_string(path)
        .map_err(|e| vec![Diagnostic::file_level(&label, format!("cannot read the config file: {e}"))])?;
    let mut config = validate(&label, &source, presets_dir)?;
    config.file = Some(path.to_path_buf());
    Ok(config)
}

/// Like [`load`], but a file that does not exist is an empty config: vigil
/// runs without one (`--demo`, or contexts passed another way). Any other
/// read error is still reported.
pub fn load_or_default(path: &Path, presets_dir: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    if path.try_exists().is_ok_and(|exists| !exists) {
        return Ok(Config::default());
    }
    load(path, presets_dir)
}

/// A TOML syntax error. The parser stops at the first one, so there is one.
fn syntax_error(file: &str, source: &str, error: &toml::de::Error) -> Diagnostic {
    let message = format!("invalid TOML: {}", error.message().trim());
    match error.span() {
        Some(span) => Diagnostic::at(file, source, span.start, "", message),
        None => Diagnostic::file_level(file, message),
    }
}

/// One diagnostic per line, then a count: `2 problems in config.toml`.
/// No trailing newline, so it can be handed to `eprintln!`.
pub fn format_report(diagnostics: &[Diagnostic]) -> String {
    let mut lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    let files: BTreeSet<&str> = diagnostics.iter().map(|d| d.file.as_str()).collect();
    let count = match diagnostics.len() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    };
    let place = match files.len() {
        0 => String::new(),
        1 => format!(" in {}", files.first().copied().unwrap_or_default()),
        n => format!(" in {n} files"),
    };
    lines.push(format!("{count}{place}"));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::config::{ElasticEndpoint, Endpoint, LabSettings, SecretRef, SloKind, SloSpec};
    use crate::core::health::HealthThresholds;

    /// The Display strings of every problem `load_str` finds.
    fn problems(label: &str, source: &str) -> Vec<String> {
        match load_str(label, source) {
            Ok(config) => panic!("{label} should not load, but gave {config:?}"),
            Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const DAYS_30: Duration = Duration::from_secs(30 * 86_400);

    #[test]
    fn design_example_loads_with_every_field_in_place() {
        let config = load_str("design.toml", include_str!("../../tests/fixtures/config/design-example.toml"))
            .expect("the DESIGN.md example is valid");
        assert_eq!(config.default_context.as_deref(), Some("prod"));
        assert_eq!(
            (config.theme.as_deref(), config.keymap.as_deref(), config.ascii, config.read_only),
            (None, None, false, false)
        );
        assert_eq!(config.contexts.keys().collect::<Vec<_>>(), ["prod"]);
        let prod = &config.contexts["prod"];
        assert_eq!(prod.name, "prod");
        assert!(prod.read_only);
        assert_eq!(prod.tint.as_deref(), Some("red"));
        assert_eq!(prod.preset, "generic");
        assert_eq!(prod.environment, None);
        assert_eq!(prod.refresh, secs(10));
        assert_eq!(prod.health, HealthThresholds::default());
        assert_eq!(prod.lab, None);
        assert_eq!(
            prod.prometheus,
            Some(Endpoint {
                url: "https://prom.example:9090".into(),
                token: Some(SecretRef::Env("PROM_TOKEN".into())),
                tenant: Some("ml".into()),
                ..Endpoint::default()
            })
        );
        assert_eq!(prod.alertmanager, Some(Endpoint { url: "http://127.0.0.1:9093".into(), ..Endpoint::default() }));
        assert_eq!(
            prod.elasticsearch,
            Some(ElasticEndpoint {
                endpoint: Endpoint { url: "https://es:9200".into(), ..Endpoint::default() },
                api_key: Some(SecretRef::File(PathBuf::from("/run/secrets/es"))),
                events_index: Some("mlops-events-*".into()),
                logs_index: Some("model-logs-*".into()),
            })
        );
        assert_eq!(
            prod.mlflow,
            Some(Endpoint {
                url: "http://127.0.0.1:5000".into(),
                token: Some(SecretRef::Env("MLFLOW_TOKEN".into())),
                ..Endpoint::default()
            })
        );
        assert_eq!(
            prod.slos,
            [
                SloSpec {
                    name: "fraud-availability".into(),
                    model: "fraud-detector".into(),
                    kind: SloKind::Availability,
                    objective: 99.9,
                    period: DAYS_30,
                    threshold: None,
                },
                SloSpec {
                    name: "fraud-latency".into(),
                    model: "fraud-detector".into(),
                    kind: SloKind::Latency,
                    objective: 99.0,
                    period: DAYS_30,
                    threshold: Some(Duration::from_millis(250)),
                },
            ]
        );
    }

    #[test]
    fn shipped_example_config_loads() {
        let config = load_str("config.example.toml", include_str!("../../config.example.toml"))
            .expect("config.example.toml is valid");
        assert_eq!(config.contexts.keys().collect::<Vec<_>>(), ["lab", "prod"]);
        let prod = &config.contexts["prod"];
        assert_eq!(prod.refresh, secs(15));
        assert_eq!(prod.environment.as_deref(), Some("production"));
        assert_eq!(prod.health, HealthThresholds::default());
        assert_eq!(prod.prometheus.as_ref().and_then(|p| p.timeout), Some(secs(10)));
        assert_eq!(prod.slos.len(), 2);
        assert_eq!(prod.filter, "namespace=\"ml\"");
        assert_eq!(prod.scrape_targets.len(), 2);
        assert_eq!(prod.queries.keys().collect::<Vec<_>>(), ["errors"]);
        assert_eq!(prod.registry_names.registry_name("churn-predictor"), "prod.churn-predictor");
        assert_eq!(prod.registry_names.registry_name("fraud-detector"), "fraud_detector_xgb");
        let lab = &config.contexts["lab"];
        assert_eq!(lab.lab, Some(LabSettings { scenario: "bad-deploy".into(), models: 12, seed: 42 }));
        assert_eq!(lab.tint.as_deref(), Some("#005f00"));
        assert!(!lab.read_only);
    }

    #[test]
    fn defaults_fill_what_a_minimal_file_leaves_out() {
        let config = load_str("min.toml", "[contexts.dev]\nlab = {}\n").unwrap();
        let dev = &config.contexts["dev"];
        assert_eq!((dev.preset.as_str(), dev.refresh, dev.read_only), ("generic", secs(10), false));
        assert_eq!(dev.lab, Some(LabSettings { scenario: "calm".into(), models: 12, seed: 42 }));
        assert_eq!(load_str("empty.toml", ""), Ok(Config::default()));
    }

    #[test]
    fn whole_numbers_are_accepted_where_a_number_is_expected() {
        let source = "[[contexts.prod.slo]]\nname = \"a\"\nmodel = \"m\"\nkind = \"availability\"\nobjective = 99\n\
                      [contexts.prod.health]\nerror_ratio_critical = 1\n";
        let prod = &load_str("ints.toml", source).unwrap().contexts["prod"];
        assert_eq!(prod.slos[0].objective, 99.0);
        assert_eq!(prod.health.error_ratio_critical, 1.0);
    }

    #[test]
    fn health_thresholds_and_full_endpoints_are_read() {
        let source = r#"
            [contexts.prod.health]
            error_ratio_warning = 0.02
            error_ratio_critical = 0.1
            latency_p99_warning = "250ms"
            latency_p99_critical = "2s"
            min_version_requests_per_second = 1

            [contexts.prod.prometheus]
            url = "https://mimir.internal/prometheus"
            username = "vigil"
            password_file = "/run/secrets/mimir"
            ca_file = "/etc/ssl/internal-ca.pem"
            client_cert_file = "/etc/vigil/client.crt"
            client_key_file = "/etc/vigil/client.key"
            timeout = "5s"
        "#;
        let prod = &load_str("full.toml", source).unwrap().contexts["prod"];
        assert_eq!(
            prod.health,
            HealthThresholds {
                error_ratio_warning: 0.02,
                error_ratio_critical: 0.1,
                latency_p99_warning_seconds: 0.25,
                latency_p99_critical_seconds: 2.0,
                min_version_requests_per_second: 1.0,
            }
        );
        assert_eq!(
            prod.prometheus,
            Some(Endpoint {
                url: "https://mimir.internal/prometheus".into(),
                token: None,
                username: Some("vigil".into()),
                password: Some(SecretRef::File("/run/secrets/mimir".into())),
                tenant: None,
                ca_file: Some("/etc/ssl/internal-ca.pem".into()),
                client_cert_file: Some("/etc/vigil/client.crt".into()),
                client_key_file: Some("/etc/vigil/client.key".into()),
                timeout: Some(secs(5)),
            })
        );
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean_or_the_known_keys() {
        assert_eq!(
            problems("unknown-keys.toml", include_str!("../../tests/fixtures/config/invalid/unknown-keys.toml")),
            [
                "unknown-keys.toml:2:1: tint: unknown key (`tint` belongs in a context: [contexts.NAME])",
                "unknown-keys.toml:5:1: contexts.prod.read_onyl: unknown key (did you mean `read_only`?)",
                "unknown-keys.toml:6:14: contexts.prod.prometheus.url: required key is missing",
                "unknown-keys.toml:6:16: contexts.prod.prometheus.ulr: unknown key (did you mean `url`?)",
                "unknown-keys.toml:9:1: contexts.prod.lab.scenari: unknown key (did you mean `scenario`?)",
                "unknown-keys.toml:10:1: contexts.prod.lab.colour: unknown key (known keys: scenario, models, seed)",
                "unknown-keys.toml:12:2: context: unknown key (did you mean `contexts`?)",
            ]
        );
    }

    #[test]
    fn inline_secrets_are_refused_without_echoing_them() {
        let source = include_str!("../../tests/fixtures/config/invalid/inline-secrets.toml");
        let found = problems("inline-secrets.toml", source);
        assert_eq!(
            found,
            [
                "inline-secrets.toml:2:51: contexts.prod.prometheus.token: secrets are never written in the config \
                 file (use `token_env` or `token_file` instead: an environment variable or a file holding it)",
                "inline-secrets.toml:3:61: contexts.prod.mlflow.password: secrets are never written in the config \
                 file (use `password_env` or `password_file` instead: an environment variable or a file holding it)",
                "inline-secrets.toml:7:1: contexts.prod.elasticsearch.api_key: secrets are never written in the config \
                 file (use `api_key_env` or `api_key_file` instead: an environment variable or a file holding it)",
            ]
        );
        for secret in ["s3cr3t", "hunter2", "c2VjcmV0LWtleQ=="] {
            assert!(found.iter().all(|line| !line.contains(secret)), "{secret} was echoed");
        }
    }

    #[test]
    fn every_bad_value_in_a_file_is_reported_at_its_place() {
        assert_eq!(
            problems("bad-values.toml", include_str!("../../tests/fixtures/config/invalid/bad-values.toml")),
            [
                "bad-values.toml:1:13: read_only: expected true or false, found a string",
                "bad-values.toml:4:8: contexts.prod.tint: `reddish` is not a colour (use a colour name like `red`, \
                 a hex colour like `#5f0000` or a palette index 0-255)",
                "bad-values.toml:5:10: contexts.prod.preset: unknown preset `kserv`; expected one of generic, kserve, \
                 seldon, mlserver, triton, bentoml, torchserve, ray (did you mean `kserve`?)",
                "bad-values.toml:6:11: contexts.prod.refresh: expected a duration like \"30s\": `soon` is not a \
                 duration: expected number at 0",
                "bad-values.toml:7:22: contexts.prod.prometheus.url: expected an http:// or https:// URL",
                "bad-values.toml:8:24: contexts.prod.alertmanager.url: unsupported scheme `ftp`; use http or https",
                "bad-values.toml:9:10: contexts.prod.mlflow: expected a table like { url = \"https://…\" }, found a \
                 string",
                "bad-values.toml:12:8: contexts.staging.tint: `chartreuse` is not a colour (use a colour name like \
                 `red`, a hex colour like `#5f0000` or a palette index 0-255)",
                "bad-values.toml:13:11: contexts.staging.refresh: expected a duration like \"30s\", found an integer \
                 (quote it with a unit, e.g. \"10s\")",
                "bad-values.toml:14:15: contexts.staging.environment: expected a string, found an integer",
                "bad-values.toml:15:55: contexts.staging.alertmanager.timeout: must be longer than 0s",
                "bad-values.toml:18:12: contexts.lab.lab.scenario: unknown scenario `bad-deploi`; expected one of \
                 calm, bad-deploy, feature-drift (did you mean `bad-deploy`?)",
                "bad-values.toml:19:10: contexts.lab.lab.models: expected from 1 to 10000 models, found 0",
                "bad-values.toml:20:8: contexts.lab.lab.seed: must not be negative, found -1",
            ]
        );
    }

    #[test]
    fn slo_problems_name_the_entry_and_both_lines_of_a_duplicate() {
        assert_eq!(
            problems("slos.toml", include_str!("../../tests/fixtures/config/invalid/slos.toml")),
            [
                "slos.toml:3:1: contexts.prod.slo[0].threshold: required for a latency SLO (e.g. threshold = \"250ms\")",
                "slos.toml:13:13: contexts.prod.slo[1].objective: expected a percentage above 0 and below 100, found \
                 100 (100% leaves no error budget; try 99.9)",
                "slos.toml:14:1: contexts.prod.slo[1].threshold: only latency SLOs take a threshold; this SLO's kind \
                 is availability",
                "slos.toml:17:8: contexts.prod.slo[2].name: SLO name `fraud-latency` is used twice in this context \
                 (lines 4 and 17)",
                "slos.toml:19:8: contexts.prod.slo[2].kind: unknown SLO kind `latncy`; expected one of availability, \
                 latency (did you mean `latency`?)",
                "slos.toml:23:1: contexts.prod.slo[3].name: required key is missing",
                "slos.toml:26:13: contexts.prod.slo[3].objective: expected a number, found a string",
            ]
        );
    }

    #[test]
    fn queries_filter_and_scrape_targets_are_read() {
        let source = r#"
            [contexts.ml]
            preset = "triton"
            filter = ' namespace="ml", cluster=~"eu-.*" '
            scrape_targets = ["http://10.0.0.5:8002/metrics", "https://10.0.0.6:8002/metrics"]
            queries = { errors = 'sum by ($model, $version) (rate(my_failures_total{$filter}[$window]))', history = "" }
        "#;
        let ml = &load_str("ml.toml", source).unwrap().contexts["ml"];
        assert_eq!(ml.preset, "triton");
        assert_eq!(ml.filter, "namespace=\"ml\", cluster=~\"eu-.*\"", "trimmed");
        assert_eq!(ml.scrape_targets, ["http://10.0.0.5:8002/metrics", "https://10.0.0.6:8002/metrics"]);
        assert_eq!(
            ml.queries,
            BTreeMap::from([
                (
                    "errors".to_string(),
                    "sum by ($model, $version) (rate(my_failures_total{$filter}[$window]))".to_string()
                ),
                ("history".to_string(), String::new()),
            ])
        );
        let dev = &load_str("dev.toml", "[contexts.dev]\n").unwrap().contexts["dev"];
        assert_eq!((dev.filter.as_str(), dev.queries.len(), dev.scrape_targets.len()), ("", 0, 0));
    }

    #[test]
    fn registry_names_map_labels_and_bad_mappings_are_placed() {
        let source = "[contexts.prod]\nregistry_name = \"main.ml.{model}\"\n\
                      registry_names = { \"fraud-detector\" = \"fraud_detector_xgb\" }\n";
        let prod = &load_str("names.toml", source).unwrap().contexts["prod"];
        assert_eq!(prod.registry_names.registry_name("churn"), "main.ml.churn");
        assert_eq!(prod.registry_names.metrics_label("fraud_detector_xgb").as_deref(), Some("fraud-detector"));
        let dev = &load_str("dev.toml", "[contexts.dev]\n").unwrap().contexts["dev"];
        assert_eq!(dev.registry_names.registry_name("churn"), "churn", "the same name by default");

        let bad = "[contexts.prod]\nregistry_name = \"main.ml\"\n\
                   registry_names = { a = \"x\", b = \"x\", c = \"\", \"\" = \"y\" }\n\
                   [contexts.dev]\nregistry_name = \"{model}.{model}\"\nregistry_names = \"x\"\n";
        assert_eq!(
            problems("names.toml", bad),
            [
                "names.toml:2:17: contexts.prod.registry_name: `main.ml` does not contain {model} \
                 ({model} stands for the model's metrics label, e.g. \"main.ml.{model}\")",
                "names.toml:3:33: contexts.prod.registry_names.b: `x` is already the registry name of `a`: one \
                 registry model, one label",
                "names.toml:3:42: contexts.prod.registry_names.c: must not be empty",
                "names.toml:3:46: contexts.prod.registry_names.\"\": a metrics label must not be empty",
                "names.toml:5:17: contexts.dev.registry_name: `{model}.{model}` contains {model} more than once \
                 ({model} stands for the model's metrics label, e.g. \"main.ml.{model}\")",
                "names.toml:6:18: contexts.dev.registry_names: expected a table of metrics label = registry name, \
                 like { \"fraud-detector\" = \"fraud_detector_xgb\" }, found a string",
            ]
        );
    }

    #[test]
    fn preset_keys_report_every_problem_at_its_place() {
        assert_eq!(
            problems("presets.toml", include_str!("../../tests/fixtures/config/invalid/presets.toml")),
            [
                "presets.toml:2:10: contexts.prod.preset: unknown preset `tritn`; expected one of generic, kserve, \
                 seldon, mlserver, triton, bentoml, torchserve, ray (did you mean `triton`?)",
                "presets.toml:3:11: contexts.prod.filter: write the matchers without braces: namespace=\"ml\", not \
                 {namespace=\"ml\"}",
                "presets.toml:4:51: contexts.prod.scrape_targets[1]: expected an http:// or https:// URL",
                "presets.toml:4:68: contexts.prod.scrape_targets[2]: the same target as \
                 `contexts.prod.scrape_targets[0]`",
                "presets.toml:7:1: contexts.prod.queries.erors: unknown concept `erors` (did you mean `errors`?)",
                "presets.toml:8:83: contexts.prod.queries.requests: unknown placeholder `$windw` (did you mean \
                 `$window`?)",
                "presets.toml:9:19: contexts.prod.queries.latency_average: expected a string, found an integer",
                "presets.toml:12:26: contexts.staging.filter: expected `,` between matchers, found `c`",
                "presets.toml:13:18: contexts.staging.scrape_targets: expected an array of URLs like \
                 [\"http://10.0.0.5:8080/metrics\"], found a string",
                // A string with escapes: the problem is placed at the string's start.
                "presets.toml:14:22: contexts.staging.queries.errors: `$filter` must be the last matcher inside \
                 braces, as in `metric{$filter}` or `metric{code=\"500\",$filter}`, so that an empty filter still \
                 leaves valid PromQL",
                "presets.toml:16:19: contexts.staging.queries.history: placeholders are written without braces \
                 (write `$window`)",
            ]
        );
    }

    #[test]
    fn a_user_preset_is_a_valid_preset_name_when_its_directory_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let presets = dir.path().join("presets");
        std::fs::create_dir(&presets).unwrap();
        std::fs::write(presets.join("inhouse.toml"), "model_label = \"svc\"\n").unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[contexts.prod]\npreset = \"inhouse\"\n").unwrap();
        assert_eq!(load(&path, Some(&presets)).unwrap().contexts["prod"].preset, "inhouse");
        let label = path.display().to_string();
        let errors: Vec<String> = load(&path, None).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [format!(
                "{label}:2:10: contexts.prod.preset: unknown preset `inhouse`; expected one of generic, kserve, \
                 seldon, mlserver, triton, bentoml, torchserve, ray"
            )]
        );
    }

    #[test]
    fn a_single_slo_table_asks_for_an_array_of_tables() {
        assert_eq!(
            problems("one-slo.toml", "[contexts.prod.slo]\nname = \"x\"\n"),
            ["one-slo.toml:1:1: contexts.prod.slo: expected an array of tables ([[contexts.prod.slo]]), found a \
              single table"]
        );
    }

    #[test]
    fn default_context_must_name_a_defined_context() {
        assert_eq!(
            problems("default-context.toml", include_str!("../../tests/fixtures/config/invalid/default-context.toml")),
            ["default-context.toml:1:19: default_context: no context named `prdo` is defined (contexts: dev, prod) \
              (did you mean `prod`?)"]
        );
        assert_eq!(
            problems("none.toml", "default_context = \"prod\"\n"),
            ["none.toml:1:19: default_context: no context named `prod` is defined (contexts: this file defines none)"]
        );
    }

    #[test]
    fn a_syntax_error_is_one_problem_with_its_position() {
        assert_eq!(
            problems("syntax-error.toml", include_str!("../../tests/fixtures/config/invalid/syntax-error.toml")),
            ["syntax-error.toml:3:11: invalid TOML: string values must be quoted, expected literal string"]
        );
    }

    #[test]
    fn secret_references_must_be_unambiguous_and_complete() {
        let source = include_str!("../../tests/fixtures/config/invalid/secret-references.toml");
        let found = problems("secret-references.toml", source);
        assert_eq!(
            found,
            [
                "secret-references.toml:4:1: contexts.prod.prometheus.token_file: give either `token_env` or \
                 `token_file`, not both",
                "secret-references.toml:5:1: contexts.prod.prometheus.password_file: a password needs a `username` \
                 in the same table",
                "secret-references.toml:6:1: contexts.prod.prometheus.client_cert_file: `client_cert_file` needs \
                 `client_key_file` too",
                "secret-references.toml:9:7: contexts.prod.mlflow.url: credentials do not belong in the URL; use \
                 `username` with `password_env` or `password_file`, or `token_env` or `token_file`",
                "secret-references.toml:10:13: contexts.prod.mlflow.token_env: expected the name of an environment \
                 variable: letters, digits and `_` (leave out the leading `$`)",
            ]
        );
        assert!(found.iter().all(|line| !line.contains("hunter2")));
    }

    #[test]
    fn health_thresholds_are_ranged_and_ordered() {
        assert_eq!(
            problems("health.toml", include_str!("../../tests/fixtures/config/invalid/health.toml")),
            [
                "health.toml:2:23: contexts.prod.health.error_ratio_warning: `error_ratio_warning` (0.2) is above \
                 `error_ratio_critical` (0.05, the default); warning must not exceed critical",
                "health.toml:3:23: contexts.prod.health.latency_p99_warning: `latency_p99_warning` (2s) is above \
                 `latency_p99_critical` (1s500ms); warning must not exceed critical",
                "health.toml:5:35: contexts.prod.health.min_version_requests_per_second: must not be negative, \
                 found -1",
                "health.toml:8:24: contexts.dev.health.error_ratio_critical: expected a ratio from 0 to 1, found 5 \
                 (a ratio: 0.01 means 1% of requests)",
                "health.toml:9:23: contexts.dev.health.latency_p99_warning: expected a duration like \"30s\", found \
                 an integer (quote it with a unit, e.g. \"1s\")",
            ]
        );
    }

    #[test]
    fn context_names_are_checked() {
        assert_eq!(
            problems("context-names.toml", include_str!("../../tests/fixtures/config/invalid/context-names.toml")),
            [
                "context-names.toml:1:11: contexts.\"eu prod\": a context name may contain only letters, digits, \
                 `_`, `.` and `-`",
                "context-names.toml:4:11: contexts.\"\": a context name must not be empty",
            ]
        );
        let ok = load_str("names.toml", "[contexts.\"eu-west.prod_2\"]\n").unwrap();
        assert_eq!(ok.contexts.keys().collect::<Vec<_>>(), ["eu-west.prod_2"]);
    }

    #[test]
    fn refresh_below_a_second_is_refused() {
        assert_eq!(
            problems("fast.toml", "[contexts.prod]\nrefresh = \"500ms\"\n"),
            ["fast.toml:2:11: contexts.prod.refresh: must be at least 1s, found 500ms"]
        );
    }

    #[test]
    fn load_reads_a_file_and_remembers_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[contexts.dev]\n").unwrap();
        let config = load(&path, None).unwrap();
        assert_eq!(config.file, Some(path.clone()));
        assert_eq!(config.contexts["dev"].name, "dev");

        std::fs::write(&path, "[contexts.dev]\nulr = 1\n").unwrap();
        let label = path.display().to_string();
        let errors: Vec<String> = load(&path, None).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(errors, [format!("{label}:2:1: contexts.dev.ulr: unknown key (known keys: {})", CONTEXT_KEY_LIST)]);
    }

    const CONTEXT_KEY_LIST: &str = "read_only, tint, preset, queries, filter, scrape_targets, slo_files, environment, \
                                    refresh, health, prometheus, alertmanager, mlflow, traffic, registry_name, \
                                    registry_names, elasticsearch, lab, slo";

    #[test]
    fn an_unreadable_file_is_one_file_level_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.toml");
        let label = path.display().to_string();
        let os_reason = std::fs::read_to_string(&path).unwrap_err().to_string();
        let errors = load(&path, None).unwrap_err();
        assert_eq!(errors, [Diagnostic::file_level(&label, format!("cannot read the config file: {os_reason}"))]);
        assert_eq!(errors[0].to_string(), format!("{label}: cannot read the config file: {os_reason}"));
    }

    #[test]
    fn a_missing_file_is_an_empty_config_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_or_default(&dir.path().join("absent.toml"), None), Ok(Config::default()));
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "ascii = 1\n").unwrap();
        assert_eq!(load_or_default(&path, None).unwrap_err().len(), 1);
    }

    #[test]
    fn report_lists_each_problem_then_counts_them() {
        let source = "ascii = 1\nread_only = 2\n";
        let report = format_report(&load_str("/etc/vigil.toml", source).unwrap_err());
        assert_eq!(
            report,
            "/etc/vigil.toml:1:9: ascii: expected true or false, found an integer\n\
             /etc/vigil.toml:2:13: read_only: expected true or false, found an integer\n\
             2 problems in /etc/vigil.toml"
        );
        let one = [Diagnostic::file_level("a.toml", "cannot read the config file: denied")];
        assert_eq!(format_report(&one), "a.toml: cannot read the config file: denied\n1 problem in a.toml");
        let two_files = [Diagnostic::file_level("a.toml", "x"), Diagnostic::file_level("b.toml", "y")];
        assert_eq!(format_report(&two_files), "a.toml: x\nb.toml: y\n2 problems in 2 files");
    }
}
