//! The terminal channel: a line in, the engine's replies out. Works interactively and with
//! piped input, ending at end of input or `/quit`; a line that is not UTF-8 is said to be
//! unreadable and skipped. At a terminal each line is prompted with `> `; with piped input
//! each line is echoed as `> text` before its reply (masked when it carried a passcode), so
//! that the output reads as a transcript. Buttons are shown numbered, and typing a button's
//! number presses it while those buttons are the latest shown.
//!
//! Messages waiting in the outbox for this person (decisions, announcements, what the other
//! side of a handoff wrote) are shown as they arrive: the lines are read on the caller's
//! thread, while the turns and the outbox's rounds run on another, so that nothing waits for
//! the next typed line. A round runs at start, after every turn, whenever the service queues
//! something in this process, and every couple of seconds for what another process queued.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::conversation::{ButtonAction, Content, Engine, Incoming, Reply};
use crate::domain::{Channel, ChatIdentity};
use crate::markup::plain_links;
use crate::masking::mask;

/// How many outbox messages are read per round, for all console users.
const OUTBOX_BATCH: u32 = 100;

/// How often the outbox is looked at when nothing prompts it, as on the chat platforms.
const EVERY: Duration = Duration::from_secs(2);

/// What the reader passes to the session.
enum Line {
    Text(String),
    /// Bytes that are not UTF-8.
    Unreadable,
    /// `/quit` or `/exit`, as typed.
    Quit(String),
}

/// What the session woke up for.
enum Wake {
    /// A line, or `None` at the end of input.
    Typed(Option<Line>),
    /// A round of the outbox.
    Round,
}

/// Talks with `engine` as `identity` over `input` and `output`; `terminal` says whether a
/// person types the input (then `> ` is shown before each line) or it is piped (then each line
/// is echoed). Blocks the calling thread, which reads `input`; the session runs on `runtime`.
pub fn run<R, W>(
    runtime: &Handle,
    engine: &Engine,
    identity: &ChatIdentity,
    input: R,
    output: W,
    terminal: bool,
) -> io::Result<()>
where
    R: BufRead,
    W: Write + Send,
{
    let (lines, typed) = mpsc::unbounded_channel();
    std::thread::scope(|scope| {
        let session =
            scope.spawn(|| runtime.block_on(session(engine, identity, typed, output, terminal)));
        let read = read_lines(input, &lines);
        // Ends the session at end of input; after `/quit` it has ended already.
        drop(lines);
        let shown = session
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.and(shown)
    })
}

/// Passes `input`'s lines to the session until end of input, `/quit`, or the session's end.
fn read_lines<R: BufRead>(mut input: R, lines: &mpsc::UnboundedSender<Line>) -> io::Result<()> {
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        // Bytes that are not UTF-8 (a terminal in another encoding, a stray byte) end
        // nothing: the line is said to be unreadable, and the session goes on.
        let line = match std::str::from_utf8(&bytes) {
            Ok(line) => line.trim(),
            Err(_) => {
                if lines.send(Line::Unreadable).is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        if line.is_empty() {
            continue;
        }
        if line == "/quit" || line == "/exit" {
            let _ = lines.send(Line::Quit(line.to_owned()));
            return Ok(());
        }
        if lines.send(Line::Text(line.to_owned())).is_err() {
            return Ok(());
        }
    }
}

/// The conversation: each line's turn, and the outbox's rounds between them.
async fn session<W: Write>(
    engine: &Engine,
    identity: &ChatIdentity,
    mut typed: mpsc::UnboundedReceiver<Line>,
    mut output: W,
    terminal: bool,
) -> io::Result<()> {
    let bot = engine.bot();
    let messages = bot.knowledge().messages();
    writeln!(
        output,
        "{}\n\n{}\n",
        messages.greeting.ja.trim(),
        messages.greeting.en.trim()
    )?;
    deliver(engine, identity, &mut output).await?;
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut written = std::pin::pin!(engine.outbox_written().notified());
    written.as_mut().enable();
    let mut offered: Vec<String> = Vec::new();
    let mut prompt = true;
    loop {
        if terminal && prompt {
            write!(output, "> ")?;
            output.flush()?;
        }
        // A line first, so that piped input reads as a transcript whatever else is due.
        let woken = tokio::select! {
            biased;
            line = typed.recv() => Wake::Typed(line),
            () = written.as_mut() => Wake::Round,
            _ = ticks.tick() => Wake::Round,
        };
        let line = match woken {
            Wake::Typed(Some(line)) => line,
            Wake::Typed(None) => break,
            Wake::Round => {
                // Waiting again from before the round, so that a write during it wakes the next.
                written.set(engine.outbox_written().notified());
                written.as_mut().enable();
                // At a terminal, what arrived was written after the prompt: shown again below.
                prompt = deliver(engine, identity, &mut output).await? > 0;
                continue;
            }
        };
        prompt = true;
        let line = match line {
            Line::Quit(line) => {
                if !terminal {
                    writeln!(output, "> {line}")?;
                }
                break;
            }
            Line::Unreadable => {
                writeln!(
                    output,
                    "{}\n{}\n",
                    messages.unreadable_line.ja.trim(),
                    messages.unreadable_line.en.trim()
                )?;
                continue;
            }
            Line::Text(line) => line,
        };
        let content = match pick(&line, &offered) {
            Some(payload) => Content::Button(payload),
            None => Content::Text(line.clone()),
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
                replied_to: None,
            })
            .await;
        if !terminal {
            // Echoed once the engine has said whether the line held a secret: a passcode is
            // masked here as the chat platforms delete its message.
            let echoed = if response.delete_incoming {
                mask(&line)
            } else {
                line
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

/// Shows the outbox's messages for `identity`, flushed, and returns how many; those for other
/// console users stay queued.
async fn deliver<W: Write>(
    engine: &Engine,
    identity: &ChatIdentity,
    output: &mut W,
) -> io::Result<usize> {
    let service = engine.service();
    let pending = match service
        .pending_messages(Channel::Console, OUTBOX_BATCH)
        .await
    {
        Ok(pending) => pending,
        Err(error) => {
            tracing::warn!(%error, "outbox not read");
            return Ok(0);
        }
    };
    let mut shown = 0;
    for message in pending.iter().filter(|m| &m.recipient == identity) {
        show(&engine.outbox_reply(message).await, &mut Vec::new(), output)?;
        if let Err(error) = service.mark_delivered(message.id).await {
            tracing::warn!(%error, "outbox message shown but not marked delivered");
        }
        shown += 1;
    }
    output.flush()?;
    Ok(shown)
}

/// The payload of the button numbered `line` in the last replies.
fn pick(line: &str, offered: &[String]) -> Option<String> {
    let n: usize = crate::text::fold(line).parse().ok()?;
    offered.get(n.checked_sub(1)?).cloned()
}
