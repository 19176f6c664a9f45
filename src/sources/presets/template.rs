//! Query templates: PromQL with placeholders that are filled in per query.
//!
//! `$window` and `$step` become Prometheus durations, `$filter` the context's
//! extra label matchers, `$model` and `$version` the preset's label names, and
//! `$$` a literal `$`. A `$` that does not start a name (`$1` in a
//! `label_replace` replacement, a regex's `$` anchor before a quote) is kept
//! as it is, so ordinary PromQL needs no escaping.
//!
//! Templates are checked once, when a preset file or the config is read: an
//! unknown `$name` is an error there, with its position, rather than a
//! rejected query at three in the morning. Preset files and the config's
//! `queries` overrides share [`Template::parse`], so both follow one rule.

use std::time::Duration;

use crate::core::diagnostic::did_you_mean;

/// A placeholder a template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Window,
    Step,
    Filter,
    Model,
    Version,
}

impl Var {
    pub const ALL: [Var; 5] = [Var::Window, Var::Step, Var::Filter, Var::Model, Var::Version];

    /// The name after the `$`.
    pub fn name(self) -> &'static str {
        match self {
            Var::Window => "window",
            Var::Step => "step",
            Var::Filter => "filter",
            Var::Model => "model",
            Var::Version => "version",
        }
    }

    fn from_name(name: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Var(Var),
}

/// A checked template, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// One problem in a template's text, at byte `offset` of that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// What the placeholders stand for in one rendering.
pub(crate) struct Values<'a> {
    pub window: Duration,
    pub step: Duration,
    /// Matchers without braces, possibly empty.
    pub filter: &'a str,
    pub model: &'a str,
    /// `None` renders as nothing; presets without a version label are
    /// refused when one of their templates uses `$version`, so that does not
    /// happen for a loaded preset.
    pub version: Option<&'a str>,
}

const PLACEHOLDER_HINT: &str =
    "placeholders are $window, $step, $filter, $model and $version; write $$ for a literal $";

const FILTER_PLACE: &str = "`$filter` must be the last matcher inside braces, as in `metric{$filter}` or \
                            `metric{code=\"500\",$filter}`, so that an empty filter still leaves valid PromQL";

impl Template {
    /// Checks `text` and splits it into literal text and placeholders.
    /// Every problem is reported, not only the first.
    pub fn parse(text: &str) -> Result<Template, Vec<TemplateError>> {
        let mut segments = Vec::new();
        let mut errors = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while let Some(c) = text[i..].chars().next() {
            if c != '$' {
                literal.push(c);
                i += c.len_utf8();
                continue;
            }
            let after = &text[i + 1..];
            if after.starts_with('$') {
                literal.push('$');
                i += 2;
                continue;
            }
            if let Some(braced) = after.strip_prefix('{') {
                let name = &braced[..identifier_len(braced)];
                errors.push(TemplateError {
                    offset: i,
                    message: "placeholders are written without braces".to_string(),
                    hint: Some(if name.is_empty() {
                        "write `$window`".to_string()
                    } else {
                        format!("write `${name}`")
                    }),
                });
                literal.push('$');
                i += 1;
                continue;
            }
            let len = identifier_len(after);
            if len == 0 {
                literal.push('$');
                i += 1;
                continue;
            }
            let name = &after[..len];
            match Var::from_name(name) {
                Some(var) => {
                    if var == Var::Filter && !filter_is_last_matcher(text, i, i + 1 + len) {
                        errors.push(TemplateError { offset: i, message: FILTER_PLACE.to_string(), hint: None });
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Var(var));
                }
                None => {
                    let names = Var::ALL.map(Var::name);
                    let hint = match did_you_mean(name, names) {
                        Some(close) => format!("did you mean `${close}`?"),
                        None => PLACEHOLDER_HINT.to_string(),
                    };
                    errors.push(TemplateError {
                        offset: i,
                        message: format!("unknown placeholder `${name}`"),
                        hint: Some(hint),
                    });
                }
            }
            i += 1 + len;
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        if errors.is_empty() { Ok(Template { segments }) } else { Err(errors) }
    }

    pub fn uses(&self, var: Var) -> bool {
        self.segments.contains(&Segment::Var(var))
    }

    pub(crate) fn render(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var(Var::Window) => out.push_str(&prometheus_duration(values.window)),
                Segment::Var(Var::Step) => out.push_str(&prometheus_duration(values.step)),
                Segment::Var(Var::Filter) => out.push_str(values.filter.trim()),
                Segment::Var(Var::Model) => out.push_str(values.model),
                Segment::Var(Var::Version) => out.push_str(values.version.unwrap_or_default()),
            }
        }
        out
    }
}

/// Length of the placeholder name at the start of `text`: a letter or `_`,
/// then letters, digits and `_` (so `$1` is not a placeholder).
fn identifier_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    chars.find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_')).map_or(text.len(), |(i, _)| i)
}

/// `{$filter}` or `{a="b",$filter}`: with an empty filter these stay valid
/// (`{}` and `{a="b",}` parse), while `{$filter,a="b"}` would become `{,a="b"}`.
fn filter_is_last_matcher(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].trim_end();
    let after = text[end..].trim_start();
    (before.ends_with('{') || before.ends_with(',')) && after.starts_with('}')
}

/// `d` as a Prometheus duration in one integral unit: `1h`, `5m`, `90s`,
/// `300ms`. Below a millisecond is rounded up, so a positive duration never
/// renders as the `0s` Prometheus refuses for a range.
pub fn prometheus_duration(d: Duration) -> String {
    let ms = d.as_nanos().div_ceil(1_000_000);
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s != 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s != 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(filter: &str) -> Values<'_> {
        Values {
            window: Duration::from_secs(300),
            step: Duration::from_secs(30),
            filter,
            model: "model_name",
            version: Some("model_version"),
        }
    }

    fn errors(text: &str) -> Vec<(usize, String, Option<String>)> {
        Template::parse(text).unwrap_err().into_iter().map(|e| (e.offset, e.message, e.hint)).collect()
    }

    #[test]
    fn renders_every_placeholder() {
        let t = Template::parse("sum by ($model, $version) (rate(m{a=\"b\",$filter}[$window])) [$step]").unwrap();
        assert_eq!(
            t.render(&values("namespace=\"ml\"")),
            "sum by (model_name, model_version) (rate(m{a=\"b\",namespace=\"ml\"}[5m])) [30s]"
        );
        assert_eq!(t.render(&values("")), "sum by (model_name, model_version) (rate(m{a=\"b\",}[5m])) [30s]");
        assert!(t.uses(Var::Version) && t.uses(Var::Step));
        assert!(!Template::parse("m{$filter}").unwrap().uses(Var::Version));
    }

    #[test]
    fn dollars_that_are_not_placeholders_stay() {
        let text = r#"label_replace(m{$filter}, "v", "$1", "x", "(.*)_([0-9]+)$") * 2$$"#;
        let t = Template::parse(text).unwrap();
        assert_eq!(t.render(&values("")), r#"label_replace(m{}, "v", "$1", "x", "(.*)_([0-9]+)$") * 2$"#);
    }

    #[test]
    fn unknown_placeholders_are_errors_with_offsets_and_hints() {
        assert_eq!(
            errors("rate(m{$filter}[$windw]) by ($modle, $pod)"),
            [
                (16, "unknown placeholder `$windw`".to_string(), Some("did you mean `$window`?".to_string())),
                (29, "unknown placeholder `$modle`".to_string(), Some("did you mean `$model`?".to_string())),
                (37, "unknown placeholder `$pod`".to_string(), Some(PLACEHOLDER_HINT.to_string())),
            ]
        );
        assert_eq!(
            errors("rate(m[${window}])"),
            [(7, "placeholders are written without braces".to_string(), Some("write `$window`".to_string()))]
        );
    }

    #[test]
    fn filter_must_be_the_last_matcher() {
        for good in
            ["m{$filter}", "m{ $filter }", "m{a=\"b\",$filter}", "m{a=\"b\", $filter}", "{__name__=~\"x\",$filter}"]
        {
            assert!(Template::parse(good).is_ok(), "{good}");
        }
        for bad in ["m{$filter,a=\"b\"}", "m{a=\"b\" $filter}", "m $filter", "m{$filter"] {
            let found = errors(bad);
            assert_eq!(found.len(), 1, "{bad}");
            assert_eq!(found[0].1, FILTER_PLACE, "{bad}");
        }
    }

    #[test]
    fn durations_are_integral_prometheus_durations() {
        let d = Duration::from_secs;
        assert_eq!(prometheus_duration(d(300)), "5m");
        assert_eq!(prometheus_duration(d(60)), "1m");
        assert_eq!(prometheus_duration(d(30)), "30s");
        assert_eq!(prometheus_duration(d(90)), "90s");
        assert_eq!(prometheus_duration(d(3600)), "1h");
        assert_eq!(prometheus_duration(d(86_400)), "24h");
        assert_eq!(prometheus_duration(d(5400)), "90m");
        assert_eq!(prometheus_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(prometheus_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(prometheus_duration(Duration::from_micros(1)), "1ms");
        assert_eq!(prometheus_duration(Duration::ZERO), "0s");
    }
}
