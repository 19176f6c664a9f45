//! The command line (a contract: scripts and checks rely on it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "A terminal console for the people who keep ML models running in production"
)]
#[command(propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalOptions {
    /// Context from the config file (default: default_context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Config file (default: $XDG_CONFIG_HOME/vigil/config.toml)
    #[arg(long, global = true, env = "VIGIL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Refuse every action that would change anything
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Allow changes in a context whose config says read_only (never
    /// overrides --read-only or a global read_only)
    #[arg(long, global = true, conflicts_with = "read_only")]
    pub write: bool,
    /// Use the embedded simulated fleet instead of real servers
    #[arg(long, global = true)]
    pub demo: bool,
    /// Evaluate everything as of this instant: RFC 3339 (2026-11-23T08:00:00Z) or relative (-2h)
    #[arg(long, global = true, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Plain ASCII symbols for fonts without ✔ ▲ ✖
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Demo scenario: calm, bad-deploy, feature-drift (with --demo, `demo` or `lab`)
    #[arg(long, global = true, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Number of simulated models (with --demo, `demo` or `lab`)
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub models: Option<u32>,
    /// Seed of the simulated fleet (with --demo, `demo` or `lab`)
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Theme to use (overrides the config)
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap to use (overrides the config)
    #[arg(long, global = true, value_name = "NAME")]
    pub keymap: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Open the console on the embedded simulated fleet (no servers needed)
    Demo,
    /// Print the health of every model; exits 1 when any model is critical
    Status(StatusArgs),
    /// Print every SLO's error budget and burn rates; exits 1 when a page-level alert row fires
    Slo(SloArgs),
    /// Print every registered model's versions, aliases and serving metrics
    #[command(after_long_help = REGISTRY_HELP)]
    Registry(RegistryArgs),
    /// Print one frame of a view as plain text (no terminal needed)
    Render(RenderArgs),
    /// List, plan or run runbook playbooks (rollback, traffic shift, promotion, silencing)
    #[command(after_long_help = PLAYBOOK_HELP)]
    Playbook {
        #[command(subcommand)]
        command: PlaybookCommand,
    },
    /// Check or list the audit log of every change made from vigil
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check the config file, or show where vigil reads and writes files
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The simulated fleet for a real Prometheus: a live exporter, or history to backfill
    Lab {
        #[command(subcommand)]
        command: LabCommand,
    },
    /// Print the effective key bindings
    Keys,
    /// List the available themes
    Themes,
    /// List the metric presets: what each serving stack's metrics can show
    Presets,
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const PLAYBOOK_HELP: &str = "\
Playbooks are TOML files: the shipped ones, and yours in the config directory's
playbooks/ (`vigil config paths`). A playbook has typed [params.NAME] (model,
version, alias, text, number, duration, bool, choice; defaults may be
\"selected\", or for versions \"current\"/\"previous\" of an alias),
[[precondition]] checks re-run just before anything changes, [[step]]s and
[[on_failure]] compensation (`undo` puts back what a step changed). A step may
act in another configured context (context = \"{{to_context}}\"), under that
context's read-only setting. Values are placed by {{name}}: percent-encoded in
URLs, as string content in PromQL, whole in JSON bodies and argv elements —
never through a shell. Unknown {{names}} are errors when the file is read.

Exit codes: 0 ok; 1 a step failed or was refused; 2 usage, parameter or
playbook error; 3 a source could not be reached while planning.";

#[derive(Debug, Subcommand)]
pub enum PlaybookCommand {
    /// List the playbooks with their parameters
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show exactly what a run would send, with the current and target state; changes nothing
    Plan(PlaybookArgs),
    /// Run a playbook: needs --yes and --reason, or a typed confirmation at a terminal
    Run(PlaybookRunArgs),
}

#[derive(Debug, Args)]
pub struct PlaybookArgs {
    /// The playbook's name (see `vigil playbook list`)
    pub name: String,
    /// A parameter value, NAME=VALUE (repeatable)
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct PlaybookRunArgs {
    #[command(flatten)]
    pub playbook: PlaybookArgs,
    /// Run without asking (scripts, chat-ops); needs --reason
    #[arg(long)]
    pub yes: bool,
    /// Why this is being done: recorded in the audit log
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    Ok((name.trim().to_string(), value.to_string()))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first broken record
    Verify {
        /// Another audit file (default: the one in the state dir)
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    /// Print the records, oldest first
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Only the last N records
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and the themes and keymaps it names
    Check,
    /// Print every path vigil reads or writes
    Paths,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Serve /metrics (generic preset) and a traffic admin API; the scenario is anchored at start
    Serve(LabServeArgs),
    /// Write history as OpenMetrics for `promtool tsdb create-blocks-from openmetrics FILE DIR`
    Backfill(LabBackfillArgs),
}

#[derive(Debug, Args)]
pub struct LabServeArgs {
    /// IP:PORT to listen on; port 0 picks a free one (the address is printed)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
}

#[derive(Debug, Args)]
pub struct LabBackfillArgs {
    /// Hours of history, ending at --end
    #[arg(long, value_name = "H", value_parser = parse_hours)]
    pub hours: f64,
    /// The last instant of history and the scenario's anchor: RFC 3339 or relative (-1h) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub end: Option<String>,
    /// Time between samples: a multiple of 15s, the simulator's tick
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_step)]
    pub step: Duration,
    /// The OpenMetrics file to write
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Leave out the feature and prediction-score histograms (a much smaller file)
    #[arg(long)]
    pub no_features: bool,
}

/// A year of 15-second samples is already far more than promtool reads comfortably.
const MAX_BACKFILL_HOURS: f64 = 24.0 * 366.0;

fn parse_hours(text: &str) -> Result<f64, String> {
    let hours: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of hours"))?;
    if !(hours > 0.0 && hours <= MAX_BACKFILL_HOURS) {
        return Err(format!("{hours} is out of range (more than 0, at most {MAX_BACKFILL_HOURS})"));
    }
    Ok(hours)
}

fn parse_step(text: &str) -> Result<Duration, String> {
    let step = crate::core::duration::parse(text)?;
    crate::lab::backfill::step_seconds(step)?;
    Ok(step)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only this model
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
}

#[derive(Debug, Args)]
pub struct SloArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only this model's SLOs
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only this model: its registry name, or its name in the metrics
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
}

/// The JSON contract of `vigil registry`, shown by `vigil registry --help`.
const REGISTRY_HELP: &str = "\
The registry is read as it is now (registries keep no history); --at moves the serving metrics only.
A version's serving numbers come from the metrics, matched by model name (see registry_name and
registry_names in config.example.toml) and by version label.

JSON fields (--format json), stable:
  at                  the instant of the serving metrics (RFC 3339); ages count to it
  context             the context's name
  registry            the registry read, e.g. \"demo registry (calm)\"
  metrics             the metrics source joined; null when the metrics could not be read
  models[]            every registered model, in the registry's order:
    model             its registry name
    metrics_model     its name in the metrics; null when the fleet does not have it
    health            the fleet's verdict: ok, warning, critical, unknown; null without metrics
    health_reason     why, e.g. \"v10 errors 10.4% ≥ 5%\"
    description, created, updated, tags {key: value}
    aliases           {alias: version}
    versions[]        newest first:
      version, aliases [alias…]
      status          READY, PENDING_REGISTRATION, FAILED_REGISTRATION, or as the registry sent it
      status_message, user_id, source, run_id, run_link, stage, description, tags {key: value}
      created         RFC 3339; created_ms: milliseconds since the epoch
      created_age_seconds   from created to at; negative when created after at
      serving         null unless the metrics see the version serving:
        traffic_share (0-1), requests_per_second, error_ratio (0-1), latency_p99_seconds
        status        the version's verdict: ok, warning, critical, unknown
        metrics_aliases   the aliases the metrics label it with (can lag the registry's)

Exit codes: 0 ok; 2 usage, an unknown model, or a context without a registry; 3 the registry
could not be reached (metrics that cannot be read only leave the numbers out, with a warning).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewName {
    Fleet,
    Alerts,
    /// One model over time (needs --model)
    Model,
    /// Every SLO's budget and burn rates
    Slo,
    /// Every registered model's versions, with the serving metrics
    Registry,
    /// The playbooks and their parameters (for --model, when given)
    Playbooks,
    Help,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[arg(long, value_enum)]
    pub view: ViewName,
    /// Frame size in cells, WIDTHxHEIGHT
    #[arg(long, default_value = "80x24", value_parser = parse_size)]
    pub size: (u16, u16),
    /// Show only this model
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
}

fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(|| format!("`{text}` is not WIDTHxHEIGHT (e.g. 80x24)"))?;
    let w: u16 = w.parse().map_err(|_| format!("`{w}` is not a width"))?;
    let h: u16 = h.parse().map_err(|_| format!("`{h}` is not a height"))?;
    if !(20..=1000).contains(&w) || !(5..=500).contains(&h) {
        return Err(format!("{w}x{h} is out of range (20x5 to 1000x500)"));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn backfill_hours_and_steps_are_checked() {
        assert_eq!(parse_hours("2"), Ok(2.0));
        assert_eq!(parse_hours("0.5"), Ok(0.5));
        assert!(parse_hours("0").unwrap_err().contains("out of range"));
        assert!(parse_hours("two").is_err());
        assert_eq!(parse_step("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_step("20s").unwrap_err().contains("multiple of 15s"));
        assert!(parse_step("15").unwrap_err().contains("no unit"));
    }

    #[test]
    fn sizes_parse_and_are_bounded() {
        assert_eq!(parse_size("160x48"), Ok((160, 48)));
        assert!(parse_size("80").is_err());
        assert!(parse_size("5x5").unwrap_err().contains("out of range"));
    }
}
