//! The frame around every view: the header (context, source, freshness,
//! fleet summary), the view's title line, and the footer (keys, messages,
//! or the prompt being typed).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::action::Action;
use crate::app::fleet_table::STATUS_ORDER;
use crate::app::state::{AppState, Freshness, PromptKind, RegistryRow, View};
use crate::core::alerts::AlertState;
use crate::core::duration::format_age;
use crate::ui::views::fleet::status_style;
use crate::ui::widgets::text::truncate;

/// ` vigil │ ctx prod [read-only] │ ✖1 ▲2 ✔9 │ live · 10:42:13Z │ demo (calm)`
/// The source goes last and is left out first when the terminal is narrow:
/// the context, the verdicts and the data's freshness always stay.
pub fn header(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let bar = match state.session.tint {
        Some(tint) => theme.header.bg(tint).patch(theme.tint_text),
        None => theme.header,
    };
    let sep = Span::styled(format!(" {} ", glyphs.separator), bar);
    let mut spans = vec![
        Span::styled(" vigil", bar.add_modifier(Modifier::BOLD)),
        sep.clone(),
        Span::styled(format!("ctx {}", glyphs.text(&state.session.context)), bar.add_modifier(Modifier::BOLD)),
    ];
    if state.session.read_only.is_some() {
        spans.push(Span::styled(" [read-only]", bar));
    }
    if let Some(report) = &state.fleet.report {
        spans.push(sep.clone());
        let counts: Vec<Span> = STATUS_ORDER
            .iter()
            .filter(|s| report.count(**s) > 0)
            .map(|&status| {
                // On a tint the status colours would clash: keep the glyphs, drop the colour.
                let style = match state.session.tint {
                    Some(_) => bar,
                    None => bar.patch(status_style(theme, status)),
                };
                Span::styled(
                    format!("{}{}", glyphs.status(status), report.count(status)),
                    style.add_modifier(Modifier::BOLD),
                )
            })
            .collect();
        for (i, span) in counts.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" ", bar));
            }
            spans.push(span);
        }
    }
    spans.push(sep.clone());
    if state.degraded().is_some() {
        spans.push(Span::styled("DIRECT SCRAPE ", bar.patch(theme.warning).add_modifier(Modifier::BOLD)));
    }
    spans.push(freshness_span(state, &state.freshness(), bar));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let source = format!("{}{}", sep.content, glyphs.text(state.degraded().unwrap_or(&state.source_name)));
    if used + source.chars().count() <= area.width as usize {
        spans.push(Span::styled(source, bar));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

fn freshness_span(state: &AppState, freshness: &Freshness, bar: Style) -> Span<'static> {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    match freshness.clone() {
        Freshness::Loading => Span::styled(glyphs.text("loading…").into_owned(), bar),
        Freshness::Pinned(at) => Span::styled(
            glyphs.text(&format!("AT {} · time travel", at.format("%Y-%m-%d %H:%M:%SZ"))).into_owned(),
            bar.add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Freshness::Live { updated } => {
            Span::styled(glyphs.text(&format!("live · {}", updated.format("%H:%M:%SZ"))).into_owned(), bar)
        }
        Freshness::Stale { age_seconds, error } => {
            let reason = error.map(|e| format!(": {}", glyphs.text(&e))).unwrap_or_default();
            Span::styled(
                format!("STALE {}{reason}", format_age(age_seconds as f64)),
                bar.patch(theme.warning).add_modifier(Modifier::BOLD),
            )
        }
        Freshness::Unreachable { error } => Span::styled(
            format!("UNREACHABLE: {}", glyphs.text(&error)),
            bar.patch(theme.critical).add_modifier(Modifier::BOLD),
        ),
    }
}

/// The view's title line.
pub fn title(frame: &mut Frame, state: &AppState, area: Rect) {
    match state.view {
        View::Fleet => fleet_title(frame, state, area),
        View::Alerts => alerts_title(frame, state, area),
        View::Model => model_title(frame, state, area),
        View::Slo => slo_title(frame, state, area),
        View::SloDetail => slo_detail_title(frame, state, area),
        View::Registry => registry_title(frame, state, area),
        View::Playbooks => crate::ui::views::playbooks::title(frame, state, area),
    }
}

/// `REGISTRY  12 models · 74 versions · 6 failed · live · 14:00:00Z · demo registry (calm)`
/// The version count and the registry's name go first when the line is
/// too narrow; the counts that matter, the filter and the freshness stay.
fn registry_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dot = glyphs.text(" · ").into_owned();
    let mut spans = vec![Span::styled(" REGISTRY ", theme.accent.add_modifier(Modifier::BOLD))];
    let mut versions = None;
    if let Some(report) = &state.registry_report {
        spans.push(Span::styled(format!(" {} models", report.models.len()), theme.muted));
        versions = Some((spans.len(), Span::styled(format!("{dot}{} versions", report.version_count()), theme.muted)));
        let failed = report.failed_count();
        let style = if failed > 0 { theme.critical } else { theme.muted };
        spans.push(Span::styled(format!("{dot}{failed} failed"), style));
    }
    if let Some(filter) = &state.fleet.filter {
        let shown = state.registry_rows().iter().filter(|r| matches!(r, RegistryRow::Model(_))).count();
        let total = state.registry_report.as_ref().map_or(0, |r| r.models.len());
        let text = format!("{dot}filter /{}/ {shown} of {total}", glyphs.text(&filter.text));
        spans.push(Span::styled(text, theme.accent));
    }
    let source = &state.registry.source_name;
    if !source.is_empty() {
        spans.push(Span::styled(dot.clone(), theme.muted));
        // Registries keep no history: this is now, even while the metrics show the past.
        spans.push(freshness_span(state, &state.live_freshness_of(&state.registry), theme.base));
    }
    let fits = |spans: &[Span], extra: &Span| {
        spans.iter().map(|s| s.width()).sum::<usize>() + extra.width() <= area.width as usize
    };
    if let Some((at, span)) = versions
        && fits(&spans, &span)
    {
        spans.insert(at, span);
    }
    let named = Span::styled(format!("{dot}{}", glyphs.text(source)), theme.muted);
    if !source.is_empty() && fits(&spans, &named) {
        spans.push(named);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// `MODEL fraud-detector ✖ v10 errors 10.4% ≥ 5% · 1h · [ ] range · live`
fn model_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let glyphs = &state.glyphs;
    let dot = glyphs.text(" · ").into_owned();
    let mut spans = vec![Span::styled(" MODEL ", theme.accent.add_modifier(Modifier::BOLD))];
    let Some(view) = &state.model_view else {
        frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
        return;
    };
    spans.push(Span::styled(format!(" {}", glyphs.text(&view.model)), theme.base.add_modifier(Modifier::BOLD)));
    if let Some(health) = state.fleet.report.as_ref().and_then(|r| r.models.iter().find(|m| m.model == view.model)) {
        spans.push(Span::styled(format!(" {} ", glyphs.status(health.status)), status_style(theme, health.status)));
        spans.push(Span::styled(glyphs.text(&health.reason).into_owned(), status_style(theme, health.status)));
    }
    spans.push(Span::styled(format!("{dot}{}", view.range_name()), theme.accent));
    spans.push(Span::styled(dot.clone(), theme.muted));
    spans.push(freshness_span(state, &state.freshness_of(&view.feed), theme.base));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// `SLO fraud-detector-availability · availability 99.5% over 30d · live`
fn slo_detail_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let dot = state.glyphs.text(" · ").into_owned();
    let mut spans = vec![Span::styled(" SLO ", theme.accent.add_modifier(Modifier::BOLD))];
    if let Some(detail) = &state.slo_detail {
        let d = &detail.definition;
        spans.push(Span::styled(format!(" {}", state.glyphs.text(&d.name)), theme.base.add_modifier(Modifier::BOLD)));
        let period = crate::core::duration::format(d.objective.period);
        let percent = (d.objective.target * 100.0 * 1e9).round() / 1e9;
        spans.push(Span::styled(format!("{dot}{} {percent}% over {period}", d.sli.kind()), theme.muted));
        spans.push(Span::styled(dot.clone(), theme.muted));
        spans.push(freshness_span(state, &state.freshness_of(&detail.feed), theme.base));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// `SLO  24 SLOs · 1 paging · 2 tickets · lowest budget 12% · live`
fn slo_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let dot = state.glyphs.text(" · ").into_owned();
    let mut spans = vec![Span::styled(" SLO ", theme.accent.add_modifier(Modifier::BOLD))];
    if let Some(slos) = &state.slo.latest {
        let paging = slos.iter().filter(|s| s.state.pages()).count();
        let tickets = slos.iter().filter(|s| !s.state.pages() && s.state.alerts.iter().any(|a| a.firing)).count();
        spans.push(Span::styled(format!(" {} SLOs", slos.len()), theme.muted));
        spans
            .push(Span::styled(format!("{dot}{paging} paging"), if paging > 0 { theme.critical } else { theme.muted }));
        spans.push(Span::styled(
            format!("{dot}{tickets} tickets"),
            if tickets > 0 { theme.warning } else { theme.muted },
        ));
        if let Some(lowest) = slos.iter().filter_map(|s| s.state.budget_remaining).min_by(f64::total_cmp) {
            spans.push(Span::styled(format!("{dot}lowest budget {:.0}%", lowest * 100.0), theme.muted));
        }
    }
    spans.push(Span::styled(dot.clone(), theme.muted));
    spans.push(freshness_span(state, &state.freshness_of(&state.slo), theme.base));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// `ALERTS  3 firing · 1 pending · 2 silenced · prometheus + alertmanager · live`
fn alerts_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let dot = state.glyphs.text(" · ").into_owned();
    let mut spans = vec![Span::styled(" ALERTS ", theme.accent.add_modifier(Modifier::BOLD))];
    match &state.alerts.latest {
        Some(snapshot) => {
            let count = |s: AlertState| snapshot.alerts.iter().filter(|a| a.state == s).count();
            let firing = count(AlertState::Firing);
            let style = if firing > 0 { theme.critical } else { theme.muted };
            spans.push(Span::styled(format!(" {firing} firing"), style));
            spans.push(Span::styled(format!("{dot}{} pending", count(AlertState::Pending)), theme.muted));
            let muted = count(AlertState::Silenced) + count(AlertState::Inhibited);
            spans.push(Span::styled(format!("{dot}{muted} silenced or inhibited"), theme.muted));
        }
        None => spans.push(Span::styled(" no alerts read yet", theme.muted)),
    }
    let source = &state.alerts.source_name;
    if !source.is_empty() {
        spans.push(Span::styled(format!("{dot}{}", state.glyphs.text(source)), theme.muted));
    }
    spans.push(Span::styled(dot.clone(), theme.muted));
    spans.push(freshness_span(state, &state.freshness_of(&state.alerts), theme.base));
    if let Some(filter) = &state.fleet.filter {
        spans.push(Span::styled(format!("{dot}filter /{}/", state.glyphs.text(&filter.text)), theme.accent));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// `FLEET  12 models · sort status ▼ · filter /fraud/ 3 of 12`
fn fleet_title(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let mut spans = vec![Span::styled(" FLEET ", theme.accent.add_modifier(Modifier::BOLD))];
    let total = state.fleet.report.as_ref().map_or(0, |r| r.models.len());
    spans.push(Span::styled(format!(" {total} models"), theme.muted));
    let sort = state.fleet.sort;
    let arrow = if sort.descending { state.glyphs.descending } else { state.glyphs.ascending };
    let dot = state.glyphs.text(" · ");
    spans.push(Span::styled(format!("{dot}sort {} {arrow}", sort.column.label()), theme.muted));
    if let Some(filter) = &state.fleet.filter {
        let text = format!("{dot}filter /{}/ {} of {total}", state.glyphs.text(&filter.text), state.fleet.rows.len());
        spans.push(Span::styled(text, theme.accent));
        if filter.regex_error.is_some() {
            spans.push(Span::styled(" (literal)", theme.warning));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.base), area);
}

/// The keys that matter in the current view, the message of the moment, or the prompt.
pub fn footer(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    if let Some(prompt) = &state.prompt {
        let esc = " · esc cancels: nothing changes";
        let (sigil, hint) = match prompt.kind {
            PromptKind::Command => (":".to_string(), completion_hint(state)),
            PromptKind::Filter => {
                ("/".to_string(), state.glyphs.text(" regex · /! inverts · enter keeps · esc cancels").into_owned())
            }
            PromptKind::SilenceDuration => ("silence for ".to_string(), format!(" e.g. 30m, 2h, 1d{esc}")),
            PromptKind::Reason => ("reason ".to_string(), format!(" recorded with the change{esc}")),
            PromptKind::Confirm => {
                let target = state.confirming.as_ref().map(|c| c.target().to_string()).unwrap_or_default();
                (format!("type {} to confirm ", state.glyphs.text(&target)), esc.to_string())
            }
        };
        let hint = state.glyphs.text(&hint).into_owned();
        let sigil_width = (sigil.chars().count() as u16).min(area.width / 2);
        let hint_width = hint.chars().count() as u16;
        let input_width = area.width.saturating_sub(sigil_width + hint_width.min(area.width / 3));
        frame.render_widget(
            Paragraph::new(Span::styled(sigil, theme.prompt.add_modifier(Modifier::BOLD))),
            Rect { width: sigil_width, ..area },
        );
        let mut input = prompt.input.clone();
        input.set_style(theme.prompt);
        input.set_cursor_line_style(Style::default());
        input.set_cursor_style(theme.prompt.add_modifier(Modifier::REVERSED));
        frame.render_widget(&input, Rect { x: area.x + sigil_width, width: input_width, ..area });
        let used = sigil_width + input_width;
        let hint_area = Rect { x: area.x + used, width: area.width.saturating_sub(used), ..area };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.muted)), hint_area);
        return;
    }
    if let Some(flash) = &state.flash {
        let style = if flash.is_error { theme.error } else { theme.footer };
        let text = truncate(&state.glyphs.text(&flash.text), area.width as usize, state.glyphs.ellipsis);
        frame.render_widget(Paragraph::new(Span::styled(format!(" {text}"), style)).style(theme.footer), area);
        return;
    }
    let actions: &[(Action, &str)] = if state.help_open {
        &[(Action::Back, "close"), (Action::Help, "close"), (Action::Quit, "quit")]
    } else {
        match state.view {
            View::Fleet => &[
                (Action::Help, "help"),
                (Action::Filter, "filter"),
                (Action::SortNext, "sort"),
                (Action::SortReverse, "reverse"),
                (Action::CommandLine, "command"),
                (Action::Quit, "quit"),
            ],
            View::SloDetail => &[
                (Action::Help, "help"),
                (Action::PreviousView, "back"),
                (Action::TimeTravel, "time travel"),
                (Action::CommandLine, "command"),
                (Action::Quit, "quit"),
            ],
            View::Slo => &[
                (Action::Help, "help"),
                (Action::Filter, "filter"),
                (Action::Open, "burn-down"),
                (Action::PreviousView, "back"),
                (Action::CommandLine, "command"),
                (Action::Quit, "quit"),
            ],
            View::Model => &[
                (Action::Help, "help"),
                (Action::RangeShorter, "shorter"),
                (Action::RangeLonger, "longer"),
                (Action::TimeTravel, "time travel"),
                (Action::PreviousView, "back"),
                (Action::CommandLine, "command"),
            ],
            View::Registry => &[
                (Action::Help, "help"),
                (Action::Filter, "filter"),
                (Action::Open, "model"),
                (Action::PreviousView, "back"),
                (Action::CommandLine, "command"),
                (Action::Quit, "quit"),
            ],
            View::Alerts => &[
                (Action::Help, "help"),
                (Action::Filter, "filter"),
                (Action::Silence, "silence"),
                (Action::ExpireSilence, "expire"),
                (Action::PreviousView, "back"),
                (Action::CommandLine, "command"),
            ],
            View::Playbooks => crate::ui::views::playbooks::footer_actions(state),
        }
    };
    let mut spans = vec![Span::styled(" ", theme.footer)];
    for (action, label) in actions {
        if let Some(key) = state.keymap.keys(*action).first() {
            spans.push(Span::styled(key.to_string(), theme.key));
            spans.push(Span::styled(format!(" {label}  "), theme.footer));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.footer), area);
}

fn completion_hint(state: &AppState) -> String {
    let Some(prompt) = &state.prompt else { return String::new() };
    if prompt.completions.len() > 1 {
        let shown: Vec<&str> = prompt.completions.iter().take(5).map(|s| s.trim()).collect();
        format!(" tab: {}", shown.join(" | "))
    } else {
        state.glyphs.text(" tab completes · ↑↓ history").into_owned()
    }
}
