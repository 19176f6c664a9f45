//! Typed reads from the parsed TOML document.
//!
//! Every read that goes wrong records a [`Diagnostic`] and returns `None`
//! instead of failing, so validation carries on and the user sees every
//! problem of a file in one run rather than fixing them one at a time.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::core::diagnostic::{Diagnostic, did_you_mean, string_value_offset};
use crate::core::duration;

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Keys that would hold a secret's value. They are never accepted: a config
/// file gets copied, pasted into tickets and committed, so it only ever names
/// where a secret lives.
pub(crate) const INLINE_SECRET_KEYS: &[&str] = &["token", "password", "api_key", "secret"];

/// A table of the document and the dotted path that leads to it.
pub(crate) struct Section<'t, 'i> {
    pub path: String,
    pub table: &'t DeTable<'i>,
    /// Where the table starts: its `[header]`, `{` or first dotted key.
    pub span: Range<usize>,
}

/// One key of a section with its value, ready for a typed read.
pub(crate) struct Field<'t, 'i> {
    pub path: String,
    pub key_span: Range<usize>,
    pub value: &'t Value<'i>,
}

impl Field<'_, '_> {
    pub fn span(&self) -> Range<usize> {
        self.value.span()
    }
}

impl<'t, 'i> Section<'t, 'i> {
    pub fn new(path: String, table: &'t DeTable<'i>, span: Range<usize>) -> Self {
        Self { path, table, span }
    }

    pub fn field(&self, key: &str) -> Option<Field<'t, 'i>> {
        let (k, value) = self.table.get_key_value(key)?;
        Some(Field { path: join(&self.path, key), key_span: k.span(), value })
    }

    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&'t Spanned<DeString<'i>>, &'t Value<'i>)> + use<'t, 'i> {
        self.table.iter()
    }
}

/// Appends `key` to a dotted path, quoting it the way TOML would when it is
/// not a bare key (`contexts."eu.prod"`), so the path can be pasted back.
pub(crate) fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let segment =
        if bare { key.to_string() } else { format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\"")) };
    if path.is_empty() { segment } else { format!("{path}.{segment}") }
}

/// `a string`, `an integer`, …: what the user wrote, for "found …" messages.
/// Only the type is named, never the value, so a misplaced secret is not echoed.
pub(crate) fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Collects the problems of one file.
pub(crate) struct Reader<'s> {
    file: &'s str,
    source: &'s str,
    problems: Vec<Diagnostic>,
}

impl<'s> Reader<'s> {
    pub fn new(file: &'s str, source: &'s str) -> Self {
        Self { file, source, problems: Vec::new() }
    }

    /// The problems in the order they appear in the file (the parsed tables
    /// are sorted by key, which is not the order the user reads them in).
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.problems.sort_by_key(|d| (d.line, d.column));
        self.problems
    }

    pub fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.error_with_hint(span, key, message, None);
    }

    pub fn error_with_hint(&mut self, span: Range<usize>, key: &str, message: impl Into<String>, hint: Option<String>) {
        let mut diagnostic = Diagnostic::at(self.file, self.source, span.start, key, message);
        diagnostic.hint = hint;
        self.problems.push(diagnostic);
    }

    /// A problem at byte `inner` of `field`'s string value, read as `value`:
    /// exactly there when the string has no escapes, else at its start.
    pub fn error_in_string(
        &mut self,
        field: &Field<'_, '_>,
        value: &str,
        inner: usize,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let offset = string_value_offset(self.source, field.span(), value, inner);
        self.error_with_hint(offset..offset, &field.path, message, hint);
    }

    /// Byte offset where 1-based `line` starts, for problems found after
    /// reading (e.g. duplicates spotted once every entry is known).
    pub fn offset_of_line(&self, line: usize) -> usize {
        if line <= 1 {
            return 0;
        }
        self.source.match_indices('\n').nth(line - 2).map_or(self.source.len(), |(i, _)| i + 1)
    }

    /// 1-based line of a span, for messages that point at a second place.
    pub fn line_of(&self, span: &Range<usize>) -> usize {
        crate::core::diagnostic::line_column(self.source, span.start).0
    }

    /// Reports every key of `section` that is not in `known`.
    pub fn check_keys(&mut self, section: &Section<'_, '_>, known: &[&str]) {
        for (key, span) in unknown_keys(section, known) {
            self.unknown_key(&section.path, key, span, known, None);
        }
    }

    /// One unknown key: an inline secret gets its own message; anything else
    /// a "did you mean" when a known key is close, else `fallback_hint`, else
    /// the list of known keys.
    pub fn unknown_key(
        &mut self,
        path: &str,
        key: &str,
        span: Range<usize>,
        known: &[&str],
        fallback_hint: Option<String>,
    ) {
        let key_path = join(path, key);
        if INLINE_SECRET_KEYS.contains(&key) {
            let hint = secret_reference_hint(key, known);
            self.error_with_hint(span, &key_path, "secrets are never written in the config file", Some(hint));
            return;
        }
        let hint = match did_you_mean(key, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => fallback_hint.unwrap_or_else(|| format!("known keys: {}", known.join(", "))),
        };
        self.error_with_hint(span, &key_path, "unknown key", Some(hint));
    }

    /// Reports a required key that is absent, at the table that lacks it.
    pub fn missing(&mut self, section: &Section<'_, '_>, key: &str, message: &str) {
        self.error(section.span.clone(), &section.key_path(key), message);
    }

    fn wrong_type(&mut self, field: &Field<'_, '_>, expected: &str) {
        let found = describe(field.value.get_ref());
        self.error(field.span(), &field.path, format!("expected {expected}, found {found}"));
    }

    pub fn string(&mut self, field: &Field<'_, '_>) -> Option<String> {
        match field.value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(field, "a string");
                None
            }
        }
    }

    /// A string that must say something: names, paths, URLs.
    pub fn text(&mut self, field: &Field<'_, '_>) -> Option<String> {
        let text = self.string(field)?;
        if text.trim().is_empty() {
            self.error(field.span(), &field.path, "must not be empty");
            return None;
        }
        Some(text)
    }

    pub fn bool(&mut self, field: &Field<'_, '_>) -> Option<bool> {
        match field.value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(field, "true or false");
                None
            }
        }
    }

    /// A finite number; integers are accepted too (`objective = 99`).
    pub fn number(&mut self, field: &Field<'_, '_>) -> Option<f64> {
        let parsed = match field.value.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok().map(|n| n as f64),
            _ => {
                self.wrong_type(field, "a number");
                return None;
            }
        };
        match parsed {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                self.error(field.span(), &field.path, "expected a finite number");
                None
            }
        }
    }

    /// A whole number, wide enough for any TOML integer so range checks can
    /// name the offending value instead of overflowing.
    pub fn integer(&mut self, field: &Field<'_, '_>) -> Option<i128> {
        match field.value.get_ref() {
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => {
                self.wrong_type(field, "a whole number");
                None
            }
        }
    }

    /// A duration written as a string with a unit (`"30s"`); a bare number is
    /// refused because `10` could mean seconds or milliseconds.
    pub fn duration(&mut self, field: &Field<'_, '_>) -> Option<Duration> {
        let expected = "a duration like \"30s\"";
        match field.value.get_ref() {
            DeValue::String(text) => match duration::parse(text) {
                Ok(d) => Some(d),
                Err(why) => {
                    self.error(field.span(), &field.path, format!("expected {expected}: {why}"));
                    None
                }
            },
            DeValue::Integer(i) => {
                let hint = format!("quote it with a unit, e.g. \"{}s\"", i.as_str());
                let found = describe(field.value.get_ref());
                self.error_with_hint(
                    field.span(),
                    &field.path,
                    format!("expected {expected}, found {found}"),
                    Some(hint),
                );
                None
            }
            _ => {
                self.wrong_type(field, expected);
                None
            }
        }
    }

    /// A table value; `expected` describes the shape for the message.
    pub fn table<'t, 'i>(&mut self, field: &Field<'t, 'i>, expected: &str) -> Option<Section<'t, 'i>> {
        match field.value.get_ref() {
            DeValue::Table(table) => Some(Section::new(field.path.clone(), table, field.span())),
            _ => {
                self.wrong_type(field, expected);
                None
            }
        }
    }

    /// One of a fixed set of names, with a "did you mean" for typos.
    pub fn choice(&mut self, field: &Field<'_, '_>, what: &str, choices: &[&str]) -> Option<String> {
        let text = self.string(field)?;
        if choices.contains(&text.as_str()) {
            return Some(text);
        }
        let message = format!("unknown {what} `{text}`; expected one of {}", choices.join(", "));
        let hint = did_you_mean(&text, choices.iter().copied()).map(|close| format!("did you mean `{close}`?"));
        self.error_with_hint(field.span(), &field.path, message, hint);
        None
    }
}

/// Keys of `section` not in `known`, with their spans.
pub(crate) fn unknown_keys<'t>(section: &Section<'t, '_>, known: &[&str]) -> Vec<(&'t str, Range<usize>)> {
    section
        .entries()
        .filter(|(key, _)| !known.contains(&key.get_ref().as_ref()))
        .map(|(key, _)| (key.get_ref().as_ref(), key.span()))
        .collect()
}

/// Which reference keys to use instead of an inline secret: the `_env` and
/// `_file` pair of the same name when this table has one.
fn secret_reference_hint(key: &str, known: &[&str]) -> String {
    let bases: &[&str] = match key {
        "secret" => &["token", "api_key"],
        "api_key" => &["api_key", "token"],
        "password" => &["password"],
        _ => &["token"],
    };
    let base = bases.iter().find(|base| known.contains(&format!("{base}_env").as_str()));
    match base {
        Some(base) => {
            format!("use `{base}_env` or `{base}_file` instead: an environment variable or a file holding it")
        }
        None => "reference it with a `*_env` or `*_file` key of an endpoint table instead".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_quotes_keys_that_are_not_bare() {
        assert_eq!(join("", "contexts"), "contexts");
        assert_eq!(join("contexts", "prod"), "contexts.prod");
        assert_eq!(join("contexts", "eu.prod"), "contexts.\"eu.prod\"");
        assert_eq!(join("contexts", ""), "contexts.\"\"");
    }

    #[test]
    fn secret_hint_names_the_matching_reference_keys() {
        let endpoint = ["url", "token_env", "token_file", "password_env", "password_file"];
        assert_eq!(
            secret_reference_hint("token", &endpoint),
            "use `token_env` or `token_file` instead: an environment variable or a file holding it"
        );
        assert_eq!(
            secret_reference_hint("password", &endpoint),
            "use `password_env` or `password_file` instead: an environment variable or a file holding it"
        );
        assert_eq!(
            secret_reference_hint("api_key", &["api_key_env", "token_env"]),
            "use `api_key_env` or `api_key_file` instead: an environment variable or a file holding it"
        );
        assert_eq!(
            secret_reference_hint("token", &["tint"]),
            "reference it with a `*_env` or `*_file` key of an endpoint table instead"
        );
    }
}
