//! The playbooks a session can run: the shipped ones (compiled in) and the
//! user's from the config directory, which replace a shipped one of the
//! same name. Two user files with one name are an error naming both.

use std::path::Path;

use super::spec::{self, Playbook};
use crate::core::diagnostic::Diagnostic;

const SHIPPED: &[(&str, &str)] = &[
    ("rollback", include_str!("../../playbooks/rollback.toml")),
    ("traffic-shift", include_str!("../../playbooks/traffic-shift.toml")),
    ("promote", include_str!("../../playbooks/promote.toml")),
    ("silence-model-alerts", include_str!("../../playbooks/silence-model-alerts.toml")),
    ("kserve-canary", include_str!("../../playbooks/kserve-canary.toml")),
    ("argo-rollout-abort", include_str!("../../playbooks/argo-rollout-abort.toml")),
    ("istio-shift", include_str!("../../playbooks/istio-shift.toml")),
];

#[derive(Debug, Clone, Default)]
pub struct Library {
    pub playbooks: Vec<Playbook>,
}

impl Library {
    /// The shipped playbooks and those in `user_dir` (if it exists). Every
    /// problem in every file is reported.
    pub fn load(user_dir: Option<&Path>) -> Result<Library, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut playbooks: Vec<Playbook> = Vec::new();
        for (name, text) in SHIPPED {
            match spec::parse(&format!("builtin:playbooks/{name}.toml"), text) {
                Ok(p) => playbooks.push(p),
                Err(d) => problems.extend(d),
            }
        }
        let shipped = playbooks.len();
        if let Some(dir) = user_dir {
            let mut files: Vec<_> = match std::fs::read_dir(dir) {
                Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => {
                    problems.push(Diagnostic::file_level(&dir.display().to_string(), format!("cannot read: {e}")));
                    Vec::new()
                }
            };
            files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
            files.sort();
            for path in files {
                let label = path.display().to_string();
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        problems.push(Diagnostic::file_level(&label, format!("cannot read: {e}")));
                        continue;
                    }
                };
                let p = match spec::parse(&label, &text) {
                    Ok(p) => p,
                    Err(d) => {
                        problems.extend(d);
                        continue;
                    }
                };
                match playbooks.iter().position(|q| q.name == p.name) {
                    Some(i) if i < shipped => playbooks[i] = p,
                    Some(i) => problems.push(Diagnostic::file_level(
                        &label,
                        format!("playbook `{}` is also defined in {}", p.name, playbooks[i].file),
                    )),
                    None => playbooks.push(p),
                }
            }
        }
        if problems.is_empty() { Ok(Library { playbooks }) } else { Err(problems) }
    }

    pub fn get(&self, name: &str) -> Result<&Playbook, String> {
        self.playbooks.iter().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.playbooks.iter().map(|p| p.name.as_str()).collect();
            let hint = crate::core::diagnostic::did_you_mean(name, names.iter().copied())
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            format!("no playbook named `{name}`{hint}; known: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_playbook_loads() {
        let library = Library::load(None).unwrap();
        assert_eq!(library.playbooks.len(), SHIPPED.len());
        for p in &library.playbooks {
            assert!(p.mutating, "{} changes things", p.name);
            assert!(!p.description.is_empty());
        }
        assert!(library.get("rolback").unwrap_err().contains("did you mean rollback?"));
    }

    #[test]
    fn user_playbooks_replace_shipped_ones_and_duplicates_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let body = "description = \"mine\"\n[[step]]\naction = \"wait\"\nargs = { duration = \"1s\" }\n";
        std::fs::write(dir.path().join("a.toml"), format!("name = \"rollback\"\n{body}")).unwrap();
        std::fs::write(dir.path().join("b.toml"), format!("name = \"mine\"\n{body}")).unwrap();
        let library = Library::load(Some(dir.path())).unwrap();
        assert_eq!(library.get("rollback").unwrap().description, "mine");
        std::fs::write(dir.path().join("c.toml"), format!("name = \"mine\"\n{body}")).unwrap();
        let problems = Library::load(Some(dir.path())).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().contains("c.toml: playbook `mine` is also defined in"), "{}", problems[0]);
    }
}
