//! `pao-bot admin handoff`: the help desk's tickets, listed, and one shown with its
//! transcript (masked, as stored).

use std::io::Write;

use clap::Subcommand;

use crate::admin::{Failure, Session};
use crate::service::{AccountService, Ticket, TicketId, TicketState};

#[derive(Debug, Subcommand)]
pub enum HandoffCommand {
    /// List the tickets, oldest first
    List {
        /// Only tickets in this state: queued, taken or closed
        #[arg(long)]
        state: Option<TicketState>,
    },
    /// Show a ticket and its transcript
    Show {
        /// The ticket number
        id: TicketId,
    },
}

impl<S, W> Session<'_, S, W>
where
    S: AccountService + ?Sized,
    W: Write,
{
    pub(super) async fn handoff(&mut self, command: HandoffCommand) -> Result<(), Failure> {
        let (service, actor) = (self.service, self.actor);
        match command {
            HandoffCommand::List { state } => {
                let tickets = service.tickets(actor, state).await?;
                if tickets.is_empty() {
                    writeln!(self.out, "no tickets")?;
                }
                for ticket in &tickets {
                    summary(self.out, ticket)?;
                }
            }
            HandoffCommand::Show { id } => {
                let (ticket, lines) = service.transcript(actor, id).await?;
                summary(self.out, &ticket)?;
                writeln!(
                    self.out,
                    "question: {}",
                    ticket.question.as_deref().unwrap_or("-")
                )?;
                writeln!(self.out, "tried: {}", ticket.tried.join(", "))?;
                for line in lines {
                    writeln!(
                        self.out,
                        "{}  {} ({})  {}",
                        line.at,
                        line.sender,
                        line.author.as_str(),
                        line.text
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// One line per ticket: number, state, customer, language, agent, times and rating.
fn summary<W>(out: &mut W, ticket: &Ticket) -> Result<(), Failure>
where
    W: Write,
{
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    writeln!(
        out,
        "#{}  {}  {} ({})  agent={}  created {}  taken={}  closed={}  rating={}",
        ticket.id,
        ticket.state,
        ticket.customer,
        ticket.lang,
        or_dash(ticket.agent.as_ref().map(ToString::to_string)),
        ticket.created_at,
        or_dash(ticket.taken_at.map(|t| t.to_string())),
        or_dash(ticket.closed_at.map(|t| t.to_string())),
        or_dash(ticket.rating.map(|r| r.to_string())),
    )?;
    Ok(())
}
