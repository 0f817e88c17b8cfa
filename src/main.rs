//! The `pao-bot` binary: parses the command line and hands over to the library.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use pao_bot::causes::with_causes;
use pao_bot::cli::{self, Cli};
use pao_bot::logging::Masked;

/// Warnings and errors, except serenity's websocket layer, which prints the raw text of a
/// frame it cannot read: a form's passcode could be in it.
const DEFAULT_LOG: &str = "warn,serenity::gateway::ws=error";

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(Masked(io::stderr))
        // Colour codes glued to a value would hide a passcode from the masking.
        .with_ansi(io::stderr().is_terminal())
        // A log line that cannot be written (standard error closed) is dropped, not reported
        // on standard error, which would panic.
        .log_internal_errors(false)
        .init();
    let error = match cli::execute(cli, io::stdin().lock(), io::stdout().lock()) {
        Ok(code) => return code,
        Err(error) => error,
    };
    let code = error.exit_code();
    if !error.output_closed() {
        // Standard error may be closed too (`2>&1 | head`); there is no one left to tell.
        let _ = writeln!(io::stderr(), "error: {}", with_causes(&error));
    }
    ExitCode::from(code)
}
