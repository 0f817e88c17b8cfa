//! Answering an interaction (a slash command, a button press, a submitted form). Discord
//! wants a first answer within three seconds: when the engine is done sooner its replies are
//! that answer, otherwise the interaction is deferred (Discord shows "thinking…") and the
//! replies fill it in when they come, since the interaction stays open for 15 minutes.

use std::future::Future;
use std::time::Duration;

use serenity::all::{ChannelId, InteractionId};
use serenity::builder::{Builder, CreateInteractionResponse, CreateInteractionResponseMessage};
use serenity::http::Http;

use crate::channels::discord::render::{self, Part};
use crate::conversation::Response;

/// How long the engine may take before the interaction is deferred: Discord's three seconds,
/// less the time for the answer to reach Discord.
const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// Who sees the replies in an exchange: it gives the engine's `private`, the chat the
/// conversation is kept in, and whether Discord shows the replies ephemerally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Visibility {
    /// A direct message with the bot: only the sender and the bot.
    Direct,
    /// A guild channel: everyone in it.
    Channel,
    /// A guild channel, with replies only the sender sees (ephemeral). The conversation is
    /// kept apart from the channel's, where the sender's messages are public.
    Sender,
}

impl Visibility {
    pub fn private(self) -> bool {
        self != Visibility::Channel
    }

    /// The engine's chat for a conversation in `channel`.
    pub fn chat(self, channel: ChannelId) -> String {
        match self {
            Visibility::Sender => format!("{channel}:ephemeral"),
            Visibility::Direct | Visibility::Channel => channel.to_string(),
        }
    }

    /// Whether a part is shown only to the sender: in a guild channel, every reply of an
    /// ephemeral exchange and a private reply of a public one; in a direct message there is
    /// no one else to hide it from.
    fn ephemeral(self, part: &Part) -> bool {
        match self {
            Visibility::Direct => false,
            Visibility::Channel => part.private,
            Visibility::Sender => true,
        }
    }
}

/// What was interacted with, which decides how "nothing to say" is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Interacted {
    Command,
    Button,
    Form,
}

/// One interaction to answer.
pub(super) struct Exchange<'a> {
    pub http: &'a Http,
    pub id: InteractionId,
    pub token: &'a str,
    pub kind: Interacted,
    pub audience: Visibility,
}

impl Exchange<'_> {
    /// Answers with the engine's response to the interaction, `work`: at once if it is done
    /// in time, else deferred and filled in.
    pub async fn answer<W>(&self, work: W)
    where
        W: Future<Output = Response>,
    {
        tokio::pin!(work);
        match tokio::time::timeout(DEFER_AFTER, &mut work).await {
            Ok(response) => self.respond(&response).await,
            Err(_) => {
                let thinking = CreateInteractionResponseMessage::new()
                    .ephemeral(self.audience == Visibility::Sender);
                let deferred = self
                    .create(CreateInteractionResponse::Defer(thinking))
                    .await;
                let response = work.await;
                // Not deferred: answered already (a redelivery) or too late; either way
                // there is no "thinking…" of ours to fill in or remove.
                if deferred {
                    self.fill(&response).await;
                }
            }
        }
    }

    /// Answers with `response` (a message, a form…); whether Discord took it.
    pub async fn create(&self, response: CreateInteractionResponse) -> bool {
        match response.execute(self.http, (self.id, self.token)).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, interaction = %self.id, "interaction not answered");
                false
            }
        }
    }

    /// The response as the interaction's answer and follow-ups.
    async fn respond(&self, response: &Response) {
        let mut parts = self.parts(response).into_iter();
        let Some((first, ephemeral)) = parts.next() else {
            return self.nothing().await;
        };
        let answer = CreateInteractionResponse::Message(first.interaction(ephemeral));
        // Follow-ups need an answered interaction.
        if !self.create(answer).await {
            return;
        }
        for (part, ephemeral) in parts {
            self.follow_up(&part, ephemeral).await;
        }
    }

    /// The response into a deferred interaction: its first part shown as the deferred one was
    /// (publicly or not) takes the place of "thinking…", the others follow. With no such part,
    /// "thinking…" is removed.
    async fn fill(&self, response: &Response) {
        let deferred_ephemeral = self.audience == Visibility::Sender;
        let mut parts = self.parts(response);
        let first = parts.iter().position(|(_, e)| *e == deferred_ephemeral);
        match first.map(|n| parts.remove(n)) {
            Some((part, _)) => {
                if let Err(error) = part.edit().execute(self.http, self.token).await {
                    tracing::warn!(%error, interaction = %self.id, "deferred answer not given");
                }
            }
            None => {
                let removed = self.http.delete_original_interaction_response(self.token);
                if let Err(error) = removed.await {
                    tracing::warn!(%error, interaction = %self.id, "deferred answer not removed");
                }
            }
        }
        for (part, ephemeral) in parts {
            self.follow_up(&part, ephemeral).await;
        }
    }

    async fn follow_up(&self, part: &Part, ephemeral: bool) {
        let sent = part
            .followup(ephemeral)
            .execute(self.http, (None, self.token))
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, interaction = %self.id, "follow-up message not sent");
        }
    }

    /// The engine had nothing to say: a redelivered interaction (answered the first time),
    /// or a button that changes nothing now, which Discord still wants acknowledged.
    async fn nothing(&self) {
        match self.kind {
            Interacted::Button => {
                self.create(CreateInteractionResponse::Acknowledge).await;
            }
            Interacted::Command | Interacted::Form => {
                tracing::debug!(interaction = %self.id, "nothing to answer: a redelivery");
            }
        }
    }

    fn parts(&self, response: &Response) -> Vec<(Part, bool)> {
        response
            .replies
            .iter()
            .flat_map(render::parts)
            .map(|part| {
                let ephemeral = self.audience.ephemeral(&part);
                (part, ephemeral)
            })
            .collect()
    }
}
