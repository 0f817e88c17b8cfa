//! Where one person stands in one chat: the language of the conversation, the guided
//! procedure in progress and the person's last messages (masked), which a ticket shows the
//! agents. Stored between messages by the [`store`](super::store); never holds a passcode.

use serde::{Deserialize, Serialize};

use crate::domain::{IbmId, SiteNumber, Timestamp};
use crate::knowledge::ProcedureId;
use crate::lang::Lang;
use crate::masking::mask;
use crate::policy::CONVERSATION_TIMEOUT;
use crate::service::NominationId;

/// How many of a person's messages the state keeps for a ticket's announcement.
pub const RECENT_MESSAGES: usize = 10;

/// The state of one person's conversation in one chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatState {
    /// The language the conversation is in so far.
    pub lang: Option<Lang>,
    /// The language the person chose with /lang, in any chat.
    pub preference: Option<Lang>,
    pub flow: Option<Flow>,
    /// The person's last [`RECENT_MESSAGES`] texts in this chat, oldest first, masked.
    pub recent: Vec<String>,
    /// When the state was last saved; `None` for a new conversation.
    pub updated_at: Option<Timestamp>,
}

/// A multi-message exchange in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flow {
    /// A procedure of `faq/procedures.yaml`, waiting for the answer to step `step`.
    Procedure {
        procedure: ProcedureId,
        step: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<SiteNumber>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ibm_id: Option<IbmId>,
    },
    /// An agent denying a nomination, waiting for the reason.
    DenyReason { nomination: NominationId },
}

impl ChatState {
    /// Keeps `text` among the last messages, masked as the questions kept are (passcode-shaped
    /// tokens and e-mail addresses).
    pub fn remember(&mut self, text: &str) {
        let masked = mask(text.trim());
        if masked.is_empty() {
            return;
        }
        self.recent.push(masked);
        let over = self.recent.len().saturating_sub(RECENT_MESSAGES);
        self.recent.drain(..over);
    }

    /// The last messages as stored: a JSON array, `None` when there are none.
    pub fn recent_json(&self) -> Option<String> {
        if self.recent.is_empty() {
            return None;
        }
        Some(serde_json::to_string(&self.recent).expect("texts always serialise"))
    }

    /// The last messages of a stored JSON array; none when unreadable.
    pub fn recent_from_json(json: Option<&str>) -> Vec<String> {
        json.and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }

    /// Whether the conversation was left alone for longer than [`CONVERSATION_TIMEOUT`] before `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        self.updated_at
            .is_some_and(|at| at.plus(CONVERSATION_TIMEOUT) < now)
    }
}

impl Flow {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a flow always serialises")
    }

    /// `None` for a flow an older or newer version wrote in a shape this one cannot read, or
    /// with a value that no longer parses: that conversation starts over rather than failing.
    pub fn from_json(json: &str) -> Option<Flow> {
        match serde_json::from_str(json) {
            Ok(flow) => Some(flow),
            Err(error) => {
                // The error, not the stored text: a flow's values are a customer's.
                tracing::warn!(%error, "stored conversation flow unreadable; dropped");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_reads_back_as_written() {
        let flow = Flow::Procedure {
            procedure: ProcedureId::parse("self-nomination").unwrap(),
            step: 2,
            site: Some(SiteNumber::parse("1234567").unwrap()),
            ibm_id: Some(IbmId::parse("hanako@example.co.jp").unwrap()),
        };
        let json = flow.to_json();
        assert!(json.contains(r#""site":"1234567""#), "{json}");
        assert_eq!(Flow::from_json(&json), Some(flow));
        let deny = Flow::DenyReason {
            nomination: NominationId(7),
        };
        assert_eq!(Flow::from_json(&deny.to_json()), Some(deny));
    }

    #[test]
    fn the_last_ten_messages_are_kept_masked() {
        let mut state = ChatState::default();
        for n in 1..=12 {
            state.remember(&format!("message {n}"));
        }
        state.remember("my passcode is Ab3dE6gH9k");
        assert_eq!(state.recent.len(), RECENT_MESSAGES);
        assert_eq!(state.recent[0], "message 4");
        let last = state.recent.last().unwrap();
        assert!(!last.contains("Ab3dE6gH9k"), "{last}");
        let json = state.recent_json();
        assert_eq!(ChatState::recent_from_json(json.as_deref()), state.recent);
    }

    #[test]
    fn a_flow_holding_a_value_that_no_longer_parses_is_dropped() {
        for json in [
            r#"{"kind":"procedure","procedure":"self-nomination","step":2,"site":"123456"}"#,
            r#"{"kind":"procedure","procedure":"self-nomination","step":3,"ibm_id":"hanako"}"#,
            r#"{"kind":"procedure","procedure":"Self Nomination","step":1}"#,
            r#"{"kind":"deny_reason","nomination":"seven"}"#,
        ] {
            assert_eq!(Flow::from_json(json), None, "{json}");
        }
    }
}
