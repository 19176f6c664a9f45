//! The `vigil` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use vigil::cli::{Cli, Commands, ConfigCommand, LabCommand};
use vigil::commands::{self, config_cmd};
use vigil::launch::{Failure, Setup};

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    match dispatch(cli, started) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("vigil: {}", failure.message.trim_end());
            ExitCode::from(failure.code)
        }
    }
}

fn dispatch(cli: Cli, started: Instant) -> Result<u8, Failure> {
    // Commands that need neither the config's contexts nor a runtime.
    match &cli.command {
        Some(Commands::Config { command: ConfigCommand::Check }) => return config_cmd::check(cli.global),
        Some(Commands::Config { command: ConfigCommand::Paths }) => return config_cmd::paths(cli.global),
        Some(Commands::Completions { shell }) => return config_cmd::completions(*shell),
        Some(Commands::Lab { command: LabCommand::Serve(args) }) => return commands::lab::serve(&cli.global, args),
        Some(Commands::Lab { command: LabCommand::Backfill(args) }) => {
            return commands::lab::backfill(&cli.global, args);
        }
        _ => {}
    }
    let demo_command = matches!(cli.command, Some(Commands::Demo));
    let setup = Setup::load(cli.global, demo_command)?;
    let _log = vigil::logging::init(&setup.log_file());
    let runtime = vigil::launch::runtime()?;
    runtime.block_on(async {
        match &cli.command {
            None | Some(Commands::Demo) => vigil::app::run::run(setup, started).await.map(|_| 0),
            Some(Commands::Status(args)) => commands::status::run(&setup, args).await,
            Some(Commands::Slo(args)) => commands::slo::run(&setup, args).await,
            Some(Commands::Registry(args)) => commands::registry::run(&setup, args).await,
            Some(Commands::Audit { command }) => commands::audit::run(&setup, command),
            Some(Commands::Playbook { command }) => commands::playbook::run(&setup, command).await,
            Some(Commands::Render(args)) => commands::render::run(&setup, args).await,
            Some(Commands::Keys) => config_cmd::keys(&setup),
            Some(Commands::Themes) => config_cmd::themes(&setup),
            Some(Commands::Presets) => commands::presets::run(&setup),
            Some(Commands::Config { .. }) | Some(Commands::Completions { .. }) | Some(Commands::Lab { .. }) => {
                unreachable!("handled above")
            }
        }
    })
}
