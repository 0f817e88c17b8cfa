//! The `pao-bot` binary: parses the command line and hands over to the library.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use pao_bot::causes::with_causes;
use pao_bot::cli::{self, Cli};
use pao_bot::logging::{self, Format};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::install(Format::from_env());
    let error = match cli::execute(cli, io::stdin().lock(), io::stdout()) {
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
