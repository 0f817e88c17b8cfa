//! The `pao-bot` binary: parses the command line and hands over to the library.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use pao_bot::cli::{self, Cli};
use pao_bot::logging::Masked;

/// Warnings and errors, except serenity's websocket layer, which prints the raw text of a
/// frame it cannot read: a form's passcode could be in it.
const DEFAULT_LOG: &str = "warn,serenity::gateway::ws=error";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(Masked(io::stderr))
        // Colour codes glued to a value would hide a passcode from the masking.
        .with_ansi(io::stderr().is_terminal())
        .init();
    let code = cli::execute(cli, io::stdin().lock(), io::stdout().lock())?;
    Ok(code)
}
