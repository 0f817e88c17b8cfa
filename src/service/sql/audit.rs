//! The audit log: what each action writes to it, the helper that logs and audits an action's
//! outcome, and reading the log back.

use std::future::Future;

use sqlx::AnyConnection;

use crate::domain::{ChatIdentity, IbmId, SiteNumber, Timestamp};
use crate::service::sql::SqlService;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::rows::AuditRow;
use crate::service::{Action, AuditEntry, ServiceError};

/// The audit log returns at most this many rows: the most recent.
const AUDIT_ROWS: i64 = 1000;

/// What an audit row says beyond who did what when.
#[derive(Debug, Default)]
pub(super) struct Target<'a> {
    pub(super) site: Option<&'a SiteNumber>,
    pub(super) ibm_id: Option<&'a IbmId>,
    pub(super) detail: Option<String>,
}

impl<'a> Target<'a> {
    pub(super) fn site(site: &'a SiteNumber) -> Target<'a> {
        Target {
            site: Some(site),
            ..Target::default()
        }
    }

    /// One site's action, or every site's when `site` is `None`.
    pub(super) fn optional_site(site: Option<&'a SiteNumber>) -> Target<'a> {
        Target {
            site,
            ..Target::default()
        }
    }

    pub(super) fn member(site: &'a SiteNumber, ibm_id: &'a IbmId) -> Target<'a> {
        Target {
            site: Some(site),
            ibm_id: Some(ibm_id),
            detail: None,
        }
    }

    pub(super) fn detail(self, detail: String) -> Target<'a> {
        Target {
            detail: Some(detail),
            ..self
        }
    }
}

impl SqlService {
    /// Writes an audit row on `conn`, within the action's transaction when it has one.
    pub(super) async fn audit(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
        action: Action,
        target: &Target<'_>,
        outcome: &str,
    ) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, site_number, ibm_id, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.clock.now().as_millis())
        .bind(actor.to_string())
        .bind(action.as_str())
        .bind(target.site.map(SiteNumber::as_str))
        .bind(target.ibm_id.map(IbmId::as_str))
        .bind(outcome)
        .bind(target.detail.as_deref())
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Audits an action on its own, outside the action's transaction: a refusal, or a read.
    pub(super) async fn record(
        &self,
        actor: &ChatIdentity,
        action: Action,
        target: &Target<'_>,
        outcome: &str,
    ) -> Result<(), ServiceError> {
        let _turn = self.db.writer_turn().await;
        let mut conn = self.db.acquire().await?;
        self.audit(&mut conn, actor, action, target, outcome).await
    }

    /// Runs an action, logs its outcome and audits a refusal. A success audits itself, in the
    /// action's transaction or with [`SqlService::record`].
    pub(super) async fn audited<T, F>(
        &self,
        actor: &ChatIdentity,
        action: Action,
        target: Target<'_>,
        run: F,
    ) -> Result<T, ServiceError>
    where
        F: Future<Output = Result<T, ServiceError>>,
    {
        let result = run.await;
        let site = target.site.map(SiteNumber::as_str);
        let error = match &result {
            Ok(_) => {
                tracing::info!(%actor, action = action.as_str(), site, "account action done");
                return result;
            }
            Err(error) => error,
        };
        tracing::info!(
            %actor,
            action = action.as_str(),
            site,
            outcome = error.code(),
            %error,
            "account action refused"
        );
        if let Err(audit) = self.record(actor, action, &target, error.code()).await {
            tracing::warn!(error = %audit, "could not audit a refused account action");
        }
        result
    }

    /// The most recent audit rows, oldest first.
    pub(super) async fn read_audit(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let rows = {
            let mut conn = self.db.acquire().await?;
            self.authorise(
                &mut conn,
                actor,
                Action::AuditRead,
                site,
                Allowed::AgentsOnly,
            )
            .await?;
            let columns = "SELECT at, actor, action, site_number, ibm_id, outcome, detail \
                           FROM audit_log";
            match site {
                Some(site) => {
                    sqlx::query_as::<_, AuditRow>(&format!(
                        "{columns} WHERE site_number = $1 ORDER BY id DESC LIMIT $2"
                    ))
                    .bind(site.as_str())
                    .bind(AUDIT_ROWS)
                    .fetch_all(&mut *conn)
                    .await?
                }
                None => {
                    sqlx::query_as::<_, AuditRow>(&format!("{columns} ORDER BY id DESC LIMIT $1"))
                        .bind(AUDIT_ROWS)
                        .fetch_all(&mut *conn)
                        .await?
                }
            }
        };
        self.record(actor, Action::AuditRead, &Target::optional_site(site), "ok")
            .await?;
        Ok(rows
            .into_iter()
            .rev()
            .map(|row| AuditEntry {
                at: Timestamp::from_millis(row.at),
                actor: row.actor,
                action: row.action,
                site: row.site_number,
                ibm_id: row.ibm_id,
                outcome: row.outcome,
                detail: row.detail,
            })
            .collect())
    }
}
