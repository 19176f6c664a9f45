//! Reading preset files and merging them: shipped file, then the user's file,
//! then the context's `queries` overrides, each key replacing the one below.
//!
//! A preset file's top level has `description`, `model_label`,
//! `version_label`, `latency_bucket_unit` ("s", "ms" or "us") and a
//! `[queries]` table of concept → template; a user file may also say
//! `extends = "NAME"`. An empty string takes a value away: `errors = ""` says
//! the stack has no error count, `version_label = ""` that it has no versions.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::template::{Template, Var};
use super::{CONCEPT_KEYS, Concept, Preset};
use crate::app::keymap::data_file::{Kind, Problems, Source};
use crate::core::diagnostic::{Diagnostic, did_you_mean, string_value_offset};

pub(super) const PRESETS: Kind = Kind {
    noun: "preset",
    dir: "presets",
    names: super::BUILTIN,
    texts: &[
        include_str!("../../../presets/generic.toml"),
        include_str!("../../../presets/kserve.toml"),
        include_str!("../../../presets/seldon.toml"),
        include_str!("../../../presets/mlserver.toml"),
        include_str!("../../../presets/triton.toml"),
        include_str!("../../../presets/bentoml.toml"),
        include_str!("../../../presets/torchserve.toml"),
        include_str!("../../../presets/ray.toml"),
    ],
};

/// How diagnostics name the config's `queries` overrides: `resolve` is not
/// told which file or context they came from, so `vigil config check` puts
/// those in (see [`super::OVERRIDES_FILE`]).
const OVERRIDES: usize = 2;

/// Problems of the merged result (a missing key) sort after every file's own.
const MERGED: usize = 3;

const KEYS: &[&str] = &["extends", "description", "model_label", "version_label", "latency_bucket_unit", "queries"];

/// `latency_bucket_unit` values and how many seconds one `le` unit is.
const UNITS: &[(&str, f64)] = &[("s", 1.0), ("ms", 1e-3), ("us", 1e-6)];

/// A query and where it was written, for problems that only show once every
/// layer is merged (a `$version` in a preset without versions).
#[derive(Debug, Clone)]
struct Entry {
    /// `None`: set to "" — the stack does not have this concept.
    template: Option<Template>,
    file: usize,
    offset: usize,
    place: Diagnostic,
}

/// One file's settings; `None` where the file does not set the key.
#[derive(Default)]
struct Layer {
    parsed: bool,
    extends: Option<String>,
    description: Option<String>,
    model_label: Option<String>,
    /// `Some(None)`: set to "" — the stack has no version label.
    version_label: Option<Option<String>>,
    unit: Option<f64>,
    queries: Vec<(Concept, Entry)>,
    /// Queries with problems of their own: not "missing" as well.
    broken: Vec<Concept>,
}

/// Merges `user` (if any) over its base and `overrides` over both.
/// The base is the shipped preset the user file `extends`, else the shipped
/// preset of the same name; a user file with a new name and no `extends`
/// stands alone, so no other stack's queries leak into it.
pub(super) fn build(
    name: &str,
    user: Option<Source>,
    overrides: &BTreeMap<String, String>,
) -> Result<Preset, Vec<Diagnostic>> {
    let mut problems = Problems::default();
    let user_layer = user.as_ref().map(|source| parse_layer(source, 1, &mut problems));
    let base_name = match user_layer.as_ref().and_then(|l| l.extends.as_deref()) {
        Some(extends) => Some(extends),
        None => PRESETS.builtin(name).is_some().then_some(name),
    };
    let base = base_name.and_then(|n| PRESETS.builtin(n));
    let base_layer = base.as_ref().map(|source| {
        let layer = parse_layer(source, 0, &mut problems);
        if layer.extends.is_some() {
            problems.push(0, 0, source.file_level("`extends` is only for user presets"));
        }
        layer
    });
    let override_layer = overrides_layer(overrides, &mut problems);

    let layers: Vec<Layer> = base_layer.into_iter().chain(user_layer).chain([override_layer]).collect();
    if layers.iter().any(|l| !l.parsed) {
        // Syntax errors: the rest would only be noise about missing keys.
        return problems.into_result(Preset::empty(name));
    }
    // The file to blame for what no layer says: the user's when there is one.
    let last_file = user.as_ref().or(base.as_ref()).expect("a preset has a shipped or a user file");
    let mut merged = Merged::default();
    for layer in layers {
        merged.apply(layer);
    }
    merged.finish(name, last_file, problems)
}

#[derive(Default)]
struct Merged {
    description: Option<String>,
    model_label: Option<String>,
    version_label: Option<String>,
    unit: Option<f64>,
    queries: BTreeMap<Concept, Entry>,
    broken: Vec<Concept>,
}

impl Merged {
    fn apply(&mut self, layer: Layer) {
        self.description = layer.description.or(self.description.take());
        self.model_label = layer.model_label.or(self.model_label.take());
        if let Some(version) = layer.version_label {
            self.version_label = version;
        }
        self.unit = layer.unit.or(self.unit);
        self.queries.extend(layer.queries);
        self.broken.extend(layer.broken);
    }

    fn finish(self, name: &str, last_file: &Source, mut problems: Problems) -> Result<Preset, Vec<Diagnostic>> {
        let Some(model_label) = self.model_label else {
            let d = last_file.file_level("missing `model_label`: the label that names the model, e.g. \"model\"");
            problems.push(MERGED, 0, d);
            return problems.into_result(Preset::empty(name));
        };
        match self.queries.get(&Concept::Requests) {
            _ if self.broken.contains(&Concept::Requests) => {}
            None => {
                let message = "missing `queries.requests`: without a request rate there is nothing to show";
                problems.push(MERGED, 0, last_file.file_level(message));
            }
            Some(Entry { template: None, file, offset, place }) => {
                let message = "takes `requests` away, but without a request rate there is nothing to show";
                problems.push(*file, *offset, Diagnostic { message: message.to_string(), ..place.clone() });
            }
            Some(_) => {}
        }
        if self.version_label.is_none() {
            let uses_version = |e: &&Entry| e.template.as_ref().is_some_and(|t| t.uses(Var::Version));
            for entry in self.queries.values().filter(uses_version) {
                let mut d = entry.place.clone();
                d.message = "uses `$version`, but this preset has no `version_label`".to_string();
                d.hint = Some("leave the version out of this query, or set version_label".to_string());
                problems.push(entry.file, entry.offset, d);
            }
        }
        problems.into_result(Preset {
            name: name.to_string(),
            description: self.description.unwrap_or_default(),
            model_label,
            version_label: self.version_label,
            le_unit_seconds: self.unit.unwrap_or(1.0),
            queries: self.queries.into_iter().filter_map(|(c, e)| Some((c, e.template?))).collect(),
        })
    }
}

fn parse_layer(source: &Source, file: usize, problems: &mut Problems) -> Layer {
    let mut layer = Layer::default();
    let table = match source.parse() {
        Ok(table) => table,
        Err(diagnostics) => {
            problems.extend(file, diagnostics);
            return layer;
        }
    };
    layer.parsed = true;
    let mut report = |offset: usize, d: Diagnostic| problems.push(file, offset, d);
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        match name {
            "extends" => layer.extends = PRESETS.extends(source, value, &mut report),
            "description" => layer.description = string(source, name, value, &mut report),
            "model_label" => {
                layer.model_label = string(source, name, value, &mut report).and_then(|text| {
                    if text.is_empty() {
                        let offset = value.span().start;
                        report(offset, source.at(offset, name, "must not be empty: every preset names its models"));
                        return None;
                    }
                    label_name(source, name, value, text, &mut report)
                });
            }
            "version_label" => {
                layer.version_label = string(source, name, value, &mut report).and_then(|text| {
                    if text.is_empty() {
                        return Some(None);
                    }
                    label_name(source, name, value, text, &mut report).map(Some)
                });
            }
            "latency_bucket_unit" => layer.unit = unit(source, value, &mut report),
            "queries" => match value.get_ref() {
                DeValue::Table(queries) => parse_queries(source, file, queries, &mut layer, &mut report),
                other => {
                    let offset = value.span().start;
                    let message = format!("expected a table of queries, found {}", other.type_str());
                    report(offset, source.at(offset, name, message));
                }
            },
            _ => {
                let offset = key.span().start;
                let d = source.at(offset, name, format!("unknown key `{name}`"));
                let d = if CONCEPT_KEYS.contains(&name) {
                    d.with_hint("queries go under [queries]")
                } else {
                    match did_you_mean(name, KEYS.iter().copied()) {
                        Some(m) => d.with_hint(format!("did you mean `{m}`?")),
                        None => d.with_hint(format!("a preset has {}", KEYS.join(", "))),
                    }
                };
                report(offset, d);
            }
        }
    }
    layer
}

fn parse_queries(
    source: &Source,
    file: usize,
    queries: &DeTable<'_>,
    layer: &mut Layer,
    report: &mut impl FnMut(usize, Diagnostic),
) {
    for (key, value) in queries.iter() {
        let name: &str = key.get_ref();
        let path = format!("queries.{name}");
        let Some(concept) = Concept::from_key(name) else {
            let offset = key.span().start;
            report(offset, unknown_concept(source.at(offset, &path, format!("unknown concept `{name}`")), name));
            continue;
        };
        let Some(text) = string(source, &path, value, report) else {
            layer.broken.push(concept);
            continue;
        };
        let offset = value.span().start;
        let place = source.at(offset, &path, "");
        if text.trim().is_empty() {
            layer.queries.push((concept, Entry { template: None, file, offset, place }));
            continue;
        }
        match Template::parse(&text) {
            Ok(template) => layer.queries.push((concept, Entry { template: Some(template), file, offset, place })),
            Err(errors) => {
                layer.broken.push(concept);
                for e in errors {
                    let offset = string_value_offset(&source.text, value.span(), &text, e.offset);
                    let d = source.at(offset, &path, e.message);
                    report(offset, if let Some(hint) = e.hint { d.with_hint(hint) } else { d });
                }
            }
        }
    }
}

/// The config's `queries`, already checked by the config reader with their
/// positions; checked again here because `resolve` may be called with any map.
fn overrides_layer(overrides: &BTreeMap<String, String>, problems: &mut Problems) -> Layer {
    let mut layer = Layer { parsed: true, ..Layer::default() };
    for (key, text) in overrides {
        let place = Diagnostic::file_level(super::OVERRIDES_FILE, "");
        let place = Diagnostic { key: format!("queries.{key}"), ..place };
        let Some(concept) = Concept::from_key(key) else {
            let d = Diagnostic { message: format!("unknown concept `{key}`"), ..place };
            problems.push(OVERRIDES, 0, unknown_concept(d, key));
            continue;
        };
        let entry = |template| Entry { template, file: OVERRIDES, offset: 0, place: place.clone() };
        if text.trim().is_empty() {
            layer.queries.push((concept, entry(None)));
            continue;
        }
        match Template::parse(text) {
            Ok(template) => layer.queries.push((concept, entry(Some(template)))),
            Err(errors) => {
                layer.broken.push(concept);
                for e in errors {
                    let d = Diagnostic {
                        message: format!("{} (at character {})", e.message, e.offset + 1),
                        ..place.clone()
                    };
                    problems.push(OVERRIDES, 0, if let Some(hint) = e.hint { d.with_hint(hint) } else { d });
                }
            }
        }
    }
    layer
}

fn unknown_concept(d: Diagnostic, name: &str) -> Diagnostic {
    match did_you_mean(name, CONCEPT_KEYS.iter().copied()) {
        Some(m) => d.with_hint(format!("did you mean `{m}`?")),
        None => d.with_hint(format!("concepts are {}", CONCEPT_KEYS.join(", "))),
    }
}

fn string(
    source: &Source,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    report: &mut impl FnMut(usize, Diagnostic),
) -> Option<String> {
    match value.get_ref() {
        DeValue::String(text) => Some(text.to_string()),
        other => {
            let offset = value.span().start;
            report(offset, source.at(offset, key, format!("expected a string, found {}", other.type_str())));
            None
        }
    }
}

/// A Prometheus label name, since it is pasted into `by (…)` clauses.
fn label_name(
    source: &Source,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    text: String,
    report: &mut impl FnMut(usize, Diagnostic),
) -> Option<String> {
    let mut chars = text.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        return Some(text);
    }
    let offset = value.span().start;
    report(offset, source.at(offset, key, format!("`{text}` is not a label name: use letters, digits and `_`")));
    None
}

fn unit(source: &Source, value: &Spanned<DeValue<'_>>, report: &mut impl FnMut(usize, Diagnostic)) -> Option<f64> {
    let text = string(source, "latency_bucket_unit", value, report)?;
    if let Some((_, seconds)) = UNITS.iter().find(|(u, _)| *u == text) {
        return Some(*seconds);
    }
    let offset = value.span().start;
    let d = source.at(offset, "latency_bucket_unit", format!("unknown unit `{text}`"));
    report(offset, d.with_hint("the `le` bounds are in \"s\", \"ms\" or \"us\""));
    None
}
