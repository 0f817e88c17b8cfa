//! What goes into the engine and what comes out, in no platform's terms: channels build an
//! [`Incoming`] from their platform's message and render a [`Response`] their own way.

use crate::domain::{Channel, ChatIdentity};
use crate::knowledge::Slot;
use crate::lang::Lang;
use crate::service::{OutboxMessage, ReplyAction, ReplyButton};

/// One message or button press from a chat.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub channel: Channel,
    /// The platform's id of the chat (a private chat, a group, a DM channel).
    pub chat: String,
    /// Whether only the bot and the sender are in the chat.
    pub private: bool,
    pub sender: ChatIdentity,
    /// The language the platform says the sender uses, if it says.
    pub lang_hint: Option<Lang>,
    pub content: Content,
    /// The platform's id of this message or update: a redelivered one is handled once.
    pub message_id: Option<String>,
    /// The text of the bot's message this one replies to, when the platform says: an agent
    /// replying to a relayed message addresses that message's ticket.
    pub replied_to: Option<String>,
}

/// What the sender sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    /// A button's payload, as the engine made it ([`Button::payload`]).
    Button(String),
}

/// The engine's answer to one [`Incoming`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub replies: Vec<Reply>,
    /// The incoming message carried a secret (a passcode): delete it where the platform allows.
    pub delete_incoming: bool,
    /// The value the sender's next message is taken as: the slot of the procedure step the
    /// engine now waits on, `None` outside a procedure. Discord's forms hand a value over
    /// only when it is the one awaited.
    pub awaiting: Option<Slot>,
    /// The language the replies are in, which the conversation keeps for what it is told
    /// next (a page shows itself in it); `None` when the message was not handled (a
    /// redelivery).
    pub lang: Option<Lang>,
}

/// Where a turn's replies are queued in the outbox, rather than returned, so that they are
/// sent even when the replica handling the message dies before sending them: the chat they
/// go to, and the platform's id of the message the first one answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRoute {
    pub chat: ChatIdentity,
    pub answering: Option<i64>,
}

/// What a turn routed to the outbox leaves to its channel: what to do at once (replies that
/// were not queued: those only the sender may see, those that may hold a passcode, or all
/// when the turn could not be written), and the queued replies this replica claimed, to send
/// now, in order, marking each delivered once sent. Queued replies it could not claim (an
/// earlier message to the chat is still undelivered) go out through the delivery rounds.
#[derive(Debug, Clone, Default)]
pub struct Handled {
    pub response: Response,
    pub claimed: Vec<OutboxMessage>,
    /// How many replies were queued, claimed or not.
    pub queued: usize,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Plain text; links as `[label](url)`, which channels render their own way.
    pub text: String,
    pub buttons: Vec<Button>,
    /// Only the sender may see it (a new passcode): a private chat, an ephemeral reply.
    pub private: bool,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            buttons: Vec::new(),
            private: false,
        }
    }

    pub fn with_buttons(mut self, buttons: Vec<Button>) -> Reply {
        self.buttons = buttons;
        self
    }
}

/// A button under a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub action: ButtonAction,
}

/// What pressing a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Sends the payload back to the engine as [`Content::Button`]; at most 64 bytes, which
    /// every platform accepts.
    Payload(String),
    /// Opens a web page.
    Link(String),
}

impl Button {
    pub fn payload(label: impl Into<String>, payload: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            action: ButtonAction::Payload(payload.into()),
        }
    }

    pub fn link(label: impl Into<String>, url: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            action: ButtonAction::Link(url.into()),
        }
    }
}

impl From<&Button> for ReplyButton {
    fn from(button: &Button) -> ReplyButton {
        let action = match &button.action {
            ButtonAction::Payload(payload) => ReplyAction::Payload(payload.clone()),
            ButtonAction::Link(url) => ReplyAction::Link(url.clone()),
        };
        ReplyButton {
            label: button.label.clone(),
            action,
        }
    }
}

impl From<&ReplyButton> for Button {
    fn from(button: &ReplyButton) -> Button {
        let action = match &button.action {
            ReplyAction::Payload(payload) => ButtonAction::Payload(payload.clone()),
            ReplyAction::Link(url) => ButtonAction::Link(url.clone()),
        };
        Button {
            label: button.label.clone(),
            action,
        }
    }
}
