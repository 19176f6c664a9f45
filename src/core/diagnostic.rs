//! Problems found in a user's file (config, keymap, theme, playbook), with
//! the file, line, column and key, and a "did you mean" hint where one helps.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user would name it (a path, or `builtin:themes/dark.toml`).
    pub file: String,
    /// 1-based; 0 when the problem is not tied to a place (e.g. unreadable file).
    pub line: usize,
    pub column: usize,
    /// Dotted path of the key, e.g. `contexts.prod.prometheus.url`.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at byte `offset` of `source`.
    pub fn at(file: &str, source: &str, offset: usize, key: impl Into<String>, message: impl Into<String>) -> Self {
        let (line, column) = line_column(source, offset);
        Self { file: file.to_string(), line, column, key: key.into(), message: message.into(), hint: None }
    }

    /// A diagnostic about the whole file.
    pub fn file_level(file: &str, message: impl Into<String>) -> Self {
        Self { file: file.to_string(), line: 0, column: 0, key: String::new(), message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `config.toml:12:5: contexts.prod.prometheus.ulr: unknown key (did you mean `url`?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where byte `inner` of a TOML string value lies in `source`, the value
/// having been written at `span` (quotes included) and read as `value`.
/// Exact when the string was written without escapes (always so for literal
/// strings, `'…'` and `'''…'''`); otherwise the start of the value, which is
/// still the right line for a one-line string.
pub fn string_value_offset(source: &str, span: std::ops::Range<usize>, value: &str, inner: usize) -> usize {
    let raw = source.get(span.clone()).unwrap_or_default();
    for delimiter in ["'''", "\"\"\"", "'", "\""] {
        let Some(body) = raw.strip_prefix(delimiter).and_then(|b| b.strip_suffix(delimiter)) else { continue };
        // TOML drops a newline right after the opening delimiter of a multi-line string.
        let skipped = match delimiter.len() {
            3 if body.starts_with("\r\n") => 2,
            3 if body.starts_with('\n') => 1,
            _ => 0,
        };
        if &body[skipped..] == value {
            return span.start + delimiter.len() + skipped + inner.min(value.len());
        }
        break;
    }
    span.start
}

/// The closest candidate to `word`, if it is close enough to be a likely typo:
/// a few edits away (transpositions count once), or sharing a long prefix.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|c| {
            let distance = strsim::osa_distance(word, c);
            let close = distance <= allowed || strsim::jaro_winkler(word, c) >= 0.9;
            close.then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 9), (2, 4));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("ulr", ["url", "tenant"]), Some("url"));
        assert_eq!(did_you_mean("read_onyl", ["read_only", "tint"]), Some("read_only"));
        assert_eq!(did_you_mean("zzz", ["url", "tenant"]), None);
    }

    #[test]
    fn offsets_inside_string_values() {
        let src = "a = 'x $bad'\nb = \"y \\\" $bad\"\nc = '''\nline\n  $bad'''\n";
        let a = src.find("'x").unwrap()..src.find("\nb").unwrap();
        assert_eq!(line_column(src, string_value_offset(src, a, "x $bad", 2)), (1, 8));
        // An escape makes the written text differ from the value: the value's start is used.
        let b = src.find("\"y").unwrap()..src.find("\nc").unwrap();
        assert_eq!(line_column(src, string_value_offset(src, b, "y \" $bad", 4)), (2, 5));
        let c = src.find("'''").unwrap()..src.rfind("'''").unwrap() + 3;
        assert_eq!(line_column(src, string_value_offset(src, c, "line\n  $bad", 7)), (5, 3));
    }

    #[test]
    fn display_names_file_line_key_and_hint() {
        let d = Diagnostic::at("c.toml", "x = 1\nulr = 2", 6, "contexts.prod.ulr", "unknown key")
            .with_hint("did you mean `url`?");
        assert_eq!(d.to_string(), "c.toml:2:1: contexts.prod.ulr: unknown key (did you mean `url`?)");
    }
}
