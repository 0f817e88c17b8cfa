//! The engine's side of the outbox's delivery: each message worded in its recipient's
//! language for a channel's sender.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use crate::conversation::{Engine, Reply, handoff, wording};
use crate::domain::{Channel, ChatIdentity};
use crate::lang::Lang;
use crate::service::{OutboxEvent, OutboxMessage, ServiceError};

impl Engine {
    /// One delivery round of the outbox for `channel`: each decision becomes a [`Reply`] in
    /// its recipient's language, handed to `send` with the recipient. A message `send` fails is
    /// tried again in a later round ([`crate::service::deliver_once`]). Channels call this in
    /// a loop; tests call it to drain.
    pub async fn deliver_once<F, Fut, E>(
        &self,
        channel: Channel,
        send: F,
    ) -> Result<usize, ServiceError>
    where
        F: Fn(ChatIdentity, Reply) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: fmt::Display,
    {
        // Each recipient's language is read once a round: a round holds many messages for
        // few agents, and each read waited behind the turns' queries.
        let langs: std::sync::Mutex<HashMap<ChatIdentity, Lang>> = Default::default();
        crate::service::deliver_once(
            self.service.as_ref(),
            channel,
            |message: OutboxMessage| async {
                if let OutboxEvent::Reply { .. } = message.event {
                    // Worded in the chat's language when it was queued.
                    let reply = self.reply_in(&message, Lang::Ja);
                    return send(message.recipient, reply).await;
                }
                let known = langs
                    .lock()
                    .ok()
                    .and_then(|l| l.get(&message.recipient).copied());
                let lang = match known {
                    Some(lang) => lang,
                    None => {
                        let lang = self.recipient_lang(&message.recipient).await;
                        if let Ok(mut langs) = langs.lock() {
                            langs.insert(message.recipient.clone(), lang);
                        }
                        lang
                    }
                };
                let reply = self.reply_in(&message, lang);
                send(message.recipient, reply).await
            },
        )
        .await
    }

    /// What an outbox message says to its recipient, in their language.
    pub async fn outbox_reply(&self, message: &OutboxMessage) -> Reply {
        let lang = self.recipient_lang(&message.recipient).await;
        self.reply_in(message, lang)
    }

    /// The language to tell `recipient` things in: theirs, else Japanese.
    async fn recipient_lang(&self, recipient: &ChatIdentity) -> Lang {
        match self.store.lang_of(&recipient.to_string()).await {
            Ok(lang) => lang.unwrap_or(Lang::Ja),
            Err(error) => {
                tracing::warn!(%error, "language of an outbox recipient unknown");
                Lang::Ja
            }
        }
    }

    fn reply_in(&self, message: &OutboxMessage, lang: Lang) -> Reply {
        let bot = self.bot();
        let buttons = handoff::notice_buttons(bot.knowledge().messages(), &message.event, lang);
        Reply::text(wording::event(&bot, &message.event, lang)).with_buttons(buttons)
    }
}
