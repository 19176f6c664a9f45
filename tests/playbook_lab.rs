//! The playbook engine end to end on the embedded lab: its registry,
//! traffic gateway and metrics are the demo's, in this process. Real
//! MLflow and Prometheus are exercised in tests/playbook_mlflow.rs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use vigil::lab::{LabOptions, Scenario, Simulator};
use vigil::playbook::audit::verify;
use vigil::playbook::backends::Backends;
use vigil::playbook::library::Library;
use vigil::playbook::plan::{Plan, PlanRequest, StepState, plan};
use vigil::playbook::run::{Phase, RunOptions, RunOutcome, RunReport, StepOutcome, run};
use vigil::playbook::spec;

const MODEL: &str = "fraud-detector";

struct Lab {
    backends: Backends,
    _dir: tempfile::TempDir,
}

fn lab() -> Lab {
    let simulator =
        Arc::new(Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models: 3, anchor: Utc::now() }));
    let dir = tempfile::tempdir().unwrap();
    let backends = Backends::lab("lab", simulator, dir.path());
    Lab { backends, _dir: dir }
}

fn request(params: &[(&str, &str)]) -> PlanRequest {
    PlanRequest {
        given: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        selected_model: Some(MODEL.into()),
        reason: Some("errors after the deploy".into()),
        actor: "alice".into(),
    }
}

fn options(run_id: &str) -> RunOptions {
    RunOptions {
        read_only: None,
        confirmed: true,
        reason: "errors after the deploy".into(),
        actor: "alice".into(),
        run_id: run_id.into(),
        lease: Duration::from_secs(60),
    }
}

fn rollback() -> spec::Playbook {
    Library::load(None).unwrap().get("rollback").unwrap().clone()
}

async fn champion(lab: &Lab) -> String {
    lab.backends.registry.as_ref().unwrap().model(MODEL).await.unwrap().alias("champion").unwrap().to_string()
}

async fn plan_rollback(lab: &Lab, params: &[(&str, &str)]) -> Plan {
    plan(&rollback(), &request(params), &lab.backends).await.unwrap()
}

fn value<'a>(plan: &'a Plan, name: &str) -> &'a str {
    &plan.params.iter().find(|p| p.name == name).unwrap().value
}

fn outcome_of<'a>(report: &'a RunReport, id: &str) -> &'a StepOutcome {
    &report.steps.iter().find(|(_, s, _)| s == id).unwrap().2
}

/// A verification that passes at once (the bad canary's share of errors
/// is under 5 %) or fails at once (nothing is under 0.01 %).
const PASSES: (&str, &str) = ("max_error_ratio", "0.05");
const FAILS: (&str, &str) = ("max_error_ratio", "0.0001");
const NOW: (&str, &str) = ("verify_within", "0s");

#[tokio::test]
async fn rollback_moves_the_alias_and_traffic_back_and_records_every_step() {
    let lab = lab();
    let before = champion(&lab).await;
    let plan = plan_rollback(&lab, &[PASSES, NOW]).await;
    let to = value(&plan, "to_version").to_string();
    assert_eq!(value(&plan, "from_version"), before);
    assert!(to.parse::<u32>().unwrap() < before.parse::<u32>().unwrap());
    let StepState::Change { what, current, target, satisfied } = &plan.steps[0].state else { panic!() };
    assert_eq!(
        (what.as_str(), current.as_deref(), target.as_str(), satisfied),
        ("champion", Some(before.as_str()), to.as_str(), &false)
    );
    assert_eq!(plan.confirm.as_deref(), Some(MODEL));
    assert_eq!(plan.targets, [MODEL]);

    let report = run(&plan, &lab.backends, &options("run-1"), None).await;
    assert_eq!(report.outcome, RunOutcome::Succeeded, "{report:#?}");
    assert_eq!(champion(&lab).await, to);
    let weights = lab.backends.traffic.as_ref().unwrap().weights(MODEL).await.unwrap();
    assert!(weights.iter().all(|(v, w)| if *v == to { (*w - 1.0).abs() < 1e-9 } else { *w == 0.0 }), "{weights:?}");

    let text = std::fs::read_to_string(lab.backends.audit.path()).unwrap();
    assert_eq!(verify(&text), Ok(text.lines().count()));
    let records = lab.backends.audit.records().unwrap();
    let steps: Vec<(String, String)> = records
        .iter()
        .map(|r| (r["step"].as_str().unwrap().to_string(), r["result"].as_str().unwrap().to_string()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("run", "started"),
        ("precondition:alias-unchanged", "started"),
        ("precondition:alias-unchanged", "ok"),
        ("move-alias", "started"),
        ("move-alias", "ok"),
        ("route-traffic", "started"),
        ("route-traffic", "ok"),
        ("annotate", "started"),
        ("annotate", "ok"),
        ("verify", "started"),
        ("verify", "ok"),
        ("run", "ok"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(steps, expected);
    assert!(records.iter().all(|r| r["params"]["run"] == "run-1"));
}

#[tokio::test]
async fn a_rerun_with_the_same_target_is_already_satisfied() {
    let lab = lab();
    let first = plan_rollback(&lab, &[PASSES, NOW]).await;
    let to = value(&first, "to_version").to_string();
    assert!(run(&first, &lab.backends, &options("run-1"), None).await.succeeded());

    let again = plan_rollback(&lab, &[PASSES, NOW, ("to_version", &to)]).await;
    assert!(matches!(again.steps[0].state, StepState::Change { satisfied: true, .. }));
    let report = run(&again, &lab.backends, &options("run-2"), None).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(outcome_of(&report, "move-alias"), &StepOutcome::AlreadySatisfied(format!("champion is already {to}")));
    assert!(matches!(outcome_of(&report, "route-traffic"), StepOutcome::AlreadySatisfied(_)));
    assert_eq!(champion(&lab).await, to);
}

#[tokio::test]
async fn a_second_rollback_moments_later_shows_the_new_target_and_is_not_automatic() {
    let lab = lab();
    let first = plan_rollback(&lab, &[PASSES, NOW]).await;
    let (from, to) = (value(&first, "from_version").to_string(), value(&first, "to_version").to_string());
    assert!(first.needs_explicit.is_empty());
    assert!(run(&first, &lab.backends, &options("run-1"), None).await.succeeded());

    let second = plan_rollback(&lab, &[PASSES, NOW]).await;
    let further = value(&second, "to_version").to_string();
    assert_eq!(value(&second, "from_version"), to);
    assert!(further.parse::<u32>().unwrap() < to.parse::<u32>().unwrap());
    assert_eq!(second.warnings.len(), 1);
    let warning = &second.warnings[0];
    assert!(
        warning.contains(&format!("was moved {from} → {to}")) && warning.contains("by alice (rollback)"),
        "{warning}"
    );
    assert!(warning.contains(&format!("{to} → {further}")), "{warning}");
    assert_eq!(second.needs_explicit.len(), 1);
    // Given explicitly, the same target is a deliberate choice.
    let explicit = plan_rollback(&lab, &[PASSES, NOW, ("to_version", &further)]).await;
    assert!(explicit.needs_explicit.is_empty());
}

#[tokio::test]
async fn a_plan_made_before_someone_else_moved_the_alias_is_refused_and_changes_nothing() {
    let lab = lab();
    let mine = plan_rollback(&lab, &[PASSES, NOW]).await;
    let theirs = plan_rollback(&lab, &[PASSES, NOW]).await;
    assert!(run(&theirs, &lab.backends, &options("theirs"), None).await.succeeded());
    let after_theirs = champion(&lab).await;

    let report = run(&mine, &lab.backends, &options("mine"), None).await;
    let RunOutcome::Refused(why) = &report.outcome else { panic!("{report:#?}") };
    assert!(why.contains("precondition alias-unchanged no longer holds"), "{why}");
    assert!(why.contains("the state changed since the plan"), "{why}");
    assert_eq!(champion(&lab).await, after_theirs);
    assert_eq!(report.steps.len(), 1, "only the precondition was read: {report:#?}");
}

#[tokio::test]
async fn read_only_or_unconfirmed_runs_refuse_before_anything_runs() {
    let lab = lab();
    let before = champion(&lab).await;
    let plan = plan_rollback(&lab, &[PASSES, NOW]).await;
    let read_only = RunOptions { read_only: Some("context prod is read-only".into()), ..options("ro") };
    let report = run(&plan, &lab.backends, &read_only, None).await;
    assert_eq!(
        report.outcome,
        RunOutcome::Refused("read-only (context prod is read-only): rollback changes things, nothing was run".into())
    );
    assert!(report.steps.is_empty());
    let unconfirmed = RunOptions { confirmed: false, ..options("unconfirmed") };
    assert!(matches!(run(&plan, &lab.backends, &unconfirmed, None).await.outcome, RunOutcome::Refused(_)));
    let no_reason = RunOptions { reason: " ".into(), ..options("no-reason") };
    assert!(matches!(run(&plan, &lab.backends, &no_reason, None).await.outcome, RunOutcome::Refused(_)));
    assert_eq!(champion(&lab).await, before);
    let results: Vec<String> =
        lab.backends.audit.records().unwrap().iter().map(|r| r["result"].as_str().unwrap().to_string()).collect();
    assert_eq!(results, ["started", "refused", "started", "refused", "started", "refused"]);
}

#[tokio::test]
async fn a_failing_verification_puts_back_exactly_what_was_there() {
    let lab = lab();
    let traffic = lab.backends.traffic.as_ref().unwrap();
    let weights_before = traffic.weights(MODEL).await.unwrap();
    assert!(weights_before.iter().filter(|(_, w)| *w > 0.0).count() > 1, "bad-deploy splits traffic");
    let before = champion(&lab).await;
    let plan = plan_rollback(&lab, &[FAILS, NOW]).await;
    let report = run(&plan, &lab.backends, &options("run-1"), None).await;
    let RunOutcome::Failed { step, compensated, .. } = &report.outcome else { panic!("{report:#?}") };
    assert_eq!((step.as_str(), *compensated), ("verify", true));
    let compensation: Vec<&str> = report
        .steps
        .iter()
        .filter(|(p, _, _)| *p == Phase::Compensation)
        .map(|(_, id, o)| {
            assert!(matches!(o, StepOutcome::Done(_)), "{o:?}");
            id.as_str()
        })
        .collect();
    assert_eq!(compensation, ["restore-traffic", "restore-alias"]);
    assert_eq!(champion(&lab).await, before);
    let weights_after = traffic.weights(MODEL).await.unwrap();
    for ((v, a), (v2, b)) in weights_before.iter().zip(&weights_after) {
        assert_eq!(v, v2);
        assert!((a - b).abs() < 1e-9, "{weights_before:?} → {weights_after:?}");
    }
}

#[tokio::test]
async fn concurrent_runs_on_one_model_exactly_one_proceeds() {
    // Two operators on two machines: separate lock directories, one
    // registry. The registry lease alone decides.
    let lab = lab();
    let other_dir = tempfile::tempdir().unwrap();
    let other = Backends { locks_dir: other_dir.path().join("locks"), ..lab.backends.clone() };
    let plan_a = plan_rollback(&lab, &[PASSES, NOW]).await;
    let plan_b = plan_rollback(&lab, &[PASSES, NOW]).await;
    let (options_a, options_b) = (options("a"), options("b"));
    let (a, b) = tokio::join!(run(&plan_a, &lab.backends, &options_a, None), run(&plan_b, &other, &options_b, None));
    let outcomes = [&a.outcome, &b.outcome];
    assert_eq!(outcomes.iter().filter(|o| ***o == RunOutcome::Succeeded).count(), 1, "{outcomes:#?}");
    let refused = outcomes.iter().find_map(|o| match o {
        RunOutcome::Refused(why) => Some(why.clone()),
        _ => None,
    });
    assert!(refused.as_deref().is_some_and(|w| w.contains("is locked by alice")), "{outcomes:#?}");
    // The lease is gone afterwards: a later run is not blocked.
    let m = lab.backends.registry.as_ref().unwrap().model(MODEL).await.unwrap();
    assert!(!m.tags.contains_key("vigil.lock"), "{:?}", m.tags);

    // On one machine the lock file refuses the second at once.
    let plan_c = plan_rollback(&lab, &[PASSES, NOW, ("to_version", value(&plan_a, "to_version"))]).await;
    let plan_d = plan_c.clone();
    let (options_c, options_d) = (options("c"), options("d"));
    let (c, d) =
        tokio::join!(run(&plan_c, &lab.backends, &options_c, None), run(&plan_d, &lab.backends, &options_d, None));
    let locked = [&c.outcome, &d.outcome]
        .iter()
        .filter(|o| matches!(o, RunOutcome::Refused(w) if w.contains("another vigil run on this machine")))
        .count();
    assert_eq!(locked, 1, "{c:#?} {d:#?}");
}

/// A staging and a production context, each with its own lab registry
/// (same seed, so the same version numbers), production reached as the
/// session's other context.
fn staging_and_prod(prod_read_only: bool) -> (Lab, Lab) {
    let mut staging = lab();
    let mut prod = lab();
    prod.backends.context = "prod".into();
    prod.backends.read_only = prod_read_only.then(|| "context prod is read-only".to_string());
    staging.backends.context = "staging".into();
    staging.backends.others.insert("prod".into(), Ok(prod.backends.clone()));
    (staging, prod)
}

#[tokio::test]
async fn promote_moves_production_in_the_other_context_after_checking_the_candidate_in_staging() {
    let (staging, prod) = staging_and_prod(false);
    let promote = Library::load(None).unwrap().get("promote").unwrap().clone();
    let registry = |b: &Backends| b.registry.clone().unwrap();
    // A model with a challenger in the lab (seed 42): the candidate.
    let models = registry(&staging.backends).models(None).await.unwrap();
    let model = models.iter().find(|m| m.alias("challenger").is_some()).unwrap();
    let (name, candidate) = (model.name.clone(), model.alias("challenger").unwrap().to_string());
    let prod_before = registry(&prod.backends).model(&name).await.unwrap().alias("champion").unwrap().to_string();
    let staging_before = model.alias("champion").unwrap().to_string();

    let request = PlanRequest {
        given: [("model", name.as_str()), ("to_context", "prod"), ("max_error_ratio", "0.5")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        selected_model: None,
        reason: Some("validated in staging".into()),
        actor: "alice".into(),
    };
    let plan = plan(&promote, &request, &staging.backends).await.unwrap();
    assert_eq!(value(&plan, "from_context"), "staging");
    assert_eq!(value(&plan, "candidate"), candidate);
    assert_eq!(plan.params.iter().find(|p| p.name == "replaced").unwrap().origin, "champion in prod now");
    assert_eq!(plan.targets, [format!("{name} in prod")]);
    assert!(plan.steps[0].description.starts_with("[in prod] "), "{}", plan.steps[0].description);
    let report = run(&plan, &staging.backends, &options("promote"), None).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(registry(&prod.backends).model(&name).await.unwrap().alias("champion"), Some(candidate.as_str()));
    assert_ne!(prod_before, candidate);
    let staging_after = registry(&staging.backends).model(&name).await.unwrap();
    assert_eq!(staging_after.alias("champion"), Some(staging_before.as_str()), "staging is left as it was");

    // A read-only production context refuses before anything runs.
    let (staging, prod) = staging_and_prod(true);
    let plan = vigil::playbook::plan::plan(&promote, &request, &staging.backends).await.unwrap();
    let report = run(&plan, &staging.backends, &options("promote-ro"), None).await;
    assert_eq!(
        report.outcome,
        RunOutcome::Refused(
            "read-only (context prod is read-only): promote changes context prod, nothing was run".into()
        )
    );
    assert_eq!(registry(&prod.backends).model(&name).await.unwrap().alias("champion"), Some(prod_before.as_str()));
    let unknown = PlanRequest {
        given: [("model".to_string(), name.clone()), ("to_context".into(), "prdo".into())].into(),
        ..request
    };
    let problems = vigil::playbook::plan::plan(&promote, &unknown, &staging.backends).await.unwrap_err();
    assert_eq!(problems, ["parameter to_context: no context named `prdo`; known: staging, prod"]);
}
