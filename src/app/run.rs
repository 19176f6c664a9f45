//! The interactive loop: terminal events, collector updates, signals and
//! timers become messages for the reducer; the screen is drawn only when the
//! reducer says something changed. No fixed frame rate: idle means no draws.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::app::state::AppState;
use crate::app::update::{self, Effect, Msg};
use crate::collect::{self, Collector, Schedule};
use crate::core::fleet::FleetMetrics;
use crate::launch::{Failure, Setup};
use crate::ui::{self, terminal::TerminalGuard};

/// Resize events come in bursts while a window is dragged: draw once it settles.
const RESIZE_SETTLE: Duration = Duration::from_millis(40);
/// How long one fetch may take before it counts as failed.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// What a session did, logged when it ends (the redraw benchmark reads it).
#[derive(Debug, Default)]
pub struct SessionStats {
    pub frames: u64,
    pub first_frame: Option<Duration>,
    pub first_data_frame: Option<Duration>,
    pub feed_updates: u64,
}

pub async fn run(setup: Setup, process_start: Instant) -> Result<SessionStats, Failure> {
    let context = setup.initial_context()?;
    let source = setup.metrics_source(&context)?;
    let theme = setup.theme(&setup.theme_name())?;
    let keymap = Arc::new(setup.keymap()?);
    let mut state = AppState::new(setup.session(&context), theme, setup.glyphs(), keymap, source.name());
    let mut collector = spawn(&setup, source, &context);
    let mut feed = collector.feed.clone();

    let mut guard = TerminalGuard::enter().map_err(|e| Failure::usage(format!("cannot open the terminal: {e}")))?;
    let size = guard.terminal.size().map_err(io_failure)?;
    state.width = size.width;
    state.height = size.height;

    let mut terminate = signal(SignalKind::terminate()).map_err(io_failure)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(io_failure)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(io_failure)?;
    let mut events = EventStream::new();
    let mut stats = SessionStats::default();
    let mut dirty = true;
    let mut resize_settles: Option<tokio::time::Instant> = None;

    loop {
        if dirty && resize_settles.is_none() {
            guard.terminal.draw(|frame| ui::render(frame, &state)).map_err(io_failure)?;
            stats.frames += 1;
            let elapsed = process_start.elapsed();
            if stats.first_frame.is_none() {
                stats.first_frame = Some(elapsed);
                tracing::info!(ms = elapsed.as_secs_f64() * 1e3, "first frame");
            }
            if stats.first_data_frame.is_none() && state.fleet.report.is_some() {
                stats.first_data_frame = Some(elapsed);
                tracing::info!(ms = elapsed.as_secs_f64() * 1e3, "first frame with data");
            }
            dirty = false;
        }
        let clock_due = update::next_clock_change(&state).map(|at| {
            let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::time::Instant::now() + wait
        });
        let wake = match (resize_settles, clock_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };

        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => {
                    resize_settles = Some(tokio::time::Instant::now() + RESIZE_SETTLE);
                    Msg::Resize { width, height }
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(io_failure(e)),
                None => break,
            },
            changed = feed.changed() => {
                if changed.is_err() {
                    break;
                }
                stats.feed_updates += 1;
                Msg::Feed(feed.borrow_and_update().clone())
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => break,
            _ = sleep_until(wake), if wake.is_some() => {
                if resize_settles.is_some_and(|t| t <= tokio::time::Instant::now()) {
                    resize_settles = None;
                    dirty = true;
                    continue;
                }
                Msg::Clock(Utc::now())
            }
        };

        state.now = Utc::now();
        let outcome = update::update(&mut state, msg);
        dirty |= outcome.redraw;
        match outcome.effect {
            None => {}
            Some(Effect::Quit) => break,
            Some(Effect::Suspend) => {
                guard.suspend().map_err(io_failure)?;
                dirty = true;
            }
            Some(Effect::Refresh) => collector.refresh_now(),
            Some(Effect::SwitchContext(name)) => match switch_context(&setup, &name) {
                Ok((session, new_collector, source_name)) => {
                    collector = new_collector;
                    feed = collector.feed.clone();
                    state.session = session;
                    state.source_name = source_name.clone();
                    state.fleet = Default::default();
                    state.apply_feed(collect::Feed::empty(source_name));
                    dirty = true;
                }
                Err(e) => {
                    update::update(&mut state, Msg::Error(e.message));
                    dirty = true;
                }
            },
            Some(Effect::LoadTheme(name)) => {
                let loaded = setup.theme(&name).map_err(|e| e.message);
                update::update(&mut state, Msg::ThemeLoaded(loaded));
                dirty = true;
            }
        }
    }
    drop(guard);
    tracing::info!(
        frames = stats.frames,
        feed_updates = stats.feed_updates,
        runtime_s = process_start.elapsed().as_secs_f64(),
        "session ended"
    );
    Ok(stats)
}

fn spawn(
    setup: &Setup,
    source: Arc<dyn crate::sources::MetricsSource>,
    context: &crate::config::Context,
) -> Collector<FleetMetrics> {
    collect::spawn_fleet(source, Schedule { refresh: context.refresh, at: setup.at, timeout: FETCH_TIMEOUT })
}

fn switch_context(
    setup: &Setup,
    name: &str,
) -> Result<(crate::app::state::Session, Collector<FleetMetrics>, String), Failure> {
    let context = setup.context(Some(name))?;
    let source = setup.metrics_source(&context)?;
    let source_name = source.name();
    Ok((setup.session(&context), spawn(setup, source, &context), source_name))
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::usage(format!("terminal: {e}"))
}
