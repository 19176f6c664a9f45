//! `{{name}}` templates in playbook arguments, and how a value is written
//! into each kind of place it can land. A value never goes through a shell:
//! in a URL it is percent-encoded, in PromQL it is a string literal's
//! content, in a header it may not break the line, and everywhere else
//! (JSON bodies, registry calls, argv elements) it is passed as one whole
//! value that the serialiser or the operating system keeps intact.

use std::collections::BTreeMap;

/// A parsed template: literal text and the names to substitute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// The name and its byte offset in the source text (for messages).
    Name(String, usize),
}

/// Where a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As is: the value becomes (part of) one JSON string, one registry
    /// field or one argv element — the consumer keeps it whole.
    Whole,
    /// Percent-encoded: everything but RFC 3986's unreserved characters.
    Url,
    /// Inside a double-quoted PromQL string: `\` and `"` escaped.
    Promql,
    /// An HTTP header value: refused when it holds a control character.
    Header,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the template text.
    pub offset: usize,
    pub message: String,
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Template {
    /// Parses `text`; `{{ name }}` may have spaces inside the braces. `{{`
    /// always opens a name; a `}}` outside one is plain text.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(TemplateError { offset: offset + open, message: "`{{` is never closed by `}}`".into() });
            };
            let name = after[..close].trim();
            if !is_name(name) {
                return Err(TemplateError {
                    offset: offset + open,
                    message: format!(
                        "`{{{{{}}}}}` is not a name: use lower-case letters, digits and _",
                        &after[..close]
                    ),
                });
            }
            parts.push(Part::Name(name.to_string(), offset + open));
            let consumed = open + 2 + close + 2;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// A template that is only `text`, with no names.
    pub fn literal(text: &str) -> Template {
        Template { parts: vec![Part::Literal(text.to_string())] }
    }

    /// The names used, with their offsets, in order.
    pub fn names(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Name(n, at) => Some((n.as_str(), *at)),
            Part::Literal(_) => None,
        })
    }

    /// The template as written (names normalised to `{{name}}`).
    pub fn source(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.clone(),
                Part::Name(n, _) => format!("{{{{{n}}}}}"),
            })
            .collect()
    }

    /// For PromQL: the offset of the first name that is not inside a
    /// double-quoted string, where a value could change the query's meaning.
    pub fn name_outside_promql_string(&self) -> Option<(String, usize)> {
        let mut inside = false;
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    let mut escaped = false;
                    for c in text.chars() {
                        match (c, escaped) {
                            ('\\', false) if inside => escaped = true,
                            ('"', false) => inside = !inside,
                            _ => escaped = false,
                        }
                    }
                }
                Part::Name(n, at) if !inside => return Some((n.clone(), *at)),
                Part::Name(..) => {}
            }
        }
        None
    }

    /// Substitutes `values`, each written for `escape`. Every name was
    /// checked when the playbook was loaded; a missing one is still an
    /// error here, never an empty string.
    pub fn render(&self, values: &BTreeMap<String, String>, escape: Escape) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Name(name, _) => {
                    let value = values.get(name).ok_or_else(|| format!("no value for `{{{{{name}}}}}`"))?;
                    out.push_str(&write_value(name, value, escape)?);
                }
            }
        }
        Ok(out)
    }
}

fn write_value(name: &str, value: &str, escape: Escape) -> Result<String, String> {
    match escape {
        Escape::Whole => Ok(value.to_string()),
        Escape::Url => {
            // A whole segment of `.` or `..` is a path step even when encoded
            // (URL parsers treat %2e%2e as ..), so it cannot be written safely.
            if value == "." || value == ".." {
                return Err(format!("{name} = `{value}` cannot be placed in a URL"));
            }
            Ok(url::form_urlencoded::byte_serialize(value.as_bytes())
                .collect::<String>()
                // form encoding writes spaces as `+`; a path needs %20.
                .replace('+', "%20"))
        }
        Escape::Promql => {
            let mut out = String::with_capacity(value.len());
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            Ok(out)
        }
        Escape::Header => {
            if value.chars().any(char::is_control) {
                Err(format!("{name} holds a control character and cannot be sent in a header"))
            } else {
                Ok(value.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const HOSTILE: &str = "a'b\"c; rm -rf / $(id) `x` ../../etc\nnew line ✓ %2e";

    #[test]
    fn parses_names_and_literals() {
        let t = Template::parse("model={{model}}, to {{ to_version }}!").unwrap();
        assert_eq!(t.names().map(|(n, _)| n).collect::<Vec<_>>(), ["model", "to_version"]);
        assert_eq!(t.source(), "model={{model}}, to {{to_version}}!");
        assert_eq!(t.names().next().unwrap().1, 6);
        assert!(Template::parse("no names").unwrap().names().next().is_none());
    }

    #[test]
    fn malformed_templates_say_where() {
        assert_eq!(Template::parse("x {{model").unwrap_err().offset, 2);
        assert!(Template::parse("{{Model}}").unwrap_err().message.contains("not a name"));
        assert!(Template::parse("{{}}").is_err());
        // A lone `}}` is text: JSON written in an argv element ends with braces.
        assert_eq!(Template::parse(r#"{"a":{"b":{{n}}}}"#).unwrap().names().count(), 1);
    }

    #[test]
    fn a_missing_value_is_an_error_not_an_empty_string() {
        let t = Template::parse("{{model}}").unwrap();
        assert_eq!(t.render(&values(&[]), Escape::Whole), Err("no value for `{{model}}`".into()));
    }

    #[test]
    fn hostile_values_stay_whole_and_inert_in_every_place() {
        let v = values(&[("p", HOSTILE)]);
        let whole = Template::parse("{{p}}").unwrap().render(&v, Escape::Whole).unwrap();
        assert_eq!(whole, HOSTILE);

        let url = Template::parse("http://gw/models/{{p}}?v={{p}}").unwrap().render(&v, Escape::Url).unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.path_segments().unwrap().count(), 2, "{url}");
        let segment = parsed.path_segments().unwrap().nth(1).unwrap();
        assert_eq!(percent_decode(segment), HOSTILE);
        assert_eq!(parsed.query_pairs().next().unwrap().1, HOSTILE);

        let promql = Template::parse("x{model=\"{{p}}\"}").unwrap().render(&v, Escape::Promql).unwrap();
        assert_eq!(promql.matches('"').count() - promql.matches("\\\"").count(), 2, "{promql}");
        assert!(!promql.contains('\n'));

        assert!(Template::parse("{{p}}").unwrap().render(&v, Escape::Header).is_err());
        for dots in [".", ".."] {
            assert!(Template::parse("http://gw/{{p}}").unwrap().render(&values(&[("p", dots)]), Escape::Url).is_err());
        }
    }

    fn percent_decode(text: &str) -> String {
        url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes()).next().unwrap().1.into_owned()
    }

    #[test]
    fn promql_names_must_sit_inside_strings() {
        assert_eq!(Template::parse("x{model=\"{{m}}\"}").unwrap().name_outside_promql_string(), None);
        assert_eq!(
            Template::parse("x{model=\"a\"} > {{m}}").unwrap().name_outside_promql_string(),
            Some(("m".into(), 15))
        );
        assert_eq!(Template::parse("x{a=\"\\\"\", b=\"{{m}}\"}").unwrap().name_outside_promql_string(), None);
    }
}
