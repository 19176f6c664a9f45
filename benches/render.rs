//! Drawing cost of the fleet view: 1 000 models at 200×60, the frame as the
//! console draws it (ratatui diffing against the previous frame included),
//! plus the reducer work a new snapshot costs (judging, filtering, sorting).
//!
//! Run: cargo bench --bench render

use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigil::app::keymap::Keymap;
use vigil::app::state::{AppState, Session};
use vigil::collect::Feed;
use vigil::core::health::HealthThresholds;
use vigil::lab::{LabOptions, Scenario, Simulator};
use vigil::sources::FleetQuery;
use vigil::ui::glyphs::Glyphs;
use vigil::ui::theme::Theme;

fn state(models: usize) -> (AppState, Feed<vigil::core::fleet::FleetMetrics>) {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z").unwrap().with_timezone(&Utc);
    let sim = Simulator::new(LabOptions { seed: 42, scenario: Scenario::BadDeploy, models, anchor: now });
    let metrics = sim.fleet_metrics(&FleetQuery::at(now));
    let session = Session {
        context: "bench".into(),
        read_only: None,
        tint: None,
        pinned_at: None,
        refresh: std::time::Duration::from_secs(15),
        thresholds: HealthThresholds::default(),
        contexts: vec![],
        themes: vec![],
        can_silence: false,
        registry_names: Default::default(),
        no_registry: None,
    };
    let keymap = Arc::new(Keymap::load("default", None).unwrap());
    let mut state = AppState::new(session, Theme::load("dark", None).unwrap(), Glyphs::UNICODE, keymap, "bench".into());
    state.now = now;
    state.width = 200;
    state.height = 60;
    let mut feed = Feed::empty("bench".into());
    feed.latest = Some(Arc::new(metrics));
    feed.latest_fetched_at = Some(now);
    state.apply_feed(feed.clone());
    (state, feed)
}

fn render_fleet(c: &mut Criterion) {
    let (mut state, feed) = state(1000);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("fleet view, 1000 models, 200x60, one frame", |b| {
        // Alternate the cursor so every frame differs from the last, as when scrolling.
        let mut down = true;
        b.iter(|| {
            vigil::app::update::on_action(
                &mut state,
                if down { vigil::app::action::Action::Down } else { vigil::app::action::Action::Up },
            );
            down = !down;
            terminal.draw(|f| vigil::ui::render(f, &state)).unwrap();
        })
    });
    c.bench_function("apply a new snapshot of 1000 models (judge, filter, sort)", |b| {
        b.iter(|| state.apply_feed(feed.clone()))
    });
}

criterion_group!(benches, render_fleet);
criterion_main!(benches);
