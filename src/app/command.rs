//! The `:` command line: parsing what was typed and completing it.

use crate::core::diagnostic::did_you_mean;

/// A command typed after `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Fleet,
    Alerts,
    Slo,
    Registry,
    /// The playbooks view, as it was left.
    Playbooks,
    /// One playbook's parameter form.
    Playbook(String),
    Help,
    Quit,
    Context(String),
    Theme(String),
    Model(String),
    /// `:at -2h`, `:at 2026-11-20T13:45:00Z`, `:at now` (back to live).
    At(String),
}

/// Names the command line knows, with what they take.
const COMMANDS: &[(&str, Arg)] = &[
    ("fleet", Arg::None),
    ("alerts", Arg::None),
    ("slo", Arg::None),
    ("registry", Arg::None),
    ("playbooks", Arg::None),
    ("playbook", Arg::Playbook),
    ("help", Arg::None),
    ("quit", Arg::None),
    ("q", Arg::None),
    ("ctx", Arg::Context),
    ("context", Arg::Context),
    ("theme", Arg::Theme),
    ("model", Arg::Model),
    ("at", Arg::Time),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Context,
    Theme,
    Model,
    Playbook,
    /// Free text checked later (a time).
    Time,
}

/// What completion and validation may choose from.
pub struct Vocabulary<'a> {
    pub contexts: &'a [String],
    pub themes: &'a [String],
    pub models: &'a [String],
    pub playbooks: &'a [String],
}

impl Vocabulary<'_> {
    fn values(&self, arg: Arg) -> Vec<&str> {
        match arg {
            Arg::None => vec![],
            Arg::Context => self.contexts.iter().map(String::as_str).collect(),
            Arg::Theme => self.themes.iter().map(String::as_str).collect(),
            Arg::Model => self.models.iter().map(String::as_str).collect(),
            Arg::Playbook => self.playbooks.iter().map(String::as_str).collect(),
            Arg::Time => vec!["now", "-15m", "-1h", "-6h", "-24h"],
        }
    }
}

/// Parses a command line; the error is a sentence for the footer.
pub fn parse(line: &str, vocabulary: &Vocabulary<'_>) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Err("type a command, e.g. :fleet".into());
    };
    let arg = words.next();
    if words.next().is_some() {
        return Err(format!("`{line}`: too many words"));
    }
    let Some((name, kind)) = COMMANDS.iter().find(|(n, _)| *n == name).copied() else {
        let hint = did_you_mean(name, COMMANDS.iter().map(|(n, _)| *n))
            .map(|s| format!(" (did you mean :{s}?)"))
            .unwrap_or_default();
        return Err(format!("unknown command :{name}{hint}"));
    };
    match (kind, arg) {
        (Arg::None, None) => Ok(match name {
            "fleet" => Command::Fleet,
            "alerts" => Command::Alerts,
            "slo" => Command::Slo,
            "registry" => Command::Registry,
            "playbooks" => Command::Playbooks,
            "help" => Command::Help,
            _ => Command::Quit,
        }),
        (Arg::None, Some(extra)) => Err(format!(":{name} takes no argument (got `{extra}`)")),
        (kind, None) => Err(format!(":{name} needs a name: {}", vocabulary.values(kind).join(", "))),
        (Arg::Time, Some(value)) => Ok(Command::At(value.to_string())),
        (kind, Some(value)) => {
            let known = vocabulary.values(kind);
            if !known.contains(&value) {
                let hint = did_you_mean(value, known.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(format!("no {} named `{value}`{hint}; known: {}", noun(kind), known.join(", ")));
            }
            Ok(match kind {
                Arg::Context => Command::Context(value.to_string()),
                Arg::Model => Command::Model(value.to_string()),
                Arg::Playbook => Command::Playbook(value.to_string()),
                _ => Command::Theme(value.to_string()),
            })
        }
    }
}

fn noun(kind: Arg) -> &'static str {
    match kind {
        Arg::Context => "context",
        Arg::Theme => "theme",
        Arg::Model => "model",
        Arg::Playbook => "playbook",
        Arg::Time => "time",
        Arg::None => "value",
    }
}

/// Every full line that completes `typed`, in a stable order: command names
/// for the first word, then the names the command takes.
pub fn completions(typed: &str, vocabulary: &Vocabulary<'_>) -> Vec<String> {
    match typed.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|(n, _)| n.starts_with(typed))
            .map(|(n, kind)| if *kind == Arg::None { n.to_string() } else { format!("{n} ") })
            .collect(),
        Some((name, rest)) => {
            let rest = rest.trim_start();
            match COMMANDS.iter().find(|(n, _)| *n == name) {
                Some((_, kind)) => vocabulary
                    .values(*kind)
                    .into_iter()
                    .filter(|v| v.starts_with(rest))
                    .map(|v| format!("{name} {v}"))
                    .collect(),
                None => vec![],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> (Vec<String>, Vec<String>) {
        (vec!["demo".into(), "prod".into(), "staging".into()], vec!["dark".into(), "light".into()])
    }

    #[test]
    fn parses_commands_and_checks_names() {
        let (contexts, themes) = vocab();
        let v = Vocabulary { contexts: &contexts, themes: &themes, models: &[], playbooks: &[] };
        assert_eq!(parse("fleet", &v), Ok(Command::Fleet));
        assert_eq!(parse("registry", &v), Ok(Command::Registry));
        assert_eq!(parse(" q ", &v), Ok(Command::Quit));
        assert_eq!(parse("ctx prod", &v), Ok(Command::Context("prod".into())));
        assert_eq!(parse("theme light", &v), Ok(Command::Theme("light".into())));
        assert_eq!(parse("flete", &v), Err("unknown command :flete (did you mean :fleet?)".into()));
        assert_eq!(
            parse("ctx prd", &v),
            Err("no context named `prd` (did you mean prod?); known: demo, prod, staging".into())
        );
        assert_eq!(parse("ctx", &v), Err(":ctx needs a name: demo, prod, staging".into()));
        assert_eq!(parse("fleet now", &v), Err(":fleet takes no argument (got `now`)".into()));
    }

    #[test]
    fn playbooks_by_view_and_by_name() {
        let names = vec!["rollback".to_string(), "traffic-shift".to_string()];
        let v = Vocabulary { contexts: &[], themes: &[], models: &[], playbooks: &names };
        assert_eq!(parse("playbooks", &v), Ok(Command::Playbooks));
        assert_eq!(parse("playbook rollback", &v), Ok(Command::Playbook("rollback".into())));
        assert_eq!(
            parse("playbook rolback", &v),
            Err("no playbook named `rolback` (did you mean rollback?); known: rollback, traffic-shift".into())
        );
        assert_eq!(completions("playbook t", &v), ["playbook traffic-shift"]);
        assert_eq!(completions("playbooks", &v), ["playbooks"]);
    }

    #[test]
    fn completes_commands_then_their_arguments() {
        let (contexts, themes) = vocab();
        let v = Vocabulary { contexts: &contexts, themes: &themes, models: &[], playbooks: &[] };
        assert_eq!(completions("fl", &v), ["fleet"]);
        assert_eq!(completions("reg", &v), ["registry"]);
        assert_eq!(completions("c", &v), ["ctx ", "context "]);
        assert_eq!(completions("ctx ", &v), ["ctx demo", "ctx prod", "ctx staging"]);
        assert_eq!(completions("ctx st", &v), ["ctx staging"]);
        assert_eq!(completions("theme l", &v), ["theme light"]);
        assert!(completions("zz", &v).is_empty());
    }
}
