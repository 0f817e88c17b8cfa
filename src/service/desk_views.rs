//! What the help desk's web pages list, a page at a time so that each stays quick however
//! long the list: the pending nominations, oldest first, and the audit log, newest first,
//! filtered by site, person, action and time. Agents only; each read is audited as the
//! chat's `/pending` and the audit log's reading are.

use std::fmt;

use async_trait::async_trait;

use crate::domain::{ChatIdentity, ChatIdentityError, IbmId, SiteNumber, Timestamp};
use crate::service::{Action, AuditEntry, Nomination, NominationId, ServiceError};

/// A page of a list, and where the next page starts, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// An audit row's number: the rows are numbered in the order they were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditId(pub i64);

impl fmt::Display for AuditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whom an audit row is about: the person who acted (a chat identity), or the IBM ID acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Actor(ChatIdentity),
    IbmId(IbmId),
}

impl Person {
    /// A chat identity (`telegram:123`) or else an IBM ID.
    pub fn parse(input: &str) -> Result<Person, ChatIdentityError> {
        let input = input.trim();
        match ChatIdentity::parse(input) {
            Ok(identity) => Ok(Person::Actor(identity)),
            Err(error) => IbmId::parse(input).map(Person::IbmId).map_err(|_| error),
        }
    }
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Person::Actor(identity) => identity.fmt(f),
            Person::IbmId(ibm_id) => f.write_str(ibm_id.as_str()),
        }
    }
}

/// Which audit rows to list; each part left out matches every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub site: Option<SiteNumber>,
    pub person: Option<Person>,
    pub action: Option<Action>,
    /// Rows written at or after.
    pub since: Option<Timestamp>,
    /// Rows written before.
    pub until: Option<Timestamp>,
}

/// The desk's lists.
#[async_trait]
pub trait DeskViews: Send + Sync {
    /// Up to `limit` pending nominations, oldest first, after `after` (agents only).
    async fn pending_page(
        &self,
        actor: &ChatIdentity,
        after: Option<NominationId>,
        limit: u32,
    ) -> Result<Paged<Nomination, NominationId>, ServiceError>;

    /// Up to `limit` audit rows that `filter` matches, newest first, written before the row
    /// `before` (agents only).
    async fn audit_page(
        &self,
        actor: &ChatIdentity,
        filter: &AuditFilter,
        before: Option<AuditId>,
        limit: u32,
    ) -> Result<Paged<(AuditId, AuditEntry), AuditId>, ServiceError>;
}
