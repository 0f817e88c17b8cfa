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
mod nominations;
mod outbox;
mod passcodes;
mod rows;
mod sites;

use std::sync::Arc;

use sqlx::AnyConnection;

use crate::database::{Database, DatabaseError};
use crate::domain::{
    Channel, ChatIdentity, DenyReason, GrantRole, IbmId, Passcode, Program, SiteNumber,
};
use crate::service::hashing::Hasher;
use crate::service::sql::audit::Target;
use crate::service::sql::check_turns::CheckTurns;
use crate::service::{
    AccountService, Action, Approval, AuditEntry, Clock, FirstAccess, MessageId, Nomination,
    NominationId, OutboxMessage, PasscodeAccepted, RegisteredAgent, ServiceError, SiteView,
};

/// The account service over a SQLite or PostgreSQL database.
#[derive(Debug)]
pub struct SqlService {
    db: Database,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    check_turns: CheckTurns,
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
        write.finish(result).await
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

    async fn mark_failed(&self, id: MessageId) -> Result<bool, ServiceError> {
        self.delivery_failed(id).await
    }

    async fn mark_delivered(&self, id: MessageId) -> Result<(), ServiceError> {
        self.delivered(id).await
    }
}
