//! The outbox's delivery rounds: claimed messages handed to a channel's sender in order,
//! each marked delivered or failed.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::time::Instant;

use crate::domain::Channel;
use crate::policy::OUTBOX_ATTEMPTS;
use crate::service::{AccountService, OutboxMessage, ServiceError};
use crate::telemetry;

/// How many messages one delivery round takes.
const DELIVERY_BATCH: u32 = 100;

/// One delivery round for `channel`: claims the messages that are due (so that no other
/// replica sends them too), hands each to `send` and marks those it accepted as delivered,
/// together once the round has sent them (one write, not one per message: the writes held up
/// the round's later messages and the turns writing beside it), or each once sent where the
/// service says so ([`AccountService::marks_each_delivery`]). After a failure, the
/// recipient's later messages of the round are left claimed, to go after it. A crash before the mark sends
/// them again once the claim's lease has run out, as the outbox may. A message `send` fails
/// is tried again in a later round, after a wait that grows with each failure (see
/// [`AccountService::mark_failed`]). Returns how many were delivered; a channel calls this in
/// its loop, tests call it to drain the outbox.
pub async fn deliver_once<S, F, Fut, E>(
    service: &S,
    channel: Channel,
    mut send: F,
) -> Result<usize, ServiceError>
where
    S: AccountService + ?Sized,
    F: FnMut(OutboxMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    let each = service.marks_each_delivery();
    // Past half its lease, a round (paced by a platform's limits) stops and gives the rest
    // back, so that no other replica claims what it may still send.
    let claimed_at = Instant::now();
    let sending_for = service.claim_lease() / 2;
    let mut unsent = Vec::new();
    let mut sent = Vec::new();
    let mut marked = 0;
    let mut failed = Ok(());
    // Recipients a message failed for: their later messages wait for it, in order.
    let mut held_back = HashSet::new();
    for message in service.claim_messages(channel, DELIVERY_BATCH).await? {
        let id = message.id;
        if claimed_at.elapsed() > sending_for {
            unsent.push(id);
            continue;
        }
        if held_back.contains(&message.recipient) {
            continue;
        }
        let recipient = message.recipient.clone();
        let Err(error) = send(message).await else {
            if each {
                service.mark_all_delivered(&[id]).await?;
                marked += 1;
            } else {
                sent.push(id);
            }
            continue;
        };
        held_back.insert(recipient);
        telemetry::delivery_failed(channel);
        match service.mark_failed(id).await {
            Ok(true) => {
                tracing::error!(message = id.0, %error, "outbox message given up after {OUTBOX_ATTEMPTS} tries");
            }
            Ok(false) => {
                tracing::warn!(message = id.0, %error, "outbox message not delivered; tried again later");
            }
            Err(unmarked) => {
                // What was sent is still marked, so that it is not sent again.
                failed = Err(unmarked);
                break;
            }
        }
    }
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
    failed.map(|()| marked + sent.len())
}
