//! The terminal channel: a line in, the engine's replies out. Works interactively and with
//! piped input, ending at end of input or `/quit`; a line that is not UTF-8 is said to be
//! unreadable and skipped. At a terminal each line is prompted with `> `; with piped input
//! each line is echoed as `> text` before its reply (masked when it carried a passcode), so
//! that the output reads as a transcript. Buttons are shown numbered, and typing a button's
//! number presses it while those buttons are the latest shown; decisions waiting in the outbox
//! for this person are shown when the session starts and after every message.

use std::io::{self, BufRead, Write};

use crate::conversation::{ButtonAction, Content, Engine, Incoming, Reply};
use crate::domain::{Channel, ChatIdentity};
use crate::markup::plain_links;
use crate::masking::mask;

/// How many outbox messages are read per turn, for all console users.
const OUTBOX_BATCH: u32 = 100;

/// Talks with `engine` as `identity` over `input` and `output`; `terminal` says whether a
/// person types the input (then `> ` is shown before each line) or it is piped (then each line
/// is echoed).
pub async fn run<R, W>(
    engine: &Engine,
    identity: &ChatIdentity,
    mut input: R,
    mut output: W,
    terminal: bool,
) -> io::Result<()>
where
    R: BufRead,
    W: Write,
{
    let bot = engine.bot();
    let messages = bot.knowledge().messages();
    writeln!(
        output,
        "{}\n\n{}\n",
        messages.greeting.ja.trim(),
        messages.greeting.en.trim()
    )?;
    deliver(engine, identity, &mut output).await?;
    let mut offered: Vec<String> = Vec::new();
    let mut bytes = Vec::new();
    loop {
        if terminal {
            write!(output, "> ")?;
            output.flush()?;
        }
        // Read between turns, never during one: blocking here holds up nothing else.
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        // Bytes that are not UTF-8 (a terminal in another encoding, a stray byte) end
        // nothing: the line is said to be unreadable, and the session goes on.
        let Ok(line) = std::str::from_utf8(&bytes) else {
            writeln!(
                output,
                "{}\n{}\n",
                messages.unreadable_line.ja.trim(),
                messages.unreadable_line.en.trim()
            )?;
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/quit" || line == "/exit" {
            if !terminal {
                writeln!(output, "> {line}")?;
            }
            break;
        }
        let content = match pick(line, &offered) {
            Some(payload) => Content::Button(payload),
            None => Content::Text(line.to_owned()),
        };
        let response = engine
            .handle(Incoming {
                channel: Channel::Console,
                chat: identity.id().to_owned(),
                private: true,
                sender: identity.clone(),
                lang_hint: None,
                content,
                message_id: None,
            })
            .await;
        if !terminal {
            // Echoed once the engine has said whether the line held a secret: a passcode is
            // masked here as the chat platforms delete its message.
            let echoed = if response.delete_incoming {
                mask(line)
            } else {
                line.to_owned()
            };
            writeln!(output, "> {echoed}")?;
        }
        offered.clear();
        for reply in &response.replies {
            show(reply, &mut offered, &mut output)?;
        }
        deliver(engine, identity, &mut output).await?;
    }
    output.flush()
}

/// Writes `reply`, numbering its buttons after those already `offered`.
fn show<W: Write>(reply: &Reply, offered: &mut Vec<String>, output: &mut W) -> io::Result<()> {
    writeln!(output, "{}", plain_links(&reply.text))?;
    for button in &reply.buttons {
        match &button.action {
            ButtonAction::Payload(payload) => {
                offered.push(payload.clone());
                writeln!(output, "  [{}] {}", offered.len(), button.label)?;
            }
            ButtonAction::Link(url) => writeln!(output, "  → {} ({url})", button.label)?,
        }
    }
    writeln!(output)
}

/// Shows the outbox's messages for `identity`; those for other console users stay queued.
async fn deliver<W: Write>(
    engine: &Engine,
    identity: &ChatIdentity,
    output: &mut W,
) -> io::Result<()> {
    let service = engine.service();
    let pending = match service
        .pending_messages(Channel::Console, OUTBOX_BATCH)
        .await
    {
        Ok(pending) => pending,
        Err(error) => {
            tracing::warn!(%error, "outbox not read");
            return Ok(());
        }
    };
    for message in pending.iter().filter(|m| &m.recipient == identity) {
        show(&engine.outbox_reply(message).await, &mut Vec::new(), output)?;
        if let Err(error) = service.mark_delivered(message.id).await {
            tracing::warn!(%error, "outbox message shown but not marked delivered");
        }
    }
    Ok(())
}

/// The payload of the button numbered `line` in the last replies.
fn pick(line: &str, offered: &[String]) -> Option<String> {
    let n: usize = crate::text::fold(line).parse().ok()?;
    offered.get(n.checked_sub(1)?).cloned()
}
