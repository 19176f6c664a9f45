//! Colours and text styles as data: `themes/*.toml` embedded in the binary,
//! overridable from the config dir. Meaning never rests on colour alone —
//! glyphs and text carry it too — so `NO_COLOR` turns every theme into
//! `Theme::monochrome`, which keeps bold/reverse but drops colours.
//!
//! A theme file has a `[styles]` table with one inline table per [`Theme`]
//! field: `selection = { fg = "#c0caf5", bg = "#2e3c64", bold = true }`.
//! Colours are what ratatui parses (`red`, `lightblue`, `#1a1b26`, `"238"`);
//! attributes are `bold`, `italic`, `underlined`, `reversed`, `dim` (`false`
//! switches one off even where a surrounding style has it). Shipped themes
//! define every style. A user file `NAME.toml` merges over the shipped theme
//! of that name, or over `dark`, or over the one named by `extends = "light"`
//! at its top: each style it lists replaces that whole style.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::app::keymap::data_file::{Kind, Problems, Source};
use crate::core::diagnostic::{Diagnostic, did_you_mean};

/// Every style the views use. Each field is a key under `[styles]` in a theme file.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Text and background of the whole console.
    pub base: Style,
    /// Secondary text: units, ages, separators.
    pub muted: Style,
    /// Emphasis: the current sort column, the active view's name.
    pub accent: Style,
    /// The header bar (a context's tint replaces its background).
    pub header: Style,
    /// The footer with the keys for this view.
    pub footer: Style,
    /// Key names in the footer and help.
    pub key: Style,
    pub border: Style,
    pub table_header: Style,
    /// The selected row.
    pub selection: Style,
    pub ok: Style,
    pub warning: Style,
    pub critical: Style,
    pub unknown: Style,
    pub sparkline: Style,
    /// The `:` and `/` prompt line.
    pub prompt: Style,
    /// Error messages (bad regex, unknown command).
    pub error: Style,
    /// Text drawn on a context's tint.
    pub tint_text: Style,
}

/// Names the style fields once: the `[styles]` keys and the accessors by name.
macro_rules! style_fields {
    ($($field:ident),* $(,)?) => {
        /// The keys of `[styles]`, in [`Theme`] field order.
        pub const STYLE_NAMES: &[&str] = &[$(stringify!($field)),*];

        impl Theme {
            /// The style called `name` in theme files.
            pub fn style(&self, name: &str) -> Option<Style> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }

            fn style_mut(&mut self, name: &str) -> Option<&mut Style> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// A theme with every style empty (the terminal's own colours).
            fn blank(name: &str) -> Theme {
                Theme { name: name.to_string(), $($field: Style::new(),)* }
            }
        }
    };
}

style_fields!(
    base,
    muted,
    accent,
    header,
    footer,
    key,
    border,
    table_header,
    selection,
    ok,
    warning,
    critical,
    unknown,
    sparkline,
    prompt,
    error,
    tint_text,
);

const THEMES: Kind = Kind {
    noun: "theme",
    dir: "themes",
    names: &["dark", "light", "high-contrast", "16-colour"],
    texts: &[
        include_str!("../../themes/dark.toml"),
        include_str!("../../themes/light.toml"),
        include_str!("../../themes/high-contrast.toml"),
        include_str!("../../themes/16-colour.toml"),
    ],
};

/// The theme a user file with a new name merges over.
const BASE: &str = "dark";

const ATTRIBUTES: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("dim", Modifier::DIM),
];

/// The colour names ratatui knows, for "did you mean" here and on a context's `tint`.
pub const COLOUR_NAMES: &[&str] = &[
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
    "reset",
];

/// What `monochrome` adds so that meaning survives without colour.
const MONOCHROME_MARKS: &[(&str, Modifier)] = &[
    ("selection", Modifier::REVERSED),
    ("header", Modifier::REVERSED.union(Modifier::BOLD)),
    ("table_header", Modifier::BOLD.union(Modifier::UNDERLINED)),
    ("critical", Modifier::BOLD),
    ("key", Modifier::BOLD),
    ("error", Modifier::BOLD),
];

impl Default for Theme {
    /// The shipped `dark` theme (its tests prove it loads).
    fn default() -> Self {
        Theme::load(BASE, None).expect("the shipped dark theme is valid")
    }
}

impl Theme {
    /// The themes shipped with vigil.
    pub fn builtin_names() -> &'static [&'static str] {
        THEMES.names
    }

    /// Loads theme `name`: `user_dir/NAME.toml` merged over the shipped theme of
    /// that name (or over `dark`, or over the one it `extends`), or the shipped
    /// theme alone. Every problem is reported, in file order.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, Vec<Diagnostic>> {
        let user = THEMES.user_file(name, user_dir).map_err(|d| vec![d])?;
        if user.is_none() && THEMES.builtin(name).is_none() {
            return Err(vec![THEMES.unknown(name, user_dir)]);
        }
        Theme::build(name, user)
    }

    /// Every theme `load` can find: `(name, origin)`, origin being `builtin`
    /// or the user file's path (which merges over the shipped theme of that name).
    pub fn available(user_dir: Option<&Path>) -> Vec<(String, String)> {
        THEMES.available(user_dir)
    }

    /// The theme for `NO_COLOR`: no colours at all, modifiers kept, and the
    /// selection, header, table header, critical, key and error styles marked
    /// with reverse/bold/underline so they still stand out.
    pub fn monochrome(&self) -> Theme {
        let mut theme = self.clone();
        for name in STYLE_NAMES {
            let style = theme.style_mut(name).expect("STYLE_NAMES are fields");
            *style = Style::new().add_modifier(style.add_modifier).remove_modifier(style.sub_modifier);
        }
        for (name, marks) in MONOCHROME_MARKS {
            let style = theme.style_mut(name).expect("marked styles are fields");
            *style = style.add_modifier(*marks);
        }
        theme
    }

    /// Every style with its name, in [`STYLE_NAMES`] order (for `vigil themes`).
    pub fn styles(&self) -> Vec<(&'static str, Style)> {
        STYLE_NAMES.iter().map(|name| (*name, self.style(name).expect("STYLE_NAMES are fields"))).collect()
    }

    /// Merges `user` (if any) over its base theme; a shipped theme must define every style.
    fn build(name: &str, user: Option<Source>) -> Result<Theme, Vec<Diagnostic>> {
        let mut problems = Problems::default();
        let user_layer = user.as_ref().map(|source| parse_layer(source, 1, &mut problems));

        let base_name = match user_layer.as_ref().and_then(|l| l.extends.as_ref()) {
            Some(extends) => extends.as_str(),
            None if THEMES.builtin(name).is_some() => name,
            None => BASE,
        };
        let base = THEMES.builtin(base_name).expect("base theme names are checked");
        let base_layer = parse_layer(&base, 0, &mut problems);
        if base_layer.extends.is_some() {
            problems.push(0, 0, base.file_level("`extends` is only for user themes"));
        }
        check_complete(&base, &base_layer, &mut problems);

        let mut theme = Theme::blank(name);
        for (field, style) in base_layer.styles.into_iter().chain(user_layer.into_iter().flat_map(|l| l.styles)) {
            *theme.style_mut(field).expect("parsed style names are fields") = style;
        }
        problems.into_result(theme)
    }
}

/// One file's contents.
struct Layer {
    /// False when the file had TOML syntax errors (and so nothing else was checked).
    parsed: bool,
    extends: Option<String>,
    styles: Vec<(&'static str, Style)>,
}

/// A shipped theme defines every style, so no view falls back to the terminal's colours by accident.
fn check_complete(source: &Source, layer: &Layer, problems: &mut Problems) {
    if !layer.parsed {
        return;
    }
    for missing in STYLE_NAMES.iter().filter(|n| !layer.styles.iter().any(|(s, _)| s == *n)) {
        let mut d = source.file_level("missing: a shipped theme defines every style");
        d.key = format!("styles.{missing}");
        problems.push(0, 0, d);
    }
}

fn parse_layer(source: &Source, file: usize, problems: &mut Problems) -> Layer {
    let mut layer = Layer { parsed: false, extends: None, styles: Vec::new() };
    let table = match source.parse() {
        Ok(table) => table,
        Err(diagnostics) => {
            problems.extend(file, diagnostics);
            return layer;
        }
    };
    layer.parsed = true;
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let offset = key.span().start;
        match name {
            "extends" => {
                layer.extends = THEMES.extends(source, value, |offset, d| problems.push(file, offset, d));
            }
            "styles" => match value.get_ref() {
                DeValue::Table(styles) => parse_styles(source, file, styles, &mut layer, problems),
                other => {
                    let offset = value.span().start;
                    let message = format!("expected a table of styles, found {}", other.type_str());
                    problems.push(file, offset, source.at(offset, "styles", message));
                }
            },
            _ => {
                let d = source.at(offset, name, format!("unknown key `{name}`"));
                let d = if STYLE_NAMES.contains(&name) {
                    d.with_hint("styles go under [styles]")
                } else {
                    match did_you_mean(name, ["styles", "extends"]) {
                        Some(m) => d.with_hint(format!("did you mean `{m}`?")),
                        None => d.with_hint("a theme has `extends` and [styles]"),
                    }
                };
                problems.push(file, offset, d);
            }
        }
    }
    layer
}

fn parse_styles(source: &Source, file: usize, styles: &DeTable<'_>, layer: &mut Layer, problems: &mut Problems) {
    for (key, value) in styles.iter() {
        let name: &str = key.get_ref();
        let offset = key.span().start;
        let path = format!("styles.{name}");
        let Some(field) = STYLE_NAMES.iter().copied().find(|n| *n == name) else {
            let hint = match did_you_mean(name, STYLE_NAMES.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("styles are {}", STYLE_NAMES.join(", ")),
            };
            problems.push(file, offset, source.at(offset, path, format!("unknown style `{name}`")).with_hint(hint));
            continue;
        };
        let DeValue::Table(attributes) = value.get_ref() else {
            let offset = value.span().start;
            let message = format!(
                "expected an inline table like {{ fg = \"red\", bold = true }}, found {}",
                value.get_ref().type_str()
            );
            problems.push(file, offset, source.at(offset, path, message));
            continue;
        };
        let style = parse_style(source, file, &path, attributes, problems);
        layer.styles.push((field, style));
    }
}

fn parse_style(source: &Source, file: usize, path: &str, attributes: &DeTable<'_>, problems: &mut Problems) -> Style {
    let mut style = Style::new();
    for (key, value) in attributes.iter() {
        let name: &str = key.get_ref();
        let path = format!("{path}.{name}");
        if name == "fg" || name == "bg" {
            match parse_colour(source, &path, value) {
                Ok(colour) if name == "fg" => style = style.fg(colour),
                Ok(colour) => style = style.bg(colour),
                Err(d) => problems.push(file, value.span().start, d),
            }
        } else if let Some((_, modifier)) = ATTRIBUTES.iter().find(|(a, _)| *a == name) {
            match value.get_ref().as_bool() {
                Some(true) => style = style.add_modifier(*modifier),
                Some(false) => style = style.remove_modifier(*modifier),
                None => {
                    let offset = value.span().start;
                    let message = format!("expected true or false, found {}", value.get_ref().type_str());
                    problems.push(file, offset, source.at(offset, path, message));
                }
            }
        } else {
            let offset = key.span().start;
            let names = ["fg", "bg"].into_iter().chain(ATTRIBUTES.iter().map(|(a, _)| *a));
            let hint = match did_you_mean(name, names) {
                Some(m) => format!("did you mean `{m}`?"),
                None => "a style has fg, bg, bold, italic, underlined, reversed and dim".to_string(),
            };
            problems.push(file, offset, source.at(offset, path, format!("unknown attribute `{name}`")).with_hint(hint));
        }
    }
    style
}

fn parse_colour(source: &Source, path: &str, value: &Spanned<DeValue<'_>>) -> Result<Color, Diagnostic> {
    let offset = value.span().start;
    let text = match value.get_ref() {
        DeValue::String(text) => text,
        DeValue::Integer(n) => {
            let message = "expected a colour as a string, found integer";
            return Err(source.at(offset, path, message).with_hint(format!("write \"{}\"", n.as_str())));
        }
        other => {
            let message =
                format!("expected a colour such as \"red\", \"#1a1b26\" or \"238\", found {}", other.type_str());
            return Err(source.at(offset, path, message));
        }
    };
    Color::from_str(text).map_err(|_| {
        let hint = match did_you_mean(&text.to_lowercase(), COLOUR_NAMES.iter().copied()) {
            Some(m) if !text.starts_with('#') => format!("did you mean `{m}`?"),
            _ => "a colour is a name (red, lightblue, darkgray), \"#rrggbb\" or \"0\" to \"255\"".to_string(),
        };
        source.at(offset, path, format!("unknown colour `{text}`")).with_hint(hint)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Source {
        Source { label: "themes/mine.toml".to_string(), text: text.to_string() }
    }

    /// The diagnostics of `text` loaded as the user theme `mine`, as displayed.
    fn problems(text: &str) -> Vec<String> {
        match Theme::build("mine", Some(user(text))) {
            Ok(_) => Vec::new(),
            Err(ds) => ds.iter().map(ToString::to_string).collect(),
        }
    }

    fn colours(theme: &Theme) -> Vec<(&'static str, Color)> {
        theme.styles().into_iter().flat_map(|(name, s)| s.fg.into_iter().chain(s.bg).map(move |c| (name, c))).collect()
    }

    #[test]
    fn shipped_themes_load() {
        for name in Theme::builtin_names() {
            let theme = Theme::load(name, None).unwrap_or_else(|ds| {
                panic!("{name}: {}", ds.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            });
            assert_eq!(theme.name, *name);
        }
        assert_eq!(Theme::builtin_names().len(), THEMES.texts.len());
        assert_eq!(Theme::default().name, "dark");
    }

    #[test]
    fn shipped_themes_define_every_style() {
        for name in Theme::builtin_names() {
            let source = THEMES.builtin(name).unwrap();
            let mut problems = Problems::default();
            let layer = parse_layer(&source, 0, &mut problems);
            let mut defined: Vec<&str> = layer.styles.iter().map(|(n, _)| *n).collect();
            defined.sort_unstable();
            let mut expected = STYLE_NAMES.to_vec();
            expected.sort_unstable();
            assert_eq!(defined, expected, "{name}");
        }
    }

    #[test]
    fn a_shipped_theme_missing_a_style_is_an_error() {
        let source = THEMES.builtin("dark").unwrap();
        let mut problems = Problems::default();
        let mut layer = parse_layer(&source, 0, &mut problems);
        check_complete(&source, &layer, &mut problems);
        assert!(problems.into_result(()).is_ok());

        layer.styles.retain(|(n, _)| *n != "sparkline");
        let mut problems = Problems::default();
        check_complete(&source, &layer, &mut problems);
        let errors = problems.into_result(()).unwrap_err();
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["builtin:themes/dark.toml: styles.sparkline: missing: a shipped theme defines every style"]
        );
    }

    #[test]
    fn style_names_cover_every_field() {
        let mut theme = Theme::blank("t");
        for (i, name) in STYLE_NAMES.iter().enumerate() {
            *theme.style_mut(name).unwrap() = Style::new().fg(Color::Indexed(i as u8));
        }
        // A struct literal lists every field: a new field fails to compile here until
        // it is added, and then fails this test until it is in `style_fields!`.
        let Theme {
            name: _,
            base,
            muted,
            accent,
            header,
            footer,
            key,
            border,
            table_header,
            selection,
            ok,
            warning,
            critical,
            unknown,
            sparkline,
            prompt,
            error,
            tint_text,
        } = theme;
        let fields = [
            base,
            muted,
            accent,
            header,
            footer,
            key,
            border,
            table_header,
            selection,
            ok,
            warning,
            critical,
            unknown,
            sparkline,
            prompt,
            error,
            tint_text,
        ];
        assert_eq!(fields.len(), STYLE_NAMES.len());
        for (i, style) in fields.iter().enumerate() {
            assert_eq!(style.fg, Some(Color::Indexed(i as u8)), "field {i} is not `{}`", STYLE_NAMES[i]);
        }
    }

    #[test]
    fn sixteen_colour_uses_ansi_names_only() {
        let theme = Theme::load("16-colour", None).unwrap();
        let extended: Vec<_> =
            colours(&theme).into_iter().filter(|(_, c)| matches!(c, Color::Rgb(..) | Color::Indexed(_))).collect();
        assert!(extended.is_empty(), "{extended:?}");
        assert!(!colours(&theme).is_empty());
    }

    #[test]
    fn high_contrast_uses_black_white_yellow_cyan() {
        let theme = Theme::load("high-contrast", None).unwrap();
        let allowed =
            [Color::Rgb(0, 0, 0), Color::Rgb(255, 255, 255), Color::Rgb(255, 255, 0), Color::Rgb(0, 255, 255)];
        for (name, colour) in colours(&theme) {
            assert!(allowed.contains(&colour), "{name}: {colour:?}");
        }
    }

    #[test]
    fn monochrome_drops_colours_and_keeps_meaning() {
        for name in Theme::builtin_names() {
            let theme = Theme::load(name, None).unwrap();
            let mono = theme.monochrome();
            assert!(colours(&mono).is_empty(), "{name}: {:?}", colours(&mono));
            for (style, marks) in MONOCHROME_MARKS {
                assert!(mono.style(style).unwrap().add_modifier.contains(*marks), "{name}.{style}");
            }
            assert!(mono.selection.add_modifier.contains(Modifier::REVERSED));
            assert!(mono.header.add_modifier.contains(Modifier::REVERSED | Modifier::BOLD));
            assert!(mono.table_header.add_modifier.contains(Modifier::BOLD | Modifier::UNDERLINED));
            for field in ["critical", "key", "error"] {
                assert!(mono.style(field).unwrap().add_modifier.contains(Modifier::BOLD), "{name}.{field}");
            }
            for (field, style) in theme.styles() {
                let kept = mono.style(field).unwrap();
                assert!(kept.add_modifier.contains(style.add_modifier), "{name}.{field} keeps its modifiers");
            }
        }
    }

    #[test]
    fn dark_status_colours_are_the_colour_blind_safe_ones() {
        let dark = Theme::default();
        assert_eq!(dark.ok.fg, Some(Color::Rgb(0x56, 0xb4, 0xe9)), "sky blue, not green");
        assert_eq!(dark.warning.fg, Some(Color::Rgb(0xe6, 0x9f, 0x00)), "orange");
        assert!(dark.critical.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn user_file_merges_over_the_shipped_theme() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dark.toml"), "[styles]\nselection = { bg = \"238\", bold = true }\n").unwrap();
        std::fs::write(dir.path().join("paper.toml"), "extends = \"light\"\n[styles]\nok = { fg = \"blue\" }\n")
            .unwrap();
        std::fs::write(dir.path().join("mine.toml"), "[styles]\nkey = { fg = \"lightblue\", bold = false }\n").unwrap();
        let shipped_dark = Theme::load("dark", None).unwrap();
        let light = Theme::load("light", None).unwrap();

        let dark = Theme::load("dark", Some(dir.path())).unwrap();
        assert_eq!(dark.selection, Style::new().bg(Color::Indexed(238)).add_modifier(Modifier::BOLD));
        assert_eq!(dark.base, shipped_dark.base, "unlisted styles stay");

        let paper = Theme::load("paper", Some(dir.path())).unwrap();
        assert_eq!(paper.name, "paper");
        assert_eq!(paper.ok, Style::new().fg(Color::Blue));
        assert_eq!(paper.base, light.base, "extends light");

        let mine = Theme::load("mine", Some(dir.path())).unwrap();
        assert_eq!(mine.key, Style::new().fg(Color::LightBlue).remove_modifier(Modifier::BOLD));
        assert_eq!(mine.critical, shipped_dark.critical, "a new name merges over dark");

        let path = |n: &str| dir.path().join(n).display().to_string();
        assert_eq!(
            Theme::available(Some(dir.path())),
            [
                ("dark".to_string(), path("dark.toml")),
                ("light".to_string(), "builtin".to_string()),
                ("high-contrast".to_string(), "builtin".to_string()),
                ("16-colour".to_string(), "builtin".to_string()),
                ("mine".to_string(), path("mine.toml")),
                ("paper".to_string(), path("paper.toml")),
            ]
        );
    }

    #[test]
    fn user_file_problems_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dark.toml");
        std::fs::write(&file, "[styles]\nok = { fg = \"bleu\" }\n").unwrap();
        let errors = Theme::load("dark", Some(dir.path())).unwrap_err();
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [format!("{}:2:13: styles.ok.fg: unknown colour `bleu` (did you mean `blue`?)", file.display())]
        );
    }

    #[test]
    fn unknown_theme_names_suggest() {
        assert_eq!(
            Theme::load("ligth", None).unwrap_err()[0].to_string(),
            "builtin:themes/ligth.toml: no theme named `ligth`; there are dark, light, high-contrast, 16-colour \
             (did you mean `light`?)"
        );
    }

    #[test]
    fn unknown_style_and_attribute_with_hints() {
        assert_eq!(
            problems("[styles]\nselectoin = { bold = true }\nok = { fg = \"blue\", undrline = true }\n"),
            [
                "themes/mine.toml:2:1: styles.selectoin: unknown style `selectoin` (did you mean `selection`?)",
                "themes/mine.toml:3:21: styles.ok.undrline: unknown attribute `undrline` (did you mean `underlined`?)",
            ]
        );
        assert_eq!(
            problems("[stlyes]\nok = { fg = \"blue\" }\n"),
            ["themes/mine.toml:1:2: stlyes: unknown key `stlyes` (did you mean `styles`?)"]
        );
        assert_eq!(
            problems("ok = { fg = \"blue\" }\n"),
            ["themes/mine.toml:1:1: ok: unknown key `ok` (styles go under [styles])"]
        );
        assert_eq!(
            problems("extends = \"drak\"\n"),
            ["themes/mine.toml:1:11: extends: no shipped theme named `drak` (did you mean `dark`?)"]
        );
    }

    #[test]
    fn bad_colours_and_wrong_types() {
        assert_eq!(
            problems(
                "[styles]\nselection = { bg = \"lightbleu\" }\nok = { fg = \"#12345\" }\nkey = { fg = 238 }\n\
                 error = { bold = \"yes\" }\nmuted = \"gray\"\n"
            ),
            [
                "themes/mine.toml:2:20: styles.selection.bg: unknown colour `lightbleu` (did you mean `lightblue`?)",
                "themes/mine.toml:3:13: styles.ok.fg: unknown colour `#12345` \
                 (a colour is a name (red, lightblue, darkgray), \"#rrggbb\" or \"0\" to \"255\")",
                "themes/mine.toml:4:14: styles.key.fg: expected a colour as a string, found integer (write \"238\")",
                "themes/mine.toml:5:18: styles.error.bold: expected true or false, found string",
                "themes/mine.toml:6:9: styles.muted: expected an inline table like { fg = \"red\", bold = true }, \
                 found string",
            ]
        );
    }

    #[test]
    fn syntax_errors_are_diagnostics() {
        let found = problems("[styles]\nok = { fg = \"blue\" \n");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("themes/mine.toml:2:"), "{found:#?}");
    }
}
