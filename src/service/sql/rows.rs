//! Row mapping: the rows the service reads, what they become, and what the database's
//! refusals mean. A stored value that no longer parses is [`ServiceError::Corrupt`].

use sqlx::FromRow;

use crate::domain::{ChatIdentity, IbmId, Role, SiteNumber, Timestamp};
use crate::service::{Member, Nomination, NominationId, NominationStatus, ServiceError};

/// The columns a [`NominationRow`] is read from.
pub(super) const NOMINATION_COLUMNS: &str =
    "SELECT id, site_number, ibm_id, requested_by, requested_at, status FROM nominations";

#[derive(FromRow)]
pub(super) struct SiteRow {
    pub(super) program: String,
    pub(super) passcode_hash: Option<String>,
    pub(super) locked_until: Option<i64>,
}

#[derive(FromRow)]
pub(super) struct MemberRow {
    ibm_id: String,
    role: String,
    added_at: i64,
}

#[derive(FromRow)]
pub(super) struct NominationRow {
    id: i64,
    site_number: String,
    ibm_id: String,
    requested_by: String,
    requested_at: i64,
    status: String,
}

#[derive(FromRow)]
pub(super) struct AuditRow {
    pub(super) at: i64,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) site_number: Option<String>,
    pub(super) ibm_id: Option<String>,
    pub(super) outcome: String,
    pub(super) detail: Option<String>,
}

#[derive(FromRow)]
pub(super) struct OutboxRow {
    pub(super) id: i64,
    pub(super) recipient: String,
    pub(super) created_at: i64,
    pub(super) payload: String,
}

impl MemberRow {
    pub(super) fn into_member(self) -> Result<Member, ServiceError> {
        Ok(Member {
            ibm_id: stored(IbmId::parse(&self.ibm_id))?,
            role: stored(Role::parse(&self.role))?,
            since: Timestamp::from_millis(self.added_at),
        })
    }
}

impl NominationRow {
    pub(super) fn into_nomination(self) -> Result<Nomination, ServiceError> {
        let status = match self.status.as_str() {
            "pending" => NominationStatus::Pending,
            "approved" => NominationStatus::Approved,
            "denied" => NominationStatus::Denied,
            other => {
                return Err(ServiceError::Corrupt(format!(
                    "nomination status {other:?}"
                )));
            }
        };
        Ok(Nomination {
            id: NominationId(self.id),
            site: stored(SiteNumber::parse(&self.site_number))?,
            ibm_id: stored(IbmId::parse(&self.ibm_id))?,
            requested_by: stored(ChatIdentity::parse(&self.requested_by))?,
            requested_at: Timestamp::from_millis(self.requested_at),
            status,
        })
    }
}

/// A value read back from the database that no longer parses.
pub(super) fn stored<T, E>(parsed: Result<T, E>) -> Result<T, ServiceError>
where
    E: std::fmt::Display,
{
    parsed.map_err(|error| ServiceError::Corrupt(error.to_string()))
}

pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
}

/// The schema's secondary-member trigger fired: another transaction got there first.
pub(super) fn is_secondary_limit(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.message().contains("secondary limit reached"))
}
