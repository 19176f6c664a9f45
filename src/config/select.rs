//! Which context a run uses, and whether it may change anything.

use super::model::{Config, Context};
use crate::core::diagnostic::did_you_mean;

impl Config {
    /// The context to use: the one asked for (`--context`), else
    /// `default_context`, else the only one. With several and no choice the
    /// error says how to choose rather than guessing: picking `prod` by
    /// accident is the mistake this tool must not make.
    pub fn select_context(&self, requested: Option<&str>) -> Result<&Context, String> {
        if let Some(name) = requested {
            return self.named_context(name, "");
        }
        if let Some(name) = &self.default_context {
            return self.named_context(name, " (default_context)");
        }
        let mut contexts = self.contexts.values();
        match (contexts.next(), contexts.next()) {
            (Some(only), None) => Ok(only),
            (None, _) => Err(format!(
                "no contexts are defined in {}; add a [contexts.NAME] table, or use --demo",
                self.file_label()
            )),
            (Some(_), Some(_)) => Err(format!(
                "{} contexts are defined ({}) and none is chosen; pass --context NAME or set default_context in {}",
                self.contexts.len(),
                self.context_names().join(", "),
                self.file_label()
            )),
        }
    }

    /// A context may mutate nothing when either it or the whole config is
    /// read-only; a global `read_only = true` cannot be undone per context.
    pub fn is_read_only(&self, ctx: &Context) -> bool {
        self.read_only || ctx.read_only
    }

    fn named_context(&self, name: &str, origin: &str) -> Result<&Context, String> {
        if let Some(context) = self.contexts.get(name) {
            return Ok(context);
        }
        let known = match self.context_names() {
            names if names.is_empty() => format!("{} defines no contexts", self.file_label()),
            names => format!("known contexts: {}", names.join(", ")),
        };
        let hint = did_you_mean(name, self.contexts.keys().map(String::as_str))
            .map(|close| format!(" (did you mean `{close}`?)"))
            .unwrap_or_default();
        Err(format!("no context named `{name}`{origin}; {known}{hint}"))
    }

    fn context_names(&self) -> Vec<&str> {
        self.contexts.keys().map(String::as_str).collect()
    }

    fn file_label(&self) -> String {
        match &self.file {
            Some(path) => path.display().to_string(),
            None => "the config".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn context(name: &str, read_only: bool) -> Context {
        Context { read_only, ..Context::named(name) }
    }

    fn config(names: &[&str], default: Option<&str>) -> Config {
        let contexts: BTreeMap<String, Context> = names.iter().map(|n| (n.to_string(), context(n, false))).collect();
        Config {
            file: Some(PathBuf::from("/home/me/.config/vigil/config.toml")),
            default_context: default.map(String::from),
            contexts,
            ..Config::default()
        }
    }

    #[test]
    fn an_explicit_name_wins_over_the_default() {
        let c = config(&["dev", "prod"], Some("prod"));
        assert_eq!(c.select_context(Some("dev")).unwrap().name, "dev");
    }

    #[test]
    fn an_unknown_explicit_name_lists_the_known_ones_with_a_suggestion() {
        let c = config(&["dev", "prod"], Some("prod"));
        assert_eq!(
            c.select_context(Some("prdo")).unwrap_err(),
            "no context named `prdo`; known contexts: dev, prod (did you mean `prod`?)"
        );
        assert_eq!(
            c.select_context(Some("staging")).unwrap_err(),
            "no context named `staging`; known contexts: dev, prod"
        );
    }

    #[test]
    fn the_default_is_used_when_none_is_asked_for() {
        let c = config(&["dev", "prod"], Some("prod"));
        assert_eq!(c.select_context(None).unwrap().name, "prod");
    }

    #[test]
    fn a_default_naming_a_missing_context_says_where_it_came_from() {
        let c = config(&["dev"], Some("prod"));
        assert_eq!(
            c.select_context(None).unwrap_err(),
            "no context named `prod` (default_context); known contexts: dev"
        );
    }

    #[test]
    fn the_only_context_is_used_without_a_default() {
        let c = config(&["lab"], None);
        assert_eq!(c.select_context(None).unwrap().name, "lab");
    }

    #[test]
    fn several_contexts_without_a_default_explain_how_to_choose() {
        let c = config(&["dev", "prod"], None);
        assert_eq!(
            c.select_context(None).unwrap_err(),
            "2 contexts are defined (dev, prod) and none is chosen; pass --context NAME or set default_context in \
             /home/me/.config/vigil/config.toml"
        );
    }

    #[test]
    fn no_contexts_at_all_suggests_adding_one_or_the_demo() {
        let c = Config::default();
        assert_eq!(
            c.select_context(None).unwrap_err(),
            "no contexts are defined in the config; add a [contexts.NAME] table, or use --demo"
        );
        assert_eq!(
            c.select_context(Some("prod")).unwrap_err(),
            "no context named `prod`; the config defines no contexts"
        );
    }

    #[test]
    fn read_only_is_global_or_per_context() {
        let mut c = config(&[], None);
        let (writable, locked) = (context("dev", false), context("prod", true));
        assert!(!c.is_read_only(&writable));
        assert!(c.is_read_only(&locked));
        c.read_only = true;
        assert!(c.is_read_only(&writable));
    }
}
