//! Help-desk agents: registering one.

use crate::domain::ChatIdentity;
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::rows::is_unique_violation;
use crate::service::{Action, ServiceError};

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
            if self.is_agent(conn, agent).await? {
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
}
