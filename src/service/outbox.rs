//! What the service queues for people (the outbox): structured events in no language, which
//! the channels word in each recipient's language and deliver.

use serde::{Deserialize, Serialize};

use crate::domain::{ChatIdentity, DenyReason, IbmId, Role, SiteNumber, Timestamp};
use crate::lang::Lang;
use crate::service::{NominationId, TicketId};

/// An outbox message's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

/// Something that must be told to someone, in no particular language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxEvent {
    NominationApproved {
        nomination: NominationId,
        site: SiteNumber,
        ibm_id: IbmId,
        role: Role,
    },
    NominationDenied {
        nomination: NominationId,
        site: SiteNumber,
        ibm_id: IbmId,
        reason: DenyReason,
    },
    /// For a site's primary member: a right passcode made `primary` the primary, and `former`
    /// (this recipient) is a user of the site from now on.
    PrimaryChanged {
        site: SiteNumber,
        former: IbmId,
        primary: IbmId,
    },
    /// For the help desk: a site's checks were locked for everyone after `failures` failed
    /// checks from several people.
    SiteLocked {
        site: SiteNumber,
        failures: u32,
        until: Timestamp,
    },
    /// For every agent: a customer asked for a person (or a ticket was handed back).
    TicketQueued {
        ticket: TicketId,
        customer: String,
        lang: Lang,
        question: Option<String>,
        tried: Vec<String>,
        /// The customer's last messages before the handoff, masked; none in events queued
        /// before they were kept.
        #[serde(default)]
        recent: Vec<String>,
    },
    /// For the customer: an agent took their ticket.
    TicketTaken { ticket: TicketId },
    /// For the agent holding the ticket: what the customer wrote, masked.
    FromCustomer { ticket: TicketId, text: String },
    /// For the customer: what the agent wrote, masked.
    FromAgent { ticket: TicketId, text: String },
    /// For the customer: an FAQ answer the agent sent, in the ticket's language.
    FaqAnswer {
        ticket: TicketId,
        entry: String,
        lang: Lang,
    },
    /// For the customer: an agent closed the ticket; asks for the rating.
    TicketClosed { ticket: TicketId },
    /// For the agent holding the ticket: the customer ended it.
    CustomerEnded { ticket: TicketId },
    /// For the customer: no agent took the ticket within the waiting limit.
    StillWaiting { ticket: TicketId, minutes: u64 },
    /// For every agent: a ticket has waited longer than the limit.
    WaitingTooLong { ticket: TicketId, minutes: u64 },
    /// For a chat: a turn's reply, worded already, queued in the turn's transaction so that it
    /// is sent even when the replica that handled the message dies before sending it.
    Reply {
        text: String,
        buttons: Vec<ReplyButton>,
        /// The platform's id of the message this reply answers (a group's first reply).
        answering: Option<i64>,
    },
}

/// A button under a queued [`OutboxEvent::Reply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyButton {
    pub label: String,
    pub action: ReplyAction,
}

/// What pressing a queued reply's button does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyAction {
    /// Sends this payload back to the engine.
    Payload(String),
    /// Opens this web page.
    Link(String),
}

impl OutboxEvent {
    /// The `kind` stored beside the event, to query by.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxEvent::NominationApproved { .. } => "nomination_approved",
            OutboxEvent::NominationDenied { .. } => "nomination_denied",
            OutboxEvent::SiteLocked { .. } => "site_locked",
            OutboxEvent::PrimaryChanged { .. } => "primary_changed",
            OutboxEvent::TicketQueued { .. } => "ticket_queued",
            OutboxEvent::TicketTaken { .. } => "ticket_taken",
            OutboxEvent::FromCustomer { .. } => "from_customer",
            OutboxEvent::FromAgent { .. } => "from_agent",
            OutboxEvent::FaqAnswer { .. } => "faq_answer",
            OutboxEvent::TicketClosed { .. } => "ticket_closed",
            OutboxEvent::CustomerEnded { .. } => "customer_ended",
            OutboxEvent::StillWaiting { .. } => "still_waiting",
            OutboxEvent::WaitingTooLong { .. } => "waiting_too_long",
            OutboxEvent::Reply { .. } => "reply",
        }
    }
}

/// A message waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub recipient: ChatIdentity,
    pub created_at: Timestamp,
    pub event: OutboxEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_queued_before_the_last_messages_were_kept_still_reads() {
        let stored = r#"{"kind":"ticket_queued","ticket":3,"customer":"telegram:100","lang":"ja","question":null,"tried":[]}"#;
        let event: OutboxEvent = serde_json::from_str(stored).expect("an older announcement");
        assert!(
            matches!(event, OutboxEvent::TicketQueued { ref recent, .. } if recent.is_empty()),
            "{event:?}"
        );
    }
}
