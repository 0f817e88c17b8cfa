//! What tells the desk's open pages that what they show has changed: a [`Pulse`], a handful of
//! numbers read in one statement by the indexes, that differs whenever a nomination is made or
//! decided, a ticket is queued, taken, handed back or closed, or a ticket gains a line. The
//! desk's event stream reads it when woken and says "changed" only when it moved, so the pages
//! fetch again only then.

use async_trait::async_trait;

use crate::service::ServiceError;

/// The desk's state in brief: equal pulses, equal pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pulse {
    pub pending_nominations: i64,
    pub last_nomination: i64,
    /// The sums of the ids of queued and of taken tickets: a take or a hand-back moves both.
    pub queued: i64,
    pub taken: i64,
    /// The latest take, so that a ticket handed back and taken again moves the pulse.
    pub last_taken_at: i64,
    pub last_ticket: i64,
    pub last_line: i64,
}

/// The desk's pulse. It reveals counts only; the stream that reads it is opened to agents
/// alone, and what the pages then fetch is authorised and audited as always.
#[async_trait]
pub trait DeskPulse: Send + Sync {
    async fn pulse(&self) -> Result<Pulse, ServiceError>;
}
