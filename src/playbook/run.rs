//! Running a plan: the guard rails first (read-only, confirmation, reason,
//! locks, preconditions re-checked now), then each step with its timeout,
//! an audit record before and after it, and the compensation steps when
//! one fails. Progress goes out on a bounded channel for the console.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::audit::Entry;
use super::backends::Backends;
use super::lock::{self, Holder};
use super::plan::{FreshReads, Plan, PlannedStep, Request, StepState, observe};
use super::steps::{self, StepContext};

/// How long a registry lease outlives a run that died without releasing it.
pub const LEASE: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// The gate's answer for this session (`Some(reason)` = read-only).
    pub read_only: Option<String>,
    /// The operator typed the confirmation (TUI) or passed `--yes` (CLI).
    pub confirmed: bool,
    pub reason: String,
    pub actor: String,
    pub run_id: String,
    /// How long the registry lease lasts if this run dies without releasing it.
    pub lease: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Preconditions,
    Steps,
    Compensation,
}

impl Phase {
    fn audit_prefix(self) -> &'static str {
        match self {
            Phase::Preconditions => "precondition:",
            Phase::Steps => "",
            Phase::Compensation => "on_failure:",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    Done(String),
    AlreadySatisfied(String),
    Skipped(String),
    Failed(String),
}

impl StepOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            StepOutcome::Done(_) => "ok",
            StepOutcome::AlreadySatisfied(_) => "already satisfied",
            StepOutcome::Skipped(_) => "skipped",
            StepOutcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            StepOutcome::Done(t)
            | StepOutcome::AlreadySatisfied(t)
            | StepOutcome::Skipped(t)
            | StepOutcome::Failed(t) => t,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Succeeded,
    /// Nothing ran (or only the preconditions were read).
    Refused(String),
    Failed {
        step: String,
        error: String,
        compensated: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    Started { phase: Phase, index: usize, id: String },
    Progress { phase: Phase, index: usize, text: String },
    Finished { phase: Phase, index: usize, id: String, outcome: StepOutcome },
    Done(RunOutcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub run_id: String,
    pub outcome: RunOutcome,
    pub steps: Vec<(Phase, String, StepOutcome)>,
}

impl RunReport {
    pub fn succeeded(&self) -> bool {
        self.outcome == RunOutcome::Succeeded
    }
}

struct Runner<'a> {
    plan: &'a Plan,
    backends: &'a Backends,
    options: &'a RunOptions,
    events: Option<&'a mpsc::Sender<RunEvent>>,
    steps: Vec<(Phase, String, StepOutcome)>,
    audit_problem: Option<String>,
    /// For each step that changed something undoable: the request that puts it back.
    reverse: std::collections::BTreeMap<String, (String, Request)>,
}

/// Runs `plan`. Never panics on a failed step: the report says what happened.
pub async fn run(
    plan: &Plan,
    backends: &Backends,
    options: &RunOptions,
    events: Option<&mpsc::Sender<RunEvent>>,
) -> RunReport {
    let mut runner =
        Runner { plan, backends, options, events, steps: Vec::new(), audit_problem: None, reverse: Default::default() };
    let outcome = runner.run().await;
    runner.record("run", "", finished_label(&outcome), &finished_detail(&outcome));
    let outcome = match (outcome, runner.audit_problem.take()) {
        // A change that cannot be recorded must not pass as a success.
        (RunOutcome::Succeeded, Some(problem)) => {
            RunOutcome::Failed { step: "audit".into(), error: problem, compensated: false }
        }
        (outcome, _) => outcome,
    };
    runner.emit(RunEvent::Done(outcome.clone())).await;
    RunReport { run_id: options.run_id.clone(), outcome, steps: runner.steps }
}

fn finished_label(outcome: &RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Succeeded => "ok",
        RunOutcome::Refused(_) => "refused",
        RunOutcome::Failed { .. } => "failed",
    }
}

fn finished_detail(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Succeeded => "finished".into(),
        RunOutcome::Refused(why) => why.clone(),
        RunOutcome::Failed { step, error, compensated } => {
            format!("{step} failed: {error}{}", if *compensated { "; compensation ran" } else { "" })
        }
    }
}

impl<'a> Runner<'a> {
    async fn run(&mut self) -> RunOutcome {
        let plan = self.plan;
        self.record("run", "", "started", &self.options.reason.clone());
        if plan.mutating {
            if let Some(why) = &self.options.read_only {
                return RunOutcome::Refused(format!(
                    "read-only ({why}): {} changes things, nothing was run",
                    plan.playbook
                ));
            }
            if !self.options.confirmed {
                return RunOutcome::Refused("not confirmed: nothing was run".into());
            }
            if self.options.reason.trim().is_empty() {
                return RunOutcome::Refused("a reason is required for a run that changes things".into());
            }
            // A step acting in another context answers to that context's gate.
            for step in plan.steps.iter().chain(&plan.on_failure).filter(|s| s.action.mutating()) {
                if step.context != plan.context
                    && let Ok(other) = self.backends.at(&step.context)
                    && let Some(why) = &other.read_only
                {
                    return RunOutcome::Refused(format!(
                        "read-only ({why}): {} changes context {}, nothing was run",
                        step.id, step.context
                    ));
                }
            }
        }
        if let Some((id, why)) = plan.steps.iter().chain(&plan.preconditions).find_map(|s| match &s.state {
            StepState::Unavailable(why) => Some((s.id.clone(), why.clone())),
            _ => None,
        }) {
            return RunOutcome::Refused(format!("{id} cannot run: {why}"));
        }
        let mut locks = Vec::new();
        if plan.mutating
            && let Err(why) = self.lock(&mut locks).await
        {
            for l in &mut locks {
                l.release().await;
            }
            return RunOutcome::Refused(why);
        }
        let outcome = self.run_locked().await;
        for l in &mut locks {
            l.release().await;
        }
        outcome
    }

    /// Locks every model the run changes, each in its own context's
    /// registry; all or nothing.
    async fn lock(&self, held: &mut Vec<lock::Locks>) -> Result<(), String> {
        let holder = Holder {
            run_id: &self.options.run_id,
            actor: &self.options.actor,
            playbook: &self.plan.playbook,
            lease: self.options.lease,
        };
        let mut contexts: Vec<&str> = self.plan.locks.iter().map(|(c, _)| c.as_str()).collect();
        contexts.dedup();
        for context in contexts {
            let models: Vec<String> =
                self.plan.locks.iter().filter(|(c, _)| c == context).map(|(_, m)| m.clone()).collect();
            let b = self.backends.at(context)?;
            held.push(lock::acquire(&b.locks_dir, context, &models, b.registry.clone(), &holder).await?);
        }
        Ok(())
    }

    /// The backends a step acts on: its context's.
    fn backends_of(&self, step: &PlannedStep) -> Result<&'a Backends, String> {
        self.backends.at(&step.context)
    }

    async fn run_locked(&mut self) -> RunOutcome {
        let plan = self.plan;
        for (index, step) in plan.preconditions.iter().enumerate() {
            if let StepOutcome::Failed(why) = self.step(Phase::Preconditions, index, step).await {
                return RunOutcome::Refused(format!("precondition {} no longer holds: {why}", step.id));
            }
        }
        for (index, step) in plan.steps.iter().enumerate() {
            if let StepOutcome::Failed(error) = self.step(Phase::Steps, index, step).await {
                let compensated = self.compensate().await;
                return RunOutcome::Failed { step: step.id.clone(), error, compensated };
            }
        }
        RunOutcome::Succeeded
    }

    /// Runs the `on_failure` steps; true when every one of them did its part.
    async fn compensate(&mut self) -> bool {
        let mut all = true;
        for (index, step) in self.plan.on_failure.iter().enumerate() {
            if matches!(self.step(Phase::Compensation, index, step).await, StepOutcome::Failed(_)) {
                all = false;
            }
        }
        !self.plan.on_failure.is_empty() && all
    }

    async fn step(&mut self, phase: Phase, index: usize, step: &PlannedStep) -> StepOutcome {
        let audit_step = format!("{}{}", phase.audit_prefix(), step.id);
        self.emit(RunEvent::Started { phase, index, id: step.id.clone() }).await;
        let undo;
        let (step, prepared) = match &step.request {
            Request::Undo { step: target } => match self.reverse.get(target) {
                Some((context, request)) => {
                    let b = self.backends.at(context).unwrap_or(self.backends);
                    undo = PlannedStep {
                        request: request.clone(),
                        description: crate::core::sanitize::sanitize(&request.describe(b)).into_owned(),
                        state: StepState::Action,
                        context: context.clone(),
                        ..step.clone()
                    };
                    (&undo, self.prepare_undo(&undo).await)
                }
                None => (step, Some(StepOutcome::Skipped(format!("{target} changed nothing, so nothing to put back")))),
            },
            _ => (step, self.prepare(phase, step).await),
        };
        let outcome = match prepared {
            Some(outcome) => outcome,
            None => {
                self.record(&audit_step, &step.description, "started", "");
                let reverse = if phase == Phase::Steps { self.reverse_of(step).await } else { None };
                let outcome = self.perform(phase, index, step).await;
                if let (StepOutcome::Done(_), Some(reverse)) = (&outcome, reverse) {
                    self.reverse.insert(step.id.clone(), (step.context.clone(), reverse));
                }
                outcome
            }
        };
        self.record(&audit_step, &step.description, outcome.label(), outcome.detail());
        self.emit(RunEvent::Finished { phase, index, id: step.id.clone(), outcome: outcome.clone() }).await;
        self.steps.push((phase, step.id.clone(), outcome.clone()));
        outcome
    }

    /// The request that would put back what `request` is about to change,
    /// read just before it runs; `None` when it cannot be undone.
    async fn reverse_of(&self, step: &PlannedStep) -> Option<Request> {
        let backends = self.backends_of(step).ok()?;
        match &step.request {
            Request::SetAlias { model, alias, .. } => {
                let registry = backends.registry.as_ref()?;
                let before = registry.model(model).await.ok()?;
                Some(Request::SetAlias {
                    model: model.clone(),
                    alias: alias.clone(),
                    version: before.alias(alias)?.to_string(),
                    record_previous: false,
                })
            }
            Request::SetWeights { model, .. } => {
                let weights = backends.traffic.as_ref()?.weights(model).await.ok()?;
                Some(Request::SetWeights { model: model.clone(), weights })
            }
            _ => None,
        }
    }

    /// The state of what `step` changes, read now in its context.
    async fn observe_now(&self, step: &PlannedStep) -> Result<StepState, String> {
        observe(&step.request, self.backends_of(step)?, &mut FreshReads::default()).await
    }

    /// An undo whose target already holds is done already.
    async fn prepare_undo(&self, step: &PlannedStep) -> Option<StepOutcome> {
        match self.observe_now(step).await {
            Err(e) => Some(StepOutcome::Failed(e)),
            Ok(state) => already_satisfied(&state),
        }
    }

    /// Decides, from the state just before the step, whether it runs: a
    /// skip, a target that already holds, or a state that moved since the plan.
    async fn prepare(&self, phase: Phase, step: &PlannedStep) -> Option<StepOutcome> {
        let planned = match &step.state {
            StepState::Skipped(why) => return Some(StepOutcome::Skipped(why.clone())),
            StepState::Unavailable(why) => return Some(StepOutcome::Failed(why.clone())),
            StepState::Action => return None,
            StepState::Change { current, .. } => current,
        };
        let now = match self.observe_now(step).await {
            Err(e) => return Some(StepOutcome::Failed(e)),
            Ok(now) => now,
        };
        if let Some(done) = already_satisfied(&now) {
            return Some(done);
        }
        match now {
            // Compensation puts back what the plan saw, whatever happened since.
            StepState::Change { current, .. } if phase != Phase::Compensation && current != *planned => {
                Some(StepOutcome::Failed(format!(
                    "changed since the plan: it was {}, now {}; plan again",
                    planned.as_deref().unwrap_or("unset"),
                    current.as_deref().unwrap_or("unset")
                )))
            }
            _ => None,
        }
    }

    async fn perform(&mut self, phase: Phase, index: usize, step: &PlannedStep) -> StepOutcome {
        let backends = match self.backends_of(step) {
            Ok(b) => b,
            Err(e) => return StepOutcome::Failed(e),
        };
        let cx = StepContext {
            backends,
            playbook: &self.plan.playbook,
            actor: &self.options.actor,
            run_id: &self.options.run_id,
        };
        let sender = self.events.cloned();
        let progress = move |text: String| {
            if let Some(tx) = &sender {
                // A console that is behind misses a progress line, never a result.
                let _ = tx.try_send(RunEvent::Progress { phase, index, text });
            }
        };
        match tokio::time::timeout(step.timeout, steps::perform(&step.request, &cx, &progress)).await {
            Ok(Ok(detail)) => StepOutcome::Done(detail),
            Ok(Err(error)) => StepOutcome::Failed(error),
            Err(_) => StepOutcome::Failed(format!("timed out after {}", crate::core::duration::format(step.timeout))),
        }
    }

    fn record(&mut self, step: &str, request: &str, result: &str, detail: &str) {
        let entry = Entry {
            context: self.plan.context.clone(),
            playbook: Some(self.plan.playbook.clone()),
            step: step.to_string(),
            params: params_json(self.plan, &self.options.run_id),
            request: request.to_string(),
            result: result.to_string(),
            detail: detail.to_string(),
        };
        if let Err(e) = self.backends.audit.append(&entry) {
            tracing::error!(error = %e, "audit record not written");
            self.audit_problem.get_or_insert(e);
        }
    }

    async fn emit(&self, event: RunEvent) {
        if let Some(tx) = self.events {
            let _ = tx.send(event).await;
        }
    }
}

/// The parameters as recorded, with the run id that ties a run's records together.
fn params_json(plan: &Plan, run_id: &str) -> Value {
    let mut map = serde_json::Map::new();
    for p in &plan.params {
        map.insert(p.name.clone(), json!(p.value));
    }
    map.insert("run".into(), json!(run_id));
    Value::Object(map)
}

/// A run id: time-ordered and unique enough to tell runs apart in the log.
pub fn new_run_id() -> String {
    format!("{}-{:06x}", chrono::Utc::now().format("%Y%m%dT%H%M%S"), fastrand::u32(..0xff_ffff))
}

/// "Already satisfied" when a change's target holds now.
fn already_satisfied(state: &StepState) -> Option<StepOutcome> {
    match state {
        StepState::Change { what, target, satisfied: true, .. } => {
            Some(StepOutcome::AlreadySatisfied(format!("{what} is already {target}")))
        }
        _ => None,
    }
}
