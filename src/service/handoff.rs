//! The live handoff to the help desk: a customer the bot could not help becomes a ticket,
//! queued until one registered agent takes it, relayed both ways through the outbox while it
//! is taken, and rated by the customer once closed. [`HelpDesk`] is what callers hold, as
//! [`AccountService`](super::AccountService) is for accounts; [`SqlService`](super::SqlService)
//! implements both over one database.
//!
//! Texts reach the help desk masked: the caller masks what a person typed before handing it
//! here, and nothing here logs a text.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{ChatIdentity, Timestamp};
use crate::lang::Lang;
use crate::service::ServiceError;

/// A ticket's number, as agents type it (`/take 12`, `#12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub i64);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for TicketId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().trim_start_matches('#').parse().map(TicketId)
    }
}

/// Where a ticket stands: queued → taken → closed; a transfer puts a taken one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    Queued,
    Taken,
    Closed,
}

impl TicketState {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Queued => "queued",
            TicketState::Taken => "taken",
            TicketState::Closed => "closed",
        }
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is none of `queued`, `taken`, `closed`.
#[derive(Debug, thiserror::Error)]
#[error("unknown ticket state {0:?}: use queued, taken or closed")]
pub struct UnknownTicketState(String);

impl FromStr for TicketState {
    type Err = UnknownTicketState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "queued" => Ok(TicketState::Queued),
            "taken" => Ok(TicketState::Taken),
            "closed" => Ok(TicketState::Closed),
            other => Err(UnknownTicketState(other.to_owned())),
        }
    }
}

/// How the customer rated the help: 1 to 5, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

/// A rating outside 1–5.
#[derive(Debug, thiserror::Error)]
#[error("a rating is 1 to 5, not {0}")]
pub struct RatingError(i64);

impl Rating {
    pub const ALL: [u8; 5] = [1, 2, 3, 4, 5];

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Rating {
    type Error = RatingError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        match u8::try_from(value) {
            Ok(n @ 1..=5) => Ok(Rating(n)),
            _ => Err(RatingError(value)),
        }
    }
}

impl TryFrom<u8> for Rating {
    type Error = RatingError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Rating::try_from(i64::from(value))
    }
}

impl From<Rating> for u8 {
    fn from(rating: Rating) -> u8 {
        rating.0
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Author {
    Customer,
    Agent,
    /// A note only agents see.
    Note,
    /// An FAQ answer an agent sent; the line holds the entry's id.
    Faq,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Agent => "agent",
            Author::Note => "note",
            Author::Faq => "faq",
        }
    }

    pub fn parse(text: &str) -> Option<Author> {
        match text {
            "customer" => Some(Author::Customer),
            "agent" => Some(Author::Agent),
            "note" => Some(Author::Note),
            "faq" => Some(Author::Faq),
            _ => None,
        }
    }
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub state: TicketState,
    pub customer: ChatIdentity,
    /// The platform's id of the customer's chat.
    pub chat: String,
    pub lang: Lang,
    pub agent: Option<ChatIdentity>,
    /// The question that led here, masked.
    pub question: Option<String>,
    /// The FAQ entries the bot tried.
    pub tried: Vec<String>,
    /// The customer's last messages before the handoff, oldest first, masked.
    pub recent: Vec<String>,
    pub created_at: Timestamp,
    pub taken_at: Option<Timestamp>,
    pub first_reply_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub rating: Option<Rating>,
}

/// One line of a ticket's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub at: Timestamp,
    pub author: Author,
    /// The chat identity that wrote it.
    pub sender: String,
    /// Masked.
    pub text: String,
}

/// A customer asking for a person.
#[derive(Debug, Clone, Copy)]
pub struct NewTicket<'a> {
    pub customer: &'a ChatIdentity,
    pub chat: &'a str,
    pub lang: Lang,
    /// The question that led here, masked.
    pub question: Option<&'a str>,
    pub tried: &'a [String],
    /// The customer's last messages before asking, oldest first, masked.
    pub recent: &'a [String],
}

/// A customer's place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub ticket: TicketId,
    /// Queued tickets older than this one.
    pub ahead: u32,
    /// `false` when the chat already had an open ticket, which this is.
    pub new: bool,
}

/// A ticket just taken, with the last lines of its transcript for the agent to catch up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub ticket: Ticket,
    pub recent: Vec<TranscriptLine>,
}

/// How many transcript lines an agent is shown on taking a ticket.
pub const RECENT_LINES: i64 = 10;

/// The help desk's tickets. Each takes the acting chat identity first; agents' actions are
/// refused to anyone not a registered agent, and every change of state is audited.
#[async_trait]
pub trait HelpDesk: Send + Sync {
    /// Queues a ticket for the customer's chat (or returns the one already open) and announces
    /// a new one to every registered agent.
    async fn open_ticket(&self, new: NewTicket<'_>) -> Result<Queued, ServiceError>;

    /// The open tickets `person` is in, in one read for every message: the one of their chat
    /// `chat` as its customer, and those they hold as an agent. No authorisation: it tells
    /// a person only about their own tickets.
    async fn open_tickets_of(
        &self,
        person: &ChatIdentity,
        chat: &str,
    ) -> Result<Vec<Ticket>, ServiceError>;

    /// A customer's message, masked: kept in the transcript and, once taken, sent to the agent.
    async fn customer_message(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError>;

    /// Queued and taken tickets, oldest first (agents only).
    async fn inbox(&self, agent: &ChatIdentity) -> Result<Vec<Ticket>, ServiceError>;

    /// Claims a queued ticket; of agents racing for one, exactly one wins and the others are
    /// refused with [`ServiceError::TicketTaken`], which names the winner.
    async fn take(&self, agent: &ChatIdentity, ticket: TicketId) -> Result<Taken, ServiceError>;

    /// An agent's message, masked, sent to the customer of a ticket the agent holds.
    async fn agent_message(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<Ticket, ServiceError>;

    /// Sends FAQ entry `entry` to the customer of a ticket the agent holds.
    async fn send_answer(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        entry: &str,
    ) -> Result<Ticket, ServiceError>;

    /// A note in the transcript that only agents see.
    async fn note(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError>;

    /// Puts a ticket the agent holds back in the queue, announced again to every agent.
    async fn transfer(&self, agent: &ChatIdentity, ticket: TicketId) -> Result<(), ServiceError>;

    /// Closes a ticket: by its customer, or by an agent (the customer is then asked for a
    /// rating).
    async fn close_ticket(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<Ticket, ServiceError>;

    /// The customer's rating of a closed ticket, once.
    async fn rate(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        rating: Rating,
    ) -> Result<(), ServiceError>;

    /// One round of the waiting limit: each ticket queued for longer than `limit` and not yet
    /// reminded of is told to its customer (once) and again to every agent. Returns how many.
    async fn remind_waiting(&self, limit: Duration) -> Result<usize, ServiceError>;

    /// Deletes the transcripts of tickets closed more than `age` ago. Returns how many lines.
    async fn purge_transcripts(&self, age: Duration) -> Result<u64, ServiceError>;

    /// Tickets, oldest first, of one state or all (agents only).
    async fn tickets(
        &self,
        actor: &ChatIdentity,
        state: Option<TicketState>,
    ) -> Result<Vec<Ticket>, ServiceError>;

    /// One ticket with its whole transcript (agents only).
    async fn transcript(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<(Ticket, Vec<TranscriptLine>), ServiceError>;
}
