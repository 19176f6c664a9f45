//! Where vigil reads and writes files (XDG).
//!
//! Paths are derived from a few base directories in one pure function, so
//! they can be tested without touching the process environment; [`discover`]
//! only asks the platform (via `directories`, which honours `XDG_*_HOME`) for
//! those bases.

use std::path::PathBuf;

use directories::ProjectDirs;

/// Every place vigil reads from or writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_dir: PathBuf,
    pub themes_dir: PathBuf,
    pub keymaps_dir: PathBuf,
    pub presets_dir: PathBuf,
    pub playbooks_dir: PathBuf,
    pub state_dir: PathBuf,
    pub log_file: PathBuf,
    /// The hash-chained audit log of every change made from the console.
    pub audit_file: PathBuf,
    pub cache_dir: PathBuf,
}

/// The per-user base directories, already specific to vigil
/// (e.g. `~/.config/vigil`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseDirs {
    pub config_dir: PathBuf,
    pub state_dir: PathBuf,
    pub cache_dir: PathBuf,
}

/// One line of `vigil config paths`: what the path is and what vigil does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEntry {
    pub label: &'static str,
    pub path: PathBuf,
    pub purpose: &'static str,
}

/// The paths for this user. `config_override` is `--config` or `VIGIL_CONFIG`.
pub fn discover(config_override: Option<PathBuf>) -> Result<Paths, String> {
    let dirs = ProjectDirs::from("", "", "vigil")
        .ok_or("cannot find the home directory to place vigil's files in; set HOME, or pass --config")?;
    // Not every platform has a state directory; local data is the closest.
    let state_dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf();
    let base =
        BaseDirs { config_dir: dirs.config_dir().to_path_buf(), state_dir, cache_dir: dirs.cache_dir().to_path_buf() };
    Ok(Paths::from_base(base, config_override))
}

impl Paths {
    /// The layout under the base directories. User themes, keymaps, presets
    /// and playbooks sit next to the config file's default home, even when
    /// `--config` points elsewhere, so one flag does not hide them all.
    pub fn from_base(base: BaseDirs, config_override: Option<PathBuf>) -> Paths {
        let BaseDirs { config_dir, state_dir, cache_dir } = base;
        Paths {
            config_file: config_override.unwrap_or_else(|| config_dir.join("config.toml")),
            themes_dir: config_dir.join("themes"),
            keymaps_dir: config_dir.join("keymaps"),
            presets_dir: config_dir.join("presets"),
            playbooks_dir: config_dir.join("playbooks"),
            log_file: state_dir.join("vigil.log"),
            audit_file: state_dir.join("audit.jsonl"),
            config_dir,
            state_dir,
            cache_dir,
        }
    }

    /// Every path with its purpose, in the order `vigil config paths` prints them.
    pub fn entries(&self) -> Vec<PathEntry> {
        let entry = |label, path: &PathBuf, purpose| PathEntry { label, path: path.clone(), purpose };
        vec![
            entry("config file", &self.config_file, "reads: config"),
            entry(
                "config dir",
                &self.config_dir,
                "reads: the directory holding themes, keymaps, presets and playbooks",
            ),
            entry("themes", &self.themes_dir, "reads: user themes (merged over the shipped ones)"),
            entry("keymaps", &self.keymaps_dir, "reads: user keymaps (merged over the shipped ones)"),
            entry("presets", &self.presets_dir, "reads: user metric presets (merged over the shipped ones)"),
            entry("playbooks", &self.playbooks_dir, "reads: user playbooks (alongside the shipped ones)"),
            entry("state dir", &self.state_dir, "writes: state kept between runs"),
            entry("log file", &self.log_file, "writes: log file"),
            entry(
                "audit log",
                &self.audit_file,
                "writes: every change made from the console (hash-chained JSON lines)",
            ),
            entry("cache dir", &self.cache_dir, "writes: cache (safe to delete)"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseDirs {
        BaseDirs {
            config_dir: PathBuf::from("/home/me/.config/vigil"),
            state_dir: PathBuf::from("/home/me/.local/state/vigil"),
            cache_dir: PathBuf::from("/home/me/.cache/vigil"),
        }
    }

    #[test]
    fn lays_out_files_under_the_base_directories() {
        let p = Paths::from_base(base(), None);
        assert_eq!(
            p,
            Paths {
                config_file: PathBuf::from("/home/me/.config/vigil/config.toml"),
                config_dir: PathBuf::from("/home/me/.config/vigil"),
                themes_dir: PathBuf::from("/home/me/.config/vigil/themes"),
                keymaps_dir: PathBuf::from("/home/me/.config/vigil/keymaps"),
                presets_dir: PathBuf::from("/home/me/.config/vigil/presets"),
                playbooks_dir: PathBuf::from("/home/me/.config/vigil/playbooks"),
                state_dir: PathBuf::from("/home/me/.local/state/vigil"),
                log_file: PathBuf::from("/home/me/.local/state/vigil/vigil.log"),
                audit_file: PathBuf::from("/home/me/.local/state/vigil/audit.jsonl"),
                cache_dir: PathBuf::from("/home/me/.cache/vigil"),
            }
        );
    }

    #[test]
    fn an_override_replaces_only_the_config_file() {
        let p = Paths::from_base(base(), Some(PathBuf::from("/etc/vigil/oncall.toml")));
        assert_eq!(p.config_file, PathBuf::from("/etc/vigil/oncall.toml"));
        assert_eq!(p.themes_dir, PathBuf::from("/home/me/.config/vigil/themes"));
        assert_eq!(p.presets_dir, PathBuf::from("/home/me/.config/vigil/presets"));
    }

    #[test]
    fn entries_say_what_vigil_does_with_each_path() {
        let entries = Paths::from_base(base(), None).entries();
        let lines: Vec<String> =
            entries.iter().map(|e| format!("{} | {} | {}", e.label, e.path.display(), e.purpose)).collect();
        assert_eq!(
            lines,
            [
                "config file | /home/me/.config/vigil/config.toml | reads: config",
                "config dir | /home/me/.config/vigil | reads: the directory holding themes, keymaps, presets and \
                 playbooks",
                "themes | /home/me/.config/vigil/themes | reads: user themes (merged over the shipped ones)",
                "keymaps | /home/me/.config/vigil/keymaps | reads: user keymaps (merged over the shipped ones)",
                "presets | /home/me/.config/vigil/presets | reads: user metric presets (merged over the shipped ones)",
                "playbooks | /home/me/.config/vigil/playbooks | reads: user playbooks (alongside the shipped ones)",
                "state dir | /home/me/.local/state/vigil | writes: state kept between runs",
                "log file | /home/me/.local/state/vigil/vigil.log | writes: log file",
                "audit log | /home/me/.local/state/vigil/audit.jsonl | writes: every change made from the console \
                 (hash-chained JSON lines)",
                "cache dir | /home/me/.cache/vigil | writes: cache (safe to delete)",
            ]
        );
    }

    #[test]
    fn discover_ends_every_directory_in_vigil() {
        // Reads the real environment but does not change it: only the shape is checked.
        let p = discover(None).expect("tests run with a home directory");
        for dir in [&p.config_dir, &p.state_dir, &p.cache_dir] {
            assert_eq!(dir.file_name().and_then(|n| n.to_str()), Some("vigil"), "{}", dir.display());
        }
        assert_eq!(p.config_file, p.config_dir.join("config.toml"));
    }
}
