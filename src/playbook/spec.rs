//! A playbook file: its parameters, preconditions, steps and compensation,
//! read from TOML and checked before anything can run. Every problem is
//! reported with the file, line and key; a `{{name}}` that names no
//! parameter is one of them, so a typo can never become an empty string.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::template::{Escape, Template};
use crate::config::reader::{Field, Reader, Section, describe};
use crate::core::diagnostic::{Diagnostic, did_you_mean};

/// Names every template may use besides the parameters.
pub const BUILTINS: &[&str] = &["context", "actor", "reason"];

#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub name: String,
    pub description: String,
    /// Where it was read from (`builtin:playbooks/rollback.toml` or a path).
    pub file: String,
    /// True when any step changes something (decided from the steps).
    pub mutating: bool,
    pub params: Vec<ParamSpec>,
    pub preconditions: Vec<StepSpec>,
    pub steps: Vec<StepSpec>,
    pub on_failure: Vec<StepSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub kind: ParamKind,
    pub default: Option<ParamDefault>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// A registered model's name.
    Model,
    /// A model version number.
    Version,
    /// A registry alias name.
    Alias,
    Text,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Duration,
    Bool,
    Choice(Vec<String>),
    /// A configured context's name (`default = "current"`: the session's).
    Context,
}

impl ParamKind {
    pub fn name(&self) -> &'static str {
        match self {
            ParamKind::Model => "model",
            ParamKind::Version => "version",
            ParamKind::Alias => "alias",
            ParamKind::Text => "text",
            ParamKind::Number { .. } => "number",
            ParamKind::Duration => "duration",
            ParamKind::Bool => "bool",
            ParamKind::Choice(_) => "choice",
            ParamKind::Context => "context",
        }
    }
}

const PARAM_TYPES: &[&str] = &["model", "version", "alias", "text", "number", "duration", "bool", "choice", "context"];

/// Where a parameter's value comes from when it is not given.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamDefault {
    Value(String),
    /// The model selected in the console (required on the command line).
    Selected,
    /// The version `alias` points at now (in `context`, else the session's).
    Current {
        model: Template,
        alias: Template,
        context: Option<Template>,
    },
    /// The version `alias` pointed at before its current one: as vigil
    /// recorded it, else the highest READY version below the current one.
    Previous {
        model: Template,
        alias: Template,
        context: Option<Template>,
    },
    /// The session's context (for context parameters).
    SessionContext,
}

/// One precondition, step or compensation.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    pub id: String,
    pub action: ActionKind,
    pub args: BTreeMap<String, Arg>,
    /// What the operator types to let this step run (usually `{{model}}`).
    pub confirm: Option<Template>,
    pub timeout: Option<Duration>,
    /// Skipped, and said so, when the context lacks this.
    pub skip_without: Option<Capability>,
    /// Another configured context this step acts in (`{{to_context}}`);
    /// `None` is the session's own.
    pub context: Option<Template>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Template),
    Number(f64),
    Bool(bool),
    List(Vec<Arg>),
    /// Keys may be templates too (`weights = { "{{to_version}}" = 1.0 }`).
    Table(Vec<(Template, Arg)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Registry,
    Traffic,
    Prometheus,
    Alertmanager,
}

impl Capability {
    pub const NAMES: &[&str] = &["registry", "traffic", "prometheus", "alertmanager"];

    fn from_name(name: &str) -> Option<Capability> {
        match name {
            "registry" => Some(Capability::Registry),
            "traffic" => Some(Capability::Traffic),
            "prometheus" => Some(Capability::Prometheus),
            "alertmanager" => Some(Capability::Alertmanager),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Capability::Registry => "a model registry",
            Capability::Traffic => "a traffic gateway",
            Capability::Prometheus => "a Prometheus",
            Capability::Alertmanager => "an Alertmanager",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    SetAlias,
    SetTag,
    SetWeights,
    Http,
    Exec,
    CheckPromql,
    CheckMetric,
    Silence,
    Annotate,
    Wait,
    Confirm,
    /// Compensation only: puts back what an earlier step changed, as it
    /// was just before that step ran.
    Undo,
    AliasIs,
    TagIs,
}

/// The shape an argument must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    /// A number, or a template that renders to one.
    Number,
    Bool,
    TextList,
    /// Template keys → numbers.
    NumberTable,
    /// Template keys → texts.
    TextTable,
    /// Any TOML value: becomes a JSON body.
    Json,
}

struct ArgSpec {
    key: &'static str,
    shape: Shape,
    required: bool,
    escape: Escape,
}

/// Struct literals (not `const fn` calls) so the tables below are promoted to statics.
macro_rules! arg {
    ($key:literal, $shape:ident, $required:literal) => {
        ArgSpec { key: $key, shape: Shape::$shape, required: $required, escape: Escape::Whole }
    };
    ($key:literal, $shape:ident, $required:literal, $escape:ident) => {
        ArgSpec { key: $key, shape: Shape::$shape, required: $required, escape: Escape::$escape }
    };
}

impl ActionKind {
    pub const STEP_NAMES: &[&str] = &[
        "registry.set_alias",
        "registry.set_tag",
        "traffic.set_weights",
        "http",
        "exec",
        "check.promql",
        "check.metric",
        "alertmanager.silence",
        "timeline.annotate",
        "wait",
        "confirm",
    ];
    pub const COMPENSATION_NAMES: &[&str] = &[
        "undo",
        "registry.set_alias",
        "registry.set_tag",
        "traffic.set_weights",
        "http",
        "exec",
        "alertmanager.silence",
        "timeline.annotate",
        "wait",
    ];
    pub const CHECK_NAMES: &[&str] = &["registry.alias_is", "registry.tag_is", "check.metric", "check.promql"];

    pub fn from_name(name: &str) -> Option<ActionKind> {
        Some(match name {
            "registry.set_alias" => ActionKind::SetAlias,
            "registry.set_tag" => ActionKind::SetTag,
            "traffic.set_weights" => ActionKind::SetWeights,
            "http" => ActionKind::Http,
            "exec" => ActionKind::Exec,
            "check.promql" => ActionKind::CheckPromql,
            "check.metric" => ActionKind::CheckMetric,
            "alertmanager.silence" => ActionKind::Silence,
            "timeline.annotate" => ActionKind::Annotate,
            "wait" => ActionKind::Wait,
            "confirm" => ActionKind::Confirm,
            "undo" => ActionKind::Undo,
            "registry.alias_is" => ActionKind::AliasIs,
            "registry.tag_is" => ActionKind::TagIs,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ActionKind::SetAlias => "registry.set_alias",
            ActionKind::SetTag => "registry.set_tag",
            ActionKind::SetWeights => "traffic.set_weights",
            ActionKind::Http => "http",
            ActionKind::Exec => "exec",
            ActionKind::CheckPromql => "check.promql",
            ActionKind::CheckMetric => "check.metric",
            ActionKind::Silence => "alertmanager.silence",
            ActionKind::Annotate => "timeline.annotate",
            ActionKind::Wait => "wait",
            ActionKind::Confirm => "confirm",
            ActionKind::Undo => "undo",
            ActionKind::AliasIs => "registry.alias_is",
            ActionKind::TagIs => "registry.tag_is",
        }
    }

    /// Whether the step changes something outside vigil. `http` and `exec`
    /// count as changes: vigil cannot know what they do.
    pub fn mutating(self) -> bool {
        matches!(
            self,
            ActionKind::SetAlias
                | ActionKind::SetTag
                | ActionKind::SetWeights
                | ActionKind::Http
                | ActionKind::Exec
                | ActionKind::Silence
                | ActionKind::Undo
        )
    }

    /// What the step needs from the context to run at all.
    pub fn needs(self) -> Option<Capability> {
        match self {
            ActionKind::SetAlias | ActionKind::SetTag | ActionKind::AliasIs | ActionKind::TagIs => {
                Some(Capability::Registry)
            }
            ActionKind::SetWeights => Some(Capability::Traffic),
            ActionKind::CheckPromql => Some(Capability::Prometheus),
            ActionKind::Silence => Some(Capability::Alertmanager),
            _ => None,
        }
    }

    fn args(self) -> &'static [ArgSpec] {
        match self {
            ActionKind::SetAlias => &[
                arg!("model", Text, true),
                arg!("alias", Text, true),
                arg!("version", Text, true),
                arg!("record_previous", Bool, false),
            ],
            ActionKind::SetTag => &[
                arg!("model", Text, true),
                arg!("version", Text, false),
                arg!("key", Text, true),
                arg!("value", Text, true),
            ],
            ActionKind::SetWeights => &[arg!("model", Text, true), arg!("weights", NumberTable, true)],
            ActionKind::Http => &[
                arg!("method", Text, true),
                arg!("url", Text, true, Url),
                arg!("headers", TextTable, false, Header),
                arg!("body", Json, false),
                arg!("expect_status", TextList, false),
                arg!("token_env", Text, false),
            ],
            ActionKind::Exec => &[arg!("argv", TextList, true), arg!("env", TextTable, false)],
            ActionKind::CheckPromql => &[
                arg!("query", Text, true, Promql),
                arg!("below", Number, false),
                arg!("above", Number, false),
                arg!("within", Text, false),
                arg!("every", Text, false),
            ],
            ActionKind::CheckMetric => &[
                arg!("model", Text, true),
                arg!("version", Text, false),
                arg!("metric", Text, true),
                arg!("below", Number, false),
                arg!("above", Number, false),
                arg!("window", Text, false),
                arg!("within", Text, false),
                arg!("every", Text, false),
            ],
            ActionKind::Silence => {
                &[arg!("model", Text, true), arg!("duration", Text, true), arg!("comment", Text, true)]
            }
            ActionKind::Annotate => &[arg!("text", Text, true)],
            ActionKind::Wait => &[arg!("duration", Text, true)],
            ActionKind::Confirm => &[arg!("prompt", Text, true)],
            ActionKind::Undo => &[arg!("step", Text, true)],
            ActionKind::AliasIs => &[
                arg!("model", Text, true),
                arg!("alias", Text, true),
                arg!("version", Text, false),
                arg!("not_version", Text, false),
            ],
            ActionKind::TagIs => &[
                arg!("model", Text, true),
                arg!("version", Text, false),
                arg!("key", Text, true),
                arg!("value", Text, true),
            ],
        }
    }

    /// How values are written into argument `key`.
    pub fn escape(self, key: &str) -> Escape {
        self.args().iter().find(|a| a.key == key).map_or(Escape::Whole, |a| a.escape)
    }
}

pub const METRICS: &[&str] = &["error_ratio", "latency_p99", "requests_per_second"];

const TOP_KEYS: &[&str] = &["name", "description", "mutating", "params", "precondition", "step", "on_failure"];
const PARAM_KEYS: &[&str] = &["type", "default", "description", "choices", "min", "max", "model", "alias", "context"];
const STEP_KEYS: &[&str] = &["id", "action", "args", "confirm", "timeout", "skip_without", "context"];
const CHECK_KEYS: &[&str] = &["id", "check", "args", "timeout", "skip_without", "context"];

/// Reads and checks one playbook file.
pub fn parse(file: &str, source: &str) -> Result<Playbook, Vec<Diagnostic>> {
    let document = DeTable::parse(source).map_err(|e| {
        let message = format!("invalid TOML: {}", e.message().trim());
        vec![match e.span() {
            Some(span) => Diagnostic::at(file, source, span.start, "", message),
            None => Diagnostic::file_level(file, message),
        }]
    })?;
    let mut r = Reader::new(file, source);
    let root = Section::new(String::new(), document.get_ref(), document.span());
    let playbook = playbook(&mut r, &root, file);
    let problems = r.finish();
    if problems.is_empty() { Ok(playbook) } else { Err(problems) }
}

fn playbook(r: &mut Reader<'_>, root: &Section<'_, '_>, file: &str) -> Playbook {
    r.check_keys(root, TOP_KEYS);
    let name = match root.field("name") {
        Some(f) => r.text(&f).filter(|n| valid_name(r, &f, n)).unwrap_or_default(),
        None => {
            r.missing(root, "name", "a playbook needs a name");
            String::new()
        }
    };
    let description = root.field("description").and_then(|f| r.string(&f)).unwrap_or_default();
    let params = root.field("params").map(|f| params(r, &f)).unwrap_or_default();
    let mut names: Vec<&str> = BUILTINS.to_vec();
    names.extend(params.iter().map(|p| p.name.as_str()));
    let known = Known { names: &names };
    check_param_templates(r, root, &params, &known);
    let preconditions =
        root.field("precondition").map(|f| steps(r, &f, &known, Kind::Precondition)).unwrap_or_default();
    let steps_ = match root.field("step") {
        Some(f) => steps(r, &f, &known, Kind::Step),
        None => {
            r.missing(root, "step", "a playbook needs at least one [[step]]");
            Vec::new()
        }
    };
    let on_failure = root.field("on_failure").map(|f| steps(r, &f, &known, Kind::Compensation)).unwrap_or_default();
    check_unique_ids(r, &preconditions, &steps_, &on_failure);
    check_undo_targets(r, &steps_, &on_failure);
    let mutating = steps_.iter().chain(&on_failure).any(|s| s.action.mutating());
    if let Some(f) = root.field("mutating")
        && let Some(declared) = r.bool(&f)
        && declared != mutating
    {
        let message = if mutating {
            "is false, but the playbook has steps that change things".to_string()
        } else {
            "is true, but no step changes anything".to_string()
        };
        r.error(f.span(), &f.path, message);
    }
    Playbook { name, description, file: file.to_string(), mutating, params, preconditions, steps: steps_, on_failure }
}

fn valid_name(r: &mut Reader<'_>, field: &Field<'_, '_>, name: &str) -> bool {
    let ok = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        r.error(field.span(), &field.path, "use lower-case letters, digits, - and _");
    }
    ok
}

struct Known<'a> {
    names: &'a [&'a str],
}

fn params(r: &mut Reader<'_>, field: &Field<'_, '_>) -> Vec<ParamSpec> {
    let Some(section) = r.table(field, "a table of parameters ([params.model])") else { return Vec::new() };
    let mut out = Vec::new();
    // In the order written (the parsed table is sorted by name): forms and
    // listings show the model first because the author put it first.
    let mut entries: Vec<_> = section.entries().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    for (key, value) in entries {
        let name: &str = key.get_ref();
        let f = Field { path: section.key_path(name), key_span: key.span(), value };
        if !super::template::Template::parse(&format!("{{{{{name}}}}}")).is_ok_and(|t| t.names().count() == 1) {
            r.error(key.span(), &f.path, "parameter names use lower-case letters, digits and _");
            continue;
        }
        if BUILTINS.contains(&name) {
            r.error(key.span(), &f.path, format!("`{name}` is given by vigil; choose another name"));
            continue;
        }
        let Some(table) = r.table(&f, "a table like { type = \"model\" }") else { continue };
        if let Some(p) = param(r, &table, name) {
            out.push(p);
        }
    }
    out
}

fn param(r: &mut Reader<'_>, s: &Section<'_, '_>, name: &str) -> Option<ParamSpec> {
    r.check_keys(s, PARAM_KEYS);
    let Some(type_field) = s.field("type") else {
        r.missing(s, "type", &format!("a parameter needs a type: one of {}", PARAM_TYPES.join(", ")));
        return None;
    };
    let type_name = r.choice(&type_field, "parameter type", PARAM_TYPES)?;
    let number = |r: &mut Reader<'_>, key: &str| s.field(key).and_then(|f| r.number(&f));
    let kind = match type_name.as_str() {
        "model" => ParamKind::Model,
        "version" => ParamKind::Version,
        "alias" => ParamKind::Alias,
        "text" => ParamKind::Text,
        "number" => ParamKind::Number { min: number(r, "min"), max: number(r, "max") },
        "duration" => ParamKind::Duration,
        "bool" => ParamKind::Bool,
        "context" => ParamKind::Context,
        _ => {
            let choices = match s.field("choices") {
                Some(f) => string_list(r, &f),
                None => {
                    r.missing(s, "choices", "a choice parameter needs its choices = [\"a\", \"b\"]");
                    Vec::new()
                }
            };
            ParamKind::Choice(choices)
        }
    };
    for key in ["min", "max"] {
        if let Some(f) = s.field(key)
            && !matches!(kind, ParamKind::Number { .. })
        {
            r.error(f.key_span.clone(), &f.path, "only number parameters have bounds");
        }
    }
    for key in ["model", "alias", "context"] {
        if let Some(f) = s.field(key)
            && kind != ParamKind::Version
        {
            r.error(f.key_span.clone(), &f.path, "only version parameters name a model, alias and context");
        }
    }
    let default = s.field("default").and_then(|f| param_default(r, s, &f, &kind, name));
    let description = s.field("description").and_then(|f| r.string(&f)).unwrap_or_default();
    Some(ParamSpec { name: name.to_string(), kind, default, description })
}

fn param_default(
    r: &mut Reader<'_>,
    s: &Section<'_, '_>,
    f: &Field<'_, '_>,
    kind: &ParamKind,
    name: &str,
) -> Option<ParamDefault> {
    let text = match f.value.get_ref() {
        DeValue::String(text) => text.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(x) => x.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        other => {
            r.error(f.span(), &f.path, format!("expected a value, found {}", describe(other)));
            return None;
        }
    };
    let template_of = |r: &mut Reader<'_>, key: &str, fallback: &str| -> Option<Template> {
        match s.field(key) {
            Some(field) => template(r, &field),
            None => Template::parse(fallback).ok(),
        }
    };
    match (kind, text.as_str()) {
        (ParamKind::Model, "selected") => Some(ParamDefault::Selected),
        (ParamKind::Context, "current") => Some(ParamDefault::SessionContext),
        (ParamKind::Version, "current" | "previous") => {
            let model = template_of(r, "model", "{{model}}")?;
            let alias = template_of(r, "alias", "champion")?;
            let context = match s.field("context") {
                Some(field) => Some(template(r, &field)?),
                None => None,
            };
            Some(if text == "current" {
                ParamDefault::Current { model, alias, context }
            } else {
                ParamDefault::Previous { model, alias, context }
            })
        }
        _ => match check_value(kind, &text) {
            Ok(value) => Some(ParamDefault::Value(value)),
            Err(why) => {
                r.error(f.span(), &f.path, format!("default of {name}: {why}"));
                None
            }
        },
    }
}

/// Checks a value against a parameter type and gives its canonical text.
pub fn check_value(kind: &ParamKind, text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) && !matches!(kind, ParamKind::Text) {
        return Err("must not contain control characters".into());
    }
    match kind {
        ParamKind::Model | ParamKind::Alias | ParamKind::Context if text.trim().is_empty() => {
            Err("must not be empty".into())
        }
        ParamKind::Model | ParamKind::Alias | ParamKind::Text | ParamKind::Context => Ok(text.to_string()),
        ParamKind::Version => {
            if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
                Ok(text.trim_start_matches('0').to_string()).map(|v| if v.is_empty() { "0".into() } else { v })
            } else {
                Err(format!("`{text}` is not a version number"))
            }
        }
        ParamKind::Number { min, max } => {
            let n: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number"))?;
            if !n.is_finite() {
                return Err(format!("`{text}` is not a finite number"));
            }
            if let Some(min) = min
                && n < *min
            {
                return Err(format!("{n} is below the minimum {min}"));
            }
            if let Some(max) = max
                && n > *max
            {
                return Err(format!("{n} is above the maximum {max}"));
            }
            Ok(n.to_string())
        }
        ParamKind::Duration => crate::core::duration::parse(text).map(crate::core::duration::format),
        ParamKind::Bool => match text {
            "true" | "false" => Ok(text.to_string()),
            _ => Err(format!("`{text}` is not true or false")),
        },
        ParamKind::Choice(choices) => {
            if choices.iter().any(|c| c == text) {
                Ok(text.to_string())
            } else {
                Err(format!("`{text}` is not one of {}", choices.join(", ")))
            }
        }
    }
}

/// The `model`/`alias` templates of version defaults may only name other parameters.
fn check_param_templates(r: &mut Reader<'_>, root: &Section<'_, '_>, params: &[ParamSpec], known: &Known<'_>) {
    let Some(f) = root.field("params") else { return };
    let Some(section) = r.table(&f, "a table") else { return };
    for p in params {
        let (ParamDefault::Current { model, alias, context } | ParamDefault::Previous { model, alias, context }) =
            p.default.as_ref().map_or(&ParamDefault::Selected, |d| d)
        else {
            continue;
        };
        for (t, key) in [(Some(model), "model"), (Some(alias), "alias"), (context.as_ref(), "context")] {
            let Some(t) = t else { continue };
            for (name, _) in t.names() {
                if name == p.name || !known.names.contains(&name) {
                    let path = format!("{}.{key}", section.key_path(&p.name));
                    let span = section.field(&p.name).map(|f| f.span()).unwrap_or_default();
                    r.error(span, &path, format!("`{{{{{name}}}}}` is not another parameter"));
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Precondition,
    Step,
    Compensation,
}

fn steps(r: &mut Reader<'_>, field: &Field<'_, '_>, known: &Known<'_>, kind: Kind) -> Vec<StepSpec> {
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = if field.value.get_ref().is_table() { "a single table" } else { describe(field.value.get_ref()) };
        r.error(field.span(), &field.path, format!("expected an array of tables ([[{}]]), found {found}", field.path));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_field = Field { path: format!("{}[{index}]", field.path), key_span: item.span(), value: item };
        let Some(section) = r.table(&item_field, "a table") else { continue };
        if let Some(step) = step(r, &section, known, kind, index) {
            out.push(step);
        }
    }
    out
}

fn step(r: &mut Reader<'_>, s: &Section<'_, '_>, known: &Known<'_>, kind: Kind, index: usize) -> Option<StepSpec> {
    let (action_key, keys, allowed) = match kind {
        Kind::Precondition => ("check", CHECK_KEYS, ActionKind::CHECK_NAMES),
        Kind::Step => ("action", STEP_KEYS, ActionKind::STEP_NAMES),
        Kind::Compensation => ("action", STEP_KEYS, ActionKind::COMPENSATION_NAMES),
    };
    r.check_keys(s, keys);
    let line = r.line_of(&s.span);
    let Some(action_field) = s.field(action_key) else {
        r.missing(s, action_key, &format!("each entry needs `{action_key}`: one of {}", allowed.join(", ")));
        return None;
    };
    let action_name = r.choice(&action_field, action_key, allowed)?;
    let action = ActionKind::from_name(&action_name)?;
    let id = match s.field("id") {
        Some(f) => r.text(&f).filter(|id| valid_name(r, &f, id)),
        None => Some(match kind {
            Kind::Precondition => format!("precondition-{}", index + 1),
            Kind::Step => format!("step-{}", index + 1),
            Kind::Compensation => format!("on-failure-{}", index + 1),
        }),
    }?;
    let args = match s.field("args") {
        Some(f) => args(r, &f, action, known),
        None => {
            args(r, &Field { path: s.key_path("args"), key_span: s.span.clone(), value: &EMPTY_ARGS }, action, known)
        }
    };
    let confirm = s.field("confirm").and_then(|f| template(r, &f)).inspect(|t| {
        if let Some(f) = s.field("confirm") {
            check_names(r, &f, t, known);
        }
    });
    if let (Some(f), false) = (s.field("confirm"), action.mutating() || action == ActionKind::Confirm) {
        r.error(f.key_span.clone(), &f.path, "only steps that change something ask for confirmation");
    }
    let timeout = s.field("timeout").and_then(|f| r.duration(&f));
    let skip_without = s
        .field("skip_without")
        .and_then(|f| r.choice(&f, "capability", Capability::NAMES).and_then(|n| Capability::from_name(&n)));
    let context = s.field("context").and_then(|f| {
        let t = template(r, &f)?;
        check_names(r, &f, &t, known);
        Some(t)
    });
    Some(StepSpec { id, action, args: args?, confirm, timeout, skip_without, context, line })
}

static EMPTY_ARGS: std::sync::LazyLock<toml::Spanned<DeValue<'static>>> =
    std::sync::LazyLock::new(|| toml::Spanned::new(0..0, DeValue::Table(DeTable::new())));

fn args(
    r: &mut Reader<'_>,
    field: &Field<'_, '_>,
    action: ActionKind,
    known: &Known<'_>,
) -> Option<BTreeMap<String, Arg>> {
    let section = r.table(field, "a table like { model = \"{{model}}\" }")?;
    let specs = action.args();
    let names: Vec<&str> = specs.iter().map(|a| a.key).collect();
    r.check_keys(&section, &names);
    let mut out = BTreeMap::new();
    for spec in specs {
        let Some(f) = section.field(spec.key) else {
            if spec.required {
                r.missing(&section, spec.key, &format!("{} needs `{}`", action.name(), spec.key));
            }
            continue;
        };
        if let Some(value) = arg_value(r, &f, spec.shape, known) {
            if spec.escape == Escape::Promql
                && let Arg::Text(t) = &value
                && let Some((name, at)) = t.name_outside_promql_string()
            {
                r.error_in_string(
                    &f,
                    &t.source(),
                    at,
                    format!("`{{{{{name}}}}}` is outside a quoted string, where a value could change the query"),
                    Some(format!("write it inside quotes, e.g. model=\"{{{{{name}}}}}\"")),
                );
            }
            out.insert(spec.key.to_string(), value);
        }
    }
    if let (Some(below), Some(_)) = (section.field("below"), section.field("above")) {
        r.error(below.key_span.clone(), &below.path, "give `below` or `above`, not both");
    }
    if matches!(action, ActionKind::CheckPromql | ActionKind::CheckMetric)
        && section.field("below").is_none()
        && section.field("above").is_none()
    {
        r.missing(&section, "below", "a check needs `below` or `above`");
    }
    if action == ActionKind::CheckMetric
        && let Some(f) = section.field("metric")
        && let DeValue::String(m) = f.value.get_ref()
        && !METRICS.contains(&m.as_ref())
    {
        let hint = did_you_mean(m, METRICS.iter().copied()).map(|c| format!("did you mean `{c}`?"));
        r.error_with_hint(f.span(), &f.path, format!("unknown metric; known: {}", METRICS.join(", ")), hint);
    }
    if action == ActionKind::Exec
        && let Some(Arg::List(items)) = out.get("argv")
        && items.is_empty()
        && let Some(f) = section.field("argv")
    {
        r.error(f.span(), &f.path, "argv needs at least the program");
    }
    Some(out)
}

fn arg_value(r: &mut Reader<'_>, f: &Field<'_, '_>, shape: Shape, known: &Known<'_>) -> Option<Arg> {
    let value = f.value.get_ref();
    match (shape, value) {
        // A table of weights may also come whole from a parameter ("9=75,10=25").
        (Shape::Text | Shape::Number | Shape::NumberTable, DeValue::String(_)) => {
            let t = template(r, f)?;
            check_names(r, f, &t, known);
            Some(Arg::Text(t))
        }
        (Shape::Number, DeValue::Integer(_) | DeValue::Float(_)) => r.number(f).map(Arg::Number),
        (Shape::Bool, DeValue::Boolean(b)) => Some(Arg::Bool(*b)),
        (Shape::TextList, DeValue::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_field = Field { path: format!("{}[{i}]", f.path), key_span: item.span(), value: item };
                out.push(arg_value(r, &item_field, Shape::Text, known)?);
            }
            Some(Arg::List(out))
        }
        (Shape::NumberTable | Shape::TextTable, DeValue::Table(_)) => {
            let section = r.table(f, "a table")?;
            let inner = if shape == Shape::NumberTable { Shape::Number } else { Shape::Text };
            let mut out = Vec::new();
            for (key, v) in section.entries() {
                let key_text: &str = key.get_ref();
                let item_field = Field { path: section.key_path(key_text), key_span: key.span(), value: v };
                let key_template = match Template::parse(key_text) {
                    Ok(t) => t,
                    Err(e) => {
                        r.error(key.span(), &item_field.path, e.message);
                        continue;
                    }
                };
                for (name, _) in key_template.names() {
                    if !known.names.contains(&name) {
                        unknown_name(r, key.span(), &item_field.path, name, known);
                    }
                }
                if let Some(v) = arg_value(r, &item_field, inner, known) {
                    out.push((key_template, v));
                }
            }
            Some(Arg::Table(out))
        }
        (Shape::Json, _) => json_arg(r, f, known),
        _ => {
            let expected = match shape {
                Shape::Text => "a string",
                Shape::Number => "a number",
                Shape::Bool => "true or false",
                Shape::TextList => "an array of strings",
                Shape::NumberTable => "a table of numbers",
                Shape::TextTable => "a table of strings",
                Shape::Json => "a value",
            };
            r.error(f.span(), &f.path, format!("expected {expected}, found {}", describe(value)));
            None
        }
    }
}

/// A JSON body: strings are templates (their values JSON-escaped by the
/// serialiser), everything else is kept as written.
fn json_arg(r: &mut Reader<'_>, f: &Field<'_, '_>, known: &Known<'_>) -> Option<Arg> {
    match f.value.get_ref() {
        DeValue::String(_) => arg_value(r, f, Shape::Text, known),
        DeValue::Integer(_) | DeValue::Float(_) => r.number(f).map(Arg::Number),
        DeValue::Boolean(b) => Some(Arg::Bool(*b)),
        DeValue::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_field = Field { path: format!("{}[{i}]", f.path), key_span: item.span(), value: item };
                out.push(json_arg(r, &item_field, known)?);
            }
            Some(Arg::List(out))
        }
        DeValue::Table(_) => {
            let section = r.table(f, "a table")?;
            let mut out = Vec::new();
            for (key, v) in section.entries() {
                let key_text: &str = key.get_ref();
                let item_field = Field { path: section.key_path(key_text), key_span: key.span(), value: v };
                out.push((Template::literal(key_text), json_arg(r, &item_field, known)?));
            }
            Some(Arg::Table(out))
        }
        DeValue::Datetime(_) => {
            r.error(f.span(), &f.path, "dates are not JSON: write them as strings");
            None
        }
    }
}

fn template(r: &mut Reader<'_>, f: &Field<'_, '_>) -> Option<Template> {
    let text = r.string(f)?;
    match Template::parse(&text) {
        Ok(t) => Some(t),
        Err(e) => {
            r.error_in_string(f, &text, e.offset, e.message, None);
            None
        }
    }
}

fn check_names(r: &mut Reader<'_>, f: &Field<'_, '_>, t: &Template, known: &Known<'_>) {
    let Some(text) = (match f.value.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        _ => None,
    }) else {
        return;
    };
    for (name, at) in t.names() {
        if !known.names.contains(&name) {
            let hint = did_you_mean(name, known.names.iter().copied())
                .map(|c| format!("did you mean `{{{{{c}}}}}`?"))
                .unwrap_or_else(|| format!("known: {}", known.names.join(", ")));
            r.error_in_string(f, &text, at, format!("unknown name `{{{{{name}}}}}`"), Some(hint));
        }
    }
}

fn unknown_name(r: &mut Reader<'_>, span: std::ops::Range<usize>, path: &str, name: &str, known: &Known<'_>) {
    let hint = did_you_mean(name, known.names.iter().copied())
        .map(|c| format!("did you mean `{{{{{c}}}}}`?"))
        .unwrap_or_else(|| format!("known: {}", known.names.join(", ")));
    r.error_with_hint(span, path, format!("unknown name `{{{{{name}}}}}`"), Some(hint));
}

fn string_list(r: &mut Reader<'_>, f: &Field<'_, '_>) -> Vec<String> {
    let DeValue::Array(items) = f.value.get_ref() else {
        r.error(f.span(), &f.path, format!("expected an array of strings, found {}", describe(f.value.get_ref())));
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| r.text(&Field { path: format!("{}[{i}]", f.path), key_span: item.span(), value: item }))
        .collect()
}

fn check_unique_ids(r: &mut Reader<'_>, preconditions: &[StepSpec], steps: &[StepSpec], on_failure: &[StepSpec]) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (list_key, list) in [("precondition", preconditions), ("step", steps), ("on_failure", on_failure)] {
        for (i, s) in list.iter().enumerate() {
            match seen.get(s.id.as_str()) {
                Some(first) => {
                    let message = format!("step id `{}` is used twice (lines {first} and {})", s.id, s.line);
                    r.error(line_start(r, s.line), &format!("{list_key}[{i}].id"), message);
                }
                None => {
                    seen.insert(&s.id, s.line);
                }
            }
        }
    }
}

/// Which actions `undo` can reverse: those whose earlier state vigil reads.
pub fn undoable(action: ActionKind) -> bool {
    matches!(action, ActionKind::SetAlias | ActionKind::SetWeights)
}

fn check_undo_targets(r: &mut Reader<'_>, steps: &[StepSpec], on_failure: &[StepSpec]) {
    for (i, s) in on_failure.iter().enumerate().filter(|(_, s)| s.action == ActionKind::Undo) {
        let Some(Arg::Text(t)) = s.args.get("step") else { continue };
        let target = t.source();
        let path = format!("on_failure[{i}].args.step");
        match steps.iter().find(|x| x.id == target) {
            None => {
                let ids: Vec<&str> = steps.iter().map(|x| x.id.as_str()).collect();
                r.error(line_start(r, s.line), &path, format!("no step `{target}` to undo; steps: {}", ids.join(", ")));
            }
            Some(x) if !undoable(x.action) => {
                let message = format!(
                    "{} steps cannot be undone (only registry.set_alias and traffic.set_weights)",
                    x.action.name()
                );
                r.error(line_start(r, s.line), &path, message);
            }
            Some(_) => {}
        }
    }
}

/// A span at the start of 1-based `line` (for problems found after parsing).
fn line_start(r: &Reader<'_>, line: usize) -> std::ops::Range<usize> {
    let offset = r.offset_of_line(line);
    offset..offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(source: &str) -> Vec<String> {
        parse("bad.toml", source).unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_good_playbook_reads_with_its_parts() {
        let p = parse(
            "ok.toml",
            r#"
name = "demo"
description = "d"
[params.model]
type = "model"
default = "selected"
[params.to]
type = "version"
default = "previous"
[[precondition]]
check = "registry.alias_is"
args = { model = "{{model}}", alias = "champion", not_version = "{{to}}" }
[[step]]
id = "move"
action = "registry.set_alias"
args = { model = "{{model}}", alias = "champion", version = "{{to}}" }
confirm = "{{model}}"
timeout = "20s"
[[on_failure]]
action = "timeline.annotate"
args = { text = "failed for {{model}} in {{context}}" }
"#,
        )
        .unwrap();
        assert!(p.mutating);
        assert_eq!(p.params.len(), 2);
        assert_eq!(
            p.params[1].default,
            Some(ParamDefault::Previous {
                model: Template::parse("{{model}}").unwrap(),
                alias: Template::literal("champion"),
                context: None,
            })
        );
        assert_eq!(p.steps[0].timeout, Some(Duration::from_secs(20)));
        assert_eq!(p.steps[0].line, 13);
        assert_eq!(p.on_failure[0].id, "on-failure-1");
    }

    #[test]
    fn malformed_playbooks_name_file_line_and_key() {
        let found = problems(
            r#"name = "x"
mutating = false
[params.model]
type = "modle"
[params.n]
type = "number"
default = "lots"
[[step]]
id = "a"
action = "registry.set_alias"
args = { model = "{{modle}}", alias = "champion" }
[[step]]
id = "a"
action = "check.promql"
args = { query = "up > {{n}}", below = 1 }
[[step]]
action = "registry.set_alais"
"#,
        );
        assert_eq!(
            found,
            [
                "bad.toml:2:12: mutating: is false, but the playbook has steps that change things",
                "bad.toml:4:8: params.model.type: unknown parameter type `modle`; expected one of model, version, alias, text, number, duration, bool, choice, context (did you mean `model`?)",
                "bad.toml:7:11: params.n.default: default of n: `lots` is not a number",
                "bad.toml:11:8: step[0].args.version: registry.set_alias needs `version`",
                "bad.toml:11:19: step[0].args.model: unknown name `{{modle}}` (known: context, actor, reason, n)",
                "bad.toml:12:1: step[1].id: step id `a` is used twice (lines 8 and 12)",
                "bad.toml:15:24: step[1].args.query: `{{n}}` is outside a quoted string, where a value could change the query (write it inside quotes, e.g. model=\"{{n}}\")",
                "bad.toml:17:10: step[2].action: unknown action `registry.set_alais`; expected one of registry.set_alias, registry.set_tag, traffic.set_weights, http, exec, check.promql, check.metric, alertmanager.silence, timeline.annotate, wait, confirm (did you mean `registry.set_alias`?)",
            ]
        );
    }

    #[test]
    fn syntax_errors_and_missing_parts_are_reported() {
        assert_eq!(
            problems("name = \n"),
            ["bad.toml:1:8: invalid TOML: string values must be quoted, expected literal string"]
        );
        assert_eq!(
            problems("description = \"x\"\n"),
            [
                "bad.toml:1:1: name: a playbook needs a name",
                "bad.toml:1:1: step: a playbook needs at least one [[step]]"
            ]
        );
        let found = problems(
            "name = \"x\"\n[[step]]\naction = \"wait\"\nargs = { duration = \"1s\", extra = 1 }\nconfirm = \"y\"\n",
        );
        assert_eq!(
            found,
            [
                "bad.toml:4:27: step[0].args.extra: unknown key (known keys: duration)",
                "bad.toml:5:1: step[0].confirm: only steps that change something ask for confirmation",
            ]
        );
    }

    #[test]
    fn version_values_are_numbers_and_text_keeps_everything() {
        assert_eq!(check_value(&ParamKind::Version, "007"), Ok("7".into()));
        assert!(check_value(&ParamKind::Version, "7; rm -rf /").is_err());
        let hostile = "a'b\"; $(id)\n../✓";
        assert_eq!(check_value(&ParamKind::Text, hostile), Ok(hostile.into()));
        assert!(check_value(&ParamKind::Model, "a\u{1b}[2J").is_err());
        assert_eq!(check_value(&ParamKind::Duration, "90s"), Ok("1m30s".into()));
        assert!(check_value(&ParamKind::Number { min: Some(0.0), max: Some(1.0) }, "2").unwrap_err().contains("above"));
    }
}
