//! The terminal channel: a line in, the reply out. Works interactively and with piped input,
//! ending at end of input or `/quit`.

use std::io::{self, BufRead, Write};

use crate::answer::Bot;
use crate::lang::Lang;
use crate::matcher::Decision;

/// Runs a conversation over `input` and `output`; `prompt` shows `> ` before each line, for
/// people at a terminal.
pub fn run<R, W>(bot: &Bot, input: R, mut output: W, prompt: bool) -> io::Result<()>
where
    R: BufRead,
    W: Write,
{
    let messages = bot.knowledge().messages();
    writeln!(
        output,
        "{}\n\n{}\n",
        messages.greeting.ja.trim(),
        messages.greeting.en.trim()
    )?;
    let mut lang = Lang::Ja;
    let mut offered: Vec<usize> = Vec::new();
    let mut lines = input.lines();
    loop {
        if prompt {
            write!(output, "> ")?;
            output.flush()?;
        }
        let Some(line) = lines.next().transpose()? else {
            break;
        };
        let line = line.trim();
        let reply = match line {
            "" => continue,
            "/quit" | "/exit" => break,
            "/help" | "/start" => messages.greeting.get(lang).trim().to_owned(),
            _ => match pick(line, &offered) {
                Some(entry) => {
                    offered.clear();
                    bot.render_entry(&bot.knowledge().entries()[entry], lang)
                }
                None => {
                    let answer = bot.ask(line, lang);
                    lang = answer.lang;
                    offered = match &answer.decision {
                        Decision::DidYouMean(entries) => entries.clone(),
                        _ => Vec::new(),
                    };
                    bot.render(&answer)
                }
            },
        };
        writeln!(output, "{reply}\n")?;
    }
    output.flush()
}

/// The entry chosen by number from the last "did you mean" list.
fn pick(line: &str, offered: &[usize]) -> Option<usize> {
    let n: usize = crate::text::fold(line).parse().ok()?;
    offered.get(n.checked_sub(1)?).copied()
}
