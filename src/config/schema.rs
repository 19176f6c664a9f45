//! What each table of the config file may contain, and how it becomes the
//! typed [`Config`]. Every check records its problem and moves on, so one run
//! of `vigil config check` lists everything wrong with a file.

use crate::ui::theme::COLOUR_NAMES;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use toml::de::DeValue;

use super::model::{Config, Context, ElasticEndpoint, Endpoint, LabSettings, SecretRef, SloKind, SloSpec};
use super::reader::{Field, Reader, Section, describe, unknown_keys};
use super::url_check::check_http_url;
use crate::core::diagnostic::did_you_mean;
use crate::core::duration;
use crate::core::health::HealthThresholds;
use crate::core::registry_join::{MODEL_PLACEHOLDER, NameMapping};
use crate::lab::SCENARIO_NAMES;
use crate::sources::presets::template::Template;
use crate::sources::presets::{CONCEPT_KEYS, Concept, filter};

const TOP_KEYS: &[&str] = &["default_context", "theme", "keymap", "ascii", "read_only", "contexts"];

const CONTEXT_KEYS: &[&str] = &[
    "read_only",
    "tint",
    "preset",
    "queries",
    "filter",
    "scrape_targets",
    "slo_files",
    "environment",
    "refresh",
    "health",
    "prometheus",
    "alertmanager",
    "mlflow",
    "traffic",
    "registry_name",
    "registry_names",
    "elasticsearch",
    "lab",
    "slo",
];

const ENDPOINT_KEYS: &[&str] = &[
    "url",
    "token_env",
    "token_file",
    "username",
    "password_env",
    "password_file",
    "tenant",
    "ca_file",
    "client_cert_file",
    "client_key_file",
    "timeout",
];

const ELASTIC_ONLY_KEYS: &[&str] = &["api_key_env", "api_key_file", "events_index", "logs_index"];

const HEALTH_KEYS: &[&str] = &[
    "error_ratio_warning",
    "error_ratio_critical",
    "latency_p99_warning",
    "latency_p99_critical",
    "min_version_requests_per_second",
];

const LAB_KEYS: &[&str] = &["scenario", "models", "seed"];

const SLO_KEYS: &[&str] = &["name", "model", "kind", "objective", "period", "threshold"];

const SLO_KINDS: &[&str] = &["availability", "latency"];

/// Polling faster than this only loads the servers being watched.
const MIN_REFRESH: Duration = Duration::from_secs(1);
const DEFAULT_REFRESH: Duration = Duration::from_secs(10);
const DEFAULT_SLO_PERIOD: Duration = Duration::from_secs(30 * 86_400);
const DEFAULT_PRESET: &str = "generic";
const MAX_LAB_MODELS: i128 = 10_000;

/// The whole document. Unknown top-level keys that belong in a context get a
/// hint saying so, since that is the usual reason they are unknown.
/// `presets` are the names a context's `preset` may take.
pub(crate) fn config(r: &mut Reader<'_>, root: &Section<'_, '_>, presets: &[String]) -> Config {
    for (key, span) in unknown_keys(root, TOP_KEYS) {
        let hint = CONTEXT_KEYS.contains(&key).then(|| format!("`{key}` belongs in a context: [contexts.NAME]"));
        r.unknown_key(&root.path, key, span, TOP_KEYS, hint);
    }
    let contexts_section = root.field("contexts").and_then(|f| r.table(&f, "a table of contexts like [contexts.prod]"));
    let defined: Vec<String> = contexts_section
        .as_ref()
        .map(|s| s.entries().map(|(k, _)| k.get_ref().to_string()).collect())
        .unwrap_or_default();
    Config {
        file: None,
        default_context: root.field("default_context").and_then(|f| default_context(r, &f, &defined)),
        theme: root.field("theme").and_then(|f| r.text(&f)),
        keymap: root.field("keymap").and_then(|f| r.text(&f)),
        ascii: root.field("ascii").and_then(|f| r.bool(&f)).unwrap_or(false),
        read_only: root.field("read_only").and_then(|f| r.bool(&f)).unwrap_or(false),
        contexts: contexts_section.map(|s| contexts(r, &s, presets)).unwrap_or_default(),
    }
}

/// `default_context` must name a context of this file, or every command
/// without `--context` would fail later with a less helpful message.
fn default_context(r: &mut Reader<'_>, field: &Field<'_, '_>, defined: &[String]) -> Option<String> {
    let name = r.text(field)?;
    if defined.contains(&name) {
        return Some(name);
    }
    let known = if defined.is_empty() { "this file defines none".to_string() } else { defined.join(", ") };
    let hint = did_you_mean(&name, defined.iter().map(String::as_str)).map(|close| format!("did you mean `{close}`?"));
    r.error_with_hint(
        field.span(),
        &field.path,
        format!("no context named `{name}` is defined (contexts: {known})"),
        hint,
    );
    None
}

fn contexts(r: &mut Reader<'_>, section: &Section<'_, '_>, presets: &[String]) -> BTreeMap<String, Context> {
    let mut out = BTreeMap::new();
    for (key, value) in section.entries() {
        let name = key.get_ref().to_string();
        let name_ok = check_context_name(r, &section.key_path(&name), key.span(), &name);
        let field = Field { path: section.key_path(&name), key_span: key.span(), value };
        let expected = format!("a table like [{}]", field.path);
        let Some(table) = r.table(&field, &expected) else { continue };
        let context = context(r, &table, &name, presets);
        if name_ok {
            out.insert(name, context);
        }
    }
    out
}

/// Context names are typed on the command line (`--context`) and shown in
/// the header, so they are kept to characters that need no quoting in a shell.
fn check_context_name(r: &mut Reader<'_>, path: &str, span: std::ops::Range<usize>, name: &str) -> bool {
    let message = if name.is_empty() {
        "a context name must not be empty"
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        "a context name may contain only letters, digits, `_`, `.` and `-`"
    } else {
        return true;
    };
    r.error(span, path, message);
    false
}

fn context(r: &mut Reader<'_>, s: &Section<'_, '_>, name: &str, presets: &[String]) -> Context {
    r.check_keys(s, CONTEXT_KEYS);
    let preset_names: Vec<&str> = presets.iter().map(String::as_str).collect();
    Context {
        name: name.to_string(),
        read_only: s.field("read_only").and_then(|f| r.bool(&f)).unwrap_or(false),
        tint: s.field("tint").and_then(|f| tint(r, &f)),
        preset: s
            .field("preset")
            .and_then(|f| r.choice(&f, "preset", &preset_names))
            .unwrap_or_else(|| DEFAULT_PRESET.into()),
        queries: s.field("queries").map(|f| queries(r, &f)).unwrap_or_default(),
        filter: s.field("filter").and_then(|f| filter(r, &f)).unwrap_or_default(),
        scrape_targets: s.field("scrape_targets").map(|f| scrape_targets(r, &f)).unwrap_or_default(),
        slo_files: s.field("slo_files").map(|f| slo_files(r, &f)).unwrap_or_default(),
        environment: s.field("environment").and_then(|f| r.text(&f)),
        refresh: s.field("refresh").and_then(|f| refresh(r, &f)).unwrap_or(DEFAULT_REFRESH),
        health: s.field("health").and_then(|f| r.table(&f, "a table")).map(|h| health(r, &h)).unwrap_or_default(),
        prometheus: endpoint_field(r, s, "prometheus"),
        alertmanager: endpoint_field(r, s, "alertmanager"),
        elasticsearch: s.field("elasticsearch").and_then(|f| endpoint_table(r, &f)).and_then(|e| elastic(r, &e)),
        mlflow: endpoint_field(r, s, "mlflow"),
        traffic: endpoint_field(r, s, "traffic"),
        registry_names: registry_names(r, s),
        lab: s.field("lab").and_then(|f| r.table(&f, "a table like { scenario = \"calm\" }")).map(|l| lab(r, &l)),
        slos: s.field("slo").map(|f| slos(r, &f)).unwrap_or_default(),
    }
}

/// `queries = { errors = "…" }`: concept → PromQL template, checked with the
/// parser preset files use, so an unknown `$name` is reported here, at its
/// line and column. An empty template is kept: it takes the concept away.
fn queries(r: &mut Reader<'_>, field: &Field<'_, '_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(section) = r.table(field, "a table like { errors = \"sum by (model) (…)\" }") else { return out };
    for (key, value) in section.entries() {
        let name: &str = key.get_ref();
        let f = Field { path: section.key_path(name), key_span: key.span(), value };
        if Concept::from_key(name).is_none() {
            let hint = match did_you_mean(name, CONCEPT_KEYS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("concepts are {}", CONCEPT_KEYS.join(", ")),
            };
            r.error_with_hint(key.span(), &f.path, format!("unknown concept `{name}`"), Some(hint));
            continue;
        }
        let Some(text) = r.string(&f) else { continue };
        if !text.trim().is_empty()
            && let Err(errors) = Template::parse(&text)
        {
            for e in errors {
                r.error_in_string(&f, &text, e.offset, e.message, e.hint);
            }
            continue;
        }
        out.insert(name.to_string(), text);
    }
    out
}

/// `registry_name = "main.ml.{model}"` and `registry_names = { "fraud-detector"
/// = "fraud_detector_xgb" }`: how the registry names the model a metrics
/// label stands for. Two labels naming one registry model would make the
/// join ambiguous, so that is refused.
fn registry_names(r: &mut Reader<'_>, s: &Section<'_, '_>) -> NameMapping {
    let template = s.field("registry_name").and_then(|f| {
        let text = r.text(&f)?;
        match NameMapping::new(&text, BTreeMap::new()) {
            Ok(_) => Some(text),
            Err(why) => {
                let hint = format!(
                    "{MODEL_PLACEHOLDER} stands for the model's metrics label, e.g. \"main.ml.{MODEL_PLACEHOLDER}\""
                );
                r.error_with_hint(f.span(), &f.path, why, Some(hint));
                None
            }
        }
    });
    let mut overrides: BTreeMap<String, String> = BTreeMap::new();
    let expected = "a table of metrics label = registry name, like { \"fraud-detector\" = \"fraud_detector_xgb\" }";
    if let Some(section) = s.field("registry_names").and_then(|f| r.table(&f, expected)) {
        for (key, value) in section.entries() {
            let label: &str = key.get_ref();
            let field = Field { path: section.key_path(label), key_span: key.span(), value };
            if label.trim().is_empty() {
                r.error(key.span(), &field.path, "a metrics label must not be empty");
                continue;
            }
            let Some(name) = r.text(&field) else { continue };
            if let Some((other, _)) = overrides.iter().find(|(_, n)| **n == name) {
                let message =
                    format!("`{name}` is already the registry name of `{other}`: one registry model, one label");
                r.error(field.span(), &field.path, message);
                continue;
            }
            overrides.insert(label.to_string(), name);
        }
    }
    let template = template.unwrap_or_else(|| MODEL_PLACEHOLDER.to_string());
    NameMapping::new(&template, overrides).unwrap_or_default()
}

/// `filter = 'namespace="ml"'`: matchers PromQL will accept inside braces.
fn filter(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<String> {
    let text = r.string(field)?;
    match filter::check(&text) {
        Ok(()) => Some(text.trim().to_string()),
        Err(e) => {
            r.error_in_string(field, &text, e.offset, e.message, None);
            None
        }
    }
}

/// `slo_files = ["slos/fraud.yml"]`: Sloth specs to import. Their content is
/// checked by `vigil config check` and when the context is used.
fn slo_files(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Vec<PathBuf> {
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = describe(field.value.get_ref());
        r.error(
            field.span(),
            &field.path,
            format!("expected an array of paths like [\"slos/fraud.yml\"], found {found}"),
        );
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let item_field = Field { path: format!("{}[{index}]", field.path), key_span: item.span(), value: item };
            r.string(&item_field).map(PathBuf::from)
        })
        .collect()
}

/// `scrape_targets = ["http://10.0.0.5:8080/metrics", …]`. A target listed
/// twice would count its requests twice, so that is refused.
fn scrape_targets(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Vec<String> {
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = describe(field.value.get_ref());
        let message = format!("expected an array of URLs like [\"http://10.0.0.5:8080/metrics\"], found {found}");
        r.error(field.span(), &field.path, message);
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_field = Field { path: format!("{}[{index}]", field.path), key_span: item.span(), value: item };
        let Some(target) = url(r, &item_field) else { continue };
        if let Some(first) = out.iter().position(|t| *t == target) {
            let message = format!("the same target as `{}`", paths[first]);
            r.error(item_field.span(), &item_field.path, message);
            continue;
        }
        out.push(target);
        paths.push(item_field.path);
    }
    out
}

/// Checked with the same parser the theme code uses, so a tint that passes
/// here is one the UI can draw.
fn tint(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<String> {
    let text = r.string(field)?;
    if text.parse::<ratatui::style::Color>().is_ok() {
        return Some(text);
    }
    let hint = match did_you_mean(&text.to_lowercase(), COLOUR_NAMES.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "use a colour name like `red`, a hex colour like `#5f0000` or a palette index 0-255".to_string(),
    };
    r.error_with_hint(field.span(), &field.path, format!("`{text}` is not a colour"), Some(hint));
    None
}

fn refresh(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<Duration> {
    let every = r.duration(field)?;
    if every < MIN_REFRESH {
        let message = format!("must be at least {}, found {}", duration::format(MIN_REFRESH), duration::format(every));
        r.error(field.span(), &field.path, message);
        return None;
    }
    Some(every)
}

/// A duration that must be more than zero (timeouts, SLO periods, thresholds).
fn positive_duration(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<Duration> {
    let d = r.duration(field)?;
    if d.is_zero() {
        r.error(field.span(), &field.path, "must be longer than 0s");
        return None;
    }
    Some(d)
}

fn health(r: &mut Reader<'_>, s: &Section<'_, '_>) -> HealthThresholds {
    r.check_keys(s, HEALTH_KEYS);
    let defaults = HealthThresholds::default();
    let read_ratio = |r: &mut Reader<'_>, key: &str| s.field(key).and_then(|f| ratio(r, &f));
    let read_latency = |r: &mut Reader<'_>, key: &str| s.field(key).and_then(|f| positive_duration(r, &f));
    let error_warning = read_ratio(r, "error_ratio_warning");
    let error_critical = read_ratio(r, "error_ratio_critical");
    let latency_warning = read_latency(r, "latency_p99_warning");
    let latency_critical = read_latency(r, "latency_p99_critical");
    let min_rps = s.field("min_version_requests_per_second").and_then(|f| non_negative(r, &f));

    let seconds = Duration::from_secs_f64;
    let errors = Pair {
        warning: ("error_ratio_warning", error_warning, defaults.error_ratio_warning),
        critical: ("error_ratio_critical", error_critical, defaults.error_ratio_critical),
    };
    check_order(r, s, &errors, |v| v.to_string());
    let latencies = Pair {
        warning: ("latency_p99_warning", latency_warning, seconds(defaults.latency_p99_warning_seconds)),
        critical: ("latency_p99_critical", latency_critical, seconds(defaults.latency_p99_critical_seconds)),
    };
    check_order(r, s, &latencies, |d| duration::format(*d));

    HealthThresholds {
        error_ratio_warning: errors.warning_value(),
        error_ratio_critical: errors.critical_value(),
        latency_p99_warning_seconds: latencies.warning_value().as_secs_f64(),
        latency_p99_critical_seconds: latencies.critical_value().as_secs_f64(),
        min_version_requests_per_second: min_rps.unwrap_or(defaults.min_version_requests_per_second),
    }
}

/// A warning and a critical threshold: (key, value if given and valid, default).
struct Pair<T> {
    warning: (&'static str, Option<T>, T),
    critical: (&'static str, Option<T>, T),
}

impl<T: Copy> Pair<T> {
    fn warning_value(&self) -> T {
        self.warning.1.unwrap_or(self.warning.2)
    }

    fn critical_value(&self) -> T {
        self.critical.1.unwrap_or(self.critical.2)
    }
}

/// A warning above its critical threshold would never be seen. The values in
/// effect are compared, defaults included, and the one the user wrote is blamed.
fn check_order<T: Copy + PartialOrd>(r: &mut Reader<'_>, s: &Section<'_, '_>, pair: &Pair<T>, show: fn(&T) -> String) {
    let (warning, critical) = (pair.warning_value(), pair.critical_value());
    if warning <= critical {
        return;
    }
    let (warning_key, critical_key) = (pair.warning.0, pair.critical.0);
    let describe = |key: &str, value: &T, given: bool| {
        let default = if given { "" } else { ", the default" };
        format!("`{key}` ({}{default})", show(value))
    };
    let warning_text = describe(warning_key, &warning, pair.warning.1.is_some());
    let critical_text = describe(critical_key, &critical, pair.critical.1.is_some());
    let blamed = if pair.warning.1.is_some() { warning_key } else { critical_key };
    let Some(field) = s.field(blamed) else { return };
    r.error(
        field.span(),
        &field.path,
        format!("{warning_text} is above {critical_text}; warning must not exceed critical"),
    );
}

fn ratio(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<f64> {
    let x = r.number(field)?;
    if !(0.0..=1.0).contains(&x) {
        let hint = Some("a ratio: 0.01 means 1% of requests".to_string());
        r.error_with_hint(field.span(), &field.path, format!("expected a ratio from 0 to 1, found {x}"), hint);
        return None;
    }
    Some(x)
}

fn non_negative(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<f64> {
    let x = r.number(field)?;
    if x < 0.0 {
        r.error(field.span(), &field.path, format!("must not be negative, found {x}"));
        return None;
    }
    Some(x)
}

fn lab(r: &mut Reader<'_>, s: &Section<'_, '_>) -> LabSettings {
    r.check_keys(s, LAB_KEYS);
    let models = s.field("models").and_then(|f| {
        let n = r.integer(&f)?;
        if !(1..=MAX_LAB_MODELS).contains(&n) {
            r.error(f.span(), &f.path, format!("expected from 1 to {MAX_LAB_MODELS} models, found {n}"));
            return None;
        }
        usize::try_from(n).ok()
    });
    let seed = s.field("seed").and_then(|f| {
        let n = r.integer(&f)?;
        let seed = u64::try_from(n).ok();
        if seed.is_none() {
            r.error(f.span(), &f.path, format!("must not be negative, found {n}"));
        }
        seed
    });
    let defaults = LabSettings::default();
    LabSettings {
        scenario: s
            .field("scenario")
            .and_then(|f| r.choice(&f, "scenario", SCENARIO_NAMES))
            .unwrap_or(defaults.scenario),
        models: models.unwrap_or(defaults.models),
        seed: seed.unwrap_or(defaults.seed),
    }
}

/// An endpoint written as `prometheus = { url = … }` or `[contexts.x.prometheus]`.
fn endpoint_table<'t, 'i>(r: &mut Reader<'_>, field: &Field<'t, 'i>) -> Option<Section<'t, 'i>> {
    r.table(field, "a table like { url = \"https://…\" }")
}

fn endpoint_field(r: &mut Reader<'_>, context: &Section<'_, '_>, key: &str) -> Option<Endpoint> {
    let section = context.field(key).and_then(|f| endpoint_table(r, &f))?;
    r.check_keys(&section, ENDPOINT_KEYS);
    endpoint(r, &section)
}

fn elastic(r: &mut Reader<'_>, s: &Section<'_, '_>) -> Option<ElasticEndpoint> {
    let known: Vec<&str> = ENDPOINT_KEYS.iter().chain(ELASTIC_ONLY_KEYS).copied().collect();
    r.check_keys(s, &known);
    let api_key = secret_ref(r, s, "api_key");
    let events_index = s.field("events_index").and_then(|f| r.text(&f));
    let logs_index = s.field("logs_index").and_then(|f| r.text(&f));
    Some(ElasticEndpoint { endpoint: endpoint(r, s)?, api_key, events_index, logs_index })
}

/// The keys every endpoint shares. `None` only when `url` is missing or bad,
/// since an endpoint without a usable URL cannot be reached at all.
fn endpoint(r: &mut Reader<'_>, s: &Section<'_, '_>) -> Option<Endpoint> {
    let url = match s.field("url") {
        Some(f) => url(r, &f),
        None => {
            r.missing(s, "url", "required key is missing");
            None
        }
    };
    let token = secret_ref(r, s, "token");
    let username = s.field("username").and_then(|f| r.text(&f));
    let password = secret_ref(r, s, "password");
    if s.field("username").is_none() {
        for f in ["password_env", "password_file"].into_iter().filter_map(|k| s.field(k)) {
            r.error(f.key_span, &f.path, "a password needs a `username` in the same table");
        }
    }
    let client_cert_file = s.field("client_cert_file").and_then(|f| path(r, &f));
    let client_key_file = s.field("client_key_file").and_then(|f| path(r, &f));
    check_together(r, s, "client_cert_file", "client_key_file");
    Some(Endpoint {
        url: url?,
        token,
        username,
        password,
        tenant: s.field("tenant").and_then(|f| r.text(&f)),
        ca_file: s.field("ca_file").and_then(|f| path(r, &f)),
        client_cert_file,
        client_key_file,
        timeout: s.field("timeout").and_then(|f| positive_duration(r, &f)),
    })
}

fn url(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<String> {
    let text = r.text(field)?;
    match check_http_url(&text) {
        Ok(()) => Some(text),
        Err(why) => {
            r.error(field.span(), &field.path, why);
            None
        }
    }
}

/// A client certificate is useless without its key and the other way round.
fn check_together(r: &mut Reader<'_>, s: &Section<'_, '_>, a: &str, b: &str) {
    match (s.field(a), s.field(b)) {
        (Some(f), None) => r.error(f.key_span, &f.path, format!("`{a}` needs `{b}` too")),
        (None, Some(f)) => r.error(f.key_span, &f.path, format!("`{b}` needs `{a}` too")),
        _ => {}
    }
}

fn path(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<PathBuf> {
    r.text(field).map(PathBuf::from)
}

/// `{base}_env` or `{base}_file`, never both: with two sources nobody can
/// tell which secret is in use.
fn secret_ref(r: &mut Reader<'_>, s: &Section<'_, '_>, base: &str) -> Option<SecretRef> {
    let env_key = format!("{base}_env");
    let file_key = format!("{base}_file");
    let env = s.field(&env_key).and_then(|f| env_var_name(r, &f));
    let file = s.field(&file_key).and_then(|f| path(r, &f));
    if let (Some(e), Some(f)) = (s.field(&env_key), s.field(&file_key)) {
        let later = if e.key_span.start > f.key_span.start { e } else { f };
        r.error(later.key_span, &later.path, format!("give either `{env_key}` or `{file_key}`, not both"));
        return None;
    }
    env.map(SecretRef::Env).or(file.map(SecretRef::File))
}

/// The name of an environment variable. The value is not repeated in the
/// message: people do paste the secret itself here by mistake.
fn env_var_name(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<String> {
    let name = r.text(field)?;
    let mut chars = name.chars();
    let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if valid_start && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(name);
    }
    let message = "expected the name of an environment variable: letters, digits and `_`";
    let hint = name.starts_with('$').then(|| "leave out the leading `$`".to_string());
    r.error_with_hint(field.span(), &field.path, message, hint);
    None
}

/// `[[contexts.NAME.slo]]` entries, with names unique within the context so
/// that `vigil slo` output and alerts can refer to an SLO by name.
fn slos(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Vec<SloSpec> {
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = if field.value.get_ref().is_table() { "a single table" } else { describe(field.value.get_ref()) };
        let message = format!("expected an array of tables ([[{}]]), found {found}", field.path);
        r.error(field.span(), &field.path, message);
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let item_field = Field { path: format!("{}[{index}]", field.path), key_span: item.span(), value: item };
        let Some(section) = r.table(&item_field, "a table") else { continue };
        let spec = slo(r, &section);
        if let Some(name_field) = section.field("name")
            && let DeValue::String(name) = name_field.value.get_ref()
        {
            let line = r.line_of(&name_field.span());
            if let Some(first_line) = seen.get(name.as_ref()) {
                let message =
                    format!("SLO name `{name}` is used twice in this context (lines {first_line} and {line})");
                r.error(name_field.span(), &name_field.path, message);
                continue;
            }
            seen.insert(name.to_string(), line);
        }
        out.extend(spec);
    }
    out
}

fn slo(r: &mut Reader<'_>, s: &Section<'_, '_>) -> Option<SloSpec> {
    r.check_keys(s, SLO_KEYS);
    let name = required(r, s, "name").and_then(|f| r.text(&f));
    let model = required(r, s, "model").and_then(|f| r.text(&f));
    let kind = required(r, s, "kind").and_then(|f| r.choice(&f, "SLO kind", SLO_KINDS));
    let objective = required(r, s, "objective").and_then(|f| objective(r, &f));
    let period = s.field("period").map(|f| positive_duration(r, &f));
    let threshold = s.field("threshold").map(|f| (positive_duration(r, &f), f));
    let kind = match kind.as_deref() {
        Some("latency") => SloKind::Latency,
        Some(_) => SloKind::Availability,
        None => return None,
    };
    let threshold = match (kind, threshold) {
        (SloKind::Latency, Some((value, _))) => Some(value?),
        (SloKind::Latency, None) => {
            r.missing(s, "threshold", "required for a latency SLO (e.g. threshold = \"250ms\")");
            return None;
        }
        (SloKind::Availability, Some((_, f))) => {
            r.error(f.key_span, &f.path, "only latency SLOs take a threshold; this SLO's kind is availability");
            return None;
        }
        (SloKind::Availability, None) => None,
    };
    Some(SloSpec {
        name: name?,
        model: model?,
        kind,
        objective: objective?,
        period: period.unwrap_or(Some(DEFAULT_SLO_PERIOD))?,
        threshold,
    })
}

/// The field, or a "required key is missing" problem at the table.
fn required<'t, 'i>(r: &mut Reader<'_>, s: &Section<'t, 'i>, key: &str) -> Option<Field<'t, 'i>> {
    let field = s.field(key);
    if field.is_none() {
        r.missing(s, key, "required key is missing");
    }
    field
}

/// A percentage strictly between 0 and 100: at 100 there is no error budget
/// to burn, so burn rates would divide by zero.
fn objective(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Option<f64> {
    let x = r.number(field)?;
    if x > 0.0 && x < 100.0 {
        return Some(x);
    }
    let hint = if x >= 100.0 { "100% leaves no error budget; try 99.9" } else { "a percentage: 99.9 means 99.9%" };
    let message = format!("expected a percentage above 0 and below 100, found {x}");
    r.error_with_hint(field.span(), &field.path, message, Some(hint.to_string()));
    None
}
