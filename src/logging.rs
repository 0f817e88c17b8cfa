//! The program's log: every event is written with each passcode-shaped token masked
//! ([`masking::mask_passcodes`]), so that no level of any crate's logging shows one, not
//! even at trace, where serenity prints whole gateway events and HTTP requests (a message a
//! customer typed, a reply carrying a reissued passcode).

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use crate::masking;

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
            .write_all(masking::mask_passcodes(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
