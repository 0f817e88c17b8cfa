//! Slash commands as people type them: `/approve 12 secondary`, `/help@pao_bot` (Telegram adds
//! the bot's name in groups), full-width `／ｈｅｌｐ` from a Japanese keyboard.

use unicode_normalization::UnicodeNormalization;

use crate::commands::SlashCommand;

/// A typed command and the text after it; the name may be of no [`SlashCommand`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedCommand {
    /// The name, lowercase, without `/` or `@bot`.
    pub name: String,
    pub args: String,
}

impl TypedCommand {
    /// The command `text` is, or `None` when it is not one.
    pub fn parse(text: &str) -> Option<TypedCommand> {
        let text: String = text.trim().nfkc().collect();
        let rest = text.strip_prefix('/')?;
        let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or_default().to_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        Some(TypedCommand {
            name,
            args: args.trim().to_owned(),
        })
    }

    /// The table's command of that name, or `None` when there is none.
    pub fn command(&self) -> Option<SlashCommand> {
        SlashCommand::named(&self.name)
    }
}

/// Whether `text` asks to leave the procedure in progress.
pub fn is_cancel(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "cancel",
        "stop",
        "quit",
        "キャンセル",
        "やめる",
        "やめます",
        "中止",
    ];
    let text: String = text.trim().nfkc().flat_map(char::to_lowercase).collect();
    let text = text.trim_end_matches(['。', '.', '!', '！']);
    WORDS.contains(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_bot_names_and_full_width_slashes() {
        let command = TypedCommand::parse("/approve@pao_bot  12 secondary").unwrap();
        assert_eq!(command.name, "approve");
        assert_eq!(command.args, "12 secondary");
        assert_eq!(TypedCommand::parse("／ＨＥＬＰ").unwrap().name, "help");
        assert_eq!(TypedCommand::parse("how do I /cancel"), None);
        assert_eq!(TypedCommand::parse("/ 12"), None);
    }

    #[test]
    fn cancel_words_in_both_languages() {
        for text in ["cancel", "Cancel.", "キャンセル", "やめる", " /cancel "] {
            assert!(
                is_cancel(text) || TypedCommand::parse(text).is_some_and(|c| c.name == "cancel")
            );
        }
        assert!(!is_cancel("how do I cancel a request"));
    }
}
