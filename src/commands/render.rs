//! `vigil render`: one frame of a view as plain text, drawn by exactly the
//! code the console uses. For READMEs, bug reports and tests.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use std::time::Duration;

use crate::app::state::{AppState, ModelView, View};
use crate::cli::{RenderArgs, ViewName};
use crate::collect::Feed;
use crate::launch::{Failure, Setup, no_registry};
use crate::sources::ModelQuery;
use crate::sources::SourceError;
use crate::ui;

pub async fn run(setup: &Setup, args: &RenderArgs) -> Result<u8, Failure> {
    let state = prepare(setup, args).await?;
    let (width, height) = args.size;
    print!("{}", frame_text(&state, width, height));
    Ok(0)
}

/// The state the console would have once the first data arrived.
pub async fn prepare(setup: &Setup, args: &RenderArgs) -> Result<AppState, Failure> {
    let context = setup.initial_context()?;
    let sources = setup.sources(&context)?;
    let source = Arc::clone(&sources.metrics);
    let metrics = super::fetch_fleet(&source, setup.at.unwrap_or_else(chrono::Utc::now)).await?;
    let alerts = match &sources.alerts {
        Some(alerts) => Some((alerts.name(), super::fetch_alerts(alerts, setup.at).await)),
        None => None,
    };
    let mut state = AppState::new(
        setup.session(&context, &sources),
        setup.theme(&setup.theme_name())?,
        setup.glyphs(),
        Arc::new(setup.keymap()?),
        source.name(),
    );
    let (width, height) = args.size;
    state.width = width;
    state.height = height;
    // The frame shows the data as just fetched: "now" is the data's instant
    // plus nothing, so the same --at always renders the same text.
    state.now = setup.at.unwrap_or(metrics.at);
    let mut feed = Feed::empty(source.name());
    feed.latest_fetched_at = Some(state.now);
    feed.latest = Some(Arc::new(metrics));
    feed.attempts = 1;
    state.apply_feed(feed);
    if let Some((name, result)) = alerts {
        let mut feed = Feed::empty(name.clone());
        feed.attempts = 1;
        match result {
            Ok(snapshot) => {
                feed.latest = Some(Arc::new(snapshot));
                feed.latest_fetched_at = Some(state.now);
            }
            Err(message) => feed.error = Some(SourceError { source_name: name, message }),
        }
        state.apply_alerts(feed);
    }
    if args.view == ViewName::Alerts {
        state.view = View::Alerts;
    }
    if args.view == ViewName::Slo {
        let report = super::slo::collect(setup, args.model.as_deref()).await?;
        let mut feed = Feed::empty(report.source.clone());
        feed.latest = Some(Arc::new(report.slos));
        feed.latest_fetched_at = Some(state.now);
        feed.attempts = 1;
        state.apply_slo(feed);
        state.view = View::Slo;
        return Ok(state);
    }
    if args.view == ViewName::Registry {
        let registry = sources.registry.clone().ok_or_else(|| no_registry(&context))?;
        let models = super::registry::fetch_models(&registry, args.model.as_deref(), &context).await?;
        state.apply_registry(fetched(registry.name(), models, state.now));
        state.view = View::Registry;
        return Ok(state);
    }
    if args.view == ViewName::Playbooks {
        state.playbooks = crate::app::playbooks::Playbooks::new(Ok(setup.playbooks()?.playbooks));
        let _ = crate::app::playbooks::open(&mut state, args.model.clone());
        return Ok(state);
    }
    if args.view == ViewName::Model {
        let Some(model) = &args.model else {
            return Err(Failure::usage("--view model needs --model NAME"));
        };
        let report = state.fleet.report.as_mut().expect("a report was just applied");
        super::status::select_model(&mut report.clone(), model)?;
        let query = ModelQuery::new(model, state.now, Duration::from_secs(3600));
        let detail = match tokio::time::timeout(super::ONE_SHOT_TIMEOUT, source.model(&query)).await {
            Ok(Ok(detail)) => detail,
            Ok(Err(e)) => return Err(Failure::unreachable(e.to_string())),
            Err(_) => return Err(Failure::unreachable(format!("{}: no answer", source.name()))),
        };
        // The registry panel, when the registry has the model; the frame is
        // still worth printing without it.
        if let Some(registry) = sources.registry.clone()
            && let Ok(models) = super::registry::fetch_models(&registry, Some(model), &context).await
        {
            state.apply_registry(fetched(registry.name(), models, state.now));
        }
        let mut view = ModelView::new(model);
        view.feed.latest = Some(Arc::new(detail));
        view.feed.latest_fetched_at = Some(state.now);
        view.feed.attempts = 1;
        state.model_view = Some(view);
        state.view = View::Model;
        return Ok(state);
    }
    if let Some(model) = &args.model {
        let report = state.fleet.report.as_mut().expect("a report was just applied");
        super::status::select_model(report, model)?;
        state.fleet.recompute_rows();
    }
    state.help_open = args.view == ViewName::Help;
    Ok(state)
}

/// A feed holding `value`, fetched at `now`.
fn fetched<T>(source_name: String, value: T, now: chrono::DateTime<chrono::Utc>) -> Feed<T> {
    let mut feed = Feed::empty(source_name);
    feed.latest = Some(Arc::new(value));
    feed.latest_fetched_at = Some(now);
    feed.attempts = 1;
    feed
}

/// Draws `state` at `width`×`height` and returns the cells as lines of text.
pub fn frame_text(state: &AppState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test backend cannot fail");
    terminal.draw(|frame| ui::render(frame, state)).expect("a test backend cannot fail");
    buffer_text(terminal.backend().buffer())
}

/// The buffer's symbols, one line per row, trailing spaces trimmed.
pub fn buffer_text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            // A wide character occupies two cells; the second holds nothing to print.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
