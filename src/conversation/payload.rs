//! Button payloads: what a button press means, written into the button by the engine and read
//! back when it is pressed. Short ASCII, within every platform's 64-byte limit.

use crate::conversation::store::AnswerId;
use crate::domain::GrantRole;
use crate::knowledge::{CategoryId, EntryId, ProcedureId};
use crate::lang::Lang;
use crate::service::{NominationId, Rating, TicketId};

/// A button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Show an entry's answer (a "did you mean" or a topic's question).
    Entry(EntryId),
    /// List a category's questions.
    Topic(CategoryId),
    /// Start a procedure as a guided flow.
    Start(ProcedureId),
    /// Feedback on a stored answer.
    Feedback {
        answer: AnswerId,
        helped: bool,
    },
    Lang(Lang),
    Yes,
    No,
    Cancel,
    Approve(NominationId, GrantRole),
    Deny(NominationId),
    /// Ask for a person at the help desk.
    Handoff,
    Take(TicketId),
    Rate(TicketId, Rating),
}

impl Payload {
    pub fn parse(text: &str) -> Option<Payload> {
        let (kind, value) = text.split_once(':').unwrap_or((text, ""));
        let payload = match kind {
            "entry" => Payload::Entry(EntryId::parse(value).ok()?),
            "topic" => Payload::Topic(CategoryId::parse(value).ok()?),
            "start" => Payload::Start(ProcedureId::parse(value).ok()?),
            "fb" => {
                let (answer, helped) = value.split_once(':')?;
                Payload::Feedback {
                    answer: answer.parse().ok()?,
                    helped: match helped {
                        "y" => true,
                        "n" => false,
                        _ => return None,
                    },
                }
            }
            "lang" => Payload::Lang(value.parse().ok()?),
            "yes" => Payload::Yes,
            "no" => Payload::No,
            "cancel" => Payload::Cancel,
            "approve" => Payload::Approve(value.parse().ok()?, GrantRole::User),
            "approve2" => Payload::Approve(value.parse().ok()?, GrantRole::Secondary),
            "deny" => Payload::Deny(value.parse().ok()?),
            "human" => Payload::Handoff,
            "take" => Payload::Take(value.parse().ok()?),
            "rate" => {
                let (ticket, rating) = value.split_once(':')?;
                let rating: u8 = rating.parse().ok()?;
                Payload::Rate(ticket.parse().ok()?, Rating::try_from(rating).ok()?)
            }
            _ => return None,
        };
        Some(payload)
    }

    pub fn encode(&self) -> String {
        match self {
            Payload::Entry(id) => format!("entry:{}", id.as_str()),
            Payload::Topic(id) => format!("topic:{}", id.as_str()),
            Payload::Start(id) => format!("start:{}", id.as_str()),
            Payload::Feedback { answer, helped } => {
                format!("fb:{answer}:{}", if *helped { "y" } else { "n" })
            }
            Payload::Lang(lang) => format!("lang:{}", lang.code()),
            Payload::Yes => "yes".to_owned(),
            Payload::No => "no".to_owned(),
            Payload::Cancel => "cancel".to_owned(),
            Payload::Approve(id, GrantRole::User) => format!("approve:{id}"),
            Payload::Approve(id, GrantRole::Secondary) => format!("approve2:{id}"),
            Payload::Deny(id) => format!("deny:{id}"),
            Payload::Handoff => "human".to_owned(),
            Payload::Take(ticket) => format!("take:{ticket}"),
            Payload::Rate(ticket, rating) => format!("rate:{ticket}:{rating}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_written() {
        let all = [
            Payload::Entry(EntryId::parse("lockout").unwrap()),
            Payload::Topic(CategoryId::parse("sign-in").unwrap()),
            Payload::Start(ProcedureId::parse("first-access").unwrap()),
            Payload::Feedback {
                answer: "42".parse().unwrap(),
                helped: false,
            },
            Payload::Lang(Lang::En),
            Payload::Yes,
            Payload::No,
            Payload::Cancel,
            Payload::Approve(NominationId(7), GrantRole::Secondary),
            Payload::Approve(NominationId(7), GrantRole::User),
            Payload::Deny(NominationId(9)),
            Payload::Handoff,
            Payload::Take(TicketId(12)),
            Payload::Rate(TicketId(12), Rating::try_from(5u8).unwrap()),
        ];
        for payload in all {
            let text = payload.encode();
            assert!(text.len() <= 64);
            assert_eq!(Payload::parse(&text), Some(payload));
        }
        assert_eq!(Payload::parse("fb:1:maybe"), None);
        assert_eq!(Payload::parse("rate:12:6"), None, "a rating is 1 to 5");
        assert_eq!(Payload::parse("drop table"), None);
    }
}
