//! The engine's replies as Discord messages: the text with its `[label](url)` links kept (they
//! are Discord's masked links) and the rest of Discord's markdown escaped, split at Discord's
//! 2,000-character limit, and the buttons in rows of five under the last part.
//!
//! Every message is sent without pinging anyone (the text may echo what a customer typed)
//! and without link previews (an answer's links would otherwise each add an embed).

use std::collections::HashSet;

use serenity::all::{ButtonStyle, InteractionResponseFlags, MessageFlags};
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse,
};

use crate::channels::split_lines;
use crate::conversation::{Button, ButtonAction, Reply};
use crate::markup;

/// Discord's limit on a message's text, in characters.
const MAX_CONTENT: usize = 2000;
/// Discord's limit on a button's label, in characters.
const MAX_LABEL: usize = 80;
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;

/// One Discord message of a reply.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub content: String,
    pub rows: Vec<CreateActionRow>,
    /// Only the sender may see it (the engine's [`Reply::private`]).
    pub private: bool,
}

/// `reply` as the messages that show it: one, unless its text is over Discord's limit.
pub(super) fn parts(reply: &Reply) -> Vec<Part> {
    let rows = rows(&reply.buttons);
    let mut chunks = split_lines(&markdown(&reply.text), MAX_CONTENT, |_| 1);
    if rows.is_empty() {
        chunks.retain(|chunk| !chunk.trim().is_empty());
    }
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(n, content)| Part {
            content,
            rows: if n == last { rows.clone() } else { Vec::new() },
            private: reply.private,
        })
        .collect()
}

impl Part {
    pub fn message(&self) -> CreateMessage {
        CreateMessage::new()
            .content(&self.content)
            .components(self.rows.clone())
            .allowed_mentions(CreateAllowedMentions::new())
            .flags(MessageFlags::SUPPRESS_EMBEDS)
    }

    pub fn interaction(&self, ephemeral: bool) -> CreateInteractionResponseMessage {
        CreateInteractionResponseMessage::new()
            .content(&self.content)
            .components(self.rows.clone())
            .allowed_mentions(CreateAllowedMentions::new())
            .flags(InteractionResponseFlags::SUPPRESS_EMBEDS)
            .ephemeral(ephemeral)
    }

    pub fn followup(&self, ephemeral: bool) -> CreateInteractionResponseFollowup {
        CreateInteractionResponseFollowup::new()
            .content(&self.content)
            .components(self.rows.clone())
            .allowed_mentions(CreateAllowedMentions::new())
            .flags(MessageFlags::SUPPRESS_EMBEDS)
            .ephemeral(ephemeral)
    }

    pub fn edit(&self) -> EditInteractionResponse {
        EditInteractionResponse::new()
            .content(&self.content)
            .components(self.rows.clone())
            .allowed_mentions(CreateAllowedMentions::new())
            .flags(MessageFlags::SUPPRESS_EMBEDS)
    }
}

/// The buttons in rows of five, at most Discord's five rows. Discord refuses a message with
/// two buttons of the same custom id, so a repeated payload keeps its first button only.
fn rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    let mut seen = HashSet::new();
    let buttons: Vec<CreateButton> = buttons
        .iter()
        .filter(|b| match &b.action {
            ButtonAction::Payload(payload) => seen.insert(payload.as_str()),
            ButtonAction::Link(_) => true,
        })
        .map(button)
        .collect();
    if buttons.len() > BUTTONS_PER_ROW * MAX_ROWS {
        tracing::warn!(
            buttons = buttons.len(),
            "more buttons than a Discord message holds; the last are left out"
        );
    }
    buttons
        .chunks(BUTTONS_PER_ROW)
        .take(MAX_ROWS)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

fn button(button: &Button) -> CreateButton {
    let label = truncate(&button.label, MAX_LABEL);
    match &button.action {
        ButtonAction::Payload(payload) => CreateButton::new(payload)
            .label(label)
            .style(ButtonStyle::Secondary),
        ButtonAction::Link(url) => CreateButton::new_link(url).label(label),
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => {
            let mut cut: String = text[..end].chars().take(max - 1).collect();
            cut.push('…');
            cut
        }
        None => text.to_owned(),
    }
}

/// `text` for Discord: `[label](url)` links stay masked links, and the characters Discord
/// reads as formatting elsewhere are escaped, so that an IBM ID such as `taro_yamada@…`
/// shows as typed.
fn markdown(text: &str) -> String {
    markup::render(text, escape_into, |out, label, url| {
        out.push('[');
        escape_into(out, label);
        out.push_str("](");
        out.push_str(url);
        out.push(')');
    })
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_and_formatting_characters_are_escaped() {
        assert_eq!(
            markdown("Mail taro_yamada@example.com, see [the *FAQ*](https://x.example/a_b)."),
            "Mail taro\\_yamada@example.com, see [the \\*FAQ\\*](https://x.example/a_b)."
        );
        assert_eq!(markdown("[注意] と (括弧)"), "[注意] と (括弧)");
        assert_eq!(
            markdown("[a] b [c](https://d)"),
            "[a] b [c](https://d)",
            "a bracket that opens no link does not swallow the next link"
        );
    }

    #[test]
    fn buttons_come_in_rows_of_five_under_the_last_part() {
        let mut reply = Reply::text(format!("{}\n{}", "a".repeat(1999), "b"));
        reply.buttons = (0..7)
            .map(|n| Button::payload(format!("{n}"), format!("entry:{n}")))
            .chain([Button::payload("again", "entry:0")])
            .collect();
        let parts = parts(&reply);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].rows.is_empty());
        let sizes: Vec<usize> = parts[1]
            .rows
            .iter()
            .map(|row| match row {
                CreateActionRow::Buttons(buttons) => buttons.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(sizes, vec![5, 2], "the repeated payload is left out");
    }

    #[test]
    fn long_labels_are_shortened_and_empty_replies_send_nothing() {
        assert_eq!(truncate(&"x".repeat(100), 80).chars().count(), 80);
        assert_eq!(truncate("short", 80), "short");
        assert!(parts(&Reply::text("  ")).is_empty());
    }
}
