//! [`AccountService`] over sqlx's `Any` driver: one implementation for SQLite (the embedded
//! default) and PostgreSQL (for several bot processes sharing a database), chosen by the URL.
//!
//! The SQL is shared: both databases accept `$1` placeholders, `RETURNING` and partial
//! indexes. It differs only where the databases do: the schema (`migrations/sqlite`,
//! `migrations/postgres`), how a write transaction starts, and how a site row is locked.
//! Limits live in the database (unique indexes, a trigger); the transactions below lock what
//! they read so that the service reports a limit before the database has to.
//!
//! Locking: on PostgreSQL every change to a site first locks its row (`FOR UPDATE`), so the
//! decisions on one site are serialised and different sites proceed in parallel. On SQLite
//! the [`Database`]'s single writer serialises them.
//!
//! This file holds the service, its transaction helper and the trait's table of actions; each
//! action's body lives in the submodule of its concern.

mod agents;
mod audit;
mod authorisation;
mod check_turns;
mod desk_pulse;
mod desk_views;
mod handoffs;
mod nominations;
mod outbox;
mod passcodes;
mod rows;
mod sites;
mod web_sign_in;

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::Notify;

use crate::database::{Backend, Database, DatabaseError};
use crate::domain::{
    Channel, ChatIdentity, DenyReason, GrantRole, IbmId, Passcode, Program, SiteNumber,
};
use crate::replicas::ReplicaId;
use crate::service::hashing::Hasher;
use crate::service::sql::audit::Target;
use crate::service::sql::check_turns::CheckTurns;
use crate::service::sql::rows::is_unique_violation;
use crate::service::{
    AccountService, Action, Approval, AuditEntry, Author, Clock, FirstAccess, HelpDesk, MessageId,
    NewTicket, Nomination, NominationId, OutboxEvent, OutboxMessage, PasscodeAccepted, Queued,
    Rating, RegisteredAgent, ServiceError, SiteView, Taken, Ticket, TicketId, TicketState,
    TranscriptLine, WebSecret, WebSignIn,
};

/// The account service over a SQLite or PostgreSQL database.
#[derive(Debug)]
pub struct SqlService {
    db: Database,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    check_turns: CheckTurns,
    outbox_written: Notify,
    /// Who claims outbox messages for delivery through this service.
    replica: ReplicaId,
}

impl SqlService {
    /// Opens the database at `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://...`) and brings its schema up to date.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<SqlService, DatabaseError> {
        Ok(SqlService::new(Database::connect(url).await?, clock))
    }

    /// The service over an open database, which it may share with the conversation engine.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> SqlService {
        SqlService {
            db,
            clock,
            hasher: Hasher::new(),
            check_turns: CheckTurns::new(),
            outbox_written: Notify::new(),
            replica: ReplicaId::new(),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Closes the database connections.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Runs `body` in a write transaction: committed when it succeeds, rolled back otherwise.
    async fn transaction<T, F>(&self, body: F) -> Result<T, ServiceError>
    where
        F: AsyncFnOnce(&mut AnyConnection) -> Result<T, ServiceError>,
    {
        let mut write = self.db.begin().await?;
        let result = body(&mut write.tx).await;
        let committed = write.finish(result).await;
        // After the commit, so that a woken delivery loop reads what was queued.
        if committed.is_ok() {
            self.outbox_written.notify_waiters();
        }
        committed
    }
}

#[async_trait::async_trait]
impl AccountService for SqlService {
    async fn add_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        program: Program,
    ) -> Result<Passcode, ServiceError> {
        let run = self.insert_site(actor, site, program);
        self.audited(actor, Action::SiteAdd, Target::site(site), run)
            .await
    }

    async fn show_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<SiteView, ServiceError> {
        let run = self.site_view(actor, site);
        self.audited(actor, Action::SiteShow, Target::site(site), run)
            .await
    }

    async fn check_passcode(
        &self,
        actor: &ChatIdentity,
        access: FirstAccess<'_>,
    ) -> Result<PasscodeAccepted, ServiceError> {
        tracing::debug!(%actor, site = %access.site, ibm_id = %access.ibm_id, "passcode check");
        let run = self.accept_passcode(actor, access);
        let target = Target::member(access.site, access.ibm_id);
        self.audited(actor, Action::PasscodeCheck, target, run)
            .await
    }

    async fn request_nomination(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
    ) -> Result<NominationId, ServiceError> {
        let run = self.insert_nomination(actor, site, ibm_id);
        let target = Target::member(site, ibm_id);
        self.audited(actor, Action::NominationRequest, target, run)
            .await
    }

    async fn check_nomination_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<(), ServiceError> {
        let run = self.nomination_site(actor, site);
        self.audited(actor, Action::NominationRequest, Target::site(site), run)
            .await
    }

    async fn list_nominations(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<Nomination>, ServiceError> {
        let run = self.pending_nominations(actor, site);
        let target = Target::optional_site(site);
        self.audited(actor, Action::NominationList, target, run)
            .await
    }

    async fn approve_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        role: GrantRole,
    ) -> Result<Approval, ServiceError> {
        let run = self.approve(actor, id, role);
        let target = Target::default().detail(format!("nomination {id} as {role}"));
        self.audited(actor, Action::NominationApprove, target, run)
            .await
    }

    async fn deny_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        reason: &DenyReason,
    ) -> Result<Nomination, ServiceError> {
        let run = self.deny(actor, id, reason);
        let target = Target::default().detail(format!("nomination {id}"));
        self.audited(actor, Action::NominationDeny, target, run)
            .await
    }

    async fn add_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        let run = self.insert_agent(actor, agent);
        let target = Target::default().detail(format!("agent {agent}"));
        self.audited(actor, Action::AgentAdd, target, run).await
    }

    async fn list_agents(
        &self,
        actor: &ChatIdentity,
    ) -> Result<Vec<RegisteredAgent>, ServiceError> {
        let run = self.registered_agents(actor);
        self.audited(actor, Action::AgentList, Target::default(), run)
            .await
    }

    async fn remove_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        let run = self.delete_agent(actor, agent);
        let target = Target::default().detail(format!("agent {agent}"));
        self.audited(actor, Action::AgentRemove, target, run).await
    }

    async fn unlock(&self, actor: &ChatIdentity, site: &SiteNumber) -> Result<(), ServiceError> {
        let run = self.lift_lockout(actor, site);
        self.audited(actor, Action::Unlock, Target::site(site), run)
            .await
    }

    async fn reissue_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<Passcode, ServiceError> {
        let run = self.replace_passcode(actor, site);
        self.audited(actor, Action::PasscodeReissue, Target::site(site), run)
            .await
    }

    async fn audit_log(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let run = self.read_audit(actor, site);
        let target = Target::optional_site(site);
        self.audited(actor, Action::AuditRead, target, run).await
    }

    async fn pending_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        self.due_messages(channel, limit).await
    }

    async fn pending_messages_to(
        &self,
        recipient: &ChatIdentity,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        self.due_messages_to(recipient, limit).await
    }

    async fn waiting_recipients(
        &self,
        channel: Channel,
    ) -> Result<Vec<ChatIdentity>, ServiceError> {
        self.due_recipients(channel).await
    }

    async fn claim_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        self.claim_due(channel, limit).await
    }

    async fn mark_failed(&self, id: MessageId) -> Result<bool, ServiceError> {
        self.delivery_failed(id).await
    }

    async fn mark_delivered(&self, id: MessageId) -> Result<(), ServiceError> {
        self.delivered(&[id]).await
    }

    async fn mark_all_delivered(&self, ids: &[MessageId]) -> Result<(), ServiceError> {
        self.delivered(ids).await
    }

    fn outbox_written(&self) -> &Notify {
        &self.outbox_written
    }

    async fn release_messages(&self, ids: &[MessageId]) -> Result<(), ServiceError> {
        self.released(ids).await
    }

    fn claim_lease(&self) -> Duration {
        self.db.outbox_lease()
    }

    fn marks_each_delivery(&self) -> bool {
        self.db.backend() == Backend::Postgres
    }
}

#[async_trait::async_trait]
impl WebSignIn for SqlService {
    async fn web_link(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<WebSecret, ServiceError> {
        self.insert_web_link(actor, agent).await
    }

    async fn web_sign_in(&self, link: &str) -> Result<Option<WebSecret>, ServiceError> {
        self.use_web_link(link).await
    }

    async fn web_agent(&self, session: &str) -> Result<Option<ChatIdentity>, ServiceError> {
        self.session_agent(session).await
    }

    async fn web_sign_out(&self, session: &str) -> Result<(), ServiceError> {
        self.delete_session(session).await
    }
}

#[async_trait::async_trait]
impl HelpDesk for SqlService {
    async fn open_ticket(&self, new: NewTicket<'_>) -> Result<Queued, ServiceError> {
        match self.queue_ticket(new).await {
            // Another process queued this chat's ticket first: that one is the chat's.
            Err(ServiceError::Unavailable(error)) if is_unique_violation(&error) => {
                self.queue_ticket(new).await
            }
            queued => queued,
        }
    }

    async fn open_tickets_of(
        &self,
        person: &ChatIdentity,
        chat: &str,
    ) -> Result<Vec<Ticket>, ServiceError> {
        self.tickets_of(person, chat).await
    }

    async fn customer_message(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError> {
        self.relay_from_customer(customer, ticket, text).await
    }

    async fn inbox(&self, agent: &ChatIdentity) -> Result<Vec<Ticket>, ServiceError> {
        let run = self.open_tickets(agent);
        self.audited(agent, Action::HandoffRead, Target::default(), run)
            .await
    }

    async fn take(&self, agent: &ChatIdentity, ticket: TicketId) -> Result<Taken, ServiceError> {
        let run = self.take_ticket(agent, ticket);
        let target = Target::default().detail(format!("ticket {ticket}"));
        self.audited(agent, Action::HandoffTake, target, run).await
    }

    async fn agent_message(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<Ticket, ServiceError> {
        let event = |_: &Ticket| OutboxEvent::FromAgent {
            ticket,
            text: text.to_owned(),
        };
        self.relay_to_customer(agent, ticket, Author::Agent, text, event)
            .await
    }

    async fn send_answer(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        entry: &str,
    ) -> Result<Ticket, ServiceError> {
        let event = |held: &Ticket| OutboxEvent::FaqAnswer {
            ticket,
            entry: entry.to_owned(),
            lang: held.lang,
        };
        self.relay_to_customer(agent, ticket, Author::Faq, entry, event)
            .await
    }

    async fn note(
        &self,
        agent: &ChatIdentity,
        ticket: TicketId,
        text: &str,
    ) -> Result<(), ServiceError> {
        self.add_note(agent, ticket, text).await
    }

    async fn transfer(&self, agent: &ChatIdentity, ticket: TicketId) -> Result<(), ServiceError> {
        let run = self.requeue(agent, ticket);
        let target = Target::default().detail(format!("ticket {ticket}"));
        self.audited(agent, Action::HandoffTransfer, target, run)
            .await
    }

    async fn close_ticket(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<Ticket, ServiceError> {
        let run = self.close_as(actor, ticket);
        let target = Target::default().detail(format!("ticket {ticket}"));
        self.audited(actor, Action::HandoffClose, target, run).await
    }

    async fn rate(
        &self,
        customer: &ChatIdentity,
        ticket: TicketId,
        rating: Rating,
    ) -> Result<(), ServiceError> {
        let run = self.store_rating(customer, ticket, rating);
        let target = Target::default().detail(format!("ticket {ticket}"));
        self.audited(customer, Action::HandoffRate, target, run)
            .await
    }

    async fn remind_waiting(&self, limit: Duration) -> Result<usize, ServiceError> {
        self.remind(limit).await
    }

    async fn purge_transcripts(&self, age: Duration) -> Result<u64, ServiceError> {
        self.purge(age).await
    }

    async fn tickets(
        &self,
        actor: &ChatIdentity,
        state: Option<TicketState>,
    ) -> Result<Vec<Ticket>, ServiceError> {
        let run = self.list_tickets(actor, state);
        self.audited(actor, Action::HandoffRead, Target::default(), run)
            .await
    }

    async fn transcript(
        &self,
        actor: &ChatIdentity,
        ticket: TicketId,
    ) -> Result<(Ticket, Vec<TranscriptLine>), ServiceError> {
        let run = self.ticket_transcript(actor, ticket);
        let target = Target::default().detail(format!("ticket {ticket}"));
        self.audited(actor, Action::HandoffRead, target, run).await
    }
}
