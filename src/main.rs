//! The `biolens` binary: a subcommand runs headless; no subcommand starts the app.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    biolens::memory::tune_allocator();
    let cli = biolens::cli::Cli::parse();
    let result = match &cli.command {
        Some(command) => biolens::cli::run(command, &mut std::io::stdout().lock()),
        None => start_gui(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line: the error and its causes.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn start_gui() -> anyhow::Result<()> {
    biolens::app::run()
}

#[cfg(not(feature = "gui"))]
fn start_gui() -> anyhow::Result<()> {
    anyhow::bail!("this build has no GUI (built without the `gui` feature); run `biolens --help` for the subcommands")
}
