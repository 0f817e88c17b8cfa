//! The Bot API calls the channel makes. Messages go through teloxide's `Throttle` when
//! throttling is on; every call is tried again after a 429 (once its `retry_after` has
//! passed), and after network errors and server errors with a growing pause, a few times.

use std::future::Future;
use std::time::Duration;

use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::{Limits, Settings};
use teloxide::payloads::{
    EditMessageReplyMarkupSetters, EditMessageTextSetters, SendMessageSetters, SetMyCommandsSetters,
};
use teloxide::requests::{Output, Payload, Request, Requester};
use teloxide::types::{
    BotCommand, CallbackQueryId, ChatId, InlineKeyboardMarkup, LinkPreviewOptions, Me, Message,
    MessageId, ParseMode, ReplyParameters,
};
use teloxide::utils::render::RenderMessageTextHelper;
use teloxide::{ApiError, Bot, RequestError};

use crate::channels::split_lines;
use crate::channels::telegram::render;
use crate::commands::{Audience, SlashCommand};
use crate::conversation::Reply;
use crate::knowledge::Messages;
use crate::lang::Lang;

/// Telegram's limit on a message's text, in UTF-16 units of the text without its markup.
const MAX_TEXT: usize = 4096;

/// Telegram's limits for bots: 30 messages a second overall, and per chat 1 a second and
/// 20 a minute (teloxide's defaults allow channels and supergroups only 10 a minute).
const LIMITS: Limits = Limits {
    messages_per_sec_overall: 30,
    messages_per_sec_chat: 1,
    messages_per_min_chat: 20,
    messages_per_min_channel_or_supergroup: 20,
};

/// How often, and after how long, a failed call is tried again.
#[derive(Debug, Clone, Copy)]
struct Retry {
    /// Tries in all, the first included.
    tries: u32,
    first_pause: Duration,
    longest_pause: Duration,
}

const RETRY: Retry = Retry {
    tries: 5,
    first_pause: Duration::from_millis(500),
    longest_pause: Duration::from_secs(8),
};

/// A failed Bot API call, told without the token (teloxide hides it in network errors) and
/// without the response's body, which may quote a message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("the Bot API refused the call: {0}")]
    Refused(ApiError),
    #[error("Telegram's flood control: retry after {0} s")]
    TooManyRequests(u32),
    #[error("the group is now the supergroup {0}")]
    Migrated(i64),
    #[error("cannot reach the Bot API: {0}")]
    Network(String),
    #[error("the Bot API's answer cannot be read ({0})")]
    Unreadable(String),
    #[error("an I/O error: {0}")]
    Io(String),
    #[error("{0} is not a Telegram chat")]
    NotAChat(String),
}

impl From<RequestError> for CallError {
    fn from(error: RequestError) -> CallError {
        match error {
            RequestError::Api(error) => CallError::Refused(error),
            RequestError::MigrateToChatId(chat) => CallError::Migrated(chat.0),
            RequestError::RetryAfter(after) => CallError::TooManyRequests(after.seconds()),
            RequestError::Network(error) => {
                let mut text = error.to_string();
                let mut source = std::error::Error::source(&*error);
                while let Some(cause) = source {
                    text.push_str(": ");
                    text.push_str(&cause.to_string());
                    source = cause.source();
                }
                CallError::Network(text)
            }
            // serde's message may quote the body; where it stopped says enough.
            RequestError::InvalidJson { source, .. } => CallError::Unreadable(format!(
                "{:?} error at line {}, column {}",
                source.classify(),
                source.line(),
                source.column()
            )),
            RequestError::Io(error) => CallError::Io(error.to_string()),
        }
    }
}

impl Retry {
    /// How long to wait before trying again after the `failures`-th failure, `error`; `None`
    /// to give up.
    fn pause(&self, error: &RequestError, failures: u32) -> Option<Duration> {
        if failures >= self.tries {
            return None;
        }
        let backoff = || {
            let doubled = self
                .first_pause
                .saturating_mul(1 << failures.saturating_sub(1).min(16));
            doubled.min(self.longest_pause)
        };
        match error {
            RequestError::RetryAfter(after) => Some(after.duration()),
            RequestError::Network(_) | RequestError::Io(_) => Some(backoff()),
            // An answer that is not JSON at all is a proxy's or gateway's error page. JSON that
            // teloxide could not read may be a message that was sent: sending it again would
            // repeat it.
            RequestError::InvalidJson { raw, .. }
                if serde_json::from_str::<serde_json::Value>(raw).is_err() =>
            {
                Some(backoff())
            }
            RequestError::Api(ApiError::Unknown(description)) if is_server_error(description) => {
                Some(backoff())
            }
            _ => None,
        }
    }
}

/// Whether an error's description is one of a 5xx answer's. teloxide keeps only the
/// description of Telegram's `{"ok":false,"error_code":500,"description":...}`.
fn is_server_error(description: &str) -> bool {
    [
        "Internal Server Error",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
    ]
    .iter()
    .any(|phrase| description.starts_with(phrase))
}

/// Makes the calls: the plain bot, and the throttled one for messages when throttling is on.
pub(super) struct Outgoing {
    bot: Bot,
    throttled: Option<Throttle<Bot>>,
}

/// Link previews would show a large card for the first link of every answer.
const NO_PREVIEW: LinkPreviewOptions = LinkPreviewOptions {
    is_disabled: true,
    url: None,
    prefer_small_media: false,
    prefer_large_media: false,
    show_above_text: false,
};

impl Outgoing {
    /// Must be called within the Tokio runtime: the throttle's worker is spawned on it.
    pub(super) fn new(bot: Bot, throttle: bool) -> Outgoing {
        let throttled = throttle.then(|| {
            Throttle::spawn_with_settings(bot.clone(), Settings::default().limits(LIMITS))
        });
        Outgoing { bot, throttled }
    }

    /// `call()` until it succeeds, or fails in a way trying again cannot mend, or too often.
    pub(super) async fn retrying<T, F, Fut>(
        &self,
        method: &'static str,
        mut call: F,
    ) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let mut failures = 0;
        loop {
            let error = match call().await {
                Ok(output) => return Ok(output),
                Err(error) => error,
            };
            failures += 1;
            let Some(pause) = RETRY.pause(&error, failures) else {
                return Err(error.into());
            };
            tracing::warn!(
                method,
                failures,
                pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                error = %CallError::from(error),
                "a Bot API call failed; trying again"
            );
            tokio::time::sleep(pause).await;
        }
    }

    async fn call<Q>(&self, request: Q) -> Result<Output<Q>, CallError>
    where
        Q: Request<Err = RequestError>,
    {
        self.retrying(<Q::Payload as Payload>::NAME, || request.send_ref())
            .await
    }

    pub(super) async fn get_me(&self) -> Result<Me, CallError> {
        self.call(self.bot.get_me()).await
    }

    /// The command menu (`setMyCommands`) in English (the default) and Japanese: the
    /// customers' commands of the table, described as `messages` say. The help-desk agents'
    /// commands stay out: customers should not be shown them. A failure only costs the menu,
    /// so it is logged and the bot goes on.
    pub(super) async fn set_commands(&self, messages: &Messages) {
        let menu = |lang: Lang| -> Vec<BotCommand> {
            SlashCommand::ALL
                .into_iter()
                .filter(|command| command.audience() == Audience::Everyone)
                .map(|command| {
                    let description = messages.commands.of(command).get(lang).trim();
                    BotCommand::new(command.name(), description)
                })
                .collect()
        };
        let requests = [
            ("default", self.bot.set_my_commands(menu(Lang::En))),
            (
                "ja",
                self.bot.set_my_commands(menu(Lang::Ja)).language_code("ja"),
            ),
        ];
        for (language, request) in requests {
            if let Err(error) = self.call(request).await {
                tracing::warn!(language, %error, "the command menu was not set");
            }
        }
    }

    /// Sends one reply to `chat`, answering `reply_to` when given, and returns the message
    /// that holds its buttons. A text over Telegram's limit goes as several messages, the
    /// buttons under the last.
    pub(super) async fn send(
        &self,
        mut chat: ChatId,
        reply: &Reply,
        mut reply_to: Option<MessageId>,
    ) -> Result<Message, CallError> {
        // Telegram counts the text without its markup, which `render::html` only adds to.
        let mut parts = split_lines(&reply.text, MAX_TEXT, char::len_utf16);
        let last = parts.pop().unwrap_or_default();
        for text in parts {
            let part = Reply::text(text);
            self.send_part(&mut chat, &part, reply_to.take()).await?;
        }
        let last = Reply {
            text: last,
            ..reply.clone()
        };
        self.send_part(&mut chat, &last, reply_to).await
    }

    /// Sends one message of a reply. A group that became a supergroup gets it under its new
    /// id, which `chat` then holds for the rest of the reply.
    async fn send_part(
        &self,
        chat: &mut ChatId,
        part: &Reply,
        reply_to: Option<MessageId>,
    ) -> Result<Message, CallError> {
        match self.send_once(*chat, part, reply_to).await {
            Err(CallError::Migrated(to)) => {
                tracing::info!(chat = chat.0, to, "the group became a supergroup");
                *chat = ChatId(to);
                self.send_once(*chat, part, None).await
            }
            sent => sent,
        }
    }

    async fn send_once(
        &self,
        chat: ChatId,
        reply: &Reply,
        reply_to: Option<MessageId>,
    ) -> Result<Message, CallError> {
        let text = render::html(&reply.text);
        let keyboard = render::keyboard(&reply.buttons);
        match &self.throttled {
            Some(throttled) => {
                let request = throttled.send_message(chat, text);
                self.call(message(request, keyboard, reply_to)).await
            }
            None => {
                let request = self.bot.send_message(chat, text);
                self.call(message(request, keyboard, reply_to)).await
            }
        }
    }

    /// Answers a callback query, which stops the button's spinner.
    pub(super) async fn answer_callback(&self, id: CallbackQueryId) {
        match self.call(self.bot.answer_callback_query(id)).await {
            Ok(_) => {}
            // A query answered before (a redelivered update) or too old: nothing spins.
            Err(CallError::Refused(error)) => {
                tracing::debug!(%error, "a callback query was not answered");
            }
            Err(error) => tracing::warn!(%error, "a callback query was not answered"),
        }
    }

    /// Deletes a message that carried a passcode.
    pub(super) async fn delete(&self, chat: ChatId, message: MessageId) {
        if let Err(error) = self.call(self.bot.delete_message(chat, message)).await {
            // In a group the bot needs the right to delete others' messages.
            tracing::warn!(
                chat = chat.0,
                message = message.0,
                %error,
                "a message with a passcode could not be deleted"
            );
        }
    }

    /// Edits the message whose button sending `data` was pressed: the choice shown under its
    /// text, its buttons gone but for links.
    pub(super) async fn show_pressed(&self, message: &Message, data: &str) {
        let Some(markup) = message.reply_markup() else {
            return;
        };
        let Some(label) = render::label_of(markup, data) else {
            return;
        };
        let left = render::links_only(markup);
        let (chat, id) = (message.chat.id, message.id);
        let edited = match message.html_text() {
            Some(text) => {
                let request = self
                    .bot
                    .edit_message_text(chat, id, render::with_choice(&text, label))
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(NO_PREVIEW)
                    .reply_markup(left);
                self.call(request).await.map(drop)
            }
            None => {
                let request = self
                    .bot
                    .edit_message_reply_markup(chat, id)
                    .reply_markup(left);
                self.call(request).await.map(drop)
            }
        };
        if let Err(error) = edited {
            // Messages older than 48 hours cannot be edited; the reply is what matters.
            tracing::debug!(chat = chat.0, message = id.0, %error, "a pressed message was not edited");
        }
    }
}

/// A `sendMessage` (throttled or not) with the channel's formatting.
fn message<R>(request: R, keyboard: Option<InlineKeyboardMarkup>, reply_to: Option<MessageId>) -> R
where
    R: SendMessageSetters,
{
    let mut request = request
        .parse_mode(ParseMode::Html)
        .link_preview_options(NO_PREVIEW);
    if let Some(keyboard) = keyboard {
        request = request.reply_markup(keyboard);
    }
    if let Some(id) = reply_to {
        // The message answered may have been deleted meanwhile: send anyway.
        request = request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
    }
    request
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teloxide::types::Seconds;

    use super::*;

    fn unreadable(raw: &str) -> RequestError {
        let source = serde_json::from_str::<u8>("x").unwrap_err();
        RequestError::InvalidJson {
            source: Arc::new(source),
            raw: raw.into(),
        }
    }

    #[test]
    fn a_429_waits_what_telegram_says() {
        let error = RequestError::RetryAfter(Seconds::from_seconds(7));
        assert_eq!(RETRY.pause(&error, 1), Some(Duration::from_secs(7)));
        assert_eq!(RETRY.pause(&error, RETRY.tries), None);
    }

    #[test]
    fn server_errors_back_off_and_refusals_are_final() {
        let server = RequestError::Api(ApiError::Unknown("Internal Server Error".to_owned()));
        let pauses: Vec<_> = (1..=5).map(|n| RETRY.pause(&server, n)).collect();
        assert_eq!(
            pauses,
            [
                Some(Duration::from_millis(500)),
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                None
            ]
        );
        assert!(
            RETRY
                .pause(&unreadable("<html>502 Bad Gateway</html>"), 1)
                .is_some()
        );
        assert_eq!(
            RETRY.pause(&unreadable(r#"{"ok":true,"result":{}}"#), 1),
            None
        );
        assert_eq!(
            RETRY.pause(&RequestError::Api(ApiError::BotBlocked), 1),
            None
        );
        let unknown = RequestError::Api(ApiError::Unknown("Bad Request: odd".to_owned()));
        assert_eq!(RETRY.pause(&unknown, 1), None);
    }

    #[test]
    fn an_unreadable_answer_is_told_without_its_body() {
        let told = CallError::from(unreadable(r#"{"text":"RD22E43MAZ"}"#)).to_string();
        assert!(!told.contains("RD22E43MAZ"), "{told}");
        assert!(told.contains("line 1"), "{told}");
    }
}
