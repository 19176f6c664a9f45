//! `vigil presets`: every metric preset vigil can use, what each can show and
//! where it was loaded from, so the choice of `preset = …` is an informed one.

use std::collections::BTreeMap;

use crate::config;
use crate::launch::{Failure, Setup};
use crate::sources::presets::{Concept, Preset};

/// Prints one block per preset; `*` marks the one the current context uses.
/// A user preset that does not load is listed as such and its problems go to
/// stderr, exiting 2 as for any configuration error.
pub fn run(setup: &Setup) -> Result<u8, Failure> {
    let active = setup.initial_context().ok().map(|c| c.preset);
    let dir = &setup.paths.presets_dir;
    let mut problems = Vec::new();
    let mut blocks = Vec::new();
    for (name, origin) in Preset::available(Some(dir)) {
        let marker = if active.as_deref() == Some(name.as_str()) { "*" } else { " " };
        match Preset::resolve(&name, Some(dir), &BTreeMap::new()) {
            Ok(preset) => blocks.push(describe(marker, &preset, &origin)),
            Err(found) => {
                blocks.push(format!("{marker} {name:<12} {origin}\n    does not load: see the problems below"));
                problems.extend(found);
            }
        }
    }
    println!("{}", blocks.join("\n\n"));
    if problems.is_empty() {
        Ok(0)
    } else {
        eprintln!("{}", config::load::format_report(&problems));
        Ok(2)
    }
}

/// One preset as text: name and origin, description, labels, concepts.
fn describe(marker: &str, preset: &Preset, origin: &str) -> String {
    let (has, lacks): (Vec<Concept>, Vec<Concept>) = Concept::ALL.into_iter().partition(|c| preset.has(*c));
    let keys = |concepts: &[Concept]| {
        if concepts.is_empty() {
            "-".to_string()
        } else {
            concepts.iter().map(|c| c.key()).collect::<Vec<_>>().join(" ")
        }
    };
    let labels = match &preset.version_label {
        Some(version) => format!("{}, {version}", preset.model_label),
        None => format!("{} (no version label: versions show as \"—\")", preset.model_label),
    };
    let mut lines = vec![format!("{marker} {:<12} {origin}", preset.name)];
    lines.extend(wrap(&preset.description, 72).into_iter().map(|l| format!("    {l}")));
    lines.push(format!("    labels   {labels}"));
    lines.push(format!("    has      {}", keys(&has)));
    lines.push(format!("    lacks    {}", keys(&lacks)));
    if preset.le_unit_seconds != 1.0 {
        lines.push(format!("    buckets  le in units of {}s", preset.le_unit_seconds));
    }
    lines.join("\n")
}

/// Splits `text` at spaces into lines of at most `width` characters (a
/// longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_says_what_a_preset_has_and_lacks() {
        let kserve = Preset::resolve("kserve", None, &BTreeMap::new()).unwrap();
        let text = describe("*", &kserve, "builtin");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "* kserve       builtin");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("    labels   model_name (no version label: versions show as \"—\")"), "{text}");
        assert!(text.contains("    has      requests latency_buckets latency_average history\n"), "{text}");
        assert!(text.ends_with("    lacks    errors version_info"), "{text}");

        let ray = describe(" ", &Preset::resolve("ray", None, &BTreeMap::new()).unwrap(), "builtin");
        assert!(ray.ends_with("    buckets  le in units of 0.001s"), "{ray}");
        let generic = describe(" ", &Preset::resolve("generic", None, &BTreeMap::new()).unwrap(), "builtin");
        assert!(generic.contains("    labels   model, version\n"), "{generic}");
        assert!(generic.contains("    lacks    -"), "{generic}");
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("supercalifragilistic x", 5), ["supercalifragilistic", "x"]);
        assert!(wrap("", 10).is_empty());
    }
}
