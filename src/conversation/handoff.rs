//! The live handoff in a conversation, the customer's side: asking for a person (`/human`,
//! the words of `faq/handoff.yaml`, the "Talk to the help desk" button), the bot relaying
//! instead of answering while handed over, `/end` (or an end word) and the rating after the
//! close. The agents' side is [`desk`]; the buttons under the outbox's handoff notices are
//! [`notice`].
//!
//! What a customer types while handed over is relayed with every passcode-shaped token masked,
//! and a message holding one is not relayed at all: it is deleted where the platform allows.

mod desk;
mod notice;

use std::time::Instant;

use crate::conversation::payload::Payload;
use crate::conversation::{Button, Ctx, Reply};
use crate::lang::Lang;
use crate::masking::{mask_passcodes, passcodes_in};
use crate::policy::CONVERSATION_TIMEOUT;
use crate::service::{NewTicket, Rating, Ticket, TicketId, TicketState};
use crate::telemetry;

pub use notice::notice_buttons;

impl Ctx<'_> {
    /// The open tickets the sender is in (as this chat's customer, or as an agent); none when
    /// the database cannot say, so that the FAQ still answers.
    pub(super) async fn open_tickets(&mut self) -> Vec<Ticket> {
        let chat = &self.incoming.chat;
        let reading = Instant::now();
        let tickets = self
            .engine
            .service
            .open_tickets_of(self.sender(), chat)
            .await;
        telemetry::database_round("read_tickets", reading.elapsed());
        match tickets {
            Ok(tickets) => tickets,
            Err(error) => {
                tracing::warn!(%error, "open tickets unknown; answering as the bot");
                Vec::new()
            }
        }
    }

    /// The sender's open ticket in this chat as its customer, and the tickets they hold as an
    /// agent, when the agent's text may be relayed (in a private chat). The turn's read says
    /// whether there are any, so that a turn in no handoff asks nothing more; when it could
    /// not say, the tickets are asked for.
    async fn tickets_now(&mut self) -> (Option<TicketId>, Vec<TicketId>) {
        let private = self.incoming.private;
        let known = self.handoff;
        if let Some(known) = known
            && !(known.holds && private)
        {
            return (known.ticket, Vec::new());
        }
        let tickets = self.open_tickets().await;
        let sender = self.sender();
        let own = match known {
            Some(known) => known.ticket,
            None => tickets.iter().find(|t| &t.customer == sender).map(|t| t.id),
        };
        let held = tickets
            .iter()
            .filter(|t| t.state == TicketState::Taken && t.agent.as_ref() == Some(sender))
            .map(|t| t.id)
            .collect();
        (own, if private { held } else { Vec::new() })
    }

    /// A text that is not a command, looked at for the handoff first: relayed while handed
    /// over (either way), or a request for a person. Returns whether it was taken care of.
    pub(super) async fn handoff_text(&mut self, text: &str) -> bool {
        let (own, held) = self.tickets_now().await;
        if let Some(ticket) = own {
            if self.kb().handoff().ends(text) {
                self.end_handoff(ticket).await;
            } else {
                self.relay_from_customer(ticket, text).await;
            }
            return true;
        }
        if !held.is_empty() {
            self.relay_from_agent(&held, text).await;
            return true;
        }
        if self.kb().handoff().asks_for_person(text) {
            // Answered in the language asked in, as a question would be.
            if self.state.preference.is_none()
                && let Some(lang) = Lang::detect(text)
            {
                self.lang = lang;
            }
            self.request_handoff().await;
            return true;
        }
        false
    }

    /// Queues the customer for the help desk and says how many wait ahead (and when the help
    /// desk opens, outside its hours).
    pub(super) async fn request_handoff(&mut self) {
        if !self.incoming.private {
            return self.say(|m| &m.private_only, &[]);
        }
        let person = self.sender().to_string();
        let since = self.engine.clock.now().minus(CONVERSATION_TIMEOUT);
        let asked = match self.engine.store.asked_since(&person, since).await {
            Ok(asked) => asked,
            Err(error) => {
                tracing::warn!(%error, "what the customer asked is unknown");
                Default::default()
            }
        };
        let new = NewTicket {
            customer: self.sender(),
            chat: &self.incoming.chat,
            lang: self.lang,
            question: asked.question.as_deref(),
            tried: &asked.tried,
            recent: &self.state.recent,
        };
        let queued = match self.engine.service.open_ticket(new).await {
            Ok(queued) => queued,
            Err(error) => return self.refused(&error),
        };
        let values = [
            ("ticket", queued.ticket.to_string()),
            ("ahead", queued.ahead.to_string()),
        ];
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match queued.new {
            true => self.say(|m| &m.handoff_queued, &values),
            false => self.say(|m| &m.handoff_already, &values),
        }
        let desk = &self.engine.desk;
        if let Some(hours) = desk.hours
            && !hours.is_open(self.engine.clock.now())
        {
            let (hours, zone) = (hours.to_string(), hours.zone());
            self.say(
                |m| &m.handoff_outside_hours,
                &[("hours", &hours), ("zone", &zone)],
            );
        }
    }

    async fn relay_from_customer(&mut self, ticket: TicketId, text: &str) {
        if !passcodes_in(text).is_empty() {
            self.out.delete_incoming = true;
            return self.say(|m| &m.handoff_secret_withheld, &[]);
        }
        let masked = mask_passcodes(text);
        // With the turn's one write, when the turn has one.
        if let Some(turn) = &mut self.turn {
            return turn.relay(ticket, masked.trim());
        }
        let relayed = self
            .engine
            .service
            .customer_message(self.sender(), ticket, masked.trim())
            .await;
        if let Err(error) = relayed {
            self.refused(&error);
        }
    }

    /// `/end`, or an end word while handed over.
    pub(super) async fn end_command(&mut self) {
        let sender = self.sender();
        let ticket = self
            .open_tickets()
            .await
            .into_iter()
            .find(|t| &t.customer == sender);
        match ticket {
            Some(ticket) => self.end_handoff(ticket.id).await,
            None => self.say(|m| &m.handoff_none, &[]),
        }
    }

    async fn end_handoff(&mut self, ticket: TicketId) {
        if let Err(error) = self
            .engine
            .service
            .close_ticket(self.sender(), ticket)
            .await
        {
            return self.refused(&error);
        }
        self.say(|m| &m.handoff_ended, &[]);
        let question = self.text(|m| &m.rating_question, &[]);
        self.reply(Reply::text(question).with_buttons(rating_buttons(ticket)));
    }

    pub(super) async fn rate(&mut self, ticket: TicketId, rating: Rating) {
        match self
            .engine
            .service
            .rate(self.sender(), ticket, rating)
            .await
        {
            Ok(()) => self.say(|m| &m.rating_thanks, &[("rating", &rating.to_string())]),
            Err(error) => self.refused(&error),
        }
    }

    /// The "Talk to the help desk" button, under replies that could not help.
    pub(super) fn handoff_button(&self) -> Button {
        self.button(|m| &m.handoff_button, Payload::Handoff)
    }
}

/// The 1–5 buttons after a close.
pub fn rating_buttons(ticket: TicketId) -> Vec<Button> {
    Rating::ALL
        .into_iter()
        .filter_map(|n| Rating::try_from(n).ok())
        .map(|rating| Button::payload(rating.to_string(), Payload::Rate(ticket, rating).encode()))
        .collect()
}
