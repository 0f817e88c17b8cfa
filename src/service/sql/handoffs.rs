//! The help desk's tickets over SQL: queueing, taking (a conditional update, so that of two
//! agents racing exactly one wins), relaying through the outbox, closing, rating, the waiting
//! limit's reminders and the transcripts' retention.

mod rows;
mod upkeep;

use sqlx::AnyConnection;

use crate::domain::ChatIdentity;
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::handoffs::rows::{LineRow, TICKET_COLUMNS, TicketRow};
use crate::service::sql::rows::stored;
use crate::service::{
    Action, Author, NewTicket, OutboxEvent, Queued, RECENT_LINES, Rating, ServiceError, Taken,
    Ticket, TicketId, TicketState, TranscriptLine,
};

fn ticket_target(ticket: TicketId) -> Target<'static> {
    Target::default().detail(format!("ticket {ticket}"))
}

impl SqlService {
    async fn ticket_row(
        &self,
        conn: &mut AnyConnection,
        ticket: TicketId,
    ) -> Result<Ticket, ServiceError> {
        sqlx::query_as::<_, TicketRow>(&format!("{TICKET_COLUMNS} WHERE id = $1"))
            .bind(ticket.0)
            .fetch_optional(conn)
            .await?
            .ok_or(ServiceError::NoSuchTicket { ticket })?
            .into_ticket()
    }

    /// The ticket, taken by `agent`: refused otherwise, naming why.
    async fn held_by(
        &self,
        conn: &mut AnyConnection,
        agent: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<Ticket, ServiceError> {
        let found = self.ticket_row(conn, ticket).await?;
        match found.state {
            TicketState::Closed => Err(ServiceError::TicketClosed { ticket }),
            TicketState::Taken if found.agent.as_ref() == Some(agent) => Ok(found),
            _ => Err(ServiceError::NotYourTicket {
                ticket,
                actor: agent.clone(),
            }),
        }
    }

    async fn add_line(
        &self,
        conn: &mut AnyConnection,
        ticket: TicketId,
        author: Author,
        sender: &ChatIdentity,
        text: &str,
    ) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO handoff_messages (handoff_id, at, author, sender, text) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ticket.0)
        .bind(self.clock.now().as_millis())
        .bind(author.as_str())
        .bind(sender.to_string())
        .bind(text)
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(super) async fn to_every_agent(
        &self,
        conn: &mut AnyConnection,
        event: &OutboxEvent,
    ) -> Result<(), ServiceError> {
        let agents: Vec<String> =
            sqlx::query_scalar("SELECT identity FROM agents ORDER BY identity")
                .fetch_all(&mut *conn)
                .await?;
        let now = self.clock.now();
        for agent in agents {
            let agent = stored(ChatIdentity::parse(&agent))?;
            self.send(conn, &agent, event, now).await?;
        }
        Ok(())
    }

    fn queued_event(ticket: &Ticket) -> OutboxEvent {
        OutboxEvent::TicketQueued {
            ticket: ticket.id,
            customer: ticket.customer.to_string(),
            lang: ticket.lang,
            question: ticket.question.clone(),
            tried: ticket.tried.clone(),
            recent: ticket.recent.clone(),
        }
    }

    async fn ahead_of(
        &self,
        conn: &mut AnyConnection,
        ticket: TicketId,
    ) -> Result<u32, ServiceError> {
        let ahead: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM handoffs WHERE state = 'queued' AND id < $1")
                .bind(ticket.0)
                .fetch_one(conn)
                .await?;
        Ok(u32::try_from(ahead).unwrap_or(u32::MAX))
    }

    async fn open_of(
        &self,
        conn: &mut AnyConnection,
        customer: &ChatIdentity,
        chat: &str,
    ) -> Result<Option<Ticket>, ServiceError> {
        sqlx::query_as::<_, TicketRow>(&format!(
            "{TICKET_COLUMNS} WHERE customer = $1 AND chat = $2 AND state <> 'closed'"
        ))
        .bind(customer.to_string())
        .bind(chat)
        .fetch_optional(conn)
        .await?
        .map(TicketRow::into_ticket)
        .transpose()
    }

    pub(super) async fn queue_ticket(&self, new: NewTicket<'_>) -> Result<Queued, ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            if let Some(open) = self.open_of(conn, new.customer, new.chat).await? {
                let ahead = self.ahead_of(conn, open.id).await?;
                return Ok(Queued {
                    ticket: open.id,
                    ahead,
                    new: false,
                });
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO handoffs \
                 (state, customer, chat, lang, question, tried, created_at, recent) \
                 VALUES ('queued', $1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(new.customer.to_string())
            .bind(new.chat)
            .bind(new.lang.code())
            .bind(new.question)
            .bind(new.tried.join(","))
            .bind(now.as_millis())
            .bind(rows::recent_json(new.recent))
            .fetch_one(&mut *conn)
            .await?;
            let ticket = self.ticket_row(conn, TicketId(id)).await?;
            self.to_every_agent(conn, &SqlService::queued_event(&ticket))
                .await?;
            self.audit(
                conn,
                new.customer,
                Action::HandoffOpen,
                &ticket_target(ticket.id),
                "ok",
            )
            .await?;
            let ahead = self.ahead_of(conn, ticket.id).await?;
            Ok(Queued {
                ticket: ticket.id,
                ahead,
                new: true,
            })
        })
        .await
    }

    pub(super) async fn tickets_of(
        &self,
        person: &ChatIdentity,
        chat: &str,
    ) -> Result<Vec<Ticket>, ServiceError> {
        let mut conn = self.db.acquire().await?;
        sqlx::query_as::<_, TicketRow>(&format!(
            "{TICKET_COLUMNS} WHERE state <> 'closed' \
             AND ((customer = $1 AND chat = $2) OR agent = $1) ORDER BY id"
        ))
        .bind(person.to_string())
        .bind(chat)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(TicketRow::into_ticket)
        .collect()
    }

    pub(super) async fn relay_from_customer(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            let found = self.ticket_row(conn, ticket).await?;
            if &found.customer != customer {
                return Err(ServiceError::NotYourTicket {
                    ticket,
                    actor: customer.clone(),
                });
            }
            if found.state == TicketState::Closed {
                return Err(ServiceError::TicketClosed { ticket });
            }
            self.add_line(conn, ticket, Author::Customer, customer, text)
                .await?;
            if let Some(agent) = &found.agent {
                let event = OutboxEvent::FromCustomer {
                    ticket,
                    text: text.to_owned(),
                };
                self.send(conn, agent, &event, self.clock.now()).await?;
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn open_tickets(
        &self,
        agent: &ChatIdentity,
    ) -> Result<Vec<Ticket>, ServiceError> {
        let mut conn = self.db.acquire().await?;
        self.authorise(
            &mut conn,
            agent,
            Action::HandoffRead,
            None,
            Allowed::AgentsOnly,
        )
        .await?;
        self.ticket_list(&mut conn, "WHERE state <> 'closed'").await
    }

    async fn ticket_list(
        &self,
        conn: &mut AnyConnection,
        filter: &str,
    ) -> Result<Vec<Ticket>, ServiceError> {
        sqlx::query_as::<_, TicketRow>(&format!("{TICKET_COLUMNS} {filter} ORDER BY id"))
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(TicketRow::into_ticket)
            .collect()
    }

    async fn recent_lines(
        &self,
        conn: &mut AnyConnection,
        ticket: TicketId,
        limit: i64,
    ) -> Result<Vec<TranscriptLine>, ServiceError> {
        let mut lines = sqlx::query_as::<_, LineRow>(
            "SELECT at, author, sender, text FROM handoff_messages \
             WHERE handoff_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(ticket.0)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(LineRow::into_line)
        .collect::<Result<Vec<_>, _>>()?;
        lines.reverse();
        Ok(lines)
    }

    pub(super) async fn take_ticket(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<Taken, ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            self.authorise(conn, agent, Action::HandoffTake, None, Allowed::AgentsOnly)
                .await?;
            // The state is checked by the update itself: a second taker updates nothing.
            let taken = sqlx::query(
                "UPDATE handoffs SET state = 'taken', agent = $2, taken_at = $3 \
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(ticket.0)
            .bind(agent.to_string())
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            let found = self.ticket_row(conn, ticket).await?;
            if taken == 0 {
                return Err(match (found.state, found.agent) {
                    (TicketState::Closed, _) => ServiceError::TicketClosed { ticket },
                    (_, Some(holder)) => ServiceError::TicketTaken {
                        ticket,
                        agent: holder,
                    },
                    (_, None) => ServiceError::NoSuchTicket { ticket },
                });
            }
            let event = OutboxEvent::TicketTaken { ticket };
            self.send(conn, &found.customer, &event, now).await?;
            self.audit(
                conn,
                agent,
                Action::HandoffTake,
                &ticket_target(ticket),
                "ok",
            )
            .await?;
            let recent = self.recent_lines(conn, ticket, RECENT_LINES).await?;
            Ok(Taken {
                ticket: found,
                recent,
            })
        })
        .await
    }

    /// Keeps an agent's line and queues `event` (made from the ticket) for the customer.
    pub(super) async fn relay_to_customer<F>(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        author: Author,
        text: &str,
        event: F,
    ) -> Result<Ticket, ServiceError>
    where
        F: FnOnce(&Ticket) -> OutboxEvent,
    {
        let now = self.clock.now();
        self.transaction(async |conn| {
            let found = self.held_by(conn, agent, ticket).await?;
            self.add_line(conn, ticket, author, agent, text).await?;
            sqlx::query(
                "UPDATE handoffs SET first_reply_at = $2 WHERE id = $1 AND first_reply_at IS NULL",
            )
            .bind(ticket.0)
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?;
            self.send(conn, &found.customer, &event(&found), now)
                .await?;
            Ok(found)
        })
        .await
    }

    pub(super) async fn add_note(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            self.authorise(conn, agent, Action::HandoffRead, None, Allowed::AgentsOnly)
                .await?;
            self.ticket_row(conn, ticket).await?;
            self.add_line(conn, ticket, Author::Note, agent, text).await
        })
        .await
    }

    pub(super) async fn requeue(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            self.held_by(conn, agent, ticket).await?;
            sqlx::query(
                "UPDATE handoffs SET state = 'queued', agent = NULL, taken_at = NULL \
                 WHERE id = $1 AND state = 'taken'",
            )
            .bind(ticket.0)
            .execute(&mut *conn)
            .await?;
            let found = self.ticket_row(conn, ticket).await?;
            self.to_every_agent(conn, &SqlService::queued_event(&found))
                .await?;
            self.audit(
                conn,
                agent,
                Action::HandoffTransfer,
                &ticket_target(ticket),
                "ok",
            )
            .await
        })
        .await
    }

    pub(super) async fn close_as(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<Ticket, ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            let found = self.ticket_row(conn, ticket).await?;
            let by_customer = &found.customer == actor;
            if !by_customer {
                self.authorise(conn, actor, Action::HandoffClose, None, Allowed::AgentsOnly)
                    .await?;
            }
            let closed = sqlx::query(
                "UPDATE handoffs SET state = 'closed', closed_at = $2 \
                 WHERE id = $1 AND state <> 'closed'",
            )
            .bind(ticket.0)
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if closed == 0 {
                return Err(ServiceError::TicketClosed { ticket });
            }
            match (&found.agent, by_customer) {
                (Some(agent), true) => {
                    let event = OutboxEvent::CustomerEnded { ticket };
                    self.send(conn, agent, &event, now).await?;
                }
                (_, false) => {
                    let event = OutboxEvent::TicketClosed { ticket };
                    self.send(conn, &found.customer, &event, now).await?;
                }
                (None, true) => {}
            }
            self.audit(
                conn,
                actor,
                Action::HandoffClose,
                &ticket_target(ticket),
                "ok",
            )
            .await?;
            self.ticket_row(conn, ticket).await
        })
        .await
    }

    pub(super) async fn store_rating(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        rating: Rating,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            let found = self.ticket_row(conn, ticket).await?;
            if &found.customer != customer {
                return Err(ServiceError::NotYourTicket {
                    ticket,
                    actor: customer.clone(),
                });
            }
            let rated = sqlx::query(
                "UPDATE handoffs SET rating = $2 \
                 WHERE id = $1 AND state = 'closed' AND rating IS NULL",
            )
            .bind(ticket.0)
            .bind(i64::from(rating.get()))
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if rated == 0 {
                return Err(match found.state {
                    TicketState::Closed => ServiceError::AlreadyRated { ticket },
                    _ => ServiceError::NoSuchTicket { ticket },
                });
            }
            let target = ticket_target(ticket).detail(format!("ticket {ticket} rated {rating}"));
            self.audit(conn, customer, Action::HandoffRate, &target, "ok")
                .await
        })
        .await
    }

    pub(super) async fn list_tickets(
        &self,
        actor: &ChatIdentity,
        state: Option<TicketState>,
    ) -> Result<Vec<Ticket>, ServiceError> {
        let mut conn = self.db.acquire().await?;
        self.authorise(
            &mut conn,
            actor,
            Action::HandoffRead,
            None,
            Allowed::AgentsOnly,
        )
        .await?;
        match state {
            Some(state) => {
                // A fixed word, never a person's text.
                let filter = format!("WHERE state = '{}'", state.as_str());
                self.ticket_list(&mut conn, &filter).await
            }
            None => self.ticket_list(&mut conn, "").await,
        }
    }

    pub(super) async fn ticket_transcript(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<(Ticket, Vec<TranscriptLine>), ServiceError> {
        let mut conn = self.db.acquire().await?;
        self.authorise(
            &mut conn,
            actor,
            Action::HandoffRead,
            None,
            Allowed::AgentsOnly,
        )
        .await?;
        let found = self.ticket_row(&mut conn, ticket).await?;
        let lines = self.recent_lines(&mut conn, ticket, i64::MAX).await?;
        Ok((found, lines))
    }
}
