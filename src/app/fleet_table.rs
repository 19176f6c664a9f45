//! The fleet table's rows: which models are shown (filter) and in what order
//! (sort). Pure and cheap to recompute when data, filter or sort change — it
//! is never recomputed while drawing.

use std::cmp::Ordering;

use regex::Regex;

use crate::core::health::{ModelHealth, Status};

/// The fleet table's columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Status,
    Model,
    Environment,
    Versions,
    Alerts,
    Budget,
    RequestsPerSecond,
    ErrorRatio,
    LatencyP50,
    LatencyP99,
    History,
    Reason,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Status,
        Column::Model,
        Column::Environment,
        Column::Versions,
        Column::Alerts,
        Column::Budget,
        Column::RequestsPerSecond,
        Column::ErrorRatio,
        Column::LatencyP50,
        Column::LatencyP99,
        Column::History,
        Column::Reason,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Status => "ST",
            Column::Model => "MODEL",
            Column::Environment => "ENV",
            Column::Versions => "SERVING",
            Column::Alerts => "ALERTS",
            Column::Budget => "BUDGET",
            Column::RequestsPerSecond => "REQ/S",
            Column::ErrorRatio => "ERR%",
            Column::LatencyP50 => "P50",
            Column::LatencyP99 => "P99",
            Column::History => "LAST HOUR",
            Column::Reason => "REASON",
        }
    }

    /// For narrow columns.
    pub fn short_title(self) -> &'static str {
        match self {
            Column::History => "1H",
            Column::Versions => "VERS",
            Column::Alerts => "ALRT",
            Column::Budget => "BUDG",
            other => other.title(),
        }
    }

    /// Long name for the sort indicator and help.
    pub fn label(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Model => "model",
            Column::Environment => "environment",
            Column::Versions => "serving versions",
            Column::Alerts => "alerts (firing, pending, silenced)",
            Column::Budget => "error budget left (the SLO closest to running out)",
            Column::RequestsPerSecond => "requests/s",
            Column::ErrorRatio => "error %",
            Column::LatencyP50 => "p50 latency",
            Column::LatencyP99 => "p99 latency",
            Column::History => "change over the last hour",
            Column::Reason => "reason",
        }
    }

    /// Numbers read best largest-first; names alphabetically.
    fn descending_by_default(self) -> bool {
        !matches!(self, Column::Model | Column::Environment | Column::Versions | Column::Reason)
    }

    fn step(self, delta: isize) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0) as isize;
        let n = Column::ALL.len() as isize;
        Column::ALL[(i + delta).rem_euclid(n) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    /// Worst first: what needs attention is at the top.
    fn default() -> Self {
        Sort { column: Column::Status, descending: true }
    }
}

impl Sort {
    pub fn next(self) -> Sort {
        let column = self.column.step(1);
        Sort { column, descending: column.descending_by_default() }
    }

    pub fn previous(self) -> Sort {
        let column = self.column.step(-1);
        Sort { column, descending: column.descending_by_default() }
    }

    pub fn reversed(self) -> Sort {
        Sort { descending: !self.descending, ..self }
    }
}

/// `/text` keeps rows matching `text` (a case-insensitive regex, or the
/// literal text when it is not a valid regex); `/!text` keeps the others.
#[derive(Debug, Clone)]
pub struct Filter {
    pub text: String,
    pub inverted: bool,
    matcher: Matcher,
    /// Set when the text was not a valid regex and is matched literally.
    pub regex_error: Option<String>,
}

#[derive(Debug, Clone)]
enum Matcher {
    Regex(Regex),
    Literal(String),
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Filter {
    /// Parses what was typed after `/`. Empty text (or a lone `!`) is no filter.
    pub fn parse(typed: &str) -> Option<Filter> {
        let (inverted, pattern) = match typed.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, typed),
        };
        if pattern.is_empty() {
            return None;
        }
        let (matcher, regex_error) =
            match regex::RegexBuilder::new(pattern).case_insensitive(true).size_limit(1 << 20).build() {
                Ok(re) => (Matcher::Regex(re), None),
                Err(e) => (Matcher::Literal(pattern.to_lowercase()), Some(first_line(&e.to_string()))),
            };
        Some(Filter { text: typed.to_string(), inverted, matcher, regex_error })
    }

    /// Matches the model name, environment, versions, aliases and reason.
    pub fn matches(&self, model: &ModelHealth) -> bool {
        let mut haystacks = vec![model.model.as_str(), model.reason.as_str(), model.status.as_str()];
        if let Some(env) = &model.environment {
            haystacks.push(env);
        }
        for v in &model.versions {
            if let Some(version) = &v.version {
                haystacks.push(version);
            }
            haystacks.extend(v.aliases.iter().map(String::as_str));
        }
        self.hit(&haystacks)
    }
}

impl Filter {
    /// Matches any of `texts`.
    pub fn matches_text(&self, texts: &[&str]) -> bool {
        self.hit(texts)
    }

    /// Matches an alert's name, model, severity, state and summary.
    pub fn matches_alert(&self, alert: &crate::core::alerts::AlertEntry) -> bool {
        let mut haystacks = vec![alert.name.as_str(), alert.state.label(), alert.summary.as_str()];
        haystacks.extend(alert.model.as_deref());
        haystacks.extend(alert.severity.as_deref());
        self.hit(&haystacks)
    }

    fn hit(&self, haystacks: &[&str]) -> bool {
        let hit = haystacks.iter().any(|h| match &self.matcher {
            Matcher::Regex(re) => re.is_match(h),
            Matcher::Literal(text) => h.to_lowercase().contains(text),
        });
        hit != self.inverted
    }
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

/// Indices into `models` of the rows to show, filtered and sorted.
pub fn visible_rows(models: &[ModelHealth], filter: Option<&Filter>, sort: Sort) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..models.len()).filter(|&i| filter.is_none_or(|f| f.matches(&models[i]))).collect();
    rows.sort_by(|&a, &b| {
        let (ma, mb) = (&models[a], &models[b]);
        let primary = compare(sort.column, ma, mb);
        let primary = if sort.descending { primary.reverse() } else { primary };
        // Ties break by name so the order never jumps around between refreshes.
        primary.then_with(|| ma.model.cmp(&mb.model))
    });
    rows
}

fn compare(column: Column, a: &ModelHealth, b: &ModelHealth) -> Ordering {
    match column {
        Column::Status => a.status.cmp(&b.status),
        Column::Model => a.model.cmp(&b.model),
        Column::Environment => a.environment.cmp(&b.environment),
        Column::Versions => versions_key(a).cmp(&versions_key(b)),
        Column::Alerts => a.alerts.cmp(&b.alerts),
        // Least budget first when descending: reverse the natural order.
        Column::Budget => cmp_opt(b.budget_remaining, a.budget_remaining),
        Column::RequestsPerSecond => cmp_opt(a.requests_per_second, b.requests_per_second),
        Column::ErrorRatio => cmp_opt(a.error_ratio, b.error_ratio),
        Column::LatencyP50 => cmp_opt(a.latency_p50_seconds, b.latency_p50_seconds),
        Column::LatencyP99 => cmp_opt(a.latency_p99_seconds, b.latency_p99_seconds),
        Column::History => cmp_opt(hour_change(a), hour_change(b)),
        Column::Reason => a.reason.cmp(&b.reason),
    }
}

/// Missing values sort below every number, whichever the direction.
fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

fn versions_key(m: &ModelHealth) -> (usize, Vec<String>) {
    (m.versions.len(), m.versions.iter().map(|v| v.version.clone().unwrap_or_default()).collect())
}

/// Relative change of the request rate across the last hour (last vs first
/// known point): what is moving sorts to the top.
pub fn hour_change(m: &ModelHealth) -> Option<f64> {
    let first = m.history.iter().flatten().next()?;
    let last = m.history.iter().rev().flatten().next()?;
    if *first <= 0.0 {
        return None;
    }
    Some((last - first).abs() / first)
}

/// Status order used in the summary: worst first.
pub const STATUS_ORDER: [Status; 4] = [Status::Critical, Status::Warning, Status::Unknown, Status::Ok];

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, status: Status, rps: Option<f64>, env: &str) -> ModelHealth {
        ModelHealth {
            model: name.into(),
            environment: Some(env.into()),
            status,
            reason: "healthy".into(),
            requests_per_second: rps,
            error_ratio: None,
            latency_p50_seconds: None,
            latency_p99_seconds: None,
            latency_average_seconds: None,
            versions: vec![],
            history: vec![],
            source: "demo".into(),
            age_seconds: None,
            alerts: None,
            budget_remaining: None,
        }
    }

    fn fleet() -> Vec<ModelHealth> {
        vec![
            model("churn", Status::Ok, Some(5.0), "prod"),
            model("fraud", Status::Critical, Some(50.0), "prod"),
            model("ads", Status::Ok, None, "staging"),
            model("eta", Status::Warning, Some(1.0), "prod"),
        ]
    }

    fn names(models: &[ModelHealth], rows: &[usize]) -> Vec<String> {
        rows.iter().map(|&i| models[i].model.clone()).collect()
    }

    #[test]
    fn default_sort_puts_the_worst_first_and_breaks_ties_by_name() {
        let f = fleet();
        assert_eq!(names(&f, &visible_rows(&f, None, Sort::default())), ["fraud", "eta", "ads", "churn"]);
    }

    #[test]
    fn numeric_columns_sort_descending_and_missing_values_last() {
        let f = fleet();
        let by_rps = Sort::default().next().next().next().next().next().next();
        assert_eq!(by_rps.column, Column::RequestsPerSecond);
        assert_eq!(names(&f, &visible_rows(&f, None, by_rps)), ["fraud", "churn", "eta", "ads"]);
        assert_eq!(names(&f, &visible_rows(&f, None, by_rps.reversed())), ["ads", "eta", "churn", "fraud"]);
    }

    #[test]
    fn sort_cycles_through_every_column_both_ways() {
        let mut s = Sort::default();
        for _ in 0..Column::ALL.len() {
            s = s.next();
        }
        assert_eq!(s.column, Column::Status);
        assert_eq!(Sort::default().previous().column, Column::Reason);
    }

    #[test]
    fn filter_is_a_case_insensitive_regex_that_can_be_inverted() {
        let f = fleet();
        let only = Filter::parse("^(FRAUD|eta)$").unwrap();
        assert_eq!(names(&f, &visible_rows(&f, Some(&only), Sort::default())), ["fraud", "eta"]);
        let not_prod = Filter::parse("!prod").unwrap();
        assert_eq!(names(&f, &visible_rows(&f, Some(&not_prod), Sort::default())), ["ads"]);
        assert!(Filter::parse("").is_none());
        assert!(Filter::parse("!").is_none());
    }

    #[test]
    fn an_invalid_regex_falls_back_to_literal_text_and_says_so() {
        let f = fleet();
        let broken = Filter::parse("fraud(").unwrap();
        assert!(broken.regex_error.is_some());
        assert!(visible_rows(&f, Some(&broken), Sort::default()).is_empty());
        let literal = Filter::parse("chur[").unwrap();
        assert!(literal.regex_error.is_some());
        let mut with_bracket = fleet();
        with_bracket[0].model = "chur[n".into();
        assert_eq!(names(&with_bracket, &visible_rows(&with_bracket, Some(&literal), Sort::default())), ["chur[n"]);
    }
}
