//! Keys to actions, as data (`keymaps/*.toml`).
//!
//! A keymap file has one table per [`Mode`], each `action = "key"` or
//! `action = ["key", "key"]`. The shipped keymaps are embedded in the binary;
//! a user file `NAME.toml` in the user's keymap directory merges over the
//! shipped keymap of the same name (or over `default`, or over the one named by
//! `extends = "vim"` at its top): each action it lists replaces that action's
//! keys, and `action = []` unbinds it.
//!
//! Loading checks everything and reports every problem as a [`Diagnostic`]:
//! unknown modes and actions, actions under the wrong mode, key spellings that
//! do not parse, `ctrl-c` bound to anything but `quit` (it is hard-wired to quit
//! in the event loop), and one key bound to two actions that are active at the
//! same time (see [`STACKS`]).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml::Spanned;
use toml::de::{DeString, DeValue};

use crate::app::action::{Action, Mode};
use crate::core::diagnostic::{Diagnostic, did_you_mean, line_column};

use self::data_file::{Kind, Problems, Source};

/// The mode stacks the event loop uses: the first mode that binds a key wins.
/// A key may appear only once within a stack, so the order never matters for
/// correctness. A stack the event loop passes to [`Keymap::action`] must be one
/// of these or a sub-list of one (`[Table, Global]` for a table view that is not
/// the fleet).
pub const STACKS: &[&[Mode]] = &[
    &[Mode::Fleet, Mode::Table, Mode::Global],
    &[Mode::Alerts, Mode::Table, Mode::Global],
    &[Mode::Model, Mode::Global],
    &[Mode::Playbook, Mode::Table, Mode::Global],
    &[Mode::Help, Mode::Global],
    &[Mode::Form],
    &[Mode::Prompt],
];

const KEYMAPS: Kind = Kind {
    noun: "keymap",
    dir: "keymaps",
    names: &["default", "vim"],
    texts: &[include_str!("../../keymaps/default.toml"), include_str!("../../keymaps/vim.toml")],
};

/// The keymap a user file with a new name merges over.
const BASE: &str = "default";

// ---------------------------------------------------------------------------
// Key bindings
// ---------------------------------------------------------------------------

/// One key with its modifiers, normalised so that what crossterm delivers and
/// what a keymap file spells compare equal:
///
/// - a character carries no SHIFT: `G`, `shift-g` and crossterm's
///   `Char('G')` + SHIFT are all `G`;
/// - with `ctrl-`, a letter is lower case (terminals cannot tell `ctrl-G` from `ctrl-g`);
/// - `shift-tab` is `BackTab` (crossterm sends `BackTab` + SHIFT);
/// - `space` is `Char(' ')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    code: KeyCode,
    modifiers: KeyModifiers,
}

/// Named keys, in the spelling [`KeyBinding`]'s `Display` uses.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("space", KeyCode::Char(' ')),
];

/// Other spellings people reach for.
const ALIASES: &[(&str, &str)] = &[
    ("return", "enter"),
    ("escape", "esc"),
    ("pageup", "pgup"),
    ("pagedown", "pgdn"),
    ("del", "delete"),
    ("ins", "insert"),
];

/// In `Display` order.
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("super", KeyModifiers::SUPER),
    ("hyper", KeyModifiers::HYPER),
    ("meta", KeyModifiers::META),
    ("shift", KeyModifiers::SHIFT),
];

/// Control characters that terminals send as another key.
const CONTROL_ALIASES: &[(char, &str)] = &[('i', "tab"), ('m', "enter"), ('[', "esc")];

impl KeyBinding {
    /// A binding for `code` with `modifiers`, normalised (see the type's docs).
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        let mut modifiers = modifiers;
        let code = match code {
            KeyCode::Char(c) => {
                let mut c = c;
                if modifiers.contains(KeyModifiers::SHIFT) {
                    c = single_upper(c);
                }
                modifiers.remove(KeyModifiers::SHIFT);
                if modifiers.contains(KeyModifiers::CONTROL) {
                    c = single_lower(c);
                }
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyBinding { code, modifiers }
    }

    /// The binding a key event stands for. Press, repeat and release all map
    /// to the same binding; [`Keymap::action`] ignores releases.
    pub fn from_event(event: &KeyEvent) -> KeyBinding {
        KeyBinding::new(event.code, event.modifiers)
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    fn is_ctrl_c(&self) -> bool {
        *self == KeyBinding::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
    }
}

fn single_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn single_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

impl fmt::Display for KeyBinding {
    /// The canonical spelling: `ctrl-c`, `?`, `G`, `enter`, `shift-tab`, `f5`.
    /// Keys no keymap can name (media keys, caps lock) get a descriptive name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut modifiers = self.modifiers;
        if self.code == KeyCode::BackTab {
            modifiers.insert(KeyModifiers::SHIFT);
        }
        for (name, flag) in MODIFIERS {
            if modifiers.contains(*flag) {
                write!(f, "{name}-")?;
            }
        }
        match self.code {
            KeyCode::BackTab => f.write_str("tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Null => f.write_str("null"),
            KeyCode::CapsLock => f.write_str("capslock"),
            KeyCode::ScrollLock => f.write_str("scrolllock"),
            KeyCode::NumLock => f.write_str("numlock"),
            KeyCode::PrintScreen => f.write_str("printscreen"),
            KeyCode::Pause => f.write_str("pause"),
            KeyCode::Menu => f.write_str("menu"),
            KeyCode::KeypadBegin => f.write_str("keypadbegin"),
            KeyCode::Media(m) => write!(f, "media-{}", format!("{m:?}").to_lowercase()),
            KeyCode::Modifier(m) => write!(f, "{}", format!("{m:?}").to_lowercase()),
            code => {
                let name = NAMED.iter().find(|(_, c)| *c == code).map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

/// Why a key spelling did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseKeyError {
    pub message: String,
    pub hint: Option<String>,
}

impl ParseKeyError {
    fn new(message: impl Into<String>, hint: Option<String>) -> Self {
        Self { message: message.into(), hint }
    }
}

impl fmt::Display for ParseKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseKeyError {}

const KEY_SYNTAX: &str = "a key is one character, a named key (enter, esc, tab, backspace, up, down, left, right, \
                          home, end, pgup, pgdn, delete, insert, space, f1…f12), with ctrl-, alt- or shift- before it";

impl FromStr for KeyBinding {
    type Err = ParseKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        // Modifiers: `ctrl-`, `alt-`, `shift-`…; a lone `-` is the minus key.
        while let Some((word, tail)) = rest.split_once('-') {
            if word.is_empty() {
                break;
            }
            let lower = word.to_lowercase();
            let Some((_, flag)) = MODIFIERS.iter().find(|(name, _)| *name == lower) else {
                if word.chars().count() == 1 && tail.is_empty() {
                    break; // e.g. `a-`: not a key, reported below
                }
                let hint = did_you_mean(&lower, MODIFIERS.iter().map(|(n, _)| *n))
                    .map(|m| format!("did you mean `{m}-`?"))
                    .or_else(|| Some("modifiers are ctrl-, alt- and shift-".to_string()));
                return Err(ParseKeyError::new(format!("unknown modifier `{word}-` in `{s}`"), hint));
            };
            if modifiers.contains(*flag) {
                return Err(ParseKeyError::new(format!("`{word}-` is given twice in `{s}`"), None));
            }
            modifiers.insert(*flag);
            rest = tail;
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) if s.is_empty() => return Err(ParseKeyError::new("empty key", Some(KEY_SYNTAX.to_string()))),
            (None, _) => return Err(ParseKeyError::new(format!("`{s}` needs a key after the last `-`"), None)),
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest)?,
        };

        if let KeyCode::Char(c) = code {
            if modifiers.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                return Err(ParseKeyError::new(
                    format!("`{s}` cannot be told apart from `{c}`: shift- with a character works for letters only"),
                    Some("write the character shift gives, e.g. `?` rather than `shift-/`".to_string()),
                ));
            }
            if modifiers.contains(KeyModifiers::CONTROL)
                && let Some((_, other)) = CONTROL_ALIASES.iter().find(|(ch, _)| *ch == single_lower(c))
            {
                return Err(ParseKeyError::new(
                    format!("`{s}` reaches vigil as `{other}` in most terminals"),
                    Some(format!("bind `{other}` instead")),
                ));
            }
        }
        Ok(KeyBinding::new(code, modifiers))
    }
}

fn named_key(name: &str) -> Result<KeyCode, ParseKeyError> {
    let lower = name.to_lowercase();
    let canonical = ALIASES.iter().find(|(alias, _)| *alias == lower).map_or(lower.as_str(), |(_, n)| n);
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == canonical) {
        return Ok(*code);
    }
    if let Some(n) = canonical.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
        return if (1..=12).contains(&n) {
            Ok(KeyCode::F(n))
        } else {
            Err(ParseKeyError::new(format!("unknown key `{name}`"), Some("function keys are f1 to f12".to_string())))
        };
    }
    let names = NAMED.iter().map(|(n, _)| *n).chain(ALIASES.iter().map(|(a, _)| *a));
    let hint = match did_you_mean(&lower, names) {
        Some(m) => format!("did you mean `{m}`?"),
        None => KEY_SYNTAX.to_string(),
    };
    Err(ParseKeyError::new(format!("unknown key `{name}`"), Some(hint)))
}

// ---------------------------------------------------------------------------
// Keymaps
// ---------------------------------------------------------------------------

/// The effective keys for every action: shipped keymap plus the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    name: String,
    bindings: BTreeMap<Action, Vec<KeyBinding>>,
}

impl Default for Keymap {
    /// The shipped `default` keymap (its tests prove it loads).
    fn default() -> Self {
        Keymap::load(BASE, None).expect("the shipped default keymap is valid")
    }
}

impl Keymap {
    /// The keymaps shipped with vigil.
    pub fn builtin_names() -> &'static [&'static str] {
        KEYMAPS.names
    }

    /// Loads keymap `name`: `user_dir/NAME.toml` merged over the shipped keymap
    /// of that name (or over `default`, or over the one it `extends`), or the
    /// shipped keymap alone. Every problem is reported, in file order.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Keymap, Vec<Diagnostic>> {
        let user = KEYMAPS.user_file(name, user_dir).map_err(|d| vec![d])?;
        if user.is_none() && KEYMAPS.builtin(name).is_none() {
            return Err(vec![KEYMAPS.unknown(name, user_dir)]);
        }
        Keymap::build(name, user)
    }

    /// Every keymap `load` can find: `(name, origin)`, origin being `builtin`
    /// or the user file's path (which merges over the shipped keymap of that name).
    pub fn available(user_dir: Option<&Path>) -> Vec<(String, String)> {
        KEYMAPS.available(user_dir)
    }

    /// The action `key` triggers in the first of `modes` that binds it.
    /// Key releases trigger nothing.
    pub fn action(&self, modes: &[Mode], key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let binding = KeyBinding::from_event(key);
        modes.iter().find_map(|&mode| {
            self.bindings
                .iter()
                .find_map(|(&action, keys)| (action.mode() == mode && keys.contains(&binding)).then_some(action))
        })
    }

    /// The keys bound to `action`; empty when the user unbound it.
    pub fn keys(&self, action: Action) -> &[KeyBinding] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// Every action of `mode` with its keys, in [`Action::ALL`] order
    /// (unbound actions included, with no keys).
    pub fn entries(&self, mode: Mode) -> Vec<(Action, Vec<KeyBinding>)> {
        Action::ALL.into_iter().filter(|a| a.mode() == mode).map(|a| (a, self.keys(a).to_vec())).collect()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Merges `user` (if any) over its base keymap and validates the result.
    fn build(name: &str, user: Option<Source>) -> Result<Keymap, Vec<Diagnostic>> {
        let mut problems = Problems::default();
        let user_layer = user.as_ref().map(|source| parse_layer(source, 1, &mut problems));

        let base_name = match user_layer.as_ref().and_then(|l| l.extends.as_ref()) {
            Some(extends) => extends.as_str(),
            None if KEYMAPS.builtin(name).is_some() => name,
            None => BASE,
        };
        let base = KEYMAPS.builtin(base_name).expect("base keymap names are checked");
        let base_layer = parse_layer(&base, 0, &mut problems);
        if base_layer.extends.is_some() {
            problems.push(0, 0, base.file_level("`extends` is only for user keymaps"));
        }

        let mut effective: BTreeMap<Action, Vec<Bound>> = base_layer.actions.into_iter().collect();
        if let Some(layer) = user_layer {
            effective.extend(layer.actions);
        }
        let sources: Vec<&Source> = std::iter::once(&base).chain(user.as_ref()).collect();
        check_clashes(&effective, &sources, &mut problems);

        problems.into_result(Keymap {
            name: name.to_string(),
            bindings: effective.into_iter().map(|(a, keys)| (a, keys.into_iter().map(|b| b.key).collect())).collect(),
        })
    }
}

/// A key as written in a file: which file (0 = shipped, 1 = user), where, and
/// the dotted path of the action that binds it.
#[derive(Debug, Clone)]
struct Bound {
    key: KeyBinding,
    file: usize,
    offset: usize,
    path: String,
}

/// One file's contents: the keymap it extends and the actions it binds.
struct Layer {
    extends: Option<String>,
    actions: Vec<(Action, Vec<Bound>)>,
}

fn parse_layer(source: &Source, file: usize, problems: &mut Problems) -> Layer {
    let mut layer = Layer { extends: None, actions: Vec::new() };
    let table = match source.parse() {
        Ok(table) => table,
        Err(diagnostics) => {
            problems.extend(file, diagnostics);
            return layer;
        }
    };
    let mode_names = Mode::ALL.map(Mode::as_str);
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let offset = key.span().start;
        if name == "extends" {
            layer.extends = KEYMAPS.extends(source, value, |offset, d| problems.push(file, offset, d));
            continue;
        }
        let Some(mode) = Mode::ALL.into_iter().find(|m| m.as_str() == name) else {
            let diagnostic = match Action::from_name(name) {
                Some(action) if !value.get_ref().is_table() => source
                    .at(offset, name, "an action must be under the table of its mode")
                    .with_hint(format!("put it under [{}]", action.mode().as_str())),
                _ => {
                    let hint = match did_you_mean(name, mode_names.iter().copied().chain(["extends"])) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("modes are {}", mode_names.join(", ")),
                    };
                    source.at(offset, name, format!("unknown mode `{name}`")).with_hint(hint)
                }
            };
            problems.push(file, offset, diagnostic);
            continue;
        };
        let DeValue::Table(actions) = value.get_ref() else {
            let message = format!("expected a table of `action = \"key\"`, found {}", value.get_ref().type_str());
            problems.push(file, value.span().start, source.at(value.span().start, name, message));
            continue;
        };
        for (action_key, keys) in actions.iter() {
            if let Some(action) = parse_action(source, file, mode, action_key, problems) {
                let path = format!("{name}.{}", action_key.get_ref());
                let bound = parse_keys(source, file, action, &path, keys, problems);
                layer.actions.push((action, bound));
            }
        }
    }
    layer
}

fn parse_action(
    source: &Source,
    file: usize,
    mode: Mode,
    key: &Spanned<DeString<'_>>,
    problems: &mut Problems,
) -> Option<Action> {
    let name: &str = key.get_ref();
    let offset = key.span().start;
    let path = format!("{}.{name}", mode.as_str());
    match Action::from_name(name) {
        Some(action) if action.mode() == mode => Some(action),
        Some(action) => {
            let message = format!("`{name}` belongs in [{}], not [{}]", action.mode().as_str(), mode.as_str());
            problems.push(file, offset, source.at(offset, path, message));
            None
        }
        None => {
            let here = Action::ALL.into_iter().filter(|a| a.mode() == mode).map(Action::name);
            let hint = match did_you_mean(name, here) {
                Some(m) => format!("did you mean `{m}`?"),
                None => match did_you_mean(name, Action::ALL.map(Action::name)) {
                    Some(m) => {
                        let other = Action::from_name(m).map_or("", |a| a.mode().as_str());
                        format!("did you mean `{m}`? it belongs in [{other}]")
                    }
                    None => {
                        let names: Vec<&str> =
                            Action::ALL.into_iter().filter(|a| a.mode() == mode).map(Action::name).collect();
                        format!("[{}] has {}", mode.as_str(), names.join(", "))
                    }
                },
            };
            problems.push(file, offset, source.at(offset, path, format!("unknown action `{name}`")).with_hint(hint));
            None
        }
    }
}

fn parse_keys(
    source: &Source,
    file: usize,
    action: Action,
    path: &str,
    value: &Spanned<DeValue<'_>>,
    problems: &mut Problems,
) -> Vec<Bound> {
    const EXPECTED: &str = "expected a key (\"q\") or a list of keys ([\"q\", \"ctrl-c\"])";
    let items: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
        DeValue::String(_) => vec![value],
        DeValue::Array(items) => items.iter().collect(),
        other => {
            let offset = value.span().start;
            problems.push(file, offset, source.at(offset, path, format!("{EXPECTED}, found {}", other.type_str())));
            return Vec::new();
        }
    };
    let mut bound: Vec<Bound> = Vec::new();
    for item in items {
        let offset = item.span().start;
        let DeValue::String(spelling) = item.get_ref() else {
            let message = format!("{EXPECTED}, found {}", item.get_ref().type_str());
            problems.push(file, offset, source.at(offset, path, message));
            continue;
        };
        let key = match spelling.parse::<KeyBinding>() {
            Ok(key) => key,
            Err(e) => {
                let mut d = source.at(offset, path, e.message);
                d.hint = e.hint;
                problems.push(file, offset, d);
                continue;
            }
        };
        if key.is_ctrl_c() && action != Action::Quit {
            let d = source
                .at(offset, path, "`ctrl-c` is reserved: it always quits")
                .with_hint(format!("bind `{}` to another key", action.name()));
            problems.push(file, offset, d);
        } else if bound.iter().any(|b| b.key == key) {
            problems.push(file, offset, source.at(offset, path, format!("`{key}` is listed twice")));
        } else {
            bound.push(Bound { key, file, offset, path: path.to_string() });
        }
    }
    bound
}

/// One key bound to two actions that can be active at once is an error, reported
/// at the binding written last (user file after shipped file), naming both.
fn check_clashes(effective: &BTreeMap<Action, Vec<Bound>>, sources: &[&Source], problems: &mut Problems) {
    let mut reported = HashSet::new();
    for stack in STACKS {
        let mut seen: Vec<(Action, &Bound)> = Vec::new();
        let in_stack = effective.iter().filter(|(a, _)| stack.contains(&a.mode()));
        for (&action, bounds) in in_stack {
            for bound in bounds {
                seen.push((action, bound));
            }
        }
        seen.sort_by_key(|(_, b)| (b.file, b.offset));
        for (i, (action, bound)) in seen.iter().enumerate() {
            let Some((other, first)) = seen[..i].iter().find(|(_, b)| b.key == bound.key) else {
                continue;
            };
            if !reported.insert((*other, *action, bound.key)) {
                continue;
            }
            let key = bound.key;
            let mut message = format!("`{key}` is bound to both `{}` and `{}`", first.path, bound.path);
            if other.mode() != action.mode() {
                let position = |m: Mode| stack.iter().position(|s| *s == m);
                let (inner, outer) = if position(other.mode()) < position(action.mode()) {
                    (other.mode(), action.mode())
                } else {
                    (action.mode(), other.mode())
                };
                message.push_str(&format!(", and [{}] keys also work in [{}]", outer.as_str(), inner.as_str()));
            }
            let first_source = sources[first.file];
            let (line, column) = line_column(&first_source.text, first.offset);
            let place = if first.file == bound.file {
                format!("line {line}:{column}")
            } else {
                format!("{}:{line}:{column}", first_source.label)
            };
            let source = sources[bound.file];
            let d = source
                .at(bound.offset, &bound.path, message)
                .with_hint(format!("`{}` binds it at {place}", first.path));
            problems.push(bound.file, bound.offset, d);
        }
    }
}

// ---------------------------------------------------------------------------
// Data files, shared with themes
// ---------------------------------------------------------------------------

/// Shipped-or-user TOML data files (keymaps and themes): finding them, reading
/// them, and turning TOML errors into [`Diagnostic`]s.
pub(crate) mod data_file {
    use std::path::{Path, PathBuf};

    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    use crate::core::diagnostic::{Diagnostic, did_you_mean};

    /// A file's text and the label diagnostics name it by.
    #[derive(Debug, Clone)]
    pub(crate) struct Source {
        /// `builtin:keymaps/vim.toml`, or the user file's path.
        pub label: String,
        pub text: String,
    }

    impl Source {
        pub(crate) fn at(&self, offset: usize, key: impl Into<String>, message: impl Into<String>) -> Diagnostic {
            Diagnostic::at(&self.label, &self.text, offset, key, message)
        }

        pub(crate) fn file_level(&self, message: impl Into<String>) -> Diagnostic {
            Diagnostic::file_level(&self.label, message)
        }

        /// The document, or every syntax error in it.
        pub(crate) fn parse(&self) -> Result<DeTable<'_>, Vec<Diagnostic>> {
            let (table, errors) = DeTable::parse_recoverable(&self.text);
            if errors.is_empty() {
                return Ok(table.into_inner());
            }
            Err(errors
                .iter()
                .map(|e| self.at(e.span().map_or(0, |s| s.start), "", e.message().trim().to_string()))
                .collect())
        }
    }

    /// A kind of data file: `keymap`s in `keymaps/`, `theme`s in `themes/`.
    pub(crate) struct Kind {
        pub noun: &'static str,
        pub dir: &'static str,
        pub names: &'static [&'static str],
        /// The shipped files, in `names` order.
        pub texts: &'static [&'static str],
    }

    impl Kind {
        pub(crate) fn builtin(&self, name: &str) -> Option<Source> {
            let index = self.names.iter().position(|n| *n == name)?;
            Some(Source { label: format!("builtin:{}/{name}.toml", self.dir), text: self.texts[index].to_string() })
        }

        /// `user_dir/NAME.toml` if it exists; an error if it cannot be read or
        /// NAME could reach outside `user_dir`.
        pub(crate) fn user_file(&self, name: &str, user_dir: Option<&Path>) -> Result<Option<Source>, Diagnostic> {
            if !valid_name(name) {
                let label = format!("{} `{name}`", self.noun);
                return Err(Diagnostic::file_level(
                    &label,
                    format!("not a {} name: use letters, digits, `-`, `_` and `.`", self.noun),
                ));
            }
            let Some(path) = user_dir.map(|d| d.join(format!("{name}.toml"))) else {
                return Ok(None);
            };
            if !path.is_file() {
                return Ok(None);
            }
            let label = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(Source { label, text })),
                Err(e) => Err(Diagnostic::file_level(&label, format!("cannot read the {}: {e}", self.noun))),
            }
        }

        /// Neither shipped nor in `user_dir`.
        pub(crate) fn unknown(&self, name: &str, user_dir: Option<&Path>) -> Diagnostic {
            let label = match user_dir {
                Some(dir) => dir.join(format!("{name}.toml")).display().to_string(),
                None => format!("builtin:{}/{name}.toml", self.dir),
            };
            let known = self.available(user_dir);
            let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
            let d = Diagnostic::file_level(
                &label,
                format!("no {} named `{name}`; there are {}", self.noun, names.join(", ")),
            );
            match did_you_mean(name, names.iter().copied()) {
                Some(m) => d.with_hint(format!("did you mean `{m}`?")),
                None => d,
            }
        }

        /// `(name, origin)`: shipped ones first (origin `builtin`, or the path of
        /// the user file that merges over it), then the user's own, by name.
        pub(crate) fn available(&self, user_dir: Option<&Path>) -> Vec<(String, String)> {
            let mut user: Vec<(String, PathBuf)> = user_dir
                .and_then(|dir| std::fs::read_dir(dir).ok())
                .into_iter()
                .flatten()
                .filter_map(|entry| {
                    let path = entry.ok()?.path();
                    let stem = path.file_stem()?.to_str()?.to_string();
                    (path.extension()? == "toml" && path.is_file() && valid_name(&stem)).then_some((stem, path))
                })
                .collect();
            user.sort();
            let mut out: Vec<(String, String)> = self
                .names
                .iter()
                .map(|name| {
                    let origin = user
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("builtin".to_string(), |(_, p)| p.display().to_string());
                    (name.to_string(), origin)
                })
                .collect();
            out.extend(
                user.into_iter()
                    .filter(|(n, _)| !self.names.contains(&n.as_str()))
                    .map(|(n, p)| (n, p.display().to_string())),
            );
            out
        }

        /// The value of a top-level `extends = "NAME"`, if it names a shipped file.
        pub(crate) fn extends(
            &self,
            source: &Source,
            value: &Spanned<DeValue<'_>>,
            mut report: impl FnMut(usize, Diagnostic),
        ) -> Option<String> {
            let offset = value.span().start;
            let Some(name) = value.get_ref().as_str() else {
                let message =
                    format!("expected the name of a shipped {}, found {}", self.noun, value.get_ref().type_str());
                report(offset, source.at(offset, "extends", message));
                return None;
            };
            if self.names.contains(&name) {
                return Some(name.to_string());
            }
            let hint = match did_you_mean(name, self.names.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("shipped {}s: {}", self.noun, self.names.join(", ")),
            };
            report(
                offset,
                source.at(offset, "extends", format!("no shipped {} named `{name}`", self.noun)).with_hint(hint),
            );
            None
        }
    }

    /// Diagnostics from several files (0 = shipped, 1 = user), shown by file, then position.
    #[derive(Default)]
    pub(crate) struct Problems(Vec<(usize, usize, Diagnostic)>);

    impl Problems {
        pub(crate) fn push(&mut self, file: usize, offset: usize, diagnostic: Diagnostic) {
            self.0.push((file, offset, diagnostic));
        }

        pub(crate) fn extend(&mut self, file: usize, diagnostics: Vec<Diagnostic>) {
            for d in diagnostics {
                self.0.push((file, 0, d));
            }
        }

        pub(crate) fn into_result<T>(mut self, value: T) -> Result<T, Vec<Diagnostic>> {
            if self.0.is_empty() {
                return Ok(value);
            }
            self.0.sort_by_key(|(file, offset, d)| (*file, d.line, d.column, *offset));
            Err(self.0.into_iter().map(|(_, _, d)| d).collect())
        }
    }

    fn valid_name(name: &str) -> bool {
        !name.is_empty()
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeyBinding {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn user(label: &str, text: &str) -> Source {
        Source { label: label.to_string(), text: text.to_string() }
    }

    /// The diagnostics of `text` loaded as the user keymap `name`, as displayed.
    fn problems(name: &str, text: &str) -> Vec<String> {
        match Keymap::build(name, Some(user("keymaps/mine.toml", text))) {
            Ok(_) => Vec::new(),
            Err(ds) => ds.iter().map(ToString::to_string).collect(),
        }
    }

    const FLEET: &[Mode] = &[Mode::Fleet, Mode::Table, Mode::Global];

    #[test]
    fn shipped_keymaps_load_clean() {
        for name in Keymap::builtin_names() {
            let keymap = Keymap::load(name, None).unwrap_or_else(|ds| {
                panic!("{name}: {}", ds.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            });
            assert_eq!(keymap.name(), *name);
        }
        assert_eq!(Keymap::builtin_names().len(), KEYMAPS.texts.len());
    }

    #[test]
    fn every_action_is_bound_in_every_shipped_keymap() {
        for name in Keymap::builtin_names() {
            let keymap = Keymap::load(name, None).unwrap();
            for action in Action::ALL {
                assert!(!keymap.keys(action).is_empty(), "{name}: `{}` is unbound", action.name());
            }
        }
    }

    #[test]
    fn spellings_normalise_to_what_crossterm_sends() {
        assert_eq!(key("G"), key("shift-g"));
        assert_eq!(key("G"), key("shift-G"));
        assert_eq!(key("G"), KeyBinding::new(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_ne!(key("G"), key("g"));
        assert_eq!(key("shift-tab"), key("backtab"));
        assert_eq!(key("space"), key(" "));
        assert_eq!(key("Ctrl-D"), key("ctrl-d"));
        assert_eq!(key("ctrl-D"), key("ctrl-d"));
        assert_eq!(key("escape"), key("esc"));
        assert_eq!(key("PageDown"), key("pgdn"));
        assert_eq!(key("-"), KeyBinding::new(KeyCode::Char('-'), KeyModifiers::NONE));
        assert_eq!(key("ctrl--"), KeyBinding::new(KeyCode::Char('-'), KeyModifiers::CONTROL));
        assert_eq!(key("f5").code(), KeyCode::F(5));
        assert_eq!(key("alt-shift-up").modifiers(), KeyModifiers::ALT | KeyModifiers::SHIFT);
    }

    #[test]
    fn display_is_the_canonical_spelling_and_round_trips() {
        for (written, shown) in [
            ("ctrl-c", "ctrl-c"),
            ("?", "?"),
            ("enter", "enter"),
            ("Return", "enter"),
            ("shift-g", "G"),
            ("backtab", "shift-tab"),
            ("ctrl-shift-tab", "ctrl-shift-tab"),
            (" ", "space"),
            ("alt-x", "alt-x"),
            ("pagedown", "pgdn"),
            ("f12", "f12"),
            ("shift-up", "shift-up"),
            ("ctrl--", "ctrl--"),
        ] {
            let k = key(written);
            assert_eq!(k.to_string(), shown, "{written}");
            assert_eq!(key(shown), k, "{shown} round trip");
        }
    }

    #[test]
    fn bad_spellings_say_why() {
        let err = |s: &str| s.parse::<KeyBinding>().unwrap_err().to_string();
        assert_eq!(err("entr"), "unknown key `entr` (did you mean `enter`?)");
        assert_eq!(err("ctl-d"), "unknown modifier `ctl-` in `ctl-d` (did you mean `ctrl-`?)");
        assert_eq!(err("ctrl-"), "`ctrl-` needs a key after the last `-`");
        assert_eq!(err("f13"), "unknown key `f13` (function keys are f1 to f12)");
        assert_eq!(err("ctrl-ctrl-x"), "`ctrl-` is given twice in `ctrl-ctrl-x`");
        assert_eq!(err("ctrl-i"), "`ctrl-i` reaches vigil as `tab` in most terminals (bind `tab` instead)");
        assert!(err("shift-1").starts_with("`shift-1` cannot be told apart from `1`"));
        assert!(err("").starts_with("empty key"));
    }

    #[test]
    fn crossterm_events_resolve() {
        let keymap = Keymap::default();
        let ctrl_c = event(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(KeyBinding::from_event(&ctrl_c).to_string(), "ctrl-c");
        assert_eq!(keymap.action(FLEET, &ctrl_c), Some(Action::Quit));
        let question = event(KeyCode::Char('?'), KeyModifiers::SHIFT); // as Windows sends it
        assert_eq!(KeyBinding::from_event(&question), key("?"));
        assert_eq!(keymap.action(FLEET, &question), Some(Action::Help));
        assert_eq!(keymap.action(&[Mode::Help, Mode::Global], &question), Some(Action::Help));
        assert_eq!(keymap.action(&[Mode::Prompt], &question), None, "typing `?` in a prompt is text");
        let upper_s = event(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(keymap.action(FLEET, &upper_s), Some(Action::SortPrevious));
        assert_eq!(keymap.action(&[Mode::Table, Mode::Global], &upper_s), None, "fleet keys only in the fleet");
        let backtab = event(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyBinding::from_event(&backtab), key("shift-tab"));
        assert_eq!(KeyBinding::from_event(&backtab), key("backtab"));

        let vim = Keymap::load("vim", None).unwrap();
        let upper_g = event(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(vim.action(FLEET, &upper_g), Some(Action::Bottom));
        assert_eq!(vim.action(FLEET, &event(KeyCode::Char('g'), KeyModifiers::NONE)), Some(Action::Top));
        assert_eq!(vim.action(FLEET, &event(KeyCode::Char('d'), KeyModifiers::CONTROL)), Some(Action::PageDown));

        let rebound =
            Keymap::build("mine", Some(user("mine.toml", "[fleet]\nsort_previous = \"shift-tab\"\n"))).unwrap();
        assert_eq!(rebound.action(FLEET, &backtab), Some(Action::SortPrevious));
        assert_eq!(rebound.action(FLEET, &upper_s), None, "the user's list replaces the shipped keys");
    }

    #[test]
    fn releases_trigger_nothing() {
        let keymap = Keymap::default();
        let release = KeyEvent::new_with_kind(KeyCode::Char('q'), KeyModifiers::NONE, KeyEventKind::Release);
        assert_eq!(keymap.action(FLEET, &release), None);
        let repeat = KeyEvent::new_with_kind(KeyCode::Char('j'), KeyModifiers::NONE, KeyEventKind::Repeat);
        assert_eq!(keymap.action(FLEET, &repeat), Some(Action::Down));
    }

    #[test]
    fn entries_follow_action_order() {
        let keymap = Keymap::default();
        let table = keymap.entries(Mode::Table);
        let actions: Vec<Action> = table.iter().map(|(a, _)| *a).collect();
        assert_eq!(
            actions,
            [
                Action::Up,
                Action::Down,
                Action::PageUp,
                Action::PageDown,
                Action::Top,
                Action::Bottom,
                Action::Filter,
                Action::Open
            ]
        );
        assert_eq!(table[0].1, vec![key("up"), key("k")]);
        let total: usize = Mode::ALL.iter().map(|m| keymap.entries(*m).len()).sum();
        assert_eq!(total, Action::ALL.len());
    }

    #[test]
    fn user_file_merges_over_the_shipped_keymap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.toml"), "[fleet]\nsort_next = [\"n\", \"tab\"]\nsort_reverse = []\n")
            .unwrap();
        std::fs::write(dir.path().join("mine.toml"), "extends = \"vim\"\n[global]\nquit = \"Q\"\n").unwrap();
        std::fs::write(dir.path().join("fresh.toml"), "[table]\ntop = \"T\"\n").unwrap();

        let merged = Keymap::load("default", Some(dir.path())).unwrap();
        assert_eq!(merged.keys(Action::SortNext), [key("n"), key("tab")]);
        assert!(merged.keys(Action::SortReverse).is_empty(), "`[]` unbinds");
        assert_eq!(merged.keys(Action::Quit), Keymap::default().keys(Action::Quit), "unlisted actions keep their keys");
        assert_eq!(merged.action(FLEET, &event(KeyCode::Char('s'), KeyModifiers::NONE)), None);

        let mine = Keymap::load("mine", Some(dir.path())).unwrap();
        assert_eq!(mine.name(), "mine");
        assert_eq!(mine.keys(Action::Quit), [key("Q")]);
        assert!(mine.keys(Action::Top).contains(&key("g")), "extends vim");

        let fresh = Keymap::load("fresh", Some(dir.path())).unwrap();
        assert_eq!(fresh.keys(Action::Top), [key("T")]);
        assert_eq!(fresh.keys(Action::Up), Keymap::default().keys(Action::Up), "a new name merges over default");

        let available = Keymap::available(Some(dir.path()));
        let path = |n: &str| dir.path().join(n).display().to_string();
        assert_eq!(
            available,
            [
                ("default".to_string(), path("default.toml")),
                ("vim".to_string(), "builtin".to_string()),
                ("fresh".to_string(), path("fresh.toml")),
                ("mine".to_string(), path("mine.toml")),
            ]
        );
    }

    #[test]
    fn user_file_problems_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("default.toml");
        std::fs::write(&file, "[global]\nquit = \"entr\"\n").unwrap();
        let errors = Keymap::load("default", Some(dir.path())).unwrap_err();
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [format!("{}:2:8: global.quit: unknown key `entr` (did you mean `enter`?)", file.display())]
        );
    }

    #[test]
    fn unknown_keymap_names_suggest() {
        let errors = Keymap::load("vmi", None).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "builtin:keymaps/vmi.toml: no keymap named `vmi`; there are default, vim (did you mean `vim`?)"
        );
        let errors = Keymap::load("../etc/passwd", None).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "keymap `../etc/passwd`: not a keymap name: use letters, digits, `-`, `_` and `.`"
        );
    }

    #[test]
    fn unknown_action_with_hint() {
        assert_eq!(
            problems("mine", "[fleet]\nsort_nxt = \"n\"\n"),
            ["keymaps/mine.toml:2:1: fleet.sort_nxt: unknown action `sort_nxt` (did you mean `sort_next`?)"]
        );
        assert_eq!(
            problems("mine", "[table]\nfilterr = \"n\"\n"),
            ["keymaps/mine.toml:2:1: table.filterr: unknown action `filterr` (did you mean `filter`?)"]
        );
    }

    #[test]
    fn action_under_the_wrong_mode() {
        assert_eq!(
            problems("mine", "[global]\nsort_next = \"n\"\n"),
            ["keymaps/mine.toml:2:1: global.sort_next: `sort_next` belongs in [fleet], not [global]"]
        );
        assert_eq!(
            problems("mine", "quit = \"x\"\n"),
            ["keymaps/mine.toml:1:1: quit: an action must be under the table of its mode (put it under [global])"]
        );
        assert_eq!(
            problems("mine", "[flet]\nfilter = \"f\"\n"),
            ["keymaps/mine.toml:1:2: flet: unknown mode `flet` (did you mean `fleet`?)"]
        );
    }

    #[test]
    fn bad_key_spelling_and_type() {
        assert_eq!(
            problems("mine", "[table]\nup = [\"k\", \"ctl-k\", 3]\n"),
            [
                "keymaps/mine.toml:2:12: table.up: unknown modifier `ctl-` in `ctl-k` (did you mean `ctrl-`?)",
                "keymaps/mine.toml:2:21: table.up: expected a key (\"q\") or a list of keys ([\"q\", \"ctrl-c\"]), found integer",
            ]
        );
        assert_eq!(
            problems("mine", "[table]\nup = [\"k\", \"k\"]\n"),
            ["keymaps/mine.toml:2:12: table.up: `k` is listed twice"]
        );
    }

    #[test]
    fn duplicate_in_one_mode_names_both_actions() {
        assert_eq!(
            problems("mine", "[fleet]\nsort_reverse = \"f\"\nsort_next = \"f\"\n"),
            [
                "keymaps/mine.toml:3:13: fleet.sort_next: `f` is bound to both `fleet.sort_reverse` and `fleet.sort_next` \
                 (`fleet.sort_reverse` binds it at line 2:16)"
            ]
        );
    }

    #[test]
    fn fleet_key_clashing_with_a_global_key() {
        // `q` is the shipped global quit key; the clash is reported in the user's file.
        assert_eq!(
            problems("mine", "[fleet]\nsort_reverse = \"q\"\n"),
            ["keymaps/mine.toml:2:16: fleet.sort_reverse: `q` is bound to both `global.quit` and \
                 `fleet.sort_reverse`, and [global] keys also work in [fleet] \
                 (`global.quit` binds it at builtin:keymaps/default.toml:15:9)"]
        );
        // The prompt stands alone: `q` there is fine.
        assert_eq!(problems("mine", "[prompt]\ncancel = \"q\"\n"), Vec::<String>::new());
        // Help and fleet are never active together.
        assert_eq!(problems("mine", "[help]\nclose_help = \"s\"\n"), Vec::<String>::new());
    }

    #[test]
    fn ctrl_c_is_reserved_for_quit() {
        assert_eq!(
            problems("mine", "[table]\ndown = [\"j\", \"ctrl-c\"]\n"),
            ["keymaps/mine.toml:2:14: table.down: `ctrl-c` is reserved: it always quits (bind `down` to another key)"]
        );
        assert_eq!(problems("mine", "[global]\nquit = [\"ctrl-c\", \"Q\"]\n"), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_in_file_order() {
        let found = problems("mine", "[fleet]\nsort_nxt = \"n\"\nsort_reverse = \"entr\"\n[table]\ntop = \"ctrl-c\"\n");
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].contains(":2:1:") && found[1].contains(":3:16:") && found[2].contains(":5:7:"), "{found:#?}");
        let syntax = problems("mine", "[fleet\nfilter = \"f\"\n");
        assert_eq!(syntax.len(), 1, "{syntax:#?}");
        assert!(syntax[0].starts_with("keymaps/mine.toml:1:"), "{syntax:#?}");
    }
}
