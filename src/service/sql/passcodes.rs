//! Passcodes and their lockout: a site contact's first access, counting failed checks,
//! reissuing a passcode and lifting a lockout.

use sqlx::AnyConnection;

use crate::domain::{ChatIdentity, IbmId, Passcode, Role, SiteNumber, Timestamp};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::sites::{NewMember, insert_member};
use crate::service::{Action, LOCKOUT_FAILURES, LOCKOUT_WINDOW, PasscodeAccepted, ServiceError};

/// A passcode check counted, before the passcode is verified.
struct Attempt {
    hash: String,
    failures: u32,
    locked_until: Option<Timestamp>,
}

impl SqlService {
    /// Checks `passcode` and, when it is right, makes `ibm_id` the site's primary member.
    pub(super) async fn accept_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
        passcode: &Passcode,
    ) -> Result<PasscodeAccepted, ServiceError> {
        let _turn = self.check_turns.take(site).await;
        let now = self.clock.now();
        // The check counts as a failure before the passcode is verified, so that concurrent
        // guesses (from other processes too) cannot get past the limit while the slow hash runs.
        let attempt = self
            .transaction(async |conn| self.count_attempt(conn, site, now).await)
            .await?;
        if !self.hasher.verify(passcode, attempt.hash.clone()).await? {
            tracing::debug!(%site, failures = attempt.failures, "passcode check failed");
            return Err(match attempt.locked_until {
                Some(until) => ServiceError::Locked {
                    site: site.clone(),
                    until,
                },
                None => ServiceError::WrongPasscode {
                    site: site.clone(),
                    tries_left: LOCKOUT_FAILURES - attempt.failures,
                },
            });
        }
        self.transaction(async |conn| {
            let row = self.lock_site(conn, site).await?;
            // Reissued or used by someone else while this check was verifying.
            if row.passcode_hash.as_deref() != Some(attempt.hash.as_str()) {
                return Err(ServiceError::NoPasscode { site: site.clone() });
            }
            sqlx::query("DELETE FROM passcode_failures WHERE site_number = $1")
                .bind(site.as_str())
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE sites SET passcode_hash = NULL, locked_until = NULL \
                 WHERE site_number = $1",
            )
            .bind(site.as_str())
            .execute(&mut *conn)
            .await?;
            // A reissued passcode hands the site to a new primary; the old one keeps access.
            sqlx::query(
                "UPDATE members SET role = 'user' \
                 WHERE site_number = $1 AND role = 'primary' AND ibm_id <> $2",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .execute(&mut *conn)
            .await?;
            let promoted = sqlx::query(
                "UPDATE members SET role = 'primary', chat_identity = $3 \
                 WHERE site_number = $1 AND ibm_id = $2",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .bind(actor.to_string())
            .execute(&mut *conn)
            .await?;
            if promoted.rows_affected() == 0 {
                let member = NewMember {
                    site,
                    ibm_id,
                    role: Role::Primary,
                    chat_identity: actor,
                    added_by: actor,
                    at: now,
                };
                insert_member(conn, member).await?;
            }
            let target = Target::member(site, ibm_id);
            self.audit(conn, actor, Action::PasscodeCheck, &target, "ok")
                .await
        })
        .await?;
        Ok(PasscodeAccepted {
            site: site.clone(),
            ibm_id: ibm_id.clone(),
        })
    }

    async fn count_attempt(
        &self,
        conn: &mut AnyConnection,
        site: &SiteNumber,
        now: Timestamp,
    ) -> Result<Attempt, ServiceError> {
        let row = self.lock_site(conn, site).await?;
        if let Some(until) = row.locked_until.map(Timestamp::from_millis)
            && until > now
        {
            return Err(ServiceError::Locked {
                site: site.clone(),
                until,
            });
        }
        let hash = row
            .passcode_hash
            .ok_or_else(|| ServiceError::NoPasscode { site: site.clone() })?;
        let failures = recent_failures(conn, site, now).await? + 1;
        sqlx::query("INSERT INTO passcode_failures (site_number, at) VALUES ($1, $2)")
            .bind(site.as_str())
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?;
        let mut locked_until = None;
        if failures >= LOCKOUT_FAILURES {
            let until = now.plus(LOCKOUT_WINDOW);
            sqlx::query("UPDATE sites SET locked_until = $2 WHERE site_number = $1")
                .bind(site.as_str())
                .bind(until.as_millis())
                .execute(&mut *conn)
                .await?;
            locked_until = Some(until);
        }
        Ok(Attempt {
            hash,
            failures,
            locked_until,
        })
    }

    /// Lifts a site's lockout and forgets its failed checks.
    pub(super) async fn lift_lockout(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<(), ServiceError> {
        self.transaction(async |conn| {
            self.authorise(conn, actor, Action::Unlock, Some(site), Allowed::Managers)
                .await?;
            self.lock_site(conn, site).await?;
            clear_lockout(conn, site).await?;
            self.audit(conn, actor, Action::Unlock, &Target::site(site), "ok")
                .await
        })
        .await
    }

    /// Replaces the site's passcode, lifting any lockout, and returns the new one.
    pub(super) async fn replace_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<Passcode, ServiceError> {
        {
            let mut conn = self.db.acquire().await?;
            self.authorise(
                &mut conn,
                actor,
                Action::PasscodeReissue,
                Some(site),
                Allowed::Primary,
            )
            .await?;
        }
        let passcode = Passcode::generate();
        let hash = self.hasher.hash(&passcode).await?;
        self.transaction(async |conn| {
            self.lock_site(conn, site).await?;
            sqlx::query("UPDATE sites SET passcode_hash = $2 WHERE site_number = $1")
                .bind(site.as_str())
                .bind(hash)
                .execute(&mut *conn)
                .await?;
            clear_lockout(conn, site).await?;
            self.audit(
                conn,
                actor,
                Action::PasscodeReissue,
                &Target::site(site),
                "ok",
            )
            .await
        })
        .await?;
        Ok(passcode)
    }
}

/// Failed checks for `site` within the lockout window before `now`.
pub(super) async fn recent_failures(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    now: Timestamp,
) -> Result<u32, ServiceError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM passcode_failures WHERE site_number = $1 AND at > $2",
    )
    .bind(site.as_str())
    .bind(now.minus(LOCKOUT_WINDOW).as_millis())
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

async fn clear_lockout(conn: &mut AnyConnection, site: &SiteNumber) -> Result<(), ServiceError> {
    sqlx::query("UPDATE sites SET locked_until = NULL WHERE site_number = $1")
        .bind(site.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM passcode_failures WHERE site_number = $1")
        .bind(site.as_str())
        .execute(conn)
        .await?;
    Ok(())
}
