//! The rows of the help desk's tables, and what they become.

use sqlx::FromRow;

use crate::domain::{ChatIdentity, Timestamp};
use crate::service::sql::rows::stored;
use crate::service::{Author, Rating, ServiceError, Ticket, TicketId, TranscriptLine};

pub(super) const TICKET_COLUMNS: &str = "SELECT id, state, customer, chat, lang, agent, question, tried, \
                              recent, created_at, taken_at, first_reply_at, closed_at, rating \
                              FROM handoffs";

/// A ticket's last messages as stored: a JSON array, `None` when there are none.
pub(super) fn recent_json(recent: &[String]) -> Option<String> {
    if recent.is_empty() {
        return None;
    }
    Some(serde_json::to_string(recent).expect("texts always serialise"))
}

#[derive(FromRow)]
pub(super) struct TicketRow {
    id: i64,
    state: String,
    customer: String,
    chat: String,
    lang: String,
    agent: Option<String>,
    question: Option<String>,
    tried: String,
    recent: Option<String>,
    created_at: i64,
    taken_at: Option<i64>,
    first_reply_at: Option<i64>,
    closed_at: Option<i64>,
    rating: Option<i64>,
}

#[derive(FromRow)]
pub(super) struct LineRow {
    at: i64,
    author: String,
    sender: String,
    text: String,
}

impl TicketRow {
    pub(super) fn into_ticket(self) -> Result<Ticket, ServiceError> {
        Ok(Ticket {
            id: TicketId(self.id),
            state: stored(self.state.parse())?,
            customer: stored(ChatIdentity::parse(&self.customer))?,
            chat: self.chat,
            lang: stored(self.lang.parse())?,
            agent: self
                .agent
                .as_deref()
                .map(ChatIdentity::parse)
                .transpose()
                .map_err(|error| ServiceError::Corrupt(error.to_string()))?,
            question: self.question,
            tried: self
                .tried
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect(),
            recent: match self.recent.as_deref() {
                Some(json) => stored(serde_json::from_str(json))?,
                None => Vec::new(),
            },
            created_at: Timestamp::from_millis(self.created_at),
            taken_at: self.taken_at.map(Timestamp::from_millis),
            first_reply_at: self.first_reply_at.map(Timestamp::from_millis),
            closed_at: self.closed_at.map(Timestamp::from_millis),
            rating: self
                .rating
                .map(Rating::try_from)
                .transpose()
                .map_err(|error| ServiceError::Corrupt(error.to_string()))?,
        })
    }
}

impl LineRow {
    pub(super) fn into_line(self) -> Result<TranscriptLine, ServiceError> {
        let author = Author::parse(&self.author)
            .ok_or_else(|| ServiceError::Corrupt(format!("transcript author {:?}", self.author)))?;
        Ok(TranscriptLine {
            at: Timestamp::from_millis(self.at),
            author,
            sender: self.sender,
            text: self.text,
        })
    }
}
