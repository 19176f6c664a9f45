//! The playbooks view: its stage machine driven through the reducer with
//! keys, plans made by the real engine against the lab (as the runner would
//! on `Effect::Plan`), runs carried out by the real runner with its events
//! fed back as messages; and snapshots of each screen at 80×24 and 160×48.

mod support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use support::{StateOptions, lab_backends, lab_state, with_playbooks};
use vigil::app::playbooks::{PlanAsk, RunAsk, Stage};
use vigil::app::state::{AppState, View};
use vigil::app::update::{Effect, Msg, Outcome, update};
use vigil::commands::render::frame_text;
use vigil::playbook::backends::Backends;
use vigil::playbook::plan::plan;
use vigil::playbook::run::{Phase, RunEvent, RunOptions, RunOutcome, StepOutcome, run};
use vigil::ui::glyphs::Glyphs;
use vigil::ui::theme::Theme;

const MODEL: &str = "fraud-detector";

struct Lab {
    state: AppState,
    backends: Backends,
    dir: tempfile::TempDir,
}

fn lab(width: u16, height: u16) -> Lab {
    lab_with(StateOptions { width, height, ..Default::default() })
}

fn lab_with(options: StateOptions) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let mut state = lab_state(options);
    with_playbooks(&mut state);
    Lab { backends: lab_backends(dir.path(), 12), state, dir }
}

fn key(state: &mut AppState, code: KeyCode) -> Outcome {
    update(state, Msg::Key(KeyEvent::from(code)))
}

fn press(state: &mut AppState, c: char) -> Outcome {
    key(state, KeyCode::Char(c))
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, c);
    }
}

fn stage(state: &AppState) -> &'static str {
    state.playbooks.stage.name()
}

fn text(state: &AppState) -> String {
    frame_text(state, state.width, state.height)
}

fn plan_ask(outcome: Outcome) -> PlanAsk {
    match outcome.effect {
        Some(Effect::Plan(ask)) => *ask,
        other => panic!("expected a plan to be asked for, got {other:?}"),
    }
}

fn run_ask(outcome: Outcome) -> RunAsk {
    match outcome.effect {
        Some(Effect::RunPlaybook(ask)) => *ask,
        other => panic!("expected a run to be asked for, got {other:?}"),
    }
}

/// Does what the runner does with `Effect::Plan`: the engine plans, the answer comes back.
async fn answer(lab: &mut Lab, ask: &PlanAsk) -> Outcome {
    let result = plan(&ask.playbook, &ask.request("alice".into()), &lab.backends).await;
    update(&mut lab.state, Msg::Planned { ticket: ask.ticket, result: Box::new(result) })
}

/// Focuses the form field `name` with tab, clears it and types `value`.
fn set_field(state: &mut AppState, name: &str, value: &str) {
    for _ in 0..20 {
        let Stage::Form(form) = &state.playbooks.stage else { panic!("not in the form: {}", stage(state)) };
        if form.fields[form.focus].spec.name == name {
            for _ in 0..30 {
                key(state, KeyCode::Backspace);
            }
            type_text(state, value);
            return;
        }
        key(state, KeyCode::Tab);
    }
    panic!("no field {name}");
}

/// P on the fleet's top row (fraud-detector), enter on rollback: the form.
fn open_rollback_form(state: &mut AppState) {
    assert_eq!(state.fleet.selected_model(), Some(MODEL));
    press(state, 'P');
    assert_eq!((state.view, stage(state)), (View::Playbooks, "list"));
    assert_eq!(state.playbooks.model.as_deref(), Some(MODEL));
    key(state, KeyCode::Enter);
    assert_eq!(stage(state), "form");
}

/// From the form to the plan on screen, verification passing at once.
async fn plan_quick_rollback(lab: &mut Lab) {
    open_rollback_form(&mut lab.state);
    set_field(&mut lab.state, "max_error_ratio", "0.05");
    set_field(&mut lab.state, "verify_within", "0s");
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    assert_eq!(stage(&lab.state), "planning");
    assert!(text(&lab.state).contains("planning…"), "{}", text(&lab.state));
    answer(lab, &ask).await;
    assert_eq!(stage(&lab.state), "plan");
}

/// Types the target and a reason into the confirmation and submits it.
fn confirm(state: &mut AppState, target: &str, reason: &str) -> Outcome {
    type_text(state, target);
    key(state, KeyCode::Tab);
    type_text(state, reason);
    key(state, KeyCode::Enter)
}

/// Does what the runner does with `Effect::RunPlaybook`: runs the plan with
/// a bounded channel and feeds every event back, then the channel's end.
async fn run_it(lab: &mut Lab, ask: RunAsk) -> Vec<Outcome> {
    let options = RunOptions {
        read_only: lab.state.session.read_only.clone(),
        confirmed: ask.confirmed,
        reason: ask.reason.clone(),
        actor: "alice".into(),
        run_id: "20261120T140000-00c0de".into(),
        lease: Duration::from_secs(60),
    };
    update(&mut lab.state, Msg::RunStarted { run_id: options.run_id.clone(), actor: "alice".into() });
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let backends = lab.backends.clone();
    let task = tokio::spawn(async move { run(&ask.plan, &backends, &options, Some(&tx)).await });
    let mut outcomes = Vec::new();
    while let Some(event) = rx.recv().await {
        outcomes.push(update(&mut lab.state, Msg::Run(Some(event))));
    }
    task.await.unwrap();
    outcomes.push(update(&mut lab.state, Msg::Run(None)));
    outcomes
}

#[tokio::test]
async fn pick_fill_plan_confirm_replan_run_and_succeed() {
    let mut lab = lab(80, 24);
    plan_quick_rollback(&mut lab).await;
    let screen = text(&lab.state);
    assert!(screen.contains("champion: 10 → 9") && screen.contains("changes things"), "{screen}");

    press(&mut lab.state, 'r');
    assert_eq!(stage(&lab.state), "confirm");
    let ask = plan_ask(confirm(&mut lab.state, MODEL, "errors after the v10 deploy"));
    assert_eq!(stage(&lab.state), "replanning");
    assert_eq!(ask.reason.as_deref(), Some("errors after the v10 deploy"), "the re-plan carries the reason");
    let given: Vec<&str> = ask.given.keys().map(String::as_str).collect();
    assert_eq!(given, ["max_error_ratio", "verify_within"], "the same parameters as the plan shown");

    let run_ask = run_ask(answer(&mut lab, &ask).await);
    assert!(run_ask.confirmed && run_ask.reason == "errors after the v10 deploy");
    assert_eq!(stage(&lab.state), "run");
    assert!(lab.state.playbooks.running());
    let screen = text(&lab.state);
    assert!(screen.contains("· move-alias") && screen.contains("pending"), "every step waits its turn: {screen}");
    let outcomes = run_it(&mut lab, run_ask).await;
    let run = lab.state.playbooks.run.as_ref().unwrap();
    assert_eq!(run.outcome, Some(RunOutcome::Succeeded), "{run:#?}");
    assert!(run.compensation.is_empty(), "nothing to put back");
    // The views are refreshed after each change (alias, traffic) and when the run ends.
    let refreshes = outcomes.iter().filter(|o| o.effect == Some(Effect::Refresh)).count();
    assert_eq!(refreshes, 3, "{outcomes:?}");
    let screen = text(&lab.state);
    assert!(screen.contains("✔ succeeded") && screen.contains("✔ move-alias"), "{screen}");
    let champion = lab.backends.registry.as_ref().unwrap().model(MODEL).await.unwrap();
    assert_eq!(champion.alias("champion"), Some("9"));
    let log = std::fs::read_to_string(lab.dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(vigil::playbook::audit::verify(&log), Ok(log.lines().count()));
    assert!(log.contains("errors after the v10 deploy"));

    // esc on a finished run returns to the list.
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!((lab.state.view, stage(&lab.state)), (View::Playbooks, "list"));
}

#[tokio::test]
async fn a_wrong_confirmation_keeps_the_prompt_and_a_reason_is_required() {
    let mut lab = lab(80, 24);
    plan_quick_rollback(&mut lab).await;
    press(&mut lab.state, 'r');
    let outcome = confirm(&mut lab.state, "fraud", "oops");
    assert_eq!(outcome.effect, None, "nothing is asked of the runner");
    assert_eq!(stage(&lab.state), "confirm");
    assert!(text(&lab.state).contains("typed `fraud`, not `fraud-detector`: nothing ran"), "{}", text(&lab.state));
    // "y" is no confirmation either (the focus is back on the target).
    for _ in 0..10 {
        key(&mut lab.state, KeyCode::Backspace);
    }
    press(&mut lab.state, 'y');
    assert_eq!(key(&mut lab.state, KeyCode::Enter).effect, None);
    for _ in 0..10 {
        key(&mut lab.state, KeyCode::Backspace);
    }
    type_text(&mut lab.state, MODEL);
    key(&mut lab.state, KeyCode::Tab);
    for _ in 0..10 {
        key(&mut lab.state, KeyCode::Backspace);
    }
    assert_eq!(key(&mut lab.state, KeyCode::Enter).effect, None);
    assert!(text(&lab.state).contains("a reason is required"), "{}", text(&lab.state));
    type_text(&mut lab.state, "now with a reason");
    assert!(matches!(key(&mut lab.state, KeyCode::Enter).effect, Some(Effect::Plan(_))));
}

#[tokio::test]
async fn a_read_only_session_shows_the_plan_and_refuses_to_run_without_asking() {
    let mut lab = lab(80, 24);
    lab.state.session.read_only = Some("--read-only".into());
    plan_quick_rollback(&mut lab).await;
    let screen = text(&lab.state);
    assert!(screen.contains("READ-ONLY"), "{screen}");
    assert!(screen.contains("read-only (--read-only): nothing will run"), "{screen}");
    assert!(!screen.contains(" r run "), "no run key in the footer: {screen}");
    for outcome in [press(&mut lab.state, 'r'), key(&mut lab.state, KeyCode::Enter)] {
        assert_eq!(outcome.effect, None);
        assert_eq!(stage(&lab.state), "plan", "no confirmation is asked");
        assert_eq!(lab.state.flash.as_ref().unwrap().text, "read-only (--read-only): nothing will run");
    }
}

#[tokio::test]
async fn a_state_that_moved_while_confirming_needs_a_new_confirmation() {
    let mut lab = lab(80, 24);
    plan_quick_rollback(&mut lab).await;
    press(&mut lab.state, 'r');
    let ask = plan_ask(confirm(&mut lab.state, MODEL, "errors after the v10 deploy"));
    // Someone else rolls back while this operator was typing.
    lab.backends.registry.as_ref().unwrap().set_alias(MODEL, "champion", "9").await.unwrap();
    let outcome = answer(&mut lab, &ask).await;
    assert_eq!(outcome.effect, None, "nothing runs");
    assert_eq!(stage(&lab.state), "plan");
    let screen = text(&lab.state);
    assert!(screen.contains("changed while you were confirming") && screen.contains("confirm again"), "{screen}");
    assert!(screen.contains("champion: 9 → 8"), "the new plan is on screen: {screen}");
    // The old confirmation does not carry over.
    press(&mut lab.state, 'r');
    let Stage::Confirm { confirm: c, .. } = &lab.state.playbooks.stage else { panic!("{}", stage(&lab.state)) };
    assert!(c.typed.lines().join("").is_empty() && c.reason.lines().join("").is_empty());
}

#[tokio::test]
async fn esc_goes_back_one_stage_and_late_plans_are_dropped() {
    let mut lab = lab(80, 24);
    open_rollback_form(&mut lab.state);
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "list");
    key(&mut lab.state, KeyCode::Enter);
    let first = plan_ask(key(&mut lab.state, KeyCode::Enter));
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "form", "esc while planning returns to the form");
    let second = plan_ask(key(&mut lab.state, KeyCode::Enter));
    assert_ne!(first.ticket, second.ticket);
    let late = answer(&mut lab, &first).await;
    assert_eq!((late.redraw, stage(&lab.state)), (false, "planning"), "the abandoned plan is dropped");
    answer(&mut lab, &second).await;
    assert_eq!(stage(&lab.state), "plan");
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "form");
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    press(&mut lab.state, 'r');
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "plan", "esc cancels the confirmation");
    assert_eq!(lab.state.flash.as_ref().unwrap().text, "cancelled: nothing ran");
    press(&mut lab.state, 'r');
    let replan = plan_ask(confirm(&mut lab.state, MODEL, "why not"));
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "plan", "esc while planning again cancels the run");
    assert_eq!(answer(&mut lab, &replan).await.effect, None, "and its answer starts nothing");
    // `-` leaves the view and `:playbooks` comes back to the same plan.
    press(&mut lab.state, '-');
    assert_eq!(lab.state.view, View::Fleet);
    press(&mut lab.state, ':');
    type_text(&mut lab.state, "playbooks");
    key(&mut lab.state, KeyCode::Enter);
    assert_eq!((lab.state.view, stage(&lab.state)), (View::Playbooks, "plan"));
}

#[tokio::test]
async fn a_plan_that_cannot_be_made_lists_every_problem() {
    let mut lab = lab(80, 24);
    open_rollback_form(&mut lab.state);
    set_field(&mut lab.state, "to_version", "99");
    set_field(&mut lab.state, "alias", "nonexistent");
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    assert_eq!(stage(&lab.state), "failed");
    let screen = text(&lab.state);
    assert!(screen.contains("cannot plan rollback:") && screen.contains("has no alias nonexistent"), "{screen}");
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(stage(&lab.state), "form", "back to the form, values kept");
    let Stage::Form(form) = &lab.state.playbooks.stage else { unreachable!() };
    assert!(form.fields.iter().any(|f| f.input.lines().join("") == "99"));
}

#[tokio::test]
async fn leaving_a_run_keeps_it_going_and_quitting_asks_first() {
    let mut lab = lab(80, 24);
    plan_quick_rollback(&mut lab).await;
    press(&mut lab.state, 'r');
    let ask = plan_ask(confirm(&mut lab.state, MODEL, "errors"));
    let run_ask = run_ask(answer(&mut lab, &ask).await);
    update(&mut lab.state, Msg::RunStarted { run_id: "r1".into(), actor: "alice".into() });
    assert!(lab.state.playbooks.running());

    // esc leaves the view while it runs; the run is not touched.
    key(&mut lab.state, KeyCode::Esc);
    assert_eq!(lab.state.view, View::Fleet);
    assert!(lab.state.playbooks.running());
    // P on another model shows the run under way rather than starting over.
    key(&mut lab.state, KeyCode::Down);
    press(&mut lab.state, 'P');
    assert_eq!((lab.state.view, stage(&lab.state)), (View::Playbooks, "run"));
    press(&mut lab.state, '-');

    // q asks; another key takes the question back; q twice quits.
    assert_eq!(press(&mut lab.state, 'q').effect, None);
    assert_eq!(lab.state.flash.as_ref().unwrap().text, "rollback is running: q again quits and stops it mid-way");
    key(&mut lab.state, KeyCode::Down);
    assert_eq!(press(&mut lab.state, 'q').effect, None, "asked again after another key");
    assert_eq!(press(&mut lab.state, 'q').effect, Some(Effect::Quit));
    // :q asks the same way.
    let mut other = self::lab(80, 24);
    other.state.playbooks = lab.state.playbooks.clone();
    other.state.playbooks.quit_asked = false;
    for expected in [None, Some(Effect::Quit)] {
        press(&mut other.state, ':');
        type_text(&mut other.state, "q");
        assert_eq!(key(&mut other.state, KeyCode::Enter).effect, expected, ":q asks, a second :q quits");
    }

    // The run ends while the operator is elsewhere: the footer says so.
    run_it(&mut lab, run_ask).await;
    let flash = lab.state.flash.clone().unwrap();
    assert_eq!(flash.text, "rollback on fraud-detector: succeeded — :playbooks shows the run");
    assert!(!flash.is_error);
    assert_eq!(press(&mut lab.state, 'q').effect, Some(Effect::Quit), "no question once it has ended");
    press(&mut lab.state, ':');
    type_text(&mut lab.state, "playbooks");
    key(&mut lab.state, KeyCode::Enter);
    assert_eq!((lab.state.view, stage(&lab.state)), (View::Playbooks, "run"), "the last run is shown");
}

#[tokio::test]
async fn a_failed_check_shows_the_compensation_as_it_runs() {
    let mut lab = lab(100, 30);
    open_rollback_form(&mut lab.state);
    set_field(&mut lab.state, "max_error_ratio", "0.0001");
    set_field(&mut lab.state, "verify_within", "0s");
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    press(&mut lab.state, 'r');
    let ask = plan_ask(confirm(&mut lab.state, MODEL, "errors"));
    let run_ask = run_ask(answer(&mut lab, &ask).await);
    run_it(&mut lab, run_ask).await;
    let run = lab.state.playbooks.run.as_ref().unwrap();
    assert!(matches!(&run.outcome, Some(RunOutcome::Failed { step, compensated: true, .. }) if step == "verify"));
    let ids: Vec<&str> = run.compensation.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["restore-traffic", "restore-alias"]);
    let screen = text(&lab.state);
    assert!(screen.contains("✖ verify") && screen.contains("on failure: putting things back"), "{screen}");
    assert!(screen.contains("✖ failed at verify:") && screen.contains("— compensation ran"), "{screen}");
    let champion = lab.backends.registry.as_ref().unwrap().model(MODEL).await.unwrap();
    assert_eq!(champion.alias("champion"), Some("10"), "put back");
}

#[tokio::test]
async fn a_playbook_that_only_reads_runs_without_a_confirmation() {
    let mut lab = lab(80, 24);
    let source = "name = \"check-errors\"\ndescription = \"Is the error ratio under a bound?\"\n\
                  [params.model]\ntype = \"model\"\ndefault = \"selected\"\n\
                  [[step]]\nid = \"check\"\naction = \"check.metric\"\n\
                  args = { model = \"{{model}}\", metric = \"error_ratio\", below = 0.5 }\n";
    let playbook = vigil::playbook::spec::parse("check-errors.toml", source).unwrap();
    assert!(!playbook.mutating);
    lab.state.playbooks = vigil::app::playbooks::Playbooks::new(Ok(vec![playbook]));
    press(&mut lab.state, 'P');
    key(&mut lab.state, KeyCode::Enter);
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    let screen = text(&lab.state);
    assert!(screen.contains("reads only") && screen.contains("it only reads, so nothing is asked"), "{screen}");
    let ask = plan_ask(press(&mut lab.state, 'r'));
    assert_eq!(stage(&lab.state), "replanning", "no confirmation, but planned again");
    let run_ask = run_ask(answer(&mut lab, &ask).await);
    assert!(run_ask.confirmed && run_ask.reason.is_empty());
    run_it(&mut lab, run_ask).await;
    assert_eq!(lab.state.playbooks.run.as_ref().unwrap().outcome, Some(RunOutcome::Succeeded));
}

#[test]
fn the_command_line_opens_a_playbook_and_completes_names() {
    let mut lab = lab(80, 24);
    press(&mut lab.state, ':');
    type_text(&mut lab.state, "playb");
    key(&mut lab.state, KeyCode::Tab);
    let prompt = lab.state.prompt.as_ref().unwrap();
    assert_eq!(prompt.completions, ["playbooks", "playbook "]);
    key(&mut lab.state, KeyCode::Esc);
    press(&mut lab.state, ':');
    type_text(&mut lab.state, "playbook roll");
    key(&mut lab.state, KeyCode::Tab);
    assert_eq!(lab.state.prompt.as_ref().unwrap().text(), "playbook rollback");
    key(&mut lab.state, KeyCode::Enter);
    assert_eq!((lab.state.view, stage(&lab.state)), (View::Playbooks, "form"));
    assert!(text(&lab.state).contains("fraud-detector"), "the fleet's selected model is filled in");
}

#[test]
fn a_library_that_did_not_load_is_shown_not_fatal() {
    let mut lab = lab(80, 24);
    lab.state.playbooks = vigil::app::playbooks::Playbooks::new(Err(
        "mine.toml:3: unknown key `stepz`\x1b[31m (did you mean step?)".into(),
    ));
    press(&mut lab.state, 'P');
    let screen = text(&lab.state);
    assert!(screen.contains("could not be loaded") && screen.contains("mine.toml:3: unknown key"), "{screen}");
    assert!(!screen.contains('\x1b'), "escape sequences are removed");
    assert_eq!(key(&mut lab.state, KeyCode::Enter).effect, None);
}

#[test]
fn the_key_is_free_in_every_view_of_both_shipped_keymaps() {
    use vigil::app::action::Action;
    use vigil::app::keymap::{Keymap, STACKS};
    for name in Keymap::builtin_names() {
        let keymap = Keymap::load(name, None).unwrap();
        for stack in STACKS.iter().filter(|s| s.contains(&vigil::app::action::Mode::Global)) {
            let event = KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT);
            assert_eq!(keymap.action(stack, &event), Some(Action::Playbooks), "{name} {stack:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

fn list_state(width: u16, height: u16) -> Lab {
    let mut lab = lab(width, height);
    press(&mut lab.state, 'P');
    lab
}

#[test]
fn list_at_80x24_and_160x48() {
    let lab = list_state(80, 24);
    let screen = text(&lab.state);
    assert!(screen.contains("PLAYBOOKS  7 playbooks · for fraud-detector"), "{screen}");
    assert!(screen.contains("(previous champion)"), "{screen}");
    insta::assert_snapshot!("playbooks_list_80x24", screen);
    insta::assert_snapshot!("playbooks_list_160x48", text(&list_state(160, 48).state));
}

fn form_state(width: u16, height: u16) -> Lab {
    let mut lab = list_state(width, height);
    key(&mut lab.state, KeyCode::Enter);
    set_field(&mut lab.state, "max_error_ratio", "2");
    lab
}

#[test]
fn form_at_80x24_and_160x48() {
    let lab = form_state(80, 24);
    let screen = text(&lab.state);
    assert!(screen.contains("(from the registry: previous champion)"), "{screen}");
    assert!(screen.contains("✖ 2 is above the maximum 1"), "the error is next to the field: {screen}");
    insta::assert_snapshot!("playbook_form_80x24", screen);
    insta::assert_snapshot!("playbook_form_160x48", text(&form_state(160, 48).state));
}

async fn plan_state(width: u16, height: u16) -> Lab {
    let mut lab = lab(width, height);
    open_rollback_form(&mut lab.state);
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    lab
}

#[tokio::test]
async fn plan_of_a_rollback_at_80x24_and_160x48() {
    let lab = plan_state(80, 24).await;
    let screen = text(&lab.state);
    for expected in [
        "context demo · changes things · locks fraud-detector",
        "1. move-alias [registry.set_alias]  champion: 10 → 9",
        "set alias \"champion\" of \"fraud-detector\" to",
        "r runs it after you type fraud-detector and give a reason",
    ] {
        assert!(screen.contains(expected), "`{expected}`:\n{screen}");
    }
    insta::assert_snapshot!("playbook_plan_80x24", screen);
    let large = plan_state(160, 48).await;
    let screen = text(&large.state);
    assert!(screen.contains("to_version      9               highest READY version below 10"), "{screen}");
    insta::assert_snapshot!("playbook_plan_160x48", screen);
    // Scrolling reaches the parameters at 80×24, and stops at the end.
    let mut lab = lab;
    for _ in 0..40 {
        key(&mut lab.state, KeyCode::Down);
    }
    let bottom = text(&lab.state);
    assert!(bottom.contains("verify_window") && !bottom.contains("more"), "{bottom}");
    assert!(!key(&mut lab.state, KeyCode::Down).redraw);
    let mut ascii = lab_with(StateOptions { glyphs: Glyphs::ASCII, ..Default::default() });
    open_rollback_form(&mut ascii.state);
    let ask = plan_ask(key(&mut ascii.state, KeyCode::Enter));
    answer(&mut ascii, &ask).await;
    let screen = text(&ascii.state);
    assert!(screen.is_ascii() && screen.contains("champion: 10 -> 9"), "{screen}");
}

/// A second rollback two minutes after the first: the plan warns that it goes one further.
async fn confirm_state(width: u16, height: u16) -> Lab {
    let mut lab = lab(width, height);
    let registry = lab.backends.registry.clone().unwrap();
    registry.set_alias(MODEL, "champion", "9").await.unwrap();
    // Planned within 800 ms of this, the move reads "2m ago".
    let at = (chrono::Utc::now() - chrono::Duration::milliseconds(120_200)).to_rfc3339();
    let record = serde_json::json!({"from": "10", "to": "9", "at": at, "by": "alice", "playbook": "rollback"});
    registry.set_model_tag(MODEL, "vigil.last_move.champion", &record.to_string()).await.unwrap();
    lab.backends.traffic.as_ref().unwrap().set_weights(MODEL, &[("9".into(), 1.0)]).await.unwrap();
    open_rollback_form(&mut lab.state);
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    press(&mut lab.state, 'r');
    type_text(&mut lab.state, "fraud-det");
    lab
}

#[tokio::test]
async fn confirmation_prompt_at_80x24_and_160x48() {
    let lab = confirm_state(80, 24).await;
    let screen = text(&lab.state);
    assert!(
        screen.contains("champion of fraud-detector was moved 10 → 9 2m ago by alice (rollback)"),
        "the warning is on the prompt:\n{screen}"
    );
    assert!(screen.contains("type fraud-detector") && screen.contains("reason"), "{screen}");
    insta::assert_snapshot!("playbook_confirm_80x24", screen);
    insta::assert_snapshot!("playbook_confirm_160x48", text(&confirm_state(160, 48).await.state));
}

/// A run fed fixed events (no wall-clock values): verify running, or failed and put back.
async fn run_state(width: u16, height: u16, glyphs: Glyphs, theme: Theme, finished: bool) -> Lab {
    let mut lab = lab_with(StateOptions { width, height, glyphs, theme, ..Default::default() });
    open_rollback_form(&mut lab.state);
    let ask = plan_ask(key(&mut lab.state, KeyCode::Enter));
    answer(&mut lab, &ask).await;
    press(&mut lab.state, 'r');
    let ask = plan_ask(confirm(&mut lab.state, MODEL, "v10 errors at 10%, INC-42"));
    run_ask(answer(&mut lab, &ask).await);
    update(&mut lab.state, Msg::RunStarted { run_id: "20261120T140000-00c0de".into(), actor: "alice".into() });
    let ok = |text: &str| StepOutcome::Done(text.into());
    let mut events = vec![
        (Phase::Preconditions, 0, "alias-unchanged", Some(ok("champion of fraud-detector is 10"))),
        (Phase::Steps, 0, "move-alias", Some(ok("champion of fraud-detector: 10 → 9"))),
        (Phase::Steps, 1, "route-traffic", Some(ok("traffic of fraud-detector: 9=75%, 10=25% → 9=100%, 10=0%"))),
        (
            Phase::Steps,
            2,
            "annotate",
            Some(ok("fraud-detector: champion rolled back 10 → 9 by alice: v10 errors at 10%, INC-42")),
        ),
        (Phase::Steps, 3, "verify", None),
    ];
    if finished {
        let failed = "not within 10m: error_ratio = 0.027000 (needs < 0.01)";
        events.pop();
        events.push((Phase::Steps, 3, "verify", Some(StepOutcome::Failed(failed.into()))));
        events.push((
            Phase::Compensation,
            0,
            "restore-traffic",
            Some(ok("traffic of fraud-detector: 9=100%, 10=0% → 9=75%, 10=25%")),
        ));
        events.push((Phase::Compensation, 1, "restore-alias", Some(ok("champion of fraud-detector: 9 → 10"))));
    }
    for (phase, index, id, outcome) in events {
        update(&mut lab.state, Msg::Run(Some(RunEvent::Started { phase, index, id: id.into() })));
        match outcome {
            Some(outcome) => {
                update(&mut lab.state, Msg::Run(Some(RunEvent::Finished { phase, index, id: id.into(), outcome })));
            }
            None => {
                let text = "error_ratio = 0.027000 (needs < 0.01)".to_string();
                update(&mut lab.state, Msg::Run(Some(RunEvent::Progress { phase, index, text })));
            }
        }
    }
    if finished {
        let error = "not within 10m: error_ratio = 0.027000 (needs < 0.01)".to_string();
        let outcome = RunOutcome::Failed { step: "verify".into(), error, compensated: true };
        update(&mut lab.state, Msg::Run(Some(RunEvent::Done(outcome))));
    }
    lab
}

fn dark() -> Theme {
    Theme::load("dark", None).unwrap()
}

#[tokio::test]
async fn a_running_run_at_80x24_and_160x48() {
    let lab = run_state(80, 24, Glyphs::UNICODE, dark(), false).await;
    let screen = text(&lab.state);
    assert!(screen.contains("… verify") && screen.contains("running — error_ratio = 0.027000 (needs < 0.01)"));
    assert!(screen.contains("leave (it keeps running)"), "{screen}");
    insta::assert_snapshot!("playbook_running_80x24", screen);
    let large = run_state(160, 48, Glyphs::UNICODE, dark(), false).await;
    insta::assert_snapshot!("playbook_running_160x48", text(&large.state));
}

#[tokio::test]
async fn a_finished_run_with_compensation_at_80x24_and_160x48() {
    let lab = run_state(80, 24, Glyphs::UNICODE, dark(), true).await;
    let screen = text(&lab.state);
    assert!(screen.contains("✖ failed at verify: not within 10m") && screen.contains("compensation ran"), "{screen}");
    assert!(screen.contains("✔ restore-alias"), "{screen}");
    insta::assert_snapshot!("playbook_compensated_80x24", screen);
    let large = run_state(160, 48, Glyphs::UNICODE, dark(), true).await;
    insta::assert_snapshot!("playbook_compensated_160x48", text(&large.state));
    let ascii = run_state(80, 24, Glyphs::ASCII, dark(), true).await;
    let screen = text(&ascii.state);
    assert!(screen.is_ascii(), "{screen}");
    assert!(screen.contains("X verify") && screen.contains("+ restore-alias"), "{screen}");
}

/// Under NO_COLOR the run reads the same: glyphs and words, and bold on what failed.
#[tokio::test]
async fn a_finished_run_under_no_color() {
    let lab = run_state(80, 24, Glyphs::UNICODE, dark().monochrome(), true).await;
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| vigil::ui::render(f, &lab.state)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    assert!(buffer.content().iter().all(|c| matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset)));
    let screen = text(&lab.state);
    let row = screen.lines().position(|l| l.contains("✖ verify")).unwrap() as u16;
    assert!(buffer[(2, row)].modifier.contains(Modifier::BOLD), "the failed step's mark is bold");
    insta::assert_snapshot!("playbook_compensated_no_color", format!("{buffer:?}"));
}

#[test]
fn run_views_follow_events_and_say_when_a_run_was_lost() {
    let lab = lab(80, 24);
    let mut state = lab.state;
    let plan = vigil::playbook::plan::Plan {
        playbook: "p".into(),
        description: String::new(),
        context: "demo".into(),
        mutating: true,
        params: Vec::new(),
        values: Default::default(),
        warnings: Vec::new(),
        needs_explicit: Vec::new(),
        preconditions: Vec::new(),
        steps: Vec::new(),
        on_failure: Vec::new(),
        confirm: None,
        targets: vec![MODEL.into()],
        locks: vec![("demo".into(), MODEL.into())],
        planned_at: support::fixed_now(),
    };
    state.playbooks.run = Some(vigil::app::playbooks::run_view::RunView::new(plan, "r".into()));
    state.playbooks.stage = Stage::Run { scroll: 0 };
    assert!(state.playbooks.running());
    let outcome = update(&mut state, Msg::Run(None));
    assert_eq!(outcome.effect, Some(Effect::Refresh));
    let run = state.playbooks.run.as_ref().unwrap();
    assert!(matches!(&run.outcome, Some(RunOutcome::Failed { error, .. }) if error.contains("without reporting")));
    assert!(!state.playbooks.running());
    // Later events for a run that has ended change nothing.
    assert!(!update(&mut state, Msg::Run(Some(RunEvent::Done(RunOutcome::Succeeded)))).redraw);
}
