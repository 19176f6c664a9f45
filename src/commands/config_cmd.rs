//! `vigil config check|paths`, `vigil keys`, `vigil themes`, `vigil completions`.

use std::collections::BTreeMap;
use std::path::Path;

use clap::CommandFactory;

use crate::app::action::Mode;
use crate::app::keymap::Keymap;
use crate::cli::Cli;
use crate::config::{self, Config};
use crate::core::diagnostic::Diagnostic;
use crate::launch::{Failure, Setup};
use crate::sources::presets::{OVERRIDES_FILE, Preset};
use crate::ui::theme::Theme;

/// Validates the config file, every context's metric preset with its query
/// overrides, and every theme, keymap and preset file vigil would read.
/// Prints every problem with file, line and key; exits 2 when there are any.
pub fn check(setup_options: crate::cli::GlobalOptions) -> Result<u8, Failure> {
    let paths = config::paths::discover(setup_options.config.clone()).map_err(Failure::usage)?;
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut checked: Vec<String> = Vec::new();
    let config = if paths.config_file.exists() {
        checked.push(paths.config_file.display().to_string());
        match config::load::load(&paths.config_file, Some(&paths.presets_dir)) {
            Ok(c) => Some(c),
            Err(d) => {
                problems.extend(d);
                None
            }
        }
    } else if setup_options.config.is_some() {
        return Err(Failure::usage(format!("config file {} does not exist", paths.config_file.display())));
    } else {
        println!("no config file at {} (vigil runs with --demo without one)", paths.config_file.display());
        None
    };
    let config = config.unwrap_or_default();

    let theme_name = setup_options.theme.clone().or(config.theme.clone()).unwrap_or_else(|| "dark".into());
    let keymap_name = setup_options.keymap.clone().or(config.keymap.clone()).unwrap_or_else(|| "default".into());
    let mut themes = vec![theme_name];
    themes.extend(user_files(&paths.themes_dir));
    themes.dedup();
    for name in &themes {
        if let Err(d) = Theme::load(name, Some(&paths.themes_dir)) {
            problems.extend(d);
        }
    }
    let mut keymaps = vec![keymap_name];
    keymaps.extend(user_files(&paths.keymaps_dir));
    keymaps.dedup();
    for name in &keymaps {
        if let Err(d) = Keymap::load(name, Some(&paths.keymaps_dir)) {
            problems.extend(d);
        }
    }
    let presets = check_presets(&config, &paths.presets_dir, &mut problems);
    // Imported SLO specs, relative to the config file.
    let base = paths.config_file.parent().map(Path::to_path_buf).unwrap_or_default();
    for context in config.contexts.values() {
        for file in &context.slo_files {
            let path = if file.is_absolute() { file.clone() } else { base.join(file) };
            if let Err(d) = config::slo_import::import(&path)
                && !problems.contains(&d)
            {
                problems.push(d);
            }
        }
    }
    if problems.is_empty() {
        println!("{}", summary(&config, &checked, &themes, &keymaps, &presets));
        Ok(0)
    } else {
        eprintln!("{}", config::load::format_report(&problems));
        Ok(2)
    }
}

/// Resolves each context's preset with its `queries`, then every user preset
/// file; returns the names checked. A problem in a shared user file is listed once.
fn check_presets(config: &Config, presets_dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<String> {
    let add = |found: Vec<Diagnostic>, problems: &mut Vec<Diagnostic>| {
        for d in found {
            if !problems.contains(&d) {
                problems.push(d);
            }
        }
    };
    let mut names: Vec<String> = Vec::new();
    for (context_name, context) in &config.contexts {
        if let Err(found) = Preset::resolve(&context.preset, Some(presets_dir), &context.queries) {
            let config_file = config.file.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
            let found = found.into_iter().map(|d| in_context(d, &config_file, context_name)).collect();
            add(found, problems);
        }
        names.push(context.preset.clone());
    }
    let no_overrides = BTreeMap::new();
    for name in user_files(presets_dir) {
        if let Err(found) = Preset::resolve(&name, Some(presets_dir), &no_overrides) {
            add(found, problems);
        }
        names.push(name);
    }
    names.sort();
    names.dedup();
    names
}

/// A problem `Preset::resolve` found in a context's `queries`, which it knows
/// only as `config: queries.KEY`, named by the config file and the context.
fn in_context(d: Diagnostic, config_file: &str, context: &str) -> Diagnostic {
    if d.file != OVERRIDES_FILE {
        return d;
    }
    let key = format!("{}.{}", config::join_key("contexts", context), d.key);
    Diagnostic { file: config_file.to_string(), key, ..d }
}

fn summary(config: &Config, files: &[String], themes: &[String], keymaps: &[String], presets: &[String]) -> String {
    let contexts: Vec<&str> = config.contexts.keys().map(String::as_str).collect();
    let mut out = String::from("ok");
    if !files.is_empty() {
        out.push_str(&format!(": {}", files.join(", ")));
    }
    out.push_str(&format!(
        "\n{} context{}{}; theme {}; keymap {}; presets {}",
        contexts.len(),
        if contexts.len() == 1 { "" } else { "s" },
        if contexts.is_empty() { String::new() } else { format!(" ({})", contexts.join(", ")) },
        themes.join(", "),
        keymaps.join(", "),
        if presets.is_empty() { "none".to_string() } else { presets.join(", ") },
    ));
    out
}

/// The names of the `*.toml` files in a user directory, sorted.
fn user_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            if path.extension()? != "toml" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

pub fn paths(setup_options: crate::cli::GlobalOptions) -> Result<u8, Failure> {
    let paths = config::paths::discover(setup_options.config).map_err(Failure::usage)?;
    for entry in paths.entries() {
        let exists = if entry.path.exists() { "" } else { "  (absent)" };
        println!("{:<14} {}{exists}\n{:<14} {}", entry.label, entry.path.display(), "", entry.purpose);
    }
    Ok(0)
}

pub fn keys(setup: &Setup) -> Result<u8, Failure> {
    let keymap = setup.keymap()?;
    println!("keymap {}", keymap.name());
    for mode in Mode::ALL {
        println!("\n[{}]", mode.as_str());
        for (action, keys) in keymap.entries(mode) {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            println!("  {:<18} {:<22} {}", action.name(), keys.join(" "), action.description());
        }
    }
    Ok(0)
}

pub fn themes(setup: &Setup) -> Result<u8, Failure> {
    let active = setup.theme_name();
    for (name, origin) in Theme::available(Some(&setup.paths.themes_dir)) {
        let marker = if name == active { "*" } else { " " };
        println!("{marker} {name:<16} {origin}");
    }
    Ok(0)
}

pub fn completions(shell: clap_complete::Shell) -> Result<u8, Failure> {
    clap_complete::generate(shell, &mut Cli::command(), "vigil", &mut std::io::stdout());
    Ok(0)
}
