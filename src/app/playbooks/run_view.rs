//! A run as the console follows it: every precondition and step of the plan
//! with its latest status, compensation steps as they start, and the outcome.
//! Built only from the runner's events, so what is shown is what happened.

use crate::playbook::plan::{Plan, PlannedStep};
use crate::playbook::run::{Phase, RunEvent, RunOutcome, StepOutcome};

#[derive(Debug, Clone, PartialEq)]
pub enum StepStatus {
    Pending,
    /// Running, with the latest progress line (a check's current value).
    Running(Option<String>),
    Finished(StepOutcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepRun {
    /// The step's place in its phase of the plan.
    pub index: usize,
    pub id: String,
    /// The exact request, as planned.
    pub description: String,
    pub status: StepStatus,
}

impl StepRun {
    fn planned(index: usize, step: &PlannedStep) -> StepRun {
        StepRun { index, id: step.id.clone(), description: step.description.clone(), status: StepStatus::Pending }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The plan that runs (made again just before the run).
    pub plan: Plan,
    pub reason: String,
    /// Known once the runner has started it.
    pub run_id: Option<String>,
    pub actor: Option<String>,
    pub preconditions: Vec<StepRun>,
    pub steps: Vec<StepRun>,
    /// Only the compensation steps that started: a run that succeeds has none.
    pub compensation: Vec<StepRun>,
    pub outcome: Option<RunOutcome>,
}

impl RunView {
    pub fn new(plan: Plan, reason: String) -> RunView {
        let list = |steps: &[PlannedStep]| steps.iter().enumerate().map(|(i, s)| StepRun::planned(i, s)).collect();
        RunView {
            preconditions: list(&plan.preconditions),
            steps: list(&plan.steps),
            compensation: Vec::new(),
            plan,
            reason,
            run_id: None,
            actor: None,
            outcome: None,
        }
    }

    pub fn finished(&self) -> bool {
        self.outcome.is_some()
    }

    /// Takes in one event from the runner.
    pub fn apply(&mut self, event: RunEvent) {
        match event {
            RunEvent::Started { phase, index, .. } => {
                if let Some(step) = self.step_mut(phase, index) {
                    step.status = StepStatus::Running(None);
                }
            }
            RunEvent::Progress { phase, index, text } => {
                if let Some(step) = self.step_mut(phase, index) {
                    step.status = StepStatus::Running(Some(text));
                }
            }
            RunEvent::Finished { phase, index, outcome, .. } => {
                if let Some(step) = self.step_mut(phase, index) {
                    step.status = StepStatus::Finished(outcome);
                }
            }
            RunEvent::Done(outcome) => self.outcome = Some(outcome),
        }
    }

    /// The runner's channel closed before it said how the run ended (its
    /// task died): the console says so instead of showing "running" forever.
    pub fn lost(&mut self) {
        if self.finished() {
            return;
        }
        let mut step = "run".to_string();
        for s in self.preconditions.iter_mut().chain(&mut self.steps).chain(&mut self.compensation) {
            if matches!(s.status, StepStatus::Running(_)) {
                s.status = StepStatus::Finished(StepOutcome::Failed("no result: the run stopped here".into()));
                step = s.id.clone();
            }
        }
        self.outcome = Some(RunOutcome::Failed {
            step,
            error: "the run stopped without reporting how it ended (see the log file)".into(),
            compensated: false,
        });
    }

    fn step_mut(&mut self, phase: Phase, index: usize) -> Option<&mut StepRun> {
        match phase {
            Phase::Preconditions => self.preconditions.iter_mut().find(|s| s.index == index),
            Phase::Steps => self.steps.iter_mut().find(|s| s.index == index),
            Phase::Compensation => {
                if !self.compensation.iter().any(|s| s.index == index) {
                    let planned = self.plan.on_failure.get(index)?;
                    self.compensation.push(StepRun::planned(index, planned));
                }
                self.compensation.iter_mut().find(|s| s.index == index)
            }
        }
    }

    /// One line for the footer of another view: `rollback on fraud-detector: succeeded`.
    pub fn summary(&self) -> String {
        let on =
            if self.plan.targets.is_empty() { String::new() } else { format!(" on {}", self.plan.targets.join(", ")) };
        let state = self.outcome_text().unwrap_or_else(|| "running".to_string());
        format!("{}{on}: {state}", self.plan.playbook)
    }

    /// `succeeded`, `refused: why`, `failed at verify: why — compensation ran`.
    pub fn outcome_text(&self) -> Option<String> {
        Some(match self.outcome.as_ref()? {
            RunOutcome::Succeeded => "succeeded".into(),
            RunOutcome::Refused(why) => format!("refused: {why}"),
            RunOutcome::Failed { step, error, compensated } => {
                let after = match (*compensated, self.compensation.is_empty()) {
                    (true, _) => " — compensation ran",
                    (false, true) => "",
                    (false, false) => " — compensation did not complete",
                };
                format!("failed at {step}: {error}{after}")
            }
        })
    }
}
