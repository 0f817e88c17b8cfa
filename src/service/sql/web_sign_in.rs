//! The web page's sign-in links and sessions, stored as digests of their secrets.

use secrecy::SecretString;

use crate::domain::ChatIdentity;
use crate::policy::{DESK_SESSION, WEB_LINK_VALIDITY};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::rows::stored;
use crate::service::web_sign_in::{WebSecret, digest, new_secret};
use crate::service::{Action, ServiceError};

impl SqlService {
    pub(super) async fn insert_web_link(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<WebSecret, ServiceError> {
        let now = self.clock.now();
        let refused = |who: &ChatIdentity| ServiceError::NotAuthorised {
            actor: who.clone(),
            action: Action::WebLink,
        };
        self.transaction(async |conn| {
            if !self.is_agent(conn, actor).await? || (actor != agent && !actor.is_local_operator())
            {
                return Err(refused(actor));
            }
            if !self.is_agent(conn, agent).await? {
                return Err(refused(agent));
            }
            sqlx::query("DELETE FROM web_links WHERE expires_at <= $1")
                .bind(now.as_millis())
                .execute(&mut *conn)
                .await?;
            let secret = new_secret();
            let expires_at = now.plus(WEB_LINK_VALIDITY);
            sqlx::query(
                "INSERT INTO web_links (secret_hash, agent, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(digest(&secret))
            .bind(agent.to_string())
            .bind(expires_at.as_millis())
            .execute(&mut *conn)
            .await?;
            let target = Target::default().detail(format!("agent {agent}"));
            self.audit(conn, actor, Action::WebLink, &target, "ok")
                .await?;
            Ok(WebSecret {
                secret: SecretString::from(secret),
                agent: agent.clone(),
                expires_at,
            })
        })
        .await
    }

    pub(super) async fn use_web_link(&self, link: &str) -> Result<Option<WebSecret>, ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            let agent: Option<String> = sqlx::query_scalar(
                "UPDATE web_links SET used_at = $1 \
                 WHERE secret_hash = $2 AND used_at IS NULL AND expires_at > $3 RETURNING agent",
            )
            .bind(now.as_millis())
            .bind(digest(link))
            .bind(now.as_millis())
            .fetch_optional(&mut *conn)
            .await?;
            let Some(agent) = agent else {
                return Ok(None);
            };
            let agent = stored(ChatIdentity::parse(&agent))?;
            if !self.is_agent(conn, &agent).await? {
                return Ok(None);
            }
            sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
                .bind(now.as_millis())
                .execute(&mut *conn)
                .await?;
            let secret = new_secret();
            let expires_at = now.plus(DESK_SESSION);
            sqlx::query(
                "INSERT INTO web_sessions (secret_hash, agent, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(digest(&secret))
            .bind(agent.to_string())
            .bind(expires_at.as_millis())
            .execute(&mut *conn)
            .await?;
            Ok(Some(WebSecret {
                secret: SecretString::from(secret),
                agent,
                expires_at,
            }))
        })
        .await
    }

    pub(super) async fn session_agent(
        &self,
        session: &str,
    ) -> Result<Option<ChatIdentity>, ServiceError> {
        let now = self.clock.now();
        let mut conn = self.db.acquire().await?;
        let agent: Option<String> = sqlx::query_scalar(
            "SELECT agent FROM web_sessions WHERE secret_hash = $1 AND expires_at > $2",
        )
        .bind(digest(session))
        .bind(now.as_millis())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(agent) = agent else {
            return Ok(None);
        };
        let agent = stored(ChatIdentity::parse(&agent))?;
        Ok(self.is_agent(&mut conn, &agent).await?.then_some(agent))
    }

    pub(super) async fn delete_session(&self, session: &str) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            sqlx::query("DELETE FROM web_sessions WHERE secret_hash = $1")
                .bind(digest(session))
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await
    }
}
