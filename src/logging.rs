//! The program's log: every event is written with each passcode-shaped token masked
//! ([`masking::mask_passcodes`]), so that no level of any crate's logging shows one, not
//! even at trace, where serenity prints whole gateway events and HTTP requests (a message a
//! customer typed, a reply carrying a reissued passcode).
//!
//! Lines of text by default; one JSON object a line with `PAO_LOG_FORMAT=json`, for log
//! collectors. Either way each event of a message's turn carries the turn's id (the `turn`
//! span the engine opens), which ties the message to its replies.

use std::io::{self, IsTerminal, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::masking;

/// Warnings and errors, except serenity's websocket layer, which prints the raw text of a
/// frame it cannot read: a form's passcode could be in it.
const DEFAULT_LOG: &str = "warn,serenity::gateway::ws=error";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// The format `PAO_LOG_FORMAT` names: `json`, else text.
    pub fn from_env() -> Format {
        match std::env::var("PAO_LOG_FORMAT") {
            Ok(value) if value.trim().eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Text,
        }
    }
}

/// Installs the program's log on standard error, filtered by `RUST_LOG`, in `format`.
pub fn install(format: Format) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Masked(io::stderr))
        // A log line that cannot be written (standard error closed) is dropped, not reported
        // on standard error, which would panic.
        .log_internal_errors(false);
    match format {
        Format::Json => builder.json().init(),
        // Colour codes glued to a value would hide a passcode from the masking.
        Format::Text => builder.with_ansi(io::stderr().is_terminal()).init(),
    }
}

/// A [`MakeWriter`] whose writers mask passcodes before handing the text to `M`'s.
#[derive(Debug, Clone)]
pub struct Masked<M>(pub M);

/// One event's writer; `tracing_subscriber` writes each event whole, in one call.
#[derive(Debug)]
pub struct MaskedWriter<W>(W);

impl<'a, M> MakeWriter<'a> for Masked<M>
where
    M: MakeWriter<'a>,
{
    type Writer = MaskedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWriter(self.0.make_writer())
    }
}

impl<W> Write for MaskedWriter<W>
where
    W: Write,
{
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        self.0
            .write_all(masking::mask_passcodes(&without_sign_in_links(&text)).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Where a sign-in link's secret starts: `/web`'s reply carries one, which a platform's client
/// may log whole at its most verbose.
const SIGN_IN_LINK: &str = "/desk/login/";

/// `text` with the secret of every sign-in link to the help desk's web page masked.
fn without_sign_in_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(SIGN_IN_LINK) {
        let (before, link) = rest.split_at(at + SIGN_IN_LINK.len());
        out.push_str(before);
        let secret = link.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if secret > 0 {
            out.push_str("[secret]");
        }
        rest = &link[secret..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_link_s_secret_is_masked() {
        let mut out = Vec::new();
        writeln!(
            MaskedWriter(&mut out),
            "sendMessage text=http://h/desk/login/0a1b2c3d4e\\n and /desk/login/"
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "sendMessage text=http://h/desk/login/[secret]\\n and /desk/login/\n"
        );
    }

    #[test]
    fn a_code_in_an_event_is_masked() {
        let mut out = Vec::new();
        writeln!(
            MaskedWriter(&mut out),
            "update: {{\"text\":\"rd22e43maz\"}}"
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "update: {\"text\":\"[passcode]\"}\n"
        );
    }
}
