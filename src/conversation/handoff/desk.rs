//! The live handoff, the agents' side: `/inbox`, `/take` (or the Take button), what an agent
//! types going to the customer of the ticket they hold (`#ID` first, or a reply to the relayed
//! message, when they hold several), `/faq ENTRY_ID`, `/note`, `/transfer` and `/close`. The
//! service decides who may (registered agents, the ticket's holder) and audits; this reads the
//! commands and words the outcomes.

use crate::commands::SlashCommand;
use crate::conversation::payload::Payload;
use crate::conversation::wording;
use crate::conversation::{Button, Ctx, Reply};
use crate::knowledge::EntryId;
use crate::masking::{mask_passcodes, passcodes_in};
use crate::policy::minutes;
use crate::service::{Author, TicketId, TicketState, TranscriptLine};

/// Which ticket an agent's message is for, and the message without its `#ID`.
#[derive(Debug, PartialEq, Eq)]
enum Addressed<'t> {
    To(TicketId, &'t str),
    /// Several held and none named.
    Ambiguous,
    /// A ticket named that the agent does not hold, or none held.
    NotHeld(Option<TicketId>),
}

/// `#12 text` names ticket 12; otherwise a reply to a relayed message (`replied`, which
/// starts with its ticket's `#ID`) is for that message's ticket; otherwise, with one ticket
/// held, a text is for it.
fn addressed<'t>(held: &[TicketId], text: &'t str, replied: Option<&str>) -> Addressed<'t> {
    let text = text.trim();
    let named = |id: TicketId, body: &'t str| match held.contains(&id) {
        true => Addressed::To(id, body),
        false => Addressed::NotHeld(Some(id)),
    };
    if let Some((id, body)) = marked(text) {
        return named(id, body);
    }
    if let Some((id, _)) = replied.and_then(marked) {
        return named(id, text);
    }
    match held {
        [only] => Addressed::To(*only, text),
        [] => Addressed::NotHeld(None),
        _ => Addressed::Ambiguous,
    }
}

/// The ticket a text's leading `#ID` names, and the text after it.
fn marked(text: &str) -> Option<(TicketId, &str)> {
    let rest = text.trim().strip_prefix('#')?;
    let (id, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((id.parse::<TicketId>().ok()?, body.trim()))
}

impl Ctx<'_> {
    /// The tickets the sender holds.
    async fn held(&mut self) -> Vec<TicketId> {
        let sender = self.sender();
        self.open_tickets()
            .await
            .into_iter()
            .filter(|t| t.state == TicketState::Taken && t.agent.as_ref() == Some(sender))
            .map(|t| t.id)
            .collect()
    }

    /// The ticket `text` is for, or `None` once the agent was told what is wrong.
    async fn ticket_for<'t>(&mut self, text: &'t str) -> Option<(TicketId, &'t str)> {
        let held = self.held().await;
        match addressed(&held, text, self.incoming.replied_to.as_deref()) {
            Addressed::To(ticket, body) => Some((ticket, body)),
            Addressed::Ambiguous => {
                self.which(&held);
                None
            }
            Addressed::NotHeld(Some(ticket)) => {
                let ticket = ticket.to_string();
                self.say(|m| &m.ticket_not_yours, &[("ticket", &ticket)]);
                None
            }
            Addressed::NotHeld(None) => {
                self.say(|m| &m.ticket_none_taken, &[]);
                None
            }
        }
    }

    fn which(&mut self, held: &[TicketId]) {
        let tickets: Vec<String> = held.iter().map(|t| format!("#{t}")).collect();
        self.say(|m| &m.ticket_which, &[("tickets", &tickets.join(", "))]);
    }

    pub(super) async fn relay_from_agent(&mut self, held: &[TicketId], text: &str) {
        let (ticket, body) = match addressed(held, text, self.incoming.replied_to.as_deref()) {
            Addressed::To(ticket, body) => (ticket, body),
            Addressed::Ambiguous | Addressed::NotHeld(None) => return self.which(held),
            Addressed::NotHeld(Some(ticket)) => {
                let ticket = ticket.to_string();
                return self.say(|m| &m.ticket_not_yours, &[("ticket", &ticket)]);
            }
        };
        // A reissued passcode pasted by mistake never reaches the customer's chat history.
        if !passcodes_in(body).is_empty() {
            self.out.delete_incoming = true;
            return self.say(|m| &m.handoff_secret_withheld, &[]);
        }
        let masked = mask_passcodes(body);
        if let Err(error) = self
            .engine
            .service
            .agent_message(self.sender(), ticket, masked.trim())
            .await
        {
            self.refused(&error);
        }
    }

    pub(in crate::conversation) async fn inbox(&mut self) {
        let tickets = match self.engine.service.inbox(self.sender()).await {
            Ok(tickets) => tickets,
            Err(error) => return self.refused(&error),
        };
        if tickets.is_empty() {
            return self.say(|m| &m.inbox_none, &[]);
        }
        let now = self.engine.clock.now();
        for ticket in tickets {
            let waited = now
                .as_millis()
                .saturating_sub(ticket.created_at.as_millis());
            let waited = minutes(std::time::Duration::from_millis(
                u64::try_from(waited).unwrap_or(0),
            ));
            let id = ticket.id.to_string();
            let mut text = self.text(
                |m| &m.inbox_item,
                &[
                    ("ticket", &id),
                    ("state", ticket.state.as_str()),
                    ("customer", &ticket.customer.to_string()),
                    ("lang", ticket.lang.code()),
                    ("waiting", &waited.to_string()),
                ],
            );
            let mut buttons = Vec::new();
            match &ticket.agent {
                Some(agent) => {
                    let by = self.text(|m| &m.inbox_taken_by, &[("agent", &agent.to_string())]);
                    text = format!("{text} ({by})");
                }
                None => buttons.push(take_button(self, ticket.id)),
            }
            self.reply(Reply::text(text).with_buttons(buttons));
        }
    }

    /// `/take ID`.
    pub(in crate::conversation) async fn take_command(&mut self, args: &str) {
        match args.parse::<TicketId>() {
            Ok(ticket) => self.take(ticket).await,
            Err(_) => self.usage(&SlashCommand::Take.usage(self.lang)),
        }
    }

    pub(in crate::conversation) async fn take(&mut self, ticket: TicketId) {
        let taken = match self.engine.service.take(self.sender(), ticket).await {
            Ok(taken) => taken,
            Err(error) => return self.refused(&error),
        };
        let found = &taken.ticket;
        let text = self.text(
            |m| &m.ticket_taken,
            &[
                ("ticket", &found.id.to_string()),
                ("customer", &found.customer.to_string()),
                ("lang", found.lang.code()),
                ("question", found.question.as_deref().unwrap_or("-")),
            ],
        );
        let lines: Vec<String> = taken.recent.iter().map(|l| self.line(l)).collect();
        match lines.is_empty() {
            true => self.reply(Reply::text(text)),
            false => self.reply(Reply::text(format!("{text}\n\n{}", lines.join("\n")))),
        }
    }

    fn line(&self, line: &TranscriptLine) -> String {
        let who = match line.author {
            Author::Customer | Author::Agent => line.sender.clone(),
            Author::Note => format!("{} (note)", line.sender),
            Author::Faq => format!("{} (FAQ)", line.sender),
        };
        self.text(
            |m| &m.ticket_line,
            &[
                ("at", &wording::time(line.at)),
                ("who", &who),
                ("text", &line.text),
            ],
        )
    }

    /// `/faq ENTRY_ID` (or `/faq #ID ENTRY_ID`) by an agent holding a ticket: the entry's
    /// answer goes to the customer. Returns `false` when `args` names no entry, for `/faq` to
    /// be the customers' command.
    pub(in crate::conversation) async fn faq_to_customer(&mut self, args: &str) -> bool {
        let held = self.held().await;
        if held.is_empty() || !self.incoming.private {
            return false;
        }
        let (ticket, entry) = match addressed(&held, args, self.incoming.replied_to.as_deref()) {
            Addressed::To(ticket, entry) => (ticket, entry),
            _ => return false,
        };
        let Some(entry) = EntryId::parse(entry)
            .ok()
            .filter(|id| self.kb().entry(id).is_some())
        else {
            return false;
        };
        match self
            .engine
            .service
            .send_answer(self.sender(), ticket, entry.as_str())
            .await
        {
            Ok(_) => self.say(
                |m| &m.ticket_faq_sent,
                &[("ticket", &ticket.to_string()), ("entry", entry.as_str())],
            ),
            Err(error) => self.refused(&error),
        }
        true
    }

    /// `/note [#ID] TEXT`.
    pub(in crate::conversation) async fn note(&mut self, args: &str) {
        let Some((ticket, body)) = self.ticket_for(args).await else {
            return;
        };
        if body.is_empty() {
            return self.usage(&SlashCommand::Note.usage(self.lang));
        }
        let masked = crate::masking::mask(body);
        match self
            .engine
            .service
            .note(self.sender(), ticket, masked.trim())
            .await
        {
            Ok(()) => self.say(|m| &m.ticket_noted, &[("ticket", &ticket.to_string())]),
            Err(error) => self.refused(&error),
        }
    }

    /// `/transfer [ID]`.
    pub(in crate::conversation) async fn transfer(&mut self, args: &str) {
        let Some((ticket, _)) = self.ticket_for(&numbered(args)).await.map(own) else {
            return;
        };
        match self.engine.service.transfer(self.sender(), ticket).await {
            Ok(()) => self.say(
                |m| &m.ticket_transferred,
                &[("ticket", &ticket.to_string())],
            ),
            Err(error) => self.refused(&error),
        }
    }

    /// `/close [ID]`.
    pub(in crate::conversation) async fn close(&mut self, args: &str) {
        let Some((ticket, _)) = self.ticket_for(&numbered(args)).await.map(own) else {
            return;
        };
        match self
            .engine
            .service
            .close_ticket(self.sender(), ticket)
            .await
        {
            Ok(_) => self.say(
                |m| &m.ticket_closed_notice,
                &[("ticket", &ticket.to_string())],
            ),
            Err(error) => self.refused(&error),
        }
    }
}

/// `12` as `#12`, so that a bare id names the ticket as `#12` does.
fn numbered(args: &str) -> String {
    let args = args.trim();
    match args.parse::<i64>() {
        Ok(_) => format!("#{args}"),
        Err(_) => args.to_owned(),
    }
}

fn own((ticket, body): (TicketId, &str)) -> (TicketId, String) {
    (ticket, body.to_owned())
}

fn take_button(ctx: &Ctx<'_>, ticket: TicketId) -> Button {
    let label = ctx.text(
        |m| &m.ticket_take_button,
        &[("ticket", &ticket.to_string())],
    );
    Button::payload(label, Payload::Take(ticket).encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_for_the_one_ticket_held_or_the_one_it_names() {
        let (one, two) = (TicketId(1), TicketId(2));
        assert_eq!(
            addressed(&[one], "hello", None),
            Addressed::To(one, "hello")
        );
        assert_eq!(
            addressed(&[one, two], "#2 hi", None),
            Addressed::To(two, "hi")
        );
        assert_eq!(addressed(&[one, two], "hello", None), Addressed::Ambiguous);
        assert_eq!(
            addressed(&[one], "#3 hi", None),
            Addressed::NotHeld(Some(TicketId(3)))
        );
        assert_eq!(addressed(&[], "hi", None), Addressed::NotHeld(None));
        assert_eq!(
            addressed(&[one, two], "#hashtag", None),
            Addressed::Ambiguous
        );
    }

    #[test]
    fn a_reply_to_a_relayed_message_is_for_its_ticket_unless_another_is_named() {
        let (one, two) = (TicketId(1), TicketId(2));
        let relayed = Some("#2 customer: my invoice");
        assert_eq!(
            addressed(&[one, two], "hi", relayed),
            Addressed::To(two, "hi")
        );
        assert_eq!(
            addressed(&[one, two], "#1 hi", relayed),
            Addressed::To(one, "hi")
        );
        assert_eq!(
            addressed(&[one], "hi", relayed),
            Addressed::NotHeld(Some(two))
        );
        let unmarked = Some("New ticket #2: telegram:100 (ja)");
        assert_eq!(addressed(&[one, two], "hi", unmarked), Addressed::Ambiguous);
    }
}
