//! What the help desk's web pages list, a page at a time so that each stays quick however
//! long the list: the pending nominations, oldest first, a site's members and pending
//! nominations, and the audit log, newest first, filtered by site, person, action and time. Agents only; each read is audited as the
//! chat's `/pending` and the audit log's reading are.

use std::fmt;

use async_trait::async_trait;

use crate::domain::{ChatIdentity, ChatIdentityError, IbmId, Role, SiteNumber, Timestamp};
use crate::service::{Action, AuditEntry, Nomination, NominationId, ServiceError, SiteView};

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

/// A member's place in a site's list of members (primary, secondary members, then users; by
/// IBM ID within a role), where the next page starts: written `role:ibm_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberKey {
    pub role: Role,
    pub ibm_id: IbmId,
}

/// Why a text is not a member's place in the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a member's place is `role:IBM ID`")]
pub struct MemberKeyError;

impl fmt::Display for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.role.as_str(), self.ibm_id.as_str())
    }
}

impl std::str::FromStr for MemberKey {
    type Err = MemberKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (role, ibm_id) = text.split_once(':').ok_or(MemberKeyError)?;
        Ok(MemberKey {
            role: Role::parse(role).map_err(|_| MemberKeyError)?,
            ibm_id: IbmId::parse(ibm_id).map_err(|_| MemberKeyError)?,
        })
    }
}

/// Which page of a site's members and of its pending nominations to read: up to `limit` of
/// each, after the places given (from the start otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteWindow {
    pub members_after: Option<MemberKey>,
    pub pending_after: Option<NominationId>,
    pub limit: u32,
}

/// A site as `show_site` tells it, with one page of its members and one of its pending
/// nominations, and where each next page starts, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePage {
    pub view: SiteView,
    pub next_member: Option<MemberKey>,
    pub next_pending: Option<NominationId>,
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

    /// A site with a page of its members and of its pending nominations (agents, and the
    /// site's managers), audited as `show_site` is.
    async fn site_page(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        window: &SiteWindow,
    ) -> Result<SitePage, ServiceError>;
}
