//! Where one person stands in one chat: the language of the conversation and the guided
//! procedure in progress. Stored between messages by the [`store`](super::store); never
//! holds a passcode.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
use crate::lang::Lang;
use crate::policy::CONVERSATION_TIMEOUT;

/// The state of one person's conversation in one chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatState {
    /// The language the conversation is in so far.
    pub lang: Option<Lang>,
    /// The language the person chose with /lang, in any chat.
    pub preference: Option<Lang>,
    pub flow: Option<Flow>,
    /// When the state was last saved; `None` for a new conversation.
    pub updated_at: Option<Timestamp>,
}

/// A multi-message exchange in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flow {
    /// A procedure of `faq/procedures.yaml`, waiting for the answer to step `step`.
    Procedure {
        procedure: String,
        step: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ibm_id: Option<String>,
    },
    /// An agent denying a nomination, waiting for the reason.
    DenyReason { nomination: i64 },
}

impl ChatState {
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

    /// `None` for a flow an older or newer version wrote in a shape this one cannot read:
    /// that conversation starts over rather than failing.
    pub fn from_json(json: &str) -> Option<Flow> {
        serde_json::from_str(json).ok()
    }
}
