//! The buttons under the outbox's handoff notices: Take under a new ticket's announcement,
//! the ratings under a close, eCustomer Care's link under the waiting limit's notice.

use crate::conversation::Button;
use crate::conversation::handoff::rating_buttons;
use crate::conversation::payload::Payload;
use crate::knowledge::Messages;
use crate::lang::Lang;
use crate::service::OutboxEvent;

/// The buttons under `event`'s message, in `lang`.
pub fn notice_buttons(messages: &Messages, event: &OutboxEvent, lang: Lang) -> Vec<Button> {
    match event {
        OutboxEvent::TicketQueued { ticket, .. } | OutboxEvent::WaitingTooLong { ticket, .. } => {
            let label = messages.say(
                &messages.ticket_take_button,
                lang,
                &[("ticket", &ticket.to_string())],
            );
            vec![Button::payload(label, Payload::Take(*ticket).encode())]
        }
        OutboxEvent::TicketClosed { ticket } => rating_buttons(*ticket),
        OutboxEvent::StillWaiting { .. } => vec![Button::link(
            messages.say(&messages.help_desk, lang, &[]),
            messages.say(&messages.help_desk_url, lang, &[]),
        )],
        OutboxEvent::Reply { buttons, .. } => buttons.iter().map(Button::from).collect(),
        _ => Vec::new(),
    }
}
