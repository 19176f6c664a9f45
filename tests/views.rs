//! Snapshots of the fleet view and help overlay, drawn by the real view code
//! into ratatui's TestBackend at 80×24 and 160×48.

mod support;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use support::{StateOptions, lab_state};
use vigil::app::action::Action;
use vigil::app::change::Change;
use vigil::app::update::{Effect, Msg, on_action, update};
use vigil::commands::render::frame_text;
use vigil::lab::Scenario;
use vigil::ui::glyphs::Glyphs;
use vigil::ui::theme::Theme;

#[test]
fn fleet_view_at_80x24() {
    let state = lab_state(StateOptions::default());
    insta::assert_snapshot!(frame_text(&state, 80, 24));
}

#[test]
fn fleet_view_at_160x48() {
    let state = lab_state(StateOptions { width: 160, height: 48, ..Default::default() });
    insta::assert_snapshot!(frame_text(&state, 160, 48));
}

#[test]
fn fleet_view_in_ascii() {
    let state = lab_state(StateOptions { glyphs: Glyphs::ASCII, ..Default::default() });
    let text = frame_text(&state, 80, 24);
    assert!(text.is_ascii(), "--ascii leaves no non-ASCII symbol on screen:\n{text}");
    insta::assert_snapshot!(text);
    let mut state = state;
    on_action(&mut state, Action::Help);
    let help = frame_text(&state, 80, 24);
    assert!(help.is_ascii(), "nor in the help overlay:\n{help}");
}

#[test]
fn help_overlay_lists_the_keys_of_the_fleet_view() {
    let mut state = lab_state(StateOptions::default());
    on_action(&mut state, Action::Help);
    let text = frame_text(&state, 80, 24);
    for expected in ["filter rows", "sort by the next column", "quit vigil", "keymap default", "refresh data now"] {
        assert!(text.contains(expected), "help shows `{expected}`:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn filtered_and_sorted_fleet() {
    let mut state = lab_state(StateOptions { width: 120, height: 30, ..Default::default() });
    state.fleet.filter = vigil::app::fleet_table::Filter::parse("!detector");
    state.fleet.recompute_rows();
    on_action(&mut state, Action::SortNext);
    insta::assert_snapshot!(frame_text(&state, 120, 30));
}

/// Under NO_COLOR no cell carries a colour, and meaning survives in glyphs,
/// text and modifiers: the selected row is reversed, the header stands out.
#[test]
fn no_color_keeps_meaning_without_colour() {
    let theme = Theme::load("dark", None).unwrap().monochrome();
    let state = lab_state(StateOptions { theme, ..Default::default() });
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| vigil::ui::render(f, &state)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a cell has a colour under NO_COLOR: {cell:?}"
        );
    }
    let selected_row = 3; // header, title, column titles, then the first model
    assert!(buffer[(10, selected_row)].modifier.contains(Modifier::REVERSED), "the cursor row is reversed");
    assert!(buffer[(2, 0)].modifier.contains(Modifier::REVERSED), "the header bar is reversed");
    let text = frame_text(&state, 80, 24);
    assert!(text.contains('✖'), "critical models keep their glyph:\n{text}");
    insta::assert_snapshot!(format!("{buffer:?}"));
}

#[test]
fn a_thousand_models_render_only_what_fits() {
    let state = lab_state(StateOptions {
        scenario: Scenario::Calm,
        models: 1000,
        width: 200,
        height: 60,
        ..Default::default()
    });
    let text = frame_text(&state, 200, 60);
    assert_eq!(text.lines().count(), 60);
    assert!(text.contains("1000 models"), "{text}");
}

/// Production is unmistakable: the header carries the context's tint and
/// names the context, and read-only sessions say so.
#[test]
fn the_header_is_tinted_per_context_and_says_read_only() {
    let mut state = lab_state(StateOptions { context: "prod", tint: Some(Color::Red), ..Default::default() });
    state.session.read_only = Some("context prod is read-only".into());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| vigil::ui::render(f, &state)).unwrap();
    let buffer = terminal.backend().buffer();
    for x in 0..80 {
        assert_eq!(buffer[(x, 0)].bg, Color::Red, "header cell {x} carries the tint");
    }
    assert_ne!(buffer[(0, 1)].bg, Color::Red, "only the header is tinted");
    let text = frame_text(&state, 80, 24);
    assert!(text.lines().next().unwrap().contains("ctx prod [read-only]"), "{text}");
}

#[test]
fn alerts_view_at_80x24_and_160x48() {
    let mut state = lab_state(StateOptions::default());
    on_action(&mut state, Action::CommandLine);
    for c in "alerts".chars() {
        update(&mut state, Msg::Key(KeyEvent::from(KeyCode::Char(c))));
    }
    update(&mut state, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("ModelErrorRatioHigh") && text.contains("2 firing"), "{text}");
    insta::assert_snapshot!("alerts_80x24", text);
    let mut large = lab_state(StateOptions { width: 160, height: 48, ..Default::default() });
    large.view = vigil::app::state::View::Alerts;
    insta::assert_snapshot!("alerts_160x48", frame_text(&large, 160, 48));
    // `-` goes back to the fleet.
    on_action(&mut state, Action::PreviousView);
    assert_eq!(state.view, vigil::app::state::View::Fleet);
}

#[test]
fn fleet_rows_count_the_alerts_of_each_model() {
    let state = lab_state(StateOptions { width: 120, height: 30, ..Default::default() });
    let text = frame_text(&state, 120, 30);
    let fraud = text.lines().find(|l| l.contains("fraud-detector")).unwrap();
    assert!(fraud.contains("2!"), "two firing alerts on the bad canary's model: {fraud}");
}

fn type_text(state: &mut vigil::app::state::AppState, text: &str) {
    for c in text.chars() {
        update(state, Msg::Key(KeyEvent::from(KeyCode::Char(c))));
    }
}

fn enter(state: &mut vigil::app::state::AppState) -> vigil::app::update::Outcome {
    update(state, Msg::Key(KeyEvent::from(KeyCode::Enter)))
}

#[test]
fn silencing_an_alert_asks_duration_reason_and_the_typed_model_name() {
    let mut state = lab_state(StateOptions::default());
    state.session.can_silence = true;
    state.view = vigil::app::state::View::Alerts;
    on_action(&mut state, Action::Silence);
    // The duration prompt starts at 2h; enter accepts it.
    assert_eq!(enter(&mut state).effect, None);
    type_text(&mut state, "canary known bad, rollback under way");
    assert_eq!(enter(&mut state).effect, None);
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("type fraud-detector"), "{text}");
    insta::assert_snapshot!("silence_confirmation_80x24", text);

    // A wrong name changes nothing.
    type_text(&mut state, "fraud");
    assert_eq!(enter(&mut state).effect, None);
    assert!(state.flash.as_ref().unwrap().text.contains("nothing changed"));

    // The right name hands the change to the runner.
    on_action(&mut state, Action::Silence);
    enter(&mut state);
    type_text(&mut state, "rollback under way");
    enter(&mut state);
    type_text(&mut state, "fraud-detector");
    match enter(&mut state).effect {
        Some(Effect::Apply(Change::CreateSilence { matchers, duration, reason, target })) => {
            assert_eq!(target, "fraud-detector");
            assert_eq!(duration, std::time::Duration::from_secs(7200));
            assert_eq!(reason, "rollback under way");
            assert!(matchers.iter().any(|m| m.name == "alertname" && m.value == "ModelErrorRatioHigh"));
        }
        other => panic!("expected a silence to apply, got {other:?}"),
    }
}

#[test]
fn a_read_only_session_refuses_to_start_a_silence() {
    let mut state = lab_state(StateOptions::default());
    state.session.can_silence = true;
    state.session.read_only = Some("--read-only".into());
    state.view = vigil::app::state::View::Alerts;
    on_action(&mut state, Action::Silence);
    assert!(state.prompt.is_none(), "no prompt opens");
    assert_eq!(state.flash.as_ref().unwrap().text, "read-only (--read-only): silences cannot be changed here");
}

#[test]
fn escape_cancels_a_change_half_way() {
    let mut state = lab_state(StateOptions::default());
    state.session.can_silence = true;
    state.view = vigil::app::state::View::Alerts;
    on_action(&mut state, Action::Silence);
    enter(&mut state);
    update(&mut state, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert!(state.prompt.is_none() && state.draft.is_none() && state.confirming.is_none());
    assert_eq!(state.flash.as_ref().unwrap().text, "cancelled: nothing changed");
}

fn model_state(width: u16, height: u16, glyphs: Glyphs) -> vigil::app::state::AppState {
    let mut state = lab_state(StateOptions { width, height, glyphs, ..Default::default() });
    let now = support::fixed_now();
    let sim = vigil::lab::Simulator::new(vigil::lab::LabOptions {
        seed: 42,
        scenario: Scenario::BadDeploy,
        models: 12,
        anchor: now,
    });
    // Enter on the top row (the worst model) opens it.
    let outcome = on_action(&mut state, Action::Open);
    assert!(matches!(outcome.effect, Some(Effect::WatchModel { ref model, .. }) if model == "fraud-detector"));
    let query = vigil::sources::ModelQuery::new("fraud-detector", now, std::time::Duration::from_secs(3600));
    let mut feed = vigil::collect::Feed::empty("demo".into());
    feed.latest = Some(std::sync::Arc::new(vigil::lab::detail::model_detail(&sim, &query).unwrap()));
    feed.latest_fetched_at = Some(now);
    feed.attempts = 1;
    update(&mut state, Msg::ModelFeed(feed));
    state
}

#[test]
fn model_view_at_80x24_and_160x48() {
    let state = model_state(80, 24, Glyphs::UNICODE);
    let text = frame_text(&state, 80, 24);
    for expected in
        ["MODEL  fraud-detector", "requests/s", "error %", "p99 latency", "challenger", "ModelErrorRatioHigh"]
    {
        assert!(text.contains(expected), "`{expected}` on screen:\n{text}");
    }
    insta::assert_snapshot!("model_80x24", text);
    let large = model_state(160, 48, Glyphs::UNICODE);
    insta::assert_snapshot!("model_160x48", frame_text(&large, 160, 48));
    let ascii = model_state(80, 24, Glyphs::ASCII);
    let text = frame_text(&ascii, 80, 24);
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!("model_ascii_80x24", text);
}

#[test]
fn changing_the_range_asks_for_new_data_and_drops_late_answers() {
    let mut state = model_state(80, 24, Glyphs::UNICODE);
    let outcome = on_action(&mut state, Action::RangeLonger);
    match outcome.effect {
        Some(Effect::WatchModel { model, range }) => {
            assert_eq!(model, "fraud-detector");
            assert_eq!(range, std::time::Duration::from_secs(6 * 3600));
        }
        other => panic!("{other:?}"),
    }
    assert!(state.model_view.as_ref().unwrap().feed.latest.is_none(), "old range's data is not shown as the new");
    // An answer for the 1h range arriving now is ignored.
    let stale = model_state(80, 24, Glyphs::UNICODE).model_view.unwrap().feed;
    assert!(!update(&mut state, Msg::ModelFeed(stale)).redraw);
    assert!(state.model_view.as_ref().unwrap().feed.latest.is_none());
}

#[test]
fn at_in_the_command_line_travels_in_time_and_now_returns() {
    let mut state = lab_state(StateOptions::default());
    on_action(&mut state, Action::CommandLine);
    type_text(&mut state, "at -2h");
    match enter(&mut state).effect {
        Some(Effect::TimeTravel(Some(at))) => assert_eq!(at, support::fixed_now() - chrono::Duration::hours(2)),
        other => panic!("{other:?}"),
    }
    on_action(&mut state, Action::CommandLine);
    type_text(&mut state, "at now");
    assert_eq!(enter(&mut state).effect, Some(Effect::TimeTravel(None)));
    on_action(&mut state, Action::CommandLine);
    type_text(&mut state, "at tomorrow");
    assert_eq!(enter(&mut state).effect, None);
    assert!(state.flash.as_ref().unwrap().is_error);
}

#[test]
fn a_direct_scrape_is_marked_in_the_header_and_status_source() {
    let mut state = lab_state(StateOptions { width: 160, height: 10, ..Default::default() });
    let mut feed = state.feed.clone();
    let mut metrics = (*feed.latest.clone().unwrap()).clone();
    metrics.via = Some("direct scrape of 2 targets — prometheus http://p:9090 unreachable".into());
    feed.latest = Some(std::sync::Arc::new(metrics));
    state.apply_feed(feed);
    let text = frame_text(&state, 160, 10);
    let header = text.lines().next().unwrap();
    assert!(header.contains("DIRECT SCRAPE"), "{header}");
    // Narrow, the label stays even when the long source text is dropped.
    assert!(frame_text(&state, 80, 10).lines().next().unwrap().contains("DIRECT SCRAPE"));
    assert!(header.contains("direct scrape of 2 targets"), "{header}");
    let report = state.fleet.report.as_ref().unwrap();
    assert!(report.models.iter().all(|m| m.source.starts_with("direct scrape of 2 targets")));
}

#[test]
fn the_latency_chart_cycles_through_quantiles() {
    let mut state = model_state(100, 30, Glyphs::UNICODE);
    assert!(frame_text(&state, 100, 30).contains("p99 latency"));
    on_action(&mut state, Action::CycleQuantile);
    assert!(frame_text(&state, 100, 30).contains("p95 latency"));
    on_action(&mut state, Action::CycleQuantile);
    assert!(frame_text(&state, 100, 30).contains("p50 latency"));
}

#[test]
fn slo_view_at_80x24_and_160x48_with_budgets_in_the_fleet() {
    let mut state = lab_state(StateOptions::default());
    support::with_slos(&mut state, Scenario::BadDeploy, 12);
    on_action(&mut state, Action::CommandLine);
    type_text(&mut state, "slo");
    enter(&mut state);
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("SLO  24 SLOs") && text.contains("fraud-detector-availability"), "{text}");
    insta::assert_snapshot!("slo_80x24", text);
    let mut large = lab_state(StateOptions { width: 160, height: 48, ..Default::default() });
    support::with_slos(&mut large, Scenario::BadDeploy, 12);
    large.view = vigil::app::state::View::Slo;
    insta::assert_snapshot!("slo_160x48", frame_text(&large, 160, 48));

    // The fleet shows each model's lowest budget.
    on_action(&mut state, Action::PreviousView);
    let fleet = frame_text(&state, 160, 20);
    assert!(fleet.contains("BUDG") && fleet.contains("79%"), "{fleet}");
    let report = state.fleet.report.as_ref().unwrap();
    assert!(report.models.iter().all(|m| m.budget_remaining.is_some()));

    // The model view lists the model's SLOs.
    let mut model = model_state(120, 40, Glyphs::UNICODE);
    support::with_slos(&mut model, Scenario::BadDeploy, 12);
    let text = frame_text(&model, 120, 40);
    assert!(text.contains("SLO fraud-detector-availability availability 99.5% · budget 79%"), "{text}");
}

#[test]
fn enter_on_an_slo_shows_its_burn_down_and_thresholds() {
    let mut state = lab_state(StateOptions::default());
    support::with_slos(&mut state, Scenario::BadDeploy, 12);
    state.view = vigil::app::state::View::Slo;
    let outcome = on_action(&mut state, Action::Open);
    let Some(Effect::WatchSlo(definition)) = outcome.effect else { panic!("{outcome:?}") };
    assert_eq!(definition.name, "fraud-detector-availability");
    let sim = vigil::lab::Simulator::new(vigil::lab::LabOptions {
        seed: 42,
        scenario: Scenario::BadDeploy,
        models: 12,
        anchor: support::fixed_now(),
    });
    let series = vigil::lab::slo::SloCounter::default().series(&sim, &definition, support::fixed_now()).unwrap();
    let mut feed = vigil::collect::Feed::empty("demo".into());
    feed.latest = Some(std::sync::Arc::new(series));
    feed.latest_fetched_at = Some(support::fixed_now());
    feed.attempts = 1;
    update(&mut state, Msg::SloSeries(feed));
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("budget left over 30d") && text.contains("alert thresholds"), "{text}");
    insta::assert_snapshot!("slo_detail_80x24", text);
    insta::assert_snapshot!("slo_detail_160x48", frame_text(&state, 160, 48));
    // The burn-down ends where the SLO table's budget stands.
    let entry = state.slo.latest.as_ref().unwrap().iter().find(|e| e.name == definition.name).unwrap().clone();
    let down = state.slo_detail.as_ref().unwrap().feed.latest.as_ref().unwrap().burn_down(&definition.objective);
    let last = down.last().unwrap().unwrap();
    assert!(
        (last - entry.state.budget_remaining.unwrap()).abs() < 1e-9,
        "{last} vs {:?}",
        entry.state.budget_remaining
    );
}

fn registry_state(width: u16, height: u16, glyphs: Glyphs) -> vigil::app::state::AppState {
    let mut state = lab_state(StateOptions { width, height, glyphs, ..Default::default() });
    support::with_registry(&mut state, Scenario::BadDeploy, 12);
    on_action(&mut state, Action::CommandLine);
    type_text(&mut state, "registry");
    enter(&mut state);
    assert_eq!(state.view, vigil::app::state::View::Registry);
    state
}

#[test]
fn registry_view_at_80x24_and_160x48() {
    let state = registry_state(80, 24, Glyphs::UNICODE);
    let text = frame_text(&state, 80, 24);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with(" REGISTRY  12 models · 74 versions · 6 failed · live · 14:00:00Z"), "{text}");
    // The worst model first, its alias holder with its live numbers beside it.
    assert!(lines[3].starts_with("✖ fraud-detector  10 versions · champion v10 · v10 errors 10.4% ≥ 5%"), "{text}");
    assert!(lines[4].starts_with("  v10   champion   ✔ ready       26%   45.4  10.4%  1.76s 40m ago"), "{text}");
    assert!(text.contains("✖ failed"), "a failed registration is on screen:\n{text}");
    assert!(lines[23].contains("enter model"), "{text}");
    assert!(text.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80));
    insta::assert_snapshot!("registry_80x24", text);
    let large = registry_state(160, 48, Glyphs::UNICODE);
    let text = frame_text(&large, 160, 48);
    assert!(text.contains("s3://models/fraud-detector/10") && text.contains("validation_status=passed"), "{text}");
    assert!(text.contains("metrics label challenger v10, champion v9"), "{text}");
    insta::assert_snapshot!("registry_160x48", text);
    let mut help = registry_state(80, 24, Glyphs::UNICODE);
    on_action(&mut help, Action::Help);
    let text = frame_text(&help, 80, 24);
    assert!(text.contains("keys · registry") && text.contains("open the selected row"), "{text}");
    let ascii = frame_text(&registry_state(80, 24, Glyphs::ASCII), 80, 24);
    assert!(ascii.is_ascii() && ascii.contains("X fraud-detector") && ascii.contains("+ ready"), "{ascii}");
}

#[test]
fn registry_rows_move_filter_and_open_the_model() {
    let mut state = registry_state(80, 24, Glyphs::UNICODE);
    // Enter on the first row (fraud-detector) opens its model view.
    match on_action(&mut state, Action::Open).effect {
        Some(Effect::WatchModel { model, .. }) => assert_eq!(model, "fraud-detector"),
        other => panic!("{other:?}"),
    }
    assert_eq!(state.view, vigil::app::state::View::Model);
    on_action(&mut state, Action::PreviousView);
    assert_eq!(state.view, vigil::app::state::View::Registry);
    // Down past fraud-detector's ten versions lands on the next model's row.
    for _ in 0..11 {
        on_action(&mut state, Action::Down);
    }
    assert_eq!(state.selected_registry_model().unwrap().model, "ad-ctr-predictor");
    assert!(frame_text(&state, 80, 24).contains("✔ ad-ctr-predictor"));
    // The filter keeps whole models: the row and its versions.
    state.fleet.filter = vigil::app::fleet_table::Filter::parse("churn");
    let rows = state.registry_rows();
    assert_eq!(rows.len(), 3, "churn-predictor and its two versions: {rows:?}");
    state.registry_table = Default::default();
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("filter /churn/ 1 of 12") && !text.contains("fraud-detector  10 versions"), "{text}");
    state.fleet.filter = vigil::app::fleet_table::Filter::parse("nothing-like-this");
    assert!(frame_text(&state, 80, 24).contains("no model matches the filter"));
}

#[test]
fn a_registry_model_the_metrics_do_not_have_says_so_instead_of_opening() {
    let mut state = registry_state(80, 24, Glyphs::UNICODE);
    // Metrics that call every model something else: nothing joins.
    state.session.registry_names =
        vigil::core::registry_join::NameMapping::new("ml.{model}", Default::default()).unwrap();
    let feed = state.registry.clone();
    state.apply_registry(feed);
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("not in the metrics"), "{text}");
    let outcome = on_action(&mut state, Action::Open);
    assert_eq!(outcome.effect, None);
    assert!(state.flash.as_ref().unwrap().text.contains("is not in this context's metrics"));
}

#[test]
fn registry_view_without_a_registry_or_before_it_answers() {
    let mut state = lab_state(StateOptions::default());
    state.session.no_registry = Some("context prod has no registry: give it `mlflow = { url = \"…\" }`".into());
    state.view = vigil::app::state::View::Registry;
    assert!(frame_text(&state, 80, 24).contains("context prod has no registry: give it `mlflow"));
    state.session.no_registry = None;
    state.registry.source_name = "mlflow http://127.0.0.1:5000".into();
    assert!(frame_text(&state, 80, 24).contains("reading the registry…"));
    let mut failed = state.registry.clone();
    failed.attempts = 1;
    failed.error = Some(vigil::sources::SourceError {
        source_name: "mlflow http://127.0.0.1:5000".into(),
        message: "cannot connect: Connection refused".into(),
    });
    state.apply_registry(failed);
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("registry: cannot connect: Connection refused"), "{text}");
}

#[test]
fn a_failed_refresh_keeps_the_registry_on_screen_marked_stale() {
    let mut state = registry_state(80, 24, Glyphs::UNICODE);
    let mut feed = state.registry.clone();
    feed.attempts += 1;
    feed.error = Some(vigil::sources::SourceError { source_name: "demo registry".into(), message: "timeout".into() });
    update(&mut state, Msg::Registry(feed));
    state.now = support::fixed_now() + chrono::Duration::seconds(42);
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("STALE 42s: timeout") && text.contains("fraud-detector"), "{text}");
}

#[test]
fn registry_view_under_no_color_keeps_meaning() {
    let theme = Theme::load("dark", None).unwrap().monochrome();
    let mut state = lab_state(StateOptions { theme, ..Default::default() });
    support::with_registry(&mut state, Scenario::BadDeploy, 12);
    state.view = vigil::app::state::View::Registry;
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| vigil::ui::render(f, &state)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    assert!(buffer.content().iter().all(|c| matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset)));
    // Row 3 is the cursor's (fraud-detector): reversed across the whole width.
    assert!((0..80).all(|x| buffer[(x, 3)].modifier.contains(Modifier::REVERSED)), "the cursor row is reversed");
    // The champion's version and alias are bold; an older version is not.
    assert!(buffer[(2, 4)].modifier.contains(Modifier::BOLD) && buffer[(8, 4)].modifier.contains(Modifier::BOLD));
    assert!(!buffer[(2, 6)].modifier.contains(Modifier::BOLD));
}

fn model_with_registry(width: u16, height: u16) -> vigil::app::state::AppState {
    let mut state = model_state(width, height, Glyphs::UNICODE);
    support::with_registry(&mut state, Scenario::BadDeploy, 12);
    state
}

#[test]
fn model_view_with_its_registry_panel() {
    let state = model_with_registry(80, 24);
    let text = frame_text(&state, 80, 24);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[20].starts_with(" registry · champion v10 · metrics label challenger v10, champion v9"),
        "the panel's title says where the metrics disagree:\n{text}"
    );
    assert!(
        lines[21].starts_with("v10     champion ✔ ready   40m ago  m.lindqvist s3://models/fraud-detector/10"),
        "{text}"
    );
    assert!(lines[22].starts_with("v9               ✔ ready   5d ago   ci-bot"), "{text}");
    assert!(text.contains("firing ModelErrorRatioHigh"), "the alerts keep their place:\n{text}");
    assert!(text.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80));
    insta::assert_snapshot!("model_with_registry_80x24", text);
    let large = frame_text(&model_with_registry(160, 48), 160, 48);
    assert!(large.contains("2 older in :registry") && large.contains("v3 "), "{large}");
    insta::assert_snapshot!("model_with_registry_160x48", large);
    // Too short for charts and a panel: the panel gives way.
    let short = frame_text(&model_with_registry(80, 18), 80, 18);
    assert!(!short.contains(" registry ·") && short.contains("requests/s"), "{short}");
}
