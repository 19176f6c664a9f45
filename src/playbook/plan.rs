//! Turning a playbook and its parameters into a plan: every template
//! resolved, every request spelled out exactly as `run` will send it, and
//! the current state beside the target ("champion: 4 → 3"). A plan is
//! computed again just before it runs; nothing here changes anything.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::backends::Backends;
use super::spec::{ActionKind, Arg, ParamDefault, ParamKind, Playbook, StepSpec, check_value};
use super::template::Escape;
use crate::core::duration;
use crate::core::registry::{RegisteredModel, RegistryWrite, VersionStatus};
use crate::core::sanitize::sanitize;

/// The version tag recording which version an alias left when it moved to
/// this one (MLflow keeps no history of alias moves).
pub fn previous_tag(alias: &str) -> String {
    format!("vigil.previous.{alias}")
}

/// The model tag recording the last move of an alias made by vigil:
/// `{"from","to","at","by","playbook"}`.
pub fn last_move_tag(alias: &str) -> String {
    format!("vigil.last_move.{alias}")
}

/// A move of the same alias within this long is "moments ago": a second
/// rollback by default would go one version further, so it is not automatic.
pub const RECENT_MOVE: Duration = Duration::from_secs(30 * 60);

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub given: BTreeMap<String, String>,
    /// The model selected in the console, for `default = "selected"`.
    pub selected_model: Option<String>,
    /// Why (shown as `{{reason}}`; required to run a mutating playbook).
    pub reason: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub playbook: String,
    pub description: String,
    pub context: String,
    pub mutating: bool,
    pub params: Vec<ResolvedParam>,
    pub values: BTreeMap<String, String>,
    /// Things the operator should see before confirming.
    pub warnings: Vec<String>,
    /// Reasons a non-interactive run must not proceed on defaults.
    pub needs_explicit: Vec<String>,
    pub preconditions: Vec<PlannedStep>,
    pub steps: Vec<PlannedStep>,
    pub on_failure: Vec<PlannedStep>,
    /// What the operator types to confirm (the distinct `confirm` texts).
    pub confirm: Option<String>,
    /// Models whose state the run changes, as shown (`m`, or `m in prod`).
    pub targets: Vec<String>,
    /// The same as (context, model): each is locked while the run runs.
    pub locks: Vec<(String, String)>,
    pub planned_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedParam {
    pub name: String,
    pub value: String,
    /// `given`, `default`, `selected`, or how a version was worked out.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    pub id: String,
    pub action: ActionKind,
    pub request: Request,
    /// The exact request or argv, as sent.
    pub description: String,
    pub state: StepState,
    pub timeout: Duration,
    /// The context it acts in (the plan's own unless the step names another).
    pub context: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepState {
    /// A change whose effect vigil can read back.
    Change { what: String, current: Option<String>, target: String, satisfied: bool },
    /// A check, an annotation, a wait, or a request whose effect vigil cannot read.
    Action,
    /// Not run in this context, and why.
    Skipped(String),
    /// Cannot run: why (the plan cannot be run as it is).
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Below(f64),
    Above(f64),
}

impl Bound {
    pub fn holds(self, value: f64) -> bool {
        match self {
            Bound::Below(limit) => value < limit,
            Bound::Above(limit) => value > limit,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Below(x) => write!(f, "< {x}"),
            Bound::Above(x) => write!(f, "> {x}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    ErrorRatio,
    LatencyP99,
    RequestsPerSecond,
}

impl Metric {
    fn from_name(name: &str) -> Option<Metric> {
        match name {
            "error_ratio" => Some(Metric::ErrorRatio),
            "latency_p99" => Some(Metric::LatencyP99),
            "requests_per_second" => Some(Metric::RequestsPerSecond),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::ErrorRatio => "error_ratio",
            Metric::LatencyP99 => "latency_p99",
            Metric::RequestsPerSecond => "requests_per_second",
        }
    }
}

/// A step with every value resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    SetAlias {
        model: String,
        alias: String,
        version: String,
        record_previous: bool,
    },
    SetTag {
        model: String,
        version: Option<String>,
        key: String,
        value: String,
    },
    SetWeights {
        model: String,
        weights: Vec<(String, f64)>,
    },
    Http {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<Value>,
        expect_status: Vec<u16>,
        /// An environment variable holding a bearer token, read when the
        /// step runs: the token is never in the plan or the audit log.
        token_env: Option<String>,
    },
    Exec {
        argv: Vec<String>,
        env: Vec<(String, String)>,
    },
    CheckPromql {
        query: String,
        bound: Bound,
        within: Duration,
        every: Duration,
    },
    CheckMetric {
        model: String,
        version: Option<String>,
        metric: Metric,
        bound: Bound,
        window: Duration,
        within: Duration,
        every: Duration,
    },
    Silence {
        model: String,
        duration: Duration,
        comment: String,
    },
    Annotate {
        text: String,
    },
    Wait {
        duration: Duration,
    },
    Confirm {
        prompt: String,
    },
    Undo {
        step: String,
    },
    AliasIs {
        model: String,
        alias: String,
        version: Option<String>,
        not_version: Option<String>,
    },
    TagIs {
        model: String,
        version: Option<String>,
        key: String,
        value: String,
    },
}

impl Request {
    /// The model whose state this request changes, for locking.
    pub fn target_model(&self) -> Option<&str> {
        match self {
            Request::SetAlias { model, .. }
            | Request::SetTag { model, .. }
            | Request::SetWeights { model, .. }
            | Request::Silence { model, .. } => Some(model),
            _ => None,
        }
    }

    pub fn registry_write(&self) -> Option<RegistryWrite> {
        match self {
            Request::SetAlias { model, alias, version, .. } => {
                Some(RegistryWrite::SetAlias { model: model.clone(), alias: alias.clone(), version: version.clone() })
            }
            Request::SetTag { model, version: None, key, value } => {
                Some(RegistryWrite::SetModelTag { model: model.clone(), key: key.clone(), value: value.clone() })
            }
            Request::SetTag { model, version: Some(version), key, value } => Some(RegistryWrite::SetVersionTag {
                model: model.clone(),
                version: version.clone(),
                key: key.clone(),
                value: value.clone(),
            }),
            _ => None,
        }
    }

    /// The request as `run` sends it, for plans and the audit log.
    pub fn describe(&self, backends: &Backends) -> String {
        if let Some(write) = self.registry_write() {
            return match &backends.registry {
                Some(registry) => registry.describe_write(&write),
                None => write.to_string(),
            };
        }
        match self {
            Request::SetWeights { model, weights } => match &backends.traffic {
                Some(traffic) => traffic.describe_set_weights(model, weights),
                None => format!("set traffic weights of {model}: {}", format_weights(weights)),
            },
            Request::Http { method, url, headers, body, expect_status, token_env } => {
                let mut text = format!("{method} {url}");
                if let Some(name) = token_env {
                    text.push_str(&format!(" -H Authorization: Bearer ${name}"));
                }
                for (name, _) in headers {
                    // Header values may carry credentials: names only.
                    text.push_str(&format!(" -H {name}: …"));
                }
                if let Some(body) = body {
                    text.push_str(&format!(" {body}"));
                }
                if !expect_status.is_empty() {
                    let codes: Vec<String> = expect_status.iter().map(u16::to_string).collect();
                    text.push_str(&format!(" (expect {})", codes.join("|")));
                }
                text
            }
            Request::Exec { argv, env } => {
                let mut text = serde_json::to_string(argv).unwrap_or_default();
                if !env.is_empty() {
                    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
                    text.push_str(&format!(" env {}", names.join(",")));
                }
                format!("exec {text}")
            }
            Request::CheckPromql { query, bound, within, every } => {
                polled(&format!("{query} {bound}"), *within, *every)
            }
            Request::CheckMetric { model, version, metric, bound, window, within, every } => {
                let of = version.as_ref().map_or(model.clone(), |v| format!("{model} version {v}"));
                let what = format!("{} of {of} over {} {bound}", metric.name(), duration::format(*window));
                polled(&what, *within, *every)
            }
            Request::Silence { model, duration: d, comment } => format!(
                "silence alerts with {}={model:?} for {}: {comment:?}",
                backends.model_label,
                duration::format(*d)
            ),
            Request::Annotate { text } => format!("annotate: {text}"),
            Request::Wait { duration: d } => format!("wait {}", duration::format(*d)),
            Request::Confirm { prompt } => format!("confirm: {prompt}"),
            Request::Undo { step } => format!("undo {step}: put back what it changed, as it was just before it ran"),
            Request::AliasIs { model, alias, version, not_version } => {
                let mut text = format!("{alias} of {model}");
                if let Some(v) = version {
                    text.push_str(&format!(" is {v}"));
                }
                if let Some(v) = not_version {
                    text.push_str(&format!("{} not {v}", if version.is_some() { " and" } else { " is" }));
                }
                text
            }
            Request::TagIs { model, version, key, value } => {
                let of = version.as_ref().map_or(model.clone(), |v| format!("{model} version {v}"));
                format!("tag {key} of {of} is {value:?}")
            }
            Request::SetAlias { .. } | Request::SetTag { .. } => unreachable!("registry writes handled above"),
        }
    }
}

/// A check as a plan shows it: once, or polled until it holds.
fn polled(what: &str, within: Duration, every: Duration) -> String {
    if within.is_zero() {
        format!("{what} (checked once)")
    } else {
        format!("until {what} (every {}, up to {})", duration::format(every), duration::format(within))
    }
}

pub fn format_weights(weights: &[(String, f64)]) -> String {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    weights
        .iter()
        .map(|(v, w)| {
            let share = if total > 0.0 { w / total * 100.0 } else { 0.0 };
            format!("{v}={}%", trim_number(share))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn trim_number(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads of the registry made while planning, so each model is read once.
#[derive(Default)]
struct Reads {
    models: BTreeMap<String, RegisteredModel>,
}

impl Reads {
    async fn model(&mut self, backends: &Backends, name: &str) -> Result<&RegisteredModel, String> {
        // Two contexts may have models of one name in different registries.
        let key = format!("{}\u{0}{name}", backends.context);
        if !self.models.contains_key(&key) {
            let model = backends.registry()?.model(name).await.map_err(|e| e.to_string())?;
            self.models.insert(key.clone(), model);
        }
        Ok(&self.models[&key])
    }
}

/// Resolves `playbook` for `request` against the context's current state.
/// Every problem is listed, not only the first.
pub async fn plan(playbook: &Playbook, request: &PlanRequest, backends: &Backends) -> Result<Plan, Vec<String>> {
    let now = Utc::now();
    let mut reads = Reads::default();
    let mut problems = Vec::new();
    for name in request.given.keys() {
        if !playbook.params.iter().any(|p| &p.name == name) {
            let names: Vec<&str> = playbook.params.iter().map(|p| p.name.as_str()).collect();
            let hint = crate::core::diagnostic::did_you_mean(name, names.iter().copied())
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_else(|| format!(" (parameters: {})", names.join(", ")));
            problems.push(format!("{} has no parameter `{name}`{hint}", playbook.name));
        }
    }
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    values.insert("context".into(), backends.context.clone());
    values.insert("actor".into(), request.actor.clone());
    values.insert("reason".into(), request.reason.clone().unwrap_or_else(|| "(reason given at run)".into()));
    let mut params: Vec<ResolvedParam> = Vec::new();
    let mut warnings = Vec::new();
    let mut needs_explicit = Vec::new();

    // Given values and plain defaults first; registry-derived defaults may
    // name them, so they come after, in as many rounds as they need.
    let mut pending = Vec::new();
    for spec in &playbook.params {
        let resolved = match (request.given.get(&spec.name), &spec.default) {
            (Some(text), _) => Some((check_value(&spec.kind, text), "given".to_string())),
            (None, Some(ParamDefault::Value(v))) => Some((Ok(v.clone()), "default".to_string())),
            (None, Some(ParamDefault::SessionContext)) => {
                Some((Ok(backends.context.clone()), "this session".to_string()))
            }
            (None, Some(ParamDefault::Selected)) => match &request.selected_model {
                Some(m) => Some((check_value(&spec.kind, m), "selected".to_string())),
                None => Some((Err(format!("give it with --param {}=NAME", spec.name)), String::new())),
            },
            (None, Some(_)) => {
                pending.push(spec);
                None
            }
            (None, None) => Some((Err(format!("required: give it with --param {}=…", spec.name)), String::new())),
        };
        // A context parameter must name a context this session can reach.
        let resolved = match resolved {
            Some((Ok(value), origin)) if spec.kind == ParamKind::Context => Some(
                backends
                    .at(&value)
                    .map(|_| value)
                    .map(|v| (v, origin.clone()))
                    .map_or_else(|e| (Err(e), String::new()), |(v, o)| (Ok(v), o)),
            ),
            other => other,
        };
        match resolved {
            Some((Ok(value), origin)) => {
                values.insert(spec.name.clone(), value.clone());
                params.push(ResolvedParam { name: spec.name.clone(), value, origin });
            }
            Some((Err(why), _)) => problems.push(format!("parameter {}: {why}", spec.name)),
            None => {}
        }
    }
    while !pending.is_empty() {
        let ready: Vec<_> = pending
            .iter()
            .copied()
            .filter(|spec| {
                let (ParamDefault::Current { model, alias, context }
                | ParamDefault::Previous { model, alias, context }) =
                    spec.default.as_ref().expect("pending params have defaults")
                else {
                    return false;
                };
                let context_names = context.iter().flat_map(|c| c.names());
                model.names().chain(alias.names()).chain(context_names).all(|(n, _)| values.contains_key(n))
            })
            .collect();
        if ready.is_empty() {
            // When a parameter it names already failed, that problem says it all.
            if problems.is_empty() {
                for spec in &pending {
                    problems.push(format!("parameter {}: its default names a parameter that has no value", spec.name));
                }
            }
            break;
        }
        pending.retain(|spec| !ready.iter().any(|r| r.name == spec.name));
        for spec in ready {
            match derived_version(spec, &values, backends, &mut reads, now).await {
                Ok(derived) => {
                    warnings.extend(derived.warning.clone());
                    if let Some(why) = derived.needs_explicit {
                        needs_explicit
                            .push(format!("{why}; pass --param {}={} if that is intended", spec.name, derived.value));
                    }
                    values.insert(spec.name.clone(), derived.value.clone());
                    params.push(ResolvedParam {
                        name: spec.name.clone(),
                        value: derived.value,
                        origin: derived.origin,
                    });
                }
                Err(why) => problems.push(format!("parameter {}: {why}", spec.name)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    params.sort_by_key(|p| playbook.params.iter().position(|s| s.name == p.name));

    let mut plan = Plan {
        playbook: playbook.name.clone(),
        description: playbook.description.clone(),
        context: backends.context.clone(),
        mutating: playbook.mutating,
        params,
        values: values.clone(),
        warnings,
        needs_explicit,
        preconditions: Vec::new(),
        steps: Vec::new(),
        on_failure: Vec::new(),
        confirm: None,
        targets: Vec::new(),
        locks: Vec::new(),
        planned_at: now,
    };
    let mut confirms: Vec<String> = Vec::new();
    for (list, out) in [
        (&playbook.preconditions, &mut plan.preconditions),
        (&playbook.steps, &mut plan.steps),
        (&playbook.on_failure, &mut plan.on_failure),
    ] {
        for spec in list {
            match planned_step(spec, &values, backends, &mut reads).await {
                Ok(step) => {
                    if let Some(confirm) = &spec.confirm
                        && let Ok(text) = confirm.render(&values, Escape::Whole)
                        && !confirms.contains(&text)
                    {
                        confirms.push(text);
                    }
                    if spec.action.mutating()
                        && let Some(model) = step.request.target_model()
                        && !plan.locks.iter().any(|(c, m)| *c == step.context && m == model)
                    {
                        plan.locks.push((step.context.clone(), model.to_string()));
                        plan.targets.push(if step.context == backends.context {
                            model.to_string()
                        } else {
                            format!("{model} in {}", step.context)
                        });
                    }
                    out.push(step);
                }
                Err(why) => problems.push(format!("{}: {why}", spec.id)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    plan.confirm = (!confirms.is_empty()).then(|| confirms.join(" "));
    Ok(plan)
}

/// Whether two plans change the same things from the same states: the rule
/// a plan shown to the operator is checked by against one made just before
/// it runs (the operator confirmed what they saw, not what is there now).
pub fn same_targets(shown: &Plan, now: &Plan) -> Result<(), String> {
    for (a, b) in shown.steps.iter().zip(&now.steps) {
        if let (StepState::Change { current: ca, target: ta, .. }, StepState::Change { current: cb, target: tb, .. }) =
            (&a.state, &b.state)
            && (ca != cb || ta != tb)
        {
            return Err(format!(
                "{} changed while you were confirming: it was {} → {ta}, it is now {} → {tb}",
                a.id,
                ca.as_deref().unwrap_or("unset"),
                cb.as_deref().unwrap_or("unset")
            ));
        }
    }
    Ok(())
}

struct Derived {
    value: String,
    origin: String,
    warning: Option<String>,
    needs_explicit: Option<String>,
}

async fn derived_version(
    spec: &super::spec::ParamSpec,
    values: &BTreeMap<String, String>,
    backends: &Backends,
    reads: &mut Reads,
    now: DateTime<Utc>,
) -> Result<Derived, String> {
    let (model_t, alias_t, context_t, previous) = match spec.default.as_ref() {
        Some(ParamDefault::Current { model, alias, context }) => (model, alias, context, false),
        Some(ParamDefault::Previous { model, alias, context }) => (model, alias, context, true),
        _ => unreachable!("only derived defaults are pending"),
    };
    let session = backends.context.clone();
    let backends = match context_t {
        Some(t) => backends.at(&t.render(values, Escape::Whole)?)?,
        None => backends,
    };
    let place = if backends.context == session { String::new() } else { format!(" in {}", backends.context) };
    let model_name = model_t.render(values, Escape::Whole)?;
    let alias = alias_t.render(values, Escape::Whole)?;
    let model = reads.model(backends, &model_name).await?;
    let current = model.alias(&alias).ok_or_else(|| format!("{model_name} has no alias {alias}"))?.to_string();
    if !previous {
        return Ok(Derived {
            value: current.clone(),
            origin: format!("{alias}{place} now"),
            warning: None,
            needs_explicit: None,
        });
    }
    let recorded = model
        .version(&current)
        .and_then(|v| v.tags.get(&previous_tag(&alias)))
        .filter(|v| model.version(v).is_some_and(|mv| mv.status == VersionStatus::Ready))
        .cloned();
    let (value, origin) = match recorded {
        Some(v) => (v, format!("recorded by vigil when {alias} moved to {current}")),
        None => {
            let below = model
                .highest_ready_below(&current)
                .ok_or_else(|| format!("{model_name} has no READY version below {current} to go back to"))?;
            (below.version.clone(), format!("highest READY version below {current}"))
        }
    };
    let mut warning = None;
    let mut needs_explicit = None;
    if let Some(last) = model.tags.get(&last_move_tag(&alias)).and_then(|t| serde_json::from_str::<Value>(t).ok())
        && last.get("to").and_then(Value::as_str) == Some(current.as_str())
        && let Some(at) = last.get("at").and_then(Value::as_str).and_then(|t| t.parse::<DateTime<Utc>>().ok())
        && let Ok(age) = (now - at).to_std()
        && age < RECENT_MOVE
    {
        let from = last.get("from").and_then(Value::as_str).unwrap_or("?");
        let by = last.get("by").and_then(Value::as_str).unwrap_or("someone");
        let playbook = last.get("playbook").and_then(Value::as_str).unwrap_or("a playbook");
        // Whole minutes once past one: "2m ago" reads better than "2m7s ago".
        let secs = age.as_secs().max(1);
        let ago = duration::format(Duration::from_secs(if secs >= 60 { secs / 60 * 60 } else { secs }));
        let text = sanitize(&format!(
            "{alias} of {model_name} was moved {from} → {current} {ago} ago by {by} ({playbook}); this goes one further: {current} → {value}"
        ))
        .into_owned();
        warning = Some(text.clone());
        needs_explicit = Some(text);
    }
    Ok(Derived { value, origin, warning, needs_explicit })
}

async fn planned_step(
    spec: &StepSpec,
    values: &BTreeMap<String, String>,
    backends: &Backends,
    reads: &mut Reads,
) -> Result<PlannedStep, String> {
    let request = resolve(spec, values)?;
    let context = match &spec.context {
        Some(t) => t.render(values, Escape::Whole)?,
        None => backends.context.clone(),
    };
    let elsewhere = context != backends.context;
    let backends = backends.at(&context)?;
    let mut description = sanitize(&request.describe(backends)).into_owned();
    if elsewhere {
        description = format!("[in {}] {description}", sanitize(&context));
    }
    let timeout = spec.timeout.unwrap_or_else(|| default_timeout(&request));
    let needs = spec.action.needs();
    let state = match needs {
        Some(capability) if !backends.has(capability) => match spec.skip_without {
            Some(skip) if skip == capability => StepState::Skipped(backends.lacks(capability)),
            _ => StepState::Unavailable(backends.lacks(capability)),
        },
        _ => match spec.skip_without {
            Some(skip) if !backends.has(skip) => StepState::Skipped(backends.lacks(skip)),
            _ => observe(&request, backends, reads).await?,
        },
    };
    Ok(PlannedStep { id: spec.id.clone(), action: spec.action, request, description, state, timeout, context })
}

/// How long a step may take when its file does not say.
pub fn default_timeout(request: &Request) -> Duration {
    match request {
        Request::CheckPromql { within, .. } | Request::CheckMetric { within, .. } => *within + Duration::from_secs(30),
        Request::Wait { duration } => *duration + Duration::from_secs(5),
        Request::Exec { .. } => Duration::from_secs(120),
        _ => Duration::from_secs(30),
    }
}

/// The current state of what a change step targets.
pub async fn observe(request: &Request, backends: &Backends, reads: &mut impl ModelReads) -> Result<StepState, String> {
    Ok(match request {
        Request::SetAlias { model, alias, version, .. } => {
            let m = reads.read(backends, model).await?;
            if m.version(version).is_none() {
                return Err(format!("{model} has no version {version}"));
            }
            let current = m.alias(alias).map(str::to_string);
            let satisfied = current.as_deref() == Some(version.as_str());
            StepState::Change { what: alias.clone(), current, target: version.clone(), satisfied }
        }
        Request::SetTag { model, version, key, value } => {
            let m = reads.read(backends, model).await?;
            let current = match version {
                Some(v) => m.version(v).ok_or_else(|| format!("{model} has no version {v}"))?.tags.get(key).cloned(),
                None => m.tags.get(key).cloned(),
            };
            let satisfied = current.as_deref() == Some(value.as_str());
            StepState::Change { what: format!("tag {key}"), current, target: value.clone(), satisfied }
        }
        Request::SetWeights { model, weights } => {
            let now = backends.traffic()?.weights(model).await.map_err(|e| e.to_string())?;
            let target = normalise_weights(&now, weights);
            let satisfied = now.len() == target.len()
                && now.iter().all(|(v, w)| target.iter().any(|(tv, tw)| tv == v && (tw - w).abs() < 1e-6));
            StepState::Change {
                what: "traffic".into(),
                current: Some(format_weights(&now)),
                target: format_weights(&target),
                satisfied,
            }
        }
        _ => StepState::Action,
    })
}

/// The weights a gateway ends up with: every known version, normalised,
/// versions left out at zero.
pub fn normalise_weights(current: &[(String, f64)], asked: &[(String, f64)]) -> Vec<(String, f64)> {
    let total: f64 = asked.iter().map(|(_, w)| w).sum();
    let mut out: Vec<(String, f64)> = current
        .iter()
        .map(|(v, _)| (v.clone(), asked.iter().find(|(a, _)| a == v).map_or(0.0, |(_, w)| w / total)))
        .collect();
    for (v, w) in asked {
        if !out.iter().any(|(o, _)| o == v) {
            out.push((v.clone(), w / total));
        }
    }
    out
}

/// A cache of registry reads (planning reads each model once; running reads afresh).
pub trait ModelReads {
    fn read<'a>(
        &'a mut self,
        backends: &'a Backends,
        model: &'a str,
    ) -> crate::sources::BoxFuture<'a, Result<&'a RegisteredModel, String>>;
}

impl ModelReads for Reads {
    fn read<'a>(
        &'a mut self,
        backends: &'a Backends,
        model: &'a str,
    ) -> crate::sources::BoxFuture<'a, Result<&'a RegisteredModel, String>> {
        Box::pin(self.model(backends, model))
    }
}

/// No cache: every read asks the registry (used just before a step runs).
#[derive(Default)]
pub struct FreshReads {
    last: Option<RegisteredModel>,
}

impl ModelReads for FreshReads {
    fn read<'a>(
        &'a mut self,
        backends: &'a Backends,
        model: &'a str,
    ) -> crate::sources::BoxFuture<'a, Result<&'a RegisteredModel, String>> {
        Box::pin(async move {
            let m = backends.registry()?.model(model).await.map_err(|e| e.to_string())?;
            Ok(&*self.last.insert(m))
        })
    }
}

fn text(spec: &StepSpec, values: &BTreeMap<String, String>, key: &str) -> Result<Option<String>, String> {
    match spec.args.get(key) {
        None => Ok(None),
        Some(Arg::Text(t)) => t.render(values, spec.action.escape(key)).map(Some).map_err(|e| format!("{key}: {e}")),
        Some(_) => Err(format!("{key} must be text")),
    }
}

fn required(spec: &StepSpec, values: &BTreeMap<String, String>, key: &str) -> Result<String, String> {
    text(spec, values, key)?.ok_or_else(|| format!("{key} is missing"))
}

fn number(spec: &StepSpec, values: &BTreeMap<String, String>, key: &str) -> Result<Option<f64>, String> {
    match spec.args.get(key) {
        None => Ok(None),
        Some(Arg::Number(n)) => Ok(Some(*n)),
        Some(Arg::Text(t)) => {
            let text = t.render(values, Escape::Whole)?;
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| format!("{key} = `{text}` is not a number"))
        }
        Some(_) => Err(format!("{key} must be a number")),
    }
}

fn duration_arg(
    spec: &StepSpec,
    values: &BTreeMap<String, String>,
    key: &str,
    default: Duration,
) -> Result<Duration, String> {
    match text(spec, values, key)? {
        Some(t) => duration::parse(&t).map_err(|e| format!("{key}: {e}")),
        None => Ok(default),
    }
}

fn bound(spec: &StepSpec, values: &BTreeMap<String, String>) -> Result<Bound, String> {
    match (number(spec, values, "below")?, number(spec, values, "above")?) {
        (Some(b), None) => Ok(Bound::Below(b)),
        (None, Some(a)) => Ok(Bound::Above(a)),
        _ => Err("give `below` or `above`".into()),
    }
}

fn check_version(key: &str, v: String) -> Result<String, String> {
    check_value(&ParamKind::Version, &v).map_err(|e| format!("{key}: {e}"))
}

/// Parses `9=75,10=25` (the text form of a weights parameter).
pub fn parse_weights(text: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (version, weight) = pair.split_once('=').ok_or_else(|| format!("`{pair}` is not VERSION=WEIGHT"))?;
        let version = check_version("weights", version.trim().to_string())?;
        let weight: f64 = weight.trim().parse().map_err(|_| format!("`{weight}` is not a number"))?;
        out.push((version, weight));
    }
    validate_weights(out)
}

fn validate_weights(weights: Vec<(String, f64)>) -> Result<Vec<(String, f64)>, String> {
    if weights.is_empty() {
        return Err("no weights given".into());
    }
    if let Some((v, w)) = weights.iter().find(|(_, w)| !w.is_finite() || *w < 0.0) {
        return Err(format!("weight of version {v} is {w}: weights are non-negative numbers"));
    }
    if weights.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err("weights must not all be zero".into());
    }
    Ok(weights)
}

fn json(arg: &Arg, values: &BTreeMap<String, String>) -> Result<Value, String> {
    Ok(match arg {
        Arg::Text(t) => Value::String(t.render(values, Escape::Whole)?),
        Arg::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number).unwrap_or(Value::Null),
        Arg::Bool(b) => Value::Bool(*b),
        Arg::List(items) => Value::Array(items.iter().map(|i| json(i, values)).collect::<Result<_, _>>()?),
        Arg::Table(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                map.insert(k.render(values, Escape::Whole)?, json(v, values)?);
            }
            Value::Object(map)
        }
    })
}

/// Resolves one step's arguments into its request.
pub fn resolve(spec: &StepSpec, values: &BTreeMap<String, String>) -> Result<Request, String> {
    let every = |v| duration_arg(spec, v, "every", Duration::from_secs(15));
    Ok(match spec.action {
        ActionKind::SetAlias => Request::SetAlias {
            model: required(spec, values, "model")?,
            alias: required(spec, values, "alias")?,
            version: check_version("version", required(spec, values, "version")?)?,
            record_previous: matches!(spec.args.get("record_previous"), Some(Arg::Bool(true))),
        },
        ActionKind::SetTag => Request::SetTag {
            model: required(spec, values, "model")?,
            version: text(spec, values, "version")?.map(|v| check_version("version", v)).transpose()?,
            key: required(spec, values, "key")?,
            value: required(spec, values, "value")?,
        },
        ActionKind::SetWeights => {
            let weights = match spec.args.get("weights") {
                Some(Arg::Table(entries)) => {
                    let mut out = Vec::new();
                    for (k, v) in entries {
                        let version = check_version("weights", k.render(values, Escape::Whole)?)?;
                        let weight = match v {
                            Arg::Number(n) => *n,
                            Arg::Text(t) => {
                                let text = t.render(values, Escape::Whole)?;
                                text.trim().parse().map_err(|_| format!("weight `{text}` is not a number"))?
                            }
                            _ => return Err("weights are numbers".into()),
                        };
                        match out.iter_mut().find(|(v, _): &&mut (String, f64)| *v == version) {
                            Some(existing) => existing.1 += weight,
                            None => out.push((version, weight)),
                        }
                    }
                    validate_weights(out)?
                }
                Some(Arg::Text(t)) => parse_weights(&t.render(values, Escape::Whole)?)?,
                _ => return Err("weights must be a table or VERSION=WEIGHT,…".into()),
            };
            Request::SetWeights { model: required(spec, values, "model")?, weights }
        }
        ActionKind::Http => {
            let method = required(spec, values, "method")?.to_ascii_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                return Err(format!("method {method} is not GET, POST, PUT, PATCH or DELETE"));
            }
            let url = required(spec, values, "url")?;
            let parsed = url::Url::parse(&url).map_err(|e| format!("url {url}: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("url {url}: only http and https"));
            }
            let headers = match spec.args.get("headers") {
                Some(Arg::Table(entries)) => entries
                    .iter()
                    .map(|(k, v)| {
                        let name = k.render(values, Escape::Header)?;
                        let Arg::Text(t) = v else { return Err("header values are text".to_string()) };
                        Ok((name, t.render(values, Escape::Header)?))
                    })
                    .collect::<Result<_, String>>()?,
                _ => Vec::new(),
            };
            let body = spec.args.get("body").map(|b| json(b, values)).transpose()?;
            let expect_status = match spec.args.get("expect_status") {
                Some(Arg::List(items)) => items
                    .iter()
                    .map(|i| match i {
                        Arg::Text(t) => {
                            let text = t.render(values, Escape::Whole)?;
                            text.parse::<u16>().map_err(|_| format!("expect_status `{text}` is not a status code"))
                        }
                        _ => Err("expect_status holds status codes as strings".into()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            let token_env = text(spec, values, "token_env")?;
            if let Some(name) = &token_env
                && (name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(format!("token_env `{name}` is not an environment variable name"));
            }
            Request::Http { method, url: parsed.to_string(), headers, body, expect_status, token_env }
        }
        ActionKind::Exec => {
            let argv = match spec.args.get("argv") {
                Some(Arg::List(items)) => items
                    .iter()
                    .map(|i| match i {
                        Arg::Text(t) => t.render(values, Escape::Whole),
                        _ => Err("argv holds strings".into()),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => return Err("argv is missing".into()),
            };
            if argv.first().is_none_or(|p| p.is_empty()) {
                return Err("argv needs the program first".into());
            }
            let env = match spec.args.get("env") {
                Some(Arg::Table(entries)) => entries
                    .iter()
                    .map(|(k, v)| {
                        let Arg::Text(t) = v else { return Err("env values are text".to_string()) };
                        Ok((k.render(values, Escape::Whole)?, t.render(values, Escape::Whole)?))
                    })
                    .collect::<Result<_, String>>()?,
                _ => Vec::new(),
            };
            Request::Exec { argv, env }
        }
        ActionKind::CheckPromql => Request::CheckPromql {
            query: required(spec, values, "query")?,
            bound: bound(spec, values)?,
            within: duration_arg(spec, values, "within", Duration::ZERO)?,
            every: every(values)?,
        },
        ActionKind::CheckMetric => {
            let name = required(spec, values, "metric")?;
            Request::CheckMetric {
                model: required(spec, values, "model")?,
                version: text(spec, values, "version")?.map(|v| check_version("version", v)).transpose()?,
                metric: Metric::from_name(&name).ok_or_else(|| format!("unknown metric {name}"))?,
                bound: bound(spec, values)?,
                window: duration_arg(spec, values, "window", Duration::from_secs(60))?,
                within: duration_arg(spec, values, "within", Duration::ZERO)?,
                every: every(values)?,
            }
        }
        ActionKind::Silence => Request::Silence {
            model: required(spec, values, "model")?,
            duration: duration_arg(spec, values, "duration", Duration::ZERO)?,
            comment: required(spec, values, "comment")?,
        },
        ActionKind::Annotate => Request::Annotate { text: required(spec, values, "text")? },
        ActionKind::Wait => Request::Wait { duration: duration_arg(spec, values, "duration", Duration::ZERO)? },
        ActionKind::Confirm => Request::Confirm { prompt: required(spec, values, "prompt")? },
        ActionKind::Undo => Request::Undo { step: required(spec, values, "step")? },
        ActionKind::AliasIs => Request::AliasIs {
            model: required(spec, values, "model")?,
            alias: required(spec, values, "alias")?,
            version: text(spec, values, "version")?.map(|v| check_version("version", v)).transpose()?,
            not_version: text(spec, values, "not_version")?.map(|v| check_version("not_version", v)).transpose()?,
        },
        ActionKind::TagIs => Request::TagIs {
            model: required(spec, values, "model")?,
            version: text(spec, values, "version")?.map(|v| check_version("version", v)).transpose()?,
            key: required(spec, values, "key")?,
            value: required(spec, values, "value")?,
        },
    })
}
