//! Telegram updates as the engine's [`Incoming`]: whether a message is for the bot at all,
//! who sent it, in which language, its id for recognising a redelivery, and the text of the
//! bot's message it replies to.

use teloxide::types::{CallbackQuery, Me, Message, UpdateId, User};

use crate::conversation::{Content, Incoming};
use crate::domain::{Channel, ChatIdentity};
use crate::lang::Lang;

/// A text message as the engine's message, or `None` when it is not for the bot: another
/// bot's message, a message without text, or in a group, anything but a command, a mention
/// of the bot or a reply to it.
pub(super) fn from_message(message: &Message, update: UpdateId, me: &Me) -> Option<Incoming> {
    let from = message.from.as_ref().filter(|from| !from.is_bot)?;
    let Some(text) = message.text() else {
        tracing::debug!(update = update.0, "a message without text ignored");
        return None;
    };
    let private = message.chat.is_private();
    let replied_to_bot = message
        .reply_to_message()
        .filter(|replied| replied.from.as_ref().is_some_and(|a| a.id == me.user.id));
    let replies_to_bot = replied_to_bot.is_some();
    let username = me.user.username.as_deref().unwrap_or_default();
    let Some(text) = for_bot(text, private, replies_to_bot, username) else {
        tracing::debug!(update = update.0, "a group message not for the bot ignored");
        return None;
    };
    Some(Incoming {
        channel: Channel::Telegram,
        chat: message.chat.id.0.to_string(),
        private,
        sender: identity(from)?,
        lang_hint: lang_hint(from.language_code.as_deref()),
        content: Content::Text(text),
        message_id: Some(update.0.to_string()),
        replied_to: replied_to_bot.and_then(Message::text).map(str::to_owned),
    })
}

/// A button press as the engine's message; `None` for buttons that are not the bot's (no
/// data, or under an inline-mode message, which has no chat).
pub(super) fn from_callback(query: &CallbackQuery, update: UpdateId) -> Option<Incoming> {
    let data = query.data.as_ref()?;
    let chat = query.message.as_ref()?.chat();
    Some(Incoming {
        channel: Channel::Telegram,
        chat: chat.id.0.to_string(),
        private: chat.is_private(),
        sender: identity(&query.from)?,
        lang_hint: lang_hint(query.from.language_code.as_deref()),
        content: Content::Button(data.clone()),
        message_id: Some(update.0.to_string()),
        replied_to: None,
    })
}

fn identity(user: &User) -> Option<ChatIdentity> {
    ChatIdentity::parse(&format!("telegram:{}", user.id.0)).ok()
}

/// The language a Telegram `language_code` (an IETF tag such as `ja` or `en-GB`) names, if
/// the bot speaks it.
pub(super) fn lang_hint(code: Option<&str>) -> Option<Lang> {
    let primary = code?.split(['-', '_']).next()?;
    match primary.to_ascii_lowercase().as_str() {
        "ja" => Some(Lang::Ja),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The text the engine gets, mentions of the bot removed, or `None` when the message is not
/// for the bot: a command for another bot (`/help@other_bot`), or in a group, a message that
/// is neither a command, nor mentions the bot, nor replies to it.
fn for_bot(text: &str, private: bool, replies_to_bot: bool, username: &str) -> Option<String> {
    let (text, mentioned) = without_mention(text, username);
    let text = text.trim();
    if let Some(command) = text.strip_prefix('/') {
        let name = command.split_whitespace().next().unwrap_or_default();
        if let Some((_, addressee)) = name.split_once('@')
            && !addressee.eq_ignore_ascii_case(username)
        {
            return None;
        }
        return Some(text.to_owned());
    }
    (private || mentioned || replies_to_bot).then(|| text.to_owned())
}

/// `text` without the mentions `@username` (case does not matter to Telegram), and whether
/// there was one. A mention starts a word: `/help@bot` is a command, not a mention, and
/// `@bot_two` is another bot.
fn without_mention(text: &str, username: &str) -> (String, bool) {
    if username.is_empty() {
        return (text.to_owned(), false);
    }
    let mention = format!("@{username}");
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let candidate = &rest[at..];
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let starts_word = !before.is_some_and(is_name_char);
        let matches = candidate
            .get(..mention.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&mention));
        let ends_word = !candidate[mention.len().min(candidate.len())..].starts_with(is_name_char);
        if starts_word && matches && ends_word {
            out.push_str(&rest[..at]);
            rest = &candidate[mention.len()..];
            found = true;
        } else {
            out.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    (out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_become_hints() {
        assert_eq!(lang_hint(Some("ja")), Some(Lang::Ja));
        assert_eq!(lang_hint(Some("en-GB")), Some(Lang::En));
        assert_eq!(lang_hint(Some("EN")), Some(Lang::En));
        assert_eq!(lang_hint(Some("de")), None);
        assert_eq!(lang_hint(Some("jav")), None);
        assert_eq!(lang_hint(None), None);
    }

    #[test]
    fn private_chats_get_everything() {
        let text = for_bot("パスワードを忘れました", true, false, "pao_bot");
        assert_eq!(text.as_deref(), Some("パスワードを忘れました"));
        let text = for_bot("@pao_bot forgot password", true, false, "pao_bot");
        assert_eq!(text.as_deref(), Some("forgot password"));
    }

    #[test]
    fn groups_get_commands_mentions_and_replies_only() {
        assert_eq!(for_bot("forgot password", false, false, "pao_bot"), None);
        assert_eq!(
            for_bot("@PAO_Bot forgot password", false, false, "pao_bot").as_deref(),
            Some("forgot password")
        );
        assert_eq!(
            for_bot("forgot password, @pao_bot?", false, false, "pao_bot").as_deref(),
            Some("forgot password, ?")
        );
        assert_eq!(
            for_bot("forgot password", false, true, "pao_bot").as_deref(),
            Some("forgot password")
        );
        assert_eq!(
            for_bot("/help", false, false, "pao_bot").as_deref(),
            Some("/help")
        );
        assert_eq!(
            for_bot("/help@pao_bot", false, false, "pao_bot").as_deref(),
            Some("/help@pao_bot")
        );
        assert_eq!(
            for_bot("@pao_bot /nominate", false, false, "pao_bot").as_deref(),
            Some("/nominate")
        );
    }

    #[test]
    fn other_bots_and_lookalikes_are_not_the_bot() {
        assert_eq!(for_bot("/help@other_bot", false, false, "pao_bot"), None);
        assert_eq!(for_bot("/help@other_bot", true, false, "pao_bot"), None);
        assert_eq!(for_bot("@pao_bot_two hello", false, false, "pao_bot"), None);
        assert_eq!(for_bot("mail x@pao_bot now", false, false, "pao_bot"), None);
        assert_eq!(
            without_mention("@pao_bot", "pao_bot"),
            (String::new(), true)
        );
        assert_eq!(
            without_mention("@pao_b", "pao_bot"),
            ("@pao_b".to_owned(), false)
        );
        assert_eq!(
            without_mention("日本語@pao_bot です", "pao_bot"),
            ("日本語 です".to_owned(), true)
        );
    }
}
