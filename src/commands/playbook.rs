//! `vigil playbook list | plan | run`: the playbook engine from a shell.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cli::{Format, PlaybookArgs, PlaybookCommand, PlaybookRunArgs};
use crate::commands::tables::{self, Align};
use crate::core::sanitize::sanitize;
use crate::launch::{Failure, Setup};
use crate::playbook::audit::actor_name;
use crate::playbook::plan::{Plan, PlanRequest, PlannedStep, StepState, plan, same_targets};
use crate::playbook::run::{LEASE, Phase, RunEvent, RunOptions, RunOutcome, StepOutcome, new_run_id, run as run_plan};
use crate::playbook::spec::{ParamDefault, Playbook};

pub async fn run(setup: &Setup, command: &PlaybookCommand) -> Result<u8, Failure> {
    match command {
        PlaybookCommand::List { format } => list(setup, *format),
        PlaybookCommand::Plan(args) => {
            let plan = Planner::new(setup, args)?.plan(None).await?;
            match args.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&plan_json(&plan)).unwrap_or_default()),
                Format::Table => print!("{}", plan_text(&plan)),
            }
            Ok(0)
        }
        PlaybookCommand::Run(args) => run_command(setup, args).await,
    }
}

fn list(setup: &Setup, format: Format) -> Result<u8, Failure> {
    let library = setup.playbooks()?;
    match format {
        Format::Json => {
            let items: Vec<Value> = library
                .playbooks
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "description": p.description,
                        "mutating": p.mutating,
                        "file": p.file,
                        "params": p.params.iter().map(|q| json!({
                            "name": q.name,
                            "type": q.kind.name(),
                            "default": default_text(&q.default),
                            "description": q.description,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&items).unwrap_or_default());
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = library
                .playbooks
                .iter()
                .map(|p| {
                    let params: Vec<String> = p
                        .params
                        .iter()
                        .map(|q| match default_text(&q.default) {
                            Some(d) => format!("{}={d}", q.name),
                            None => q.name.clone(),
                        })
                        .collect();
                    vec![
                        p.name.clone(),
                        if p.mutating { "changes".into() } else { "reads".into() },
                        params.join(" "),
                        p.description.clone(),
                    ]
                })
                .collect();
            let headers = [
                ("PLAYBOOK", Align::Left),
                ("KIND", Align::Left),
                ("PARAMETERS", Align::Left),
                ("DESCRIPTION", Align::Left),
            ];
            print!("{}", tables::format(&headers, &rows, 90));
        }
    }
    Ok(0)
}

fn default_text(default: &Option<ParamDefault>) -> Option<String> {
    match default {
        None => None,
        Some(ParamDefault::Value(v)) => Some(v.clone()),
        Some(ParamDefault::Selected) => Some("(selected model)".into()),
        Some(ParamDefault::SessionContext) => Some("(this context)".into()),
        Some(ParamDefault::Current { alias, .. }) => Some(format!("(current {})", alias.source())),
        Some(ParamDefault::Previous { alias, .. }) => Some(format!("(previous {})", alias.source())),
    }
}

/// What a plan is made from: the playbook, the context's backends (built
/// once, so a re-plan reads the very registry and gateway the run changes)
/// and the parameters given.
struct Planner {
    playbook: Playbook,
    context: crate::config::Context,
    backends: crate::playbook::backends::Backends,
    given: std::collections::BTreeMap<String, String>,
}

impl Planner {
    fn new(setup: &Setup, args: &PlaybookArgs) -> Result<Planner, Failure> {
        let library = setup.playbooks()?;
        let playbook = library.get(&args.name).map_err(Failure::usage)?.clone();
        let context = setup.initial_context()?;
        let backends = setup.backends(&context)?;
        let mut given = std::collections::BTreeMap::new();
        for (name, value) in &args.params {
            if given.insert(name.clone(), value.clone()).is_some() {
                return Err(Failure::usage(format!("--param {name} is given twice")));
            }
        }
        Ok(Planner { playbook, context, backends, given })
    }

    async fn plan(&self, reason: Option<String>) -> Result<Plan, Failure> {
        let request = PlanRequest { given: self.given.clone(), selected_model: None, reason, actor: actor_name() };
        plan(&self.playbook, &request, &self.backends).await.map_err(|problems| {
            let unreachable = problems.iter().any(|p| p.contains("cannot connect") || p.contains("timed out"));
            let text = format!("cannot plan {}:\n  {}", self.playbook.name, problems.join("\n  "));
            if unreachable { Failure::unreachable(text) } else { Failure::usage(text) }
        })
    }
}

async fn run_command(setup: &Setup, args: &PlaybookRunArgs) -> Result<u8, Failure> {
    let interactive = std::io::stdin().is_terminal();
    if !args.yes && !interactive {
        return Err(Failure::usage(
            "refusing to run without --yes: stdin is not a terminal, so nobody can type the confirmation",
        ));
    }
    if args.yes && args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Failure::usage("--yes needs --reason TEXT: the audit log records why"));
    }
    let planner = Planner::new(setup, &args.playbook)?;
    let plan = planner.plan(args.reason.clone()).await?;
    print!("{}", plan_text(&plan));
    let mut reason = args.reason.clone().unwrap_or_default();
    let mut confirmed = args.yes;
    if args.yes && !plan.needs_explicit.is_empty() {
        eprintln!("refused: {}", plan.needs_explicit.join("; "));
        return Ok(1);
    }
    if !args.yes && plan.mutating {
        let target = plan.confirm.clone().unwrap_or_else(|| plan.playbook.clone());
        let typed = prompt(&format!("Type {} to run, anything else cancels: ", sanitize(&target)))?;
        if typed.trim() != target {
            eprintln!("cancelled: nothing was run");
            return Ok(1);
        }
        confirmed = true;
        if reason.trim().is_empty() {
            reason = prompt("Reason (recorded in the audit log): ")?;
        }
    } else if !plan.mutating {
        confirmed = true;
    }
    // The plan shown may be minutes old by the time the operator typed:
    // plan again and run only if nothing the operator saw has changed.
    let fresh = planner.plan(Some(reason.clone())).await?;
    if !args.yes
        && let Err(changed) = same_targets(&plan, &fresh)
    {
        eprintln!("refused: {changed}; nothing was run — look at the new plan and run again");
        return Ok(1);
    }
    let options = RunOptions {
        read_only: setup.read_only_reason(&planner.context),
        confirmed,
        reason,
        actor: actor_name(),
        run_id: new_run_id(),
        lease: LEASE,
    };
    let (tx, mut rx) = mpsc::channel(64);
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            print_event(&event);
        }
    });
    let report = run_plan(&fresh, &planner.backends, &options, Some(&tx)).await;
    drop(tx);
    let _ = printer.await;
    Ok(if report.succeeded() { 0 } else { 1 })
}

fn prompt(text: &str) -> Result<String, Failure> {
    eprint!("{text}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Failure::usage(format!("reading the answer: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn print_event(event: &RunEvent) {
    let phase = |p: &Phase| match p {
        Phase::Preconditions => "check",
        Phase::Steps => "step",
        Phase::Compensation => "undo",
    };
    match event {
        RunEvent::Started { .. } => {}
        RunEvent::Progress { phase: p, text, .. } => println!("  {:<5} … {}", phase(p), sanitize(text)),
        RunEvent::Finished { phase: p, id, outcome, .. } => {
            let mark = match outcome {
                StepOutcome::Done(_) => "✔",
                StepOutcome::AlreadySatisfied(_) | StepOutcome::Skipped(_) => "·",
                StepOutcome::Failed(_) => "✖",
            };
            println!("{mark} {:<5} {id}: {} — {}", phase(p), outcome.label(), sanitize(outcome.detail()));
        }
        RunEvent::Done(RunOutcome::Succeeded) => println!("done: every step succeeded"),
        RunEvent::Done(RunOutcome::Refused(why)) => println!("refused: {}", sanitize(why)),
        RunEvent::Done(RunOutcome::Failed { step, error, compensated }) => {
            println!("failed at {step}: {}{}", sanitize(error), if *compensated { " — compensation ran" } else { "" })
        }
    }
}

fn state_text(step: &PlannedStep) -> String {
    match &step.state {
        StepState::Change { what, target, satisfied: true, .. } => format!("{what}: {target} (already satisfied)"),
        StepState::Change { what, current, target, .. } => {
            format!("{what}: {} → {target}", current.as_deref().unwrap_or("unset"))
        }
        StepState::Action => String::new(),
        StepState::Skipped(why) => format!("skipped: {why}"),
        StepState::Unavailable(why) => format!("cannot run: {why}"),
    }
}

/// The plan as text: what will be sent, with current → target state.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let clean = |s: &str| sanitize(s).into_owned();
    out.push_str(&format!("playbook {} — {}\n", plan.playbook, clean(&plan.description)));
    let mut facts = vec![format!("context {}", clean(&plan.context))];
    facts.push(if plan.mutating { "changes things".into() } else { "reads only".into() });
    if let Some(c) = &plan.confirm {
        facts.push(format!("confirm by typing {}", clean(c)));
    }
    if !plan.targets.is_empty() {
        facts.push(format!("locks {}", clean(&plan.targets.join(", "))));
    }
    out.push_str(&format!("{}\n", facts.join(" · ")));
    out.push_str("\nparameters\n");
    let rows: Vec<Vec<String>> =
        plan.params.iter().map(|p| vec![format!("  {}", p.name), clean(&p.value), clean(&p.origin)]).collect();
    out.push_str(
        &tables::format(&[("", Align::Left), ("", Align::Left), ("", Align::Left)], &rows, 80)
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    for (title, steps) in [
        ("preconditions (checked again just before the run)", &plan.preconditions),
        ("steps", &plan.steps),
        ("on failure", &plan.on_failure),
    ] {
        if steps.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        for (i, s) in steps.iter().enumerate() {
            out.push_str(&format!("  {}. {} [{}]\n", i + 1, s.id, s.action.name()));
            out.push_str(&format!("     {}\n", clean(&s.description)));
            let state = state_text(s);
            if !state.is_empty() {
                out.push_str(&format!("     {}\n", clean(&state)));
            }
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str("\nwarnings\n");
        for w in &plan.warnings {
            out.push_str(&format!("  ! {}\n", clean(w)));
        }
    }
    out.push('\n');
    out
}

/// The plan as JSON (field names are part of the command-line contract).
pub fn plan_json(plan: &Plan) -> Value {
    let step = |s: &PlannedStep| {
        let (current, target, satisfied, note) = match &s.state {
            StepState::Change { current, target, satisfied, .. } => {
                (current.clone(), Some(target.clone()), *satisfied, None)
            }
            StepState::Action => (None, None, false, None),
            StepState::Skipped(w) => (None, None, false, Some(format!("skipped: {w}"))),
            StepState::Unavailable(w) => (None, None, false, Some(format!("cannot run: {w}"))),
        };
        json!({
            "id": s.id,
            "action": s.action.name(),
            "request": sanitize(&s.description),
            "current": current,
            "target": target,
            "already_satisfied": satisfied,
            "note": note,
            "timeout_seconds": s.timeout.as_secs_f64(),
        })
    };
    json!({
        "playbook": plan.playbook,
        "context": plan.context,
        "mutating": plan.mutating,
        "confirm": plan.confirm,
        "locks": plan.targets,
        "params": plan.params.iter().map(|p| json!({"name": p.name, "value": p.value, "origin": p.origin})).collect::<Vec<_>>(),
        "preconditions": plan.preconditions.iter().map(step).collect::<Vec<_>>(),
        "steps": plan.steps.iter().map(step).collect::<Vec<_>>(),
        "on_failure": plan.on_failure.iter().map(step).collect::<Vec<_>>(),
        "warnings": plan.warnings,
        "needs_explicit": plan.needs_explicit,
    })
}
