//! The interactive loop: terminal events, collector updates, signals and
//! timers become messages for the reducer; the screen is drawn only when the
//! reducer says something changed. No fixed frame rate: idle means no draws.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::app::playbooks::Playbooks;
use crate::app::state::AppState;
use crate::app::update::{self, Effect, Msg};
use crate::changes;
use crate::collect::{self, Collector, Schedule};
use crate::config::Context;
use crate::core::fleet::FleetMetrics;
use crate::launch::{Failure, Setup, Sources};
use crate::sources::AlertsSnapshot;
use crate::ui::{self, terminal::TerminalGuard};
use chrono::DateTime;
use tokio::sync::watch;

use crate::collect::slo::SloPlan;
use crate::core::model_detail::ModelDetail;
use crate::core::registry::RegisteredModel;
use crate::core::slo::{SloDefinition, SloEntry, SloSeries};
use crate::playbook::audit::actor_name;
use crate::playbook::backends::Backends;
use crate::playbook::plan::{Plan, plan};
use crate::playbook::run::{LEASE, RunEvent, RunOptions, new_run_id, run as run_playbook};
use crate::sources::ModelQuery;
use tokio::sync::mpsc;

/// Resize events come in bursts while a window is dragged: draw once it settles.
const RESIZE_SETTLE: Duration = Duration::from_millis(40);
/// How long one fetch may take before it counts as failed.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Events of a playbook run waiting for the console: a run sends a few per
/// step, so this is room for a whole run while a slow terminal catches up.
const RUN_EVENTS: usize = 64;

/// What a session did, logged when it ends (the redraw benchmark reads it).
#[derive(Debug, Default)]
pub struct SessionStats {
    pub frames: u64,
    pub first_frame: Option<Duration>,
    pub first_data_frame: Option<Duration>,
    pub feed_updates: u64,
}

pub async fn run(setup: Setup, process_start: Instant) -> Result<SessionStats, Failure> {
    let mut context = setup.initial_context()?;
    let sources = setup.sources(&context)?;
    let theme = setup.theme(&setup.theme_name())?;
    let keymap = Arc::new(setup.keymap()?);
    let session = setup.session(&context, &sources);
    let mut state = AppState::new(session, theme, setup.glyphs(), keymap, sources.metrics.name());
    // Loaded once: a broken playbook file is shown in the view, not fatal.
    state.playbooks = Playbooks::new(setup.playbooks().map(|l| l.playbooks).map_err(|e| e.message));
    let backends = setup.backends_for(&context, &sources);
    let mut live = Live::start(sources, backends, &context, setup.at, setup.slo_plan(&context)?);
    state.alerts.source_name = live.alerts_name.clone();
    state.registry.source_name = live.registry_name.clone();
    let audit = setup.audit_log();
    // Results of changes carried out in the background; a change is rare and
    // the operator waits for each, so a small bound is plenty.
    let (changes_done, mut change_results) = tokio::sync::mpsc::channel::<Result<String, String>>(4);
    // Plans come back one per request; the operator waits for each.
    let (plans_done, mut plans) = mpsc::channel::<(u64, Result<Plan, Vec<String>>)>(4);
    // The run under way: its events, in order (a full channel holds the
    // runner back, except for progress lines, which it may drop).
    let mut run_events: Option<mpsc::Receiver<RunEvent>> = None;
    let actor = actor_name();

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
            changed = live.feed.changed() => {
                if changed.is_err() {
                    break;
                }
                stats.feed_updates += 1;
                Msg::Feed(live.feed.borrow_and_update().clone())
            }
            changed = changed_or_pending(live.alerts_feed.as_mut()) => match changed {
                Some(feed) => Msg::Alerts(feed),
                None => continue,
            },
            changed = changed_or_pending(Some(&mut live.slo_feed)) => match changed {
                Some(feed) => Msg::Slo(feed),
                None => continue,
            },
            changed = changed_or_pending(live.slo_series_feed.as_mut()) => match changed {
                Some(feed) => Msg::SloSeries(feed),
                None => continue,
            },
            changed = changed_or_pending(live.model_feed.as_mut()) => match changed {
                Some(feed) => Msg::ModelFeed(feed),
                None => continue,
            },
            changed = changed_or_pending(live.registry_feed.as_mut()) => match changed {
                Some(feed) => Msg::Registry(feed),
                None => continue,
            },
            planned = plans.recv() => match planned {
                Some((ticket, result)) => Msg::Planned { ticket, result: Box::new(result) },
                None => continue,
            },
            event = next_run_event(run_events.as_mut()) => {
                if event.is_none() {
                    run_events = None;
                }
                Msg::Run(event)
            }
            result = change_results.recv() => match result {
                Some(result) => {
                    if let Some(alerts) = &live.alerts {
                        alerts.refresh_now();
                    }
                    Msg::ChangeDone(result)
                }
                None => continue,
            },
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
            Some(Effect::Refresh) => live.refresh_now(),
            Some(Effect::WatchModel { model, range }) => live.watch_model(model, range),
            Some(Effect::WatchSlo(definition)) => live.watch_slo(definition),
            Some(Effect::TimeTravel(at)) => {
                let watching = state.model_view.as_ref().map(|v| (v.model.clone(), v.range()));
                live.travel(at, watching);
                state.session.pinned_at = at;
                state.fleet.report = None;
                state.apply_feed(collect::Feed::empty(live.source_name.clone()));
                state.apply_alerts(collect::Feed::empty(live.alerts_name.clone()));
                state.apply_slo(collect::Feed::empty(live.source_name.clone()));
                if let Some(view) = state.model_view.as_mut() {
                    view.feed = collect::Feed::empty(String::new());
                }
                if let Some(detail) = state.slo_detail.as_mut() {
                    detail.feed = collect::Feed::empty(String::new());
                    live.watch_slo(detail.definition.clone());
                }
                let text = match at {
                    Some(at) => format!("showing {} — :at now returns to live", at.format("%Y-%m-%d %H:%M:%SZ")),
                    None => "live again".to_string(),
                };
                state.flash = Some(crate::app::state::Flash { text, is_error: false });
                dirty = true;
            }
            Some(Effect::Apply(change)) => {
                let alertmanager = live.sources.alertmanager.clone();
                let context = state.session.context.clone();
                let read_only = state.session.read_only.clone();
                let audit = audit.clone();
                let done = changes_done.clone();
                tokio::spawn(async move {
                    let result =
                        changes::apply(&change, &context, read_only.as_deref(), alertmanager.as_ref(), &audit).await;
                    let _ = done.send(result).await;
                });
            }
            Some(Effect::Plan(ask)) => {
                let backends = live.backends.clone();
                let done = plans_done.clone();
                let request = ask.request(actor.clone());
                tokio::spawn(async move {
                    let result = plan(&ask.playbook, &request, &backends).await;
                    let _ = done.send((ask.ticket, result)).await;
                });
            }
            Some(Effect::RunPlaybook(ask)) => {
                let options = RunOptions {
                    // The gate's answer now, not the one from when the plan was shown.
                    read_only: setup.read_only_reason(&context),
                    confirmed: ask.confirmed,
                    reason: ask.reason.clone(),
                    actor: actor.clone(),
                    run_id: new_run_id(),
                    lease: LEASE,
                };
                let (events, receiver) = mpsc::channel(RUN_EVENTS);
                run_events = Some(receiver);
                let backends = live.backends.clone();
                let run_id = options.run_id.clone();
                tokio::spawn(async move {
                    let report = run_playbook(&ask.plan, &backends, &options, Some(&events)).await;
                    tracing::info!(run = %report.run_id, outcome = ?report.outcome, "playbook run ended");
                });
                update::update(&mut state, Msg::RunStarted { run_id, actor: actor.clone() });
            }
            Some(Effect::SwitchContext(name)) => match switch_context(&setup, &name) {
                Ok((new_context, session, new_live)) => {
                    context = new_context;
                    live = new_live;
                    state.playbooks.context_changed();
                    state.model_view = None;
                    state.view = crate::app::state::View::Fleet;
                    state.previous_views.clear();
                    state.session = session;
                    state.source_name = live.source_name.clone();
                    state.fleet = Default::default();
                    state.apply_feed(collect::Feed::empty(live.source_name.clone()));
                    state.apply_alerts(collect::Feed::empty(live.alerts_name.clone()));
                    state.apply_slo(collect::Feed::empty(live.source_name.clone()));
                    state.registry_table = Default::default();
                    state.apply_registry(collect::Feed::empty(live.registry_name.clone()));
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

/// The sources of one context, their collectors, and what changes go to.
struct Live {
    sources: Sources,
    /// What playbooks act on: the same registry and gateway as `sources`.
    backends: Backends,
    refresh: Duration,
    /// `None`: live; `Some`: every collector describes this past instant.
    at: Option<DateTime<Utc>>,
    source_name: String,
    fleet: Collector<FleetMetrics>,
    feed: watch::Receiver<collect::Feed<FleetMetrics>>,
    alerts_name: String,
    alerts: Option<Collector<AlertsSnapshot>>,
    alerts_feed: Option<watch::Receiver<collect::Feed<AlertsSnapshot>>>,
    model: Option<Collector<ModelDetail>>,
    model_feed: Option<watch::Receiver<collect::Feed<ModelDetail>>>,
    slo_plan: SloPlan,
    slo_series: Option<Collector<SloSeries>>,
    slo_series_feed: Option<watch::Receiver<collect::Feed<SloSeries>>>,
    slo: Collector<Vec<SloEntry>>,
    slo_feed: watch::Receiver<collect::Feed<Vec<SloEntry>>>,
    /// Empty when the context has no registry.
    registry_name: String,
    registry: Option<Collector<Vec<RegisteredModel>>>,
    registry_feed: Option<watch::Receiver<collect::Feed<Vec<RegisteredModel>>>>,
}

/// SLO windows reach back days: evaluating them more often than this would
/// load the server for numbers that barely move.
const SLO_REFRESH: Duration = Duration::from_secs(60);

fn spawn_slo(sources: &Sources, plan: &SloPlan, schedule: Schedule) -> Collector<Vec<SloEntry>> {
    let source = Arc::clone(&sources.metrics);
    let plan = plan.clone();
    let schedule = Schedule { refresh: schedule.refresh.max(SLO_REFRESH), timeout: FETCH_TIMEOUT * 3, ..schedule };
    collect::spawn(source.name(), schedule, move |at| {
        let source = Arc::clone(&source);
        let plan = plan.clone();
        async move {
            let definitions = plan.definitions(&source, at).await?;
            collect::slo::evaluate(&source, &definitions, at).await
        }
    })
}

impl Live {
    fn start(
        sources: Sources,
        backends: Backends,
        context: &Context,
        at: Option<DateTime<Utc>>,
        slo_plan: SloPlan,
    ) -> Live {
        let schedule = Schedule { refresh: context.refresh, at, timeout: FETCH_TIMEOUT };
        let source_name = sources.metrics.name();
        let fleet = collect::spawn_fleet(Arc::clone(&sources.metrics), schedule);
        let alerts_name = sources.alerts.as_ref().map(|a| a.name()).unwrap_or_default();
        let alerts = sources.alerts.clone().map(|source| collect::spawn_alerts(source, schedule));
        let slo = spawn_slo(&sources, &slo_plan, schedule);
        let registry_name = sources.registry.as_ref().map(|r| r.name()).unwrap_or_default();
        let registry = sources.registry.clone().map(|source| collect::spawn_registry(source, schedule));
        Live {
            registry_name,
            registry_feed: registry.as_ref().map(|c| c.feed.clone()),
            registry,
            slo_feed: slo.feed.clone(),
            slo,
            slo_plan,
            slo_series: None,
            slo_series_feed: None,
            refresh: context.refresh,
            at,
            source_name,
            feed: fleet.feed.clone(),
            fleet,
            alerts_name,
            alerts_feed: alerts.as_ref().map(|c| c.feed.clone()),
            alerts,
            model: None,
            model_feed: None,
            sources,
            backends,
        }
    }

    fn schedule(&self) -> Schedule {
        Schedule { refresh: self.refresh, at: self.at, timeout: FETCH_TIMEOUT }
    }

    /// Follows `model` over `range` (replacing any model followed before).
    fn watch_model(&mut self, model: String, range: Duration) {
        let source = Arc::clone(&self.sources.metrics);
        let collector = collect::spawn(self.source_name.clone(), self.schedule(), move |at| {
            let source = Arc::clone(&source);
            let query = ModelQuery::new(&model, at, range);
            async move { source.model(&query).await }
        });
        self.model_feed = Some(collector.feed.clone());
        self.model = Some(collector);
    }

    /// Follows one SLO over its period (replacing any followed before).
    fn watch_slo(&mut self, definition: SloDefinition) {
        let source = Arc::clone(&self.sources.metrics);
        let schedule = Schedule { refresh: self.refresh.max(SLO_REFRESH), ..self.schedule() };
        let collector = collect::spawn(self.source_name.clone(), schedule, move |at| {
            let source = Arc::clone(&source);
            let definition = definition.clone();
            async move { source.slo_series(&definition, at).await }
        });
        self.slo_series_feed = Some(collector.feed.clone());
        self.slo_series = Some(collector);
    }

    /// Restarts every collector for another instant (or live).
    fn travel(&mut self, at: Option<DateTime<Utc>>, watching: Option<(String, Duration)>) {
        self.at = at;
        let schedule = self.schedule();
        self.fleet = collect::spawn_fleet(Arc::clone(&self.sources.metrics), schedule);
        self.feed = self.fleet.feed.clone();
        self.alerts = self.sources.alerts.clone().map(|source| collect::spawn_alerts(source, schedule));
        self.alerts_feed = self.alerts.as_ref().map(|c| c.feed.clone());
        self.model = None;
        self.model_feed = None;
        self.slo = spawn_slo(&self.sources, &self.slo_plan, schedule);
        self.slo_feed = self.slo.feed.clone();
        self.slo_series = None;
        self.slo_series_feed = None;
        if let Some((model, range)) = watching {
            self.watch_model(model, range);
        }
    }

    fn refresh_now(&self) {
        self.fleet.refresh_now();
        if let Some(alerts) = &self.alerts {
            alerts.refresh_now();
        }
        if let Some(model) = &self.model {
            model.refresh_now();
        }
        self.slo.refresh_now();
        if let Some(registry) = &self.registry {
            registry.refresh_now();
        }
    }
}

/// The next value of an optional feed; never resolves when there is none
/// (or when its collector has gone).
async fn changed_or_pending<T: Clone>(
    feed: Option<&mut watch::Receiver<collect::Feed<T>>>,
) -> Option<collect::Feed<T>> {
    match feed {
        Some(feed) => match feed.changed().await {
            Ok(()) => Some(feed.borrow_and_update().clone()),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

fn switch_context(setup: &Setup, name: &str) -> Result<(Context, crate::app::state::Session, Live), Failure> {
    let context = setup.context(Some(name))?;
    let sources = setup.sources(&context)?;
    let plan = setup.slo_plan(&context)?;
    let session = setup.session(&context, &sources);
    let backends = setup.backends_for(&context, &sources);
    let live = Live::start(sources, backends, &context, setup.at, plan);
    Ok((context, session, live))
}

/// The next event of the run under way; never resolves when there is none.
async fn next_run_event(events: Option<&mut mpsc::Receiver<RunEvent>>) -> Option<RunEvent> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
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
