//! Help-desk agents: registering, listing and removing them.

use crate::domain::{ChatIdentity, Timestamp};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::rows::{is_unique_violation, stored};
use crate::service::{Action, RegisteredAgent, ServiceError};

impl SqlService {
    /// Registers `agent` as a help-desk agent.
    pub(super) async fn insert_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            self.authorise(conn, actor, Action::AgentAdd, None, Allowed::AgentsOnly)
                .await?;
            if self.is_registered(conn, agent).await? {
                return Err(ServiceError::AlreadyAgent {
                    identity: agent.clone(),
                });
            }
            sqlx::query("INSERT INTO agents (identity, added_at, added_by) VALUES ($1, $2, $3)")
                .bind(agent.to_string())
                .bind(now.as_millis())
                .bind(actor.to_string())
                .execute(&mut *conn)
                .await
                .map_err(|error| match is_unique_violation(&error) {
                    true => ServiceError::AlreadyAgent {
                        identity: agent.clone(),
                    },
                    false => error.into(),
                })?;
            let target = Target::default().detail(format!("agent {agent}"));
            self.audit(conn, actor, Action::AgentAdd, &target, "ok")
                .await
        })
        .await
    }

    /// The registered agents, oldest first.
    pub(super) async fn registered_agents(
        &self,
        actor: &ChatIdentity,
    ) -> Result<Vec<RegisteredAgent>, ServiceError> {
        let rows: Vec<(String, i64, String)> = {
            let mut conn = self.db.acquire().await?;
            self.authorise(
                &mut conn,
                actor,
                Action::AgentList,
                None,
                Allowed::AgentsOnly,
            )
            .await?;
            sqlx::query_as(
                "SELECT identity, added_at, added_by FROM agents ORDER BY added_at, identity",
            )
            .fetch_all(&mut *conn)
            .await?
        };
        rows.into_iter()
            .map(|(identity, added_at, added_by)| {
                Ok(RegisteredAgent {
                    identity: stored(ChatIdentity::parse(&identity))?,
                    added_at: Timestamp::from_millis(added_at),
                    added_by,
                })
            })
            .collect()
    }

    /// Removes `agent` from the registered agents.
    pub(super) async fn delete_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            self.authorise(conn, actor, Action::AgentRemove, None, Allowed::AgentsOnly)
                .await?;
            let removed = sqlx::query("DELETE FROM agents WHERE identity = $1")
                .bind(agent.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(ServiceError::NotAnAgent {
                    identity: agent.clone(),
                });
            }
            let target = Target::default().detail(format!("agent {agent}"));
            self.audit(conn, actor, Action::AgentRemove, &target, "ok")
                .await
        })
        .await
    }
}
