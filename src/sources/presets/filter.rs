//! A context's `filter`: extra label matchers that every query's `$filter`
//! stands for, written without braces: `namespace="ml", cluster=~"eu-.*"`.
//!
//! Checked when the config is read, so a typo is reported with its line and
//! column instead of as a parse error from Prometheus on every poll. The
//! check follows PromQL's matcher grammar: a label name, one of `=`, `!=`,
//! `=~`, `!~`, and a string in double quotes, single quotes or backticks.

/// Why a filter was refused, at byte `offset` of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub offset: usize,
    pub message: String,
}

const OPERATORS: &[&str] = &["=~", "!~", "!=", "="];

/// `Ok` when `text` is a comma-separated list of matchers (possibly empty,
/// a trailing comma allowed, as PromQL allows it).
pub fn check(text: &str) -> Result<(), FilterError> {
    let mut at = skip_space(text, 0);
    if text[at..].starts_with('{') {
        return Err(error(at, "write the matchers without braces: namespace=\"ml\", not {namespace=\"ml\"}"));
    }
    while at < text.len() {
        at = matcher(text, at)?;
        at = skip_space(text, at);
        match text[at..].chars().next() {
            None => break,
            Some(',') => at = skip_space(text, at + 1),
            Some('{' | '}') => {
                return Err(error(at, "write the matchers without braces: namespace=\"ml\", not {namespace=\"ml\"}"));
            }
            Some(c) => return Err(error(at, format!("expected `,` between matchers, found `{c}`"))),
        }
    }
    Ok(())
}

/// One `label op "value"` starting at `at`; returns where it ends.
fn matcher(text: &str, at: usize) -> Result<usize, FilterError> {
    let name_len = text[at..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len() - at);
    let name = &text[at..at + name_len];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        let found = text[at..].chars().next().map_or("the end".to_string(), |c| format!("`{c}`"));
        return Err(error(at, format!("expected a label name, found {found}")));
    }
    let op_at = skip_space(text, at + name_len);
    let Some(op) = OPERATORS.iter().find(|op| text[op_at..].starts_with(**op)) else {
        return Err(error(op_at, format!("expected =, !=, =~ or !~ after `{name}`")));
    };
    let value_at = skip_space(text, op_at + op.len());
    string(text, value_at)
}

/// A PromQL string literal at `at`; returns the offset after its closing quote.
fn string(text: &str, at: usize) -> Result<usize, FilterError> {
    let Some(quote) = text[at..].chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) else {
        return Err(error(at, "expected a quoted value, such as \"ml\""));
    };
    let mut escaped = false;
    for (i, c) in text[at + 1..].char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote != '`' {
            escaped = true;
        } else if c == quote {
            return Ok(at + 1 + i + 1);
        }
    }
    Err(error(at, format!("this value's {quote} is never closed")))
}

fn skip_space(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

fn error(offset: usize, message: impl Into<String>) -> FilterError {
    FilterError { offset, message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> (usize, String) {
        let e = check(text).unwrap_err();
        (e.offset, e.message)
    }

    #[test]
    fn accepts_what_promql_accepts() {
        for ok in [
            "",
            "  ",
            "namespace=\"ml\"",
            "namespace=\"ml\",",
            "namespace = \"ml\" , cluster=~'eu-.*', pod!~`canary-.*`, job!=\"x\"",
            "path=\"/v2/models/{name}\"",
            "a=\"say \\\"hi\\\", then go\"",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_braces_and_broken_matchers() {
        let braces = "write the matchers without braces: namespace=\"ml\", not {namespace=\"ml\"}";
        assert_eq!(refused("{namespace=\"ml\"}"), (0, braces.to_string()));
        assert_eq!(refused("namespace=\"ml\"}"), (14, braces.to_string()));
        assert_eq!(refused(",namespace=\"ml\""), (0, "expected a label name, found `,`".to_string()));
        assert_eq!(refused("namespace"), (9, "expected =, !=, =~ or !~ after `namespace`".to_string()));
        assert_eq!(refused("namespace=ml"), (10, "expected a quoted value, such as \"ml\"".to_string()));
        assert_eq!(refused("namespace=\"ml"), (10, "this value's \" is never closed".to_string()));
        assert_eq!(refused("a=\"1\" b=\"2\""), (6, "expected `,` between matchers, found `b`".to_string()));
        assert_eq!(refused("1a=\"x\""), (0, "expected a label name, found `1`".to_string()));
    }
}
