//! Who may do what: help-desk agents everything, a site's members what their role allows.

use sqlx::AnyConnection;

use crate::domain::{ChatIdentity, Role, SiteNumber};
use crate::service::sql::SqlService;
use crate::service::{Action, ServiceError};

/// Who, besides help-desk agents, may do an action on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Allowed {
    AgentsOnly,
    /// Agents and the site's primary and secondary members.
    Managers,
    /// Agents and the site's primary member: a secondary who could reissue the passcode
    /// could make themselves primary.
    Primary,
}

impl SqlService {
    pub(super) async fn is_agent(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
    ) -> Result<bool, ServiceError> {
        if actor.is_local_operator() {
            return Ok(true);
        }
        self.is_registered(conn, actor).await
    }

    /// Whether `identity` is in the agents' table, which the local operator need not be to
    /// act as an agent, but must be to be announced new tickets.
    pub(super) async fn is_registered(
        &self,
        conn: &mut AnyConnection,
        identity: &ChatIdentity,
    ) -> Result<bool, ServiceError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT identity FROM agents WHERE identity = $1")
                .bind(identity.to_string())
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    pub(super) async fn authorise(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
        action: Action,
        site: Option<&SiteNumber>,
        allowed: Allowed,
    ) -> Result<(), ServiceError> {
        if self.is_agent(conn, actor).await? {
            return Ok(());
        }
        let refused = ServiceError::NotAuthorised {
            actor: actor.clone(),
            action,
        };
        let Some(site) = site else {
            return Err(refused);
        };
        if allowed == Allowed::AgentsOnly {
            return Err(refused);
        }
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT role FROM members WHERE site_number = $1 AND chat_identity = $2",
        )
        .bind(site.as_str())
        .bind(actor.to_string())
        .fetch_all(conn)
        .await?;
        let permitted = roles.iter().any(|role| match (Role::parse(role), allowed) {
            (Ok(role), Allowed::Managers) => role.manages(),
            (Ok(role), Allowed::Primary) => role == Role::Primary,
            _ => false,
        });
        if permitted { Ok(()) } else { Err(refused) }
    }
}
