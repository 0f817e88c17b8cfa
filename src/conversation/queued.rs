//! A turn's replies queued in the outbox with the turn ([`ReplyRoute`]): which may be, and
//! what the turn leaves to its channel ([`Handled`]).

use crate::conversation::{Engine, Handled, Incoming, Reply, ReplyRoute, Response};
use crate::domain::{ChatIdentity, Timestamp};
use crate::masking::passcodes_in;
use crate::service::{MessageId, OutboxEvent, OutboxMessage, ReplyButton};

impl Engine {
    /// One turn: what it leaves to the channel, and how many replies it made.
    pub(super) async fn turn(
        &self,
        incoming: Incoming,
        route: Option<&ReplyRoute>,
    ) -> (Handled, usize) {
        let (out, queued) = self.turn_queueing(incoming, route).await;
        let replies = out.replies.len() + queued.as_ref().map_or(0, |q| q.events.len());
        let Some(queued) = queued else {
            let handled = Handled {
                response: out,
                ..Handled::default()
            };
            return (handled, replies);
        };
        let claimed: Vec<OutboxMessage> = queued
            .claimed
            .into_iter()
            .zip(queued.events)
            .map(|(id, event)| OutboxMessage {
                id,
                recipient: queued.recipient.clone(),
                created_at: queued.at,
                event,
            })
            .collect();
        if claimed.len() < replies {
            // Behind an earlier message to the chat: for the delivery rounds.
            self.outbox_written().notify_waiters();
        }
        let handled = Handled {
            response: out,
            claimed,
            queued: replies,
        };
        (handled, replies)
    }
}

/// A turn's replies queued in the outbox: for whom, when, the events in order, and the ids of
/// those the turn claimed (the first ones, usually all or none).
pub(super) struct QueuedReplies {
    pub(super) recipient: ChatIdentity,
    pub(super) at: Timestamp,
    pub(super) events: Vec<OutboxEvent>,
    pub(super) claimed: Vec<MessageId>,
}

/// Whether a response's replies may be kept in the outbox: not when one is for the sender
/// alone (a new passcode, a sign-in link) or holds something shaped like a passcode, nor when
/// the message is to be deleted as a secret, whose step's replies may quote it.
pub(super) fn queueable(out: &Response) -> bool {
    !out.delete_incoming
        && out
            .replies
            .iter()
            .all(|reply| !reply.private && passcodes_in(&reply.text).is_empty())
}

/// A response's replies as the outbox's events for `route`, the first answering its message,
/// each with its JSON; `None` if one does not serialize (they are then sent at once).
pub(super) fn queued_replies(
    replies: &[Reply],
    route: &ReplyRoute,
) -> Option<Vec<(OutboxEvent, String)>> {
    replies
        .iter()
        .enumerate()
        .map(|(n, reply)| {
            let event = OutboxEvent::Reply {
                text: reply.text.clone(),
                buttons: reply.buttons.iter().map(ReplyButton::from).collect(),
                answering: route.answering.filter(|_| n == 0),
            };
            let json = serde_json::to_string(&event).ok()?;
            Some((event, json))
        })
        .collect()
}
