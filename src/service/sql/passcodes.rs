//! Passcodes and their lockout: a site contact's first access, counting failed checks,
//! reissuing a passcode and lifting a lockout.

use sqlx::AnyConnection;

use crate::domain::{ChatIdentity, IbmId, Passcode, Role, SiteNumber, Timestamp};
use crate::policy::{LOCKOUT_FAILURES, LOCKOUT_WINDOW, SITE_LOCKOUT_FAILURES};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::rows::stored;
use crate::service::sql::sites::{NewMember, insert_member};
use crate::service::{
    Action, FirstAccess, OutboxEvent, PasscodeAccepted, PersonLockout, ServiceError,
};
use crate::telemetry;

/// A passcode check counted, before the passcode is verified.
struct Attempt {
    hash: String,
    /// The person's failures at this site within the window, this one included.
    failures: u32,
    /// The lock this failure set, on the person or on the site, if any.
    locked_until: Option<Timestamp>,
}

/// What counting a check decided: verify its passcode, or refuse it. A refusal is committed
/// too, since a check of a site that does not exist counts against the person.
enum Counted {
    Verify(Attempt),
    Refused(ServiceError),
}

/// The site number of a lockout from every site (see migration 0005/0004).
const EVERY_SITE: &str = "";

impl SqlService {
    /// Checks `passcode` and, when it is right, makes `ibm_id` the site's primary member.
    pub(super) async fn accept_passcode(
        &self,
        actor: &ChatIdentity,
        FirstAccess {
            site,
            ibm_id,
            passcode,
        }: FirstAccess<'_>,
    ) -> Result<PasscodeAccepted, ServiceError> {
        let _turn = self.check_turns.take(&self.db, site).await?;
        let now = self.clock.now();
        // The check counts as a failure before the passcode is verified, so that concurrent
        // guesses (from other processes too) cannot get past the limit while the slow hash runs.
        let counted = self
            .transaction(async |conn| self.count_attempt(conn, actor, site, now).await)
            .await?;
        let attempt = match counted {
            Counted::Verify(attempt) => attempt,
            Counted::Refused(error) => return Err(error),
        };
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
            clear_lockout(conn, site).await?;
            sqlx::query("UPDATE sites SET passcode_hash = NULL WHERE site_number = $1")
                .bind(site.as_str())
                .execute(&mut *conn)
                .await?;
            // A reissued passcode hands the site to a new primary; the old one keeps access,
            // and is told.
            let former: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT ibm_id, chat_identity FROM members \
                 WHERE site_number = $1 AND role = 'primary' AND ibm_id <> $2",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
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
            if let Some((former, chat)) = former {
                let former = stored(IbmId::parse(&former))?;
                let target =
                    Target::member(site, &former).detail(format!("now user; primary {ibm_id}"));
                self.audit(conn, actor, Action::PrimaryChange, &target, "ok")
                    .await?;
                // A member added without a chat (by an operator) has no one to tell.
                if let Some(chat) = chat {
                    let recipient = stored(ChatIdentity::parse(&chat))?;
                    let event = OutboxEvent::PrimaryChanged {
                        site: site.clone(),
                        former,
                        primary: ibm_id.clone(),
                    };
                    self.send(conn, &recipient, &event, now).await?;
                }
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

    /// Counts `actor`'s check of `site` as a failure, locking them out (or the site, when
    /// everyone's failures reach [`SITE_LOCKOUT_FAILURES`]) when this one reaches the limit.
    async fn count_attempt(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
        site: &SiteNumber,
        now: Timestamp,
    ) -> Result<Counted, ServiceError> {
        let person = actor.to_string();
        let locked = |until| {
            Ok(Counted::Refused(ServiceError::Locked {
                site: site.clone(),
                until,
            }))
        };
        if let Some(until) = person_locked_until(conn, site, &person, now).await? {
            return locked(until);
        }
        let row = match self.lock_site(conn, site).await {
            Err(ServiceError::NoSuchSite { .. }) => {
                return match self.count_unknown_site(conn, &person, now).await? {
                    Some(until) => locked(until),
                    None => Ok(Counted::Refused(ServiceError::NoSuchSite {
                        site: site.clone(),
                    })),
                };
            }
            row => row?,
        };
        if let Some(until) = row.locked_until.map(Timestamp::from_millis)
            && until > now
        {
            return locked(until);
        }
        let Some(hash) = row.passcode_hash else {
            return Ok(Counted::Refused(ServiceError::NoPasscode {
                site: site.clone(),
            }));
        };
        sqlx::query("INSERT INTO passcode_failures (site_number, person, at) VALUES ($1, $2, $3)")
            .bind(site.as_str())
            .bind(&person)
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?;
        let until = now.plus(LOCKOUT_WINDOW);
        let failures = person_failures(conn, site, &person, now).await?;
        let mut locked_until = None;
        if failures >= LOCKOUT_FAILURES {
            lock_out(conn, site.as_str(), &person, until).await?;
            telemetry::lockout("person");
            locked_until = Some(until);
        }
        let everyone = recent_failures(conn, site, now).await?;
        if everyone >= SITE_LOCKOUT_FAILURES {
            sqlx::query("UPDATE sites SET locked_until = $2 WHERE site_number = $1")
                .bind(site.as_str())
                .bind(until.as_millis())
                .execute(&mut *conn)
                .await?;
            tracing::warn!(%site, failures = everyone, "site's passcode checks locked for everyone");
            telemetry::lockout("site");
            self.tell_help_desk(conn, site, everyone, until, now)
                .await?;
            locked_until = Some(until);
        }
        Ok(Counted::Verify(Attempt {
            hash,
            failures,
            locked_until,
        }))
    }

    /// Counts a check of (or a request for) a site that does not exist against `person`;
    /// returns the end of the lockout from every site it set, if it reached the limit.
    pub(super) async fn count_unknown_site(
        &self,
        conn: &mut AnyConnection,
        person: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, ServiceError> {
        sqlx::query("INSERT INTO unknown_site_checks (person, at) VALUES ($1, $2)")
            .bind(person)
            .bind(now.as_millis())
            .execute(&mut *conn)
            .await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM unknown_site_checks WHERE person = $1 AND at > $2",
        )
        .bind(person)
        .bind(now.minus(LOCKOUT_WINDOW).as_millis())
        .fetch_one(&mut *conn)
        .await?;
        if count < i64::from(LOCKOUT_FAILURES) {
            return Ok(None);
        }
        let until = now.plus(LOCKOUT_WINDOW);
        lock_out(conn, EVERY_SITE, person, until).await?;
        Ok(Some(until))
    }

    /// Tells the help desk (the local operator and every registered agent) that `site` is
    /// locked for everyone.
    async fn tell_help_desk(
        &self,
        conn: &mut AnyConnection,
        site: &SiteNumber,
        failures: u32,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let agents: Vec<String> =
            sqlx::query_scalar("SELECT identity FROM agents ORDER BY identity")
                .fetch_all(&mut *conn)
                .await?;
        let event = OutboxEvent::SiteLocked {
            site: site.clone(),
            failures,
            until,
        };
        let mut help_desk = vec![ChatIdentity::local_operator()];
        for agent in agents {
            let agent = stored(ChatIdentity::parse(&agent))?;
            // A registered console agent is the local operator, told once.
            if !agent.is_local_operator() {
                help_desk.push(agent);
            }
        }
        for recipient in &help_desk {
            self.send(conn, recipient, &event, now).await?;
        }
        Ok(())
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

/// Failed checks for `site` by everyone within the lockout window before `now`.
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

/// Failed checks for `site` by `person` within the lockout window before `now`.
async fn person_failures(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    person: &str,
    now: Timestamp,
) -> Result<u32, ServiceError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM passcode_failures \
         WHERE site_number = $1 AND person = $2 AND at > $3",
    )
    .bind(site.as_str())
    .bind(person)
    .bind(now.minus(LOCKOUT_WINDOW).as_millis())
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// When `person`'s lockout from `site`, or from every site, ends, if it has not yet.
async fn person_locked_until(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    person: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, ServiceError> {
    let until: Option<i64> = sqlx::query_scalar(
        "SELECT max(locked_until) FROM passcode_lockouts \
         WHERE person = $1 AND site_number IN ($2, $3) AND locked_until > $4",
    )
    .bind(person)
    .bind(site.as_str())
    .bind(EVERY_SITE)
    .bind(now.as_millis())
    .fetch_one(conn)
    .await?;
    Ok(until.map(Timestamp::from_millis))
}

/// When `person`'s lockout from every site, for trying site numbers that do not exist, ends,
/// if it has not yet.
pub(super) async fn locked_out_of_every_site(
    conn: &mut AnyConnection,
    person: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, ServiceError> {
    let until: Option<i64> = sqlx::query_scalar(
        "SELECT max(locked_until) FROM passcode_lockouts \
         WHERE person = $1 AND site_number = $2 AND locked_until > $3",
    )
    .bind(person)
    .bind(EVERY_SITE)
    .bind(now.as_millis())
    .fetch_one(conn)
    .await?;
    Ok(until.map(Timestamp::from_millis))
}

/// Locks `person` out of `site` (or of every site, [`EVERY_SITE`]) until `until`.
async fn lock_out(
    conn: &mut AnyConnection,
    site: &str,
    person: &str,
    until: Timestamp,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO passcode_lockouts (site_number, person, locked_until) VALUES ($1, $2, $3) \
         ON CONFLICT (site_number, person) DO UPDATE SET locked_until = $3",
    )
    .bind(site)
    .bind(person)
    .bind(until.as_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// The people locked out of `site` now, soonest end first.
pub(super) async fn locked_out(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    now: Timestamp,
) -> Result<Vec<PersonLockout>, ServiceError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT person, locked_until FROM passcode_lockouts \
         WHERE site_number = $1 AND locked_until > $2 ORDER BY locked_until, person",
    )
    .bind(site.as_str())
    .bind(now.as_millis())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(person, until)| PersonLockout {
            person,
            until: Timestamp::from_millis(until),
        })
        .collect())
}

/// Lifts the site's lockout and everyone's from it, and forgets its failed checks.
async fn clear_lockout(conn: &mut AnyConnection, site: &SiteNumber) -> Result<(), ServiceError> {
    sqlx::query("UPDATE sites SET locked_until = NULL WHERE site_number = $1")
        .bind(site.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM passcode_lockouts WHERE site_number = $1")
        .bind(site.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM passcode_failures WHERE site_number = $1")
        .bind(site.as_str())
        .execute(conn)
        .await?;
    Ok(())
}
