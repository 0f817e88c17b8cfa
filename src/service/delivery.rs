//! The outbox's delivery rounds: claimed messages handed to a channel's sender, several
//! recipients at once and each recipient's in order, each marked delivered or failed.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Instant;

use futures::stream::{self, StreamExt};

use crate::domain::{Channel, ChatIdentity};
use crate::policy::OUTBOX_ATTEMPTS;
use crate::service::{AccountService, MessageId, OutboxMessage, ServiceError};
use crate::telemetry;

/// How many messages one delivery round takes.
const DELIVERY_BATCH: u32 = 100;

/// How many recipients a round sends to at once. A platform paces each chat (Telegram: one
/// message a second) and each send waits for its answer and its mark: one recipient at a
/// time, a round of many chats took longer than half its lease and gave most back.
const RECIPIENTS_AT_ONCE: usize = 8;

/// One delivery round for `channel`: claims the messages that are due (so that no other
/// replica sends them too), hands each to `send`, several recipients at once and each
/// recipient's messages one after the other, in order, and marks those it accepted as
/// delivered, together once the round has sent them (one write, not one per message: the
/// writes held up the round's later messages and the turns writing beside it), or each once
/// sent where the service says so ([`AccountService::marks_each_delivery`]). After a failure,
/// the recipient's later messages of the round are left claimed, to go after it. A crash
/// before the mark sends them again once the claim's lease has run out, as the outbox may. A
/// message `send` fails is tried again in a later round, after a wait that grows with each
/// failure (see [`AccountService::mark_failed`]). Returns how many were delivered; a channel
/// calls this in its loop, tests call it to drain the outbox.
pub async fn deliver_once<S, F, Fut, E>(
    service: &S,
    channel: Channel,
    send: F,
) -> Result<usize, ServiceError>
where
    S: AccountService + ?Sized,
    F: Fn(OutboxMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    // Past half its lease, a round (paced by a platform's limits) stops and gives the rest
    // back, so that no other replica claims what it may still send.
    let round = Round {
        service,
        channel,
        send: &send,
        each: service.marks_each_delivery(),
        until: Instant::now() + service.claim_lease() / 2,
    };
    let claimed = service.claim_messages(channel, DELIVERY_BATCH).await?;
    let outcomes: Vec<Outcome> = stream::iter(by_recipient(claimed))
        .map(|messages| round.send_in_order(messages))
        .buffer_unordered(RECIPIENTS_AT_ONCE)
        .collect()
        .await;
    let mut sent = Vec::new();
    let mut unsent = Vec::new();
    let mut marked = 0;
    let mut failed = None;
    for outcome in outcomes {
        sent.extend(outcome.sent);
        unsent.extend(outcome.unsent);
        marked += outcome.marked;
        failed = failed.or(outcome.failed);
    }
    // What was sent is marked even after a failure to mark another, so that it is not sent
    // again.
    if !sent.is_empty() {
        service.mark_all_delivered(&sent).await?;
    }
    if !unsent.is_empty() {
        tracing::info!(
            count = unsent.len(),
            "outbox messages given back: the round took too long"
        );
        service.release_messages(&unsent).await?;
    }
    match failed {
        Some(error) => Err(error),
        None => Ok(marked + sent.len()),
    }
}

/// `messages` (oldest first) as each recipient's, in order, the recipients in the order of
/// their oldest.
fn by_recipient(messages: Vec<OutboxMessage>) -> Vec<Vec<OutboxMessage>> {
    let mut places: HashMap<ChatIdentity, usize> = HashMap::new();
    let mut recipients: Vec<Vec<OutboxMessage>> = Vec::new();
    for message in messages {
        let place = *places
            .entry(message.recipient.clone())
            .or_insert(recipients.len());
        if place == recipients.len() {
            recipients.push(Vec::new());
        }
        recipients[place].push(message);
    }
    recipients
}

/// A delivery round: its service, channel and sender, whether it marks each message once
/// sent, and when it stops sending.
struct Round<'a, S: ?Sized, F> {
    service: &'a S,
    channel: Channel,
    send: &'a F,
    each: bool,
    until: Instant,
}

/// What a round did with one recipient's messages: those sent and left to mark, those given
/// back, how many it marked delivered, and the service's failure that stopped it.
#[derive(Default)]
struct Outcome {
    sent: Vec<MessageId>,
    unsent: Vec<MessageId>,
    marked: usize,
    failed: Option<ServiceError>,
}

impl<S, F, Fut, E> Round<'_, S, F>
where
    S: AccountService + ?Sized,
    F: Fn(OutboxMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    /// Sends one recipient's `messages` one after the other until one fails or the round's
    /// time is up.
    async fn send_in_order(&self, messages: Vec<OutboxMessage>) -> Outcome {
        let mut outcome = Outcome::default();
        let mut messages = messages.into_iter();
        while let Some(message) = messages.next() {
            let id = message.id;
            if Instant::now() > self.until {
                outcome.unsent.push(id);
                outcome.unsent.extend(messages.map(|message| message.id));
                break;
            }
            let Err(error) = (self.send)(message).await else {
                if !self.each {
                    outcome.sent.push(id);
                    continue;
                }
                if let Err(unmarked) = self.service.mark_all_delivered(&[id]).await {
                    outcome.failed = Some(unmarked);
                    break;
                }
                outcome.marked += 1;
                continue;
            };
            // The recipient's later messages stay claimed, to go after this one.
            telemetry::delivery_failed(self.channel);
            match self.service.mark_failed(id).await {
                Ok(true) => {
                    tracing::error!(message = id.0, %error, "outbox message given up after {OUTBOX_ATTEMPTS} tries");
                }
                Ok(false) => {
                    tracing::warn!(message = id.0, %error, "outbox message not delivered; tried again later");
                }
                Err(unmarked) => outcome.failed = Some(unmarked),
            }
            break;
        }
        outcome
    }
}
