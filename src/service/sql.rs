//! [`AccountService`] over sqlx's `Any` driver: one implementation for SQLite (the embedded
//! default) and PostgreSQL (for several bot processes sharing a database), chosen by the URL.
//!
//! The SQL is shared: both databases accept `$1` placeholders, `RETURNING` and partial
//! indexes. It differs only where the databases do: the schema (`migrations/sqlite`,
//! `migrations/postgres`), how a write transaction starts, and how a site row is locked.
//! Limits live in the database (unique indexes, a trigger); the transactions below lock what
//! they read so that the service reports a limit before the database has to.
//!
//! Locking: on PostgreSQL every change to a site first locks its row (`FOR UPDATE`), so the
//! decisions on one site are serialised and different sites proceed in parallel. On SQLite
//! the [`Database`]'s single writer serialises them.

use std::sync::Arc;

use sqlx::{AnyConnection, FromRow};

use crate::database::{Backend, Database, DatabaseError, Write};

use crate::domain::{
    Channel, ChatIdentity, DenyReason, GrantRole, IbmId, Passcode, Program, Role, SiteNumber,
    Timestamp,
};
use crate::service::hashing::Hasher;
use crate::service::{
    AccountService, Action, AuditEntry, Clock, LOCKOUT_FAILURES, LOCKOUT_WINDOW, Lockout,
    MAX_SECONDARIES, Member, MessageId, Nomination, NominationId, NominationStatus,
    OUTBOX_ATTEMPTS, OutboxEvent, OutboxMessage, PasscodeAccepted, ServiceError, SiteView,
};

/// The wait before the next try of an outbox message that failed `attempts` times: 10 s,
/// doubling, at most an hour.
fn outbox_backoff(attempts: i64) -> std::time::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(9);
    std::time::Duration::from_secs(10 << doublings).min(std::time::Duration::from_secs(3600))
}

/// The audit log returns at most this many rows: the most recent.
const AUDIT_ROWS: i64 = 1000;

/// Who, besides help-desk agents, may do an action on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    AgentsOnly,
    /// Agents and the site's primary and secondary members.
    Managers,
    /// Agents and the site's primary member: a secondary who could reissue the passcode
    /// could make themselves primary.
    Primary,
}

/// The account service over a SQLite or PostgreSQL database.
#[derive(Debug)]
pub struct SqlService {
    db: Database,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
}

/// What an audit row says beyond who did what when.
#[derive(Debug, Default)]
struct Target<'a> {
    site: Option<&'a SiteNumber>,
    ibm_id: Option<&'a IbmId>,
    detail: Option<String>,
}

impl<'a> Target<'a> {
    fn site(site: &'a SiteNumber) -> Target<'a> {
        Target {
            site: Some(site),
            ..Target::default()
        }
    }

    fn member(site: &'a SiteNumber, ibm_id: &'a IbmId) -> Target<'a> {
        Target {
            site: Some(site),
            ibm_id: Some(ibm_id),
            detail: None,
        }
    }

    fn detail(self, detail: String) -> Target<'a> {
        Target {
            detail: Some(detail),
            ..self
        }
    }
}

#[derive(FromRow)]
struct SiteRow {
    program: String,
    passcode_hash: Option<String>,
    locked_until: Option<i64>,
}

#[derive(FromRow)]
struct MemberRow {
    ibm_id: String,
    role: String,
    added_at: i64,
}

#[derive(FromRow)]
struct NominationRow {
    id: i64,
    site_number: String,
    ibm_id: String,
    requested_by: String,
    requested_at: i64,
    status: String,
}

#[derive(FromRow)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
    site_number: Option<String>,
    ibm_id: Option<String>,
    outcome: String,
    detail: Option<String>,
}

#[derive(FromRow)]
struct OutboxRow {
    id: i64,
    recipient: String,
    created_at: i64,
    payload: String,
}

/// A passcode check counted, before the passcode is verified.
struct Attempt {
    hash: String,
    failures: u32,
    locked_until: Option<Timestamp>,
}

const SITE_SQLITE: &str =
    "SELECT program, passcode_hash, locked_until FROM sites WHERE site_number = $1";
const SITE_FOR_UPDATE_POSTGRES: &str =
    "SELECT program, passcode_hash, locked_until FROM sites WHERE site_number = $1 FOR UPDATE";
const NOMINATION_COLUMNS: &str =
    "SELECT id, site_number, ibm_id, requested_by, requested_at, status FROM nominations";

impl SqlService {
    /// Opens the database at `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://...`) and brings its schema up to date.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<SqlService, DatabaseError> {
        Ok(SqlService::new(Database::connect(url).await?, clock))
    }

    /// The service over an open database, which it may share with the conversation engine.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> SqlService {
        SqlService {
            db,
            clock,
            hasher: Hasher::new(),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Closes the database connections.
    pub async fn close(&self) {
        self.db.close().await;
    }

    async fn begin(&self) -> Result<Write<'_>, ServiceError> {
        Ok(self.db.begin().await?)
    }

    /// The site's row, locked against other writers until the transaction ends.
    async fn lock_site(
        &self,
        conn: &mut AnyConnection,
        site: &SiteNumber,
    ) -> Result<SiteRow, ServiceError> {
        let sql = match self.db.backend() {
            Backend::Sqlite => SITE_SQLITE,
            Backend::Postgres => SITE_FOR_UPDATE_POSTGRES,
        };
        sqlx::query_as::<_, SiteRow>(sql)
            .bind(site.as_str())
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| ServiceError::NoSuchSite { site: site.clone() })
    }

    async fn is_agent(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
    ) -> Result<bool, ServiceError> {
        if actor.is_local_operator() {
            return Ok(true);
        }
        let found: Option<String> =
            sqlx::query_scalar("SELECT identity FROM agents WHERE identity = $1")
                .bind(actor.to_string())
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    async fn authorise(
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

    async fn audit(
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
    async fn record(
        &self,
        actor: &ChatIdentity,
        action: Action,
        target: &Target<'_>,
        outcome: &str,
    ) -> Result<(), ServiceError> {
        let _turn = self.db.writer_turn().await;
        let mut conn = self.db.pool().acquire().await?;
        self.audit(&mut conn, actor, action, target, outcome).await
    }

    /// Logs the outcome of an action and audits a refusal.
    async fn outcome<T>(
        &self,
        actor: &ChatIdentity,
        action: Action,
        target: Target<'_>,
        result: Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
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

    async fn add_site_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        program: Program,
    ) -> Result<Passcode, ServiceError> {
        {
            let mut conn = self.db.pool().acquire().await?;
            self.authorise(&mut conn, actor, Action::SiteAdd, None, Allowed::AgentsOnly)
                .await?;
        }
        let passcode = Passcode::generate();
        let hash = self.hasher.hash(&passcode).await?;
        let now = self.clock.now();
        let mut write = self.begin().await?;
        let result = async {
            sqlx::query(
                "INSERT INTO sites (site_number, program, passcode_hash, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(site.as_str())
            .bind(program.as_str())
            .bind(hash)
            .bind(now.as_millis())
            .bind(actor.to_string())
            .execute(&mut *write.tx)
            .await
            .map_err(|error| match is_unique_violation(&error) {
                true => ServiceError::SiteExists { site: site.clone() },
                false => error.into(),
            })?;
            let target = Target::site(site).detail(format!("program {program}"));
            self.audit(&mut write.tx, actor, Action::SiteAdd, &target, "ok")
                .await
        }
        .await;
        write.finish(result).await?;
        Ok(passcode)
    }

    async fn show_site_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<SiteView, ServiceError> {
        let now = self.clock.now();
        let view = {
            let mut conn = self.db.pool().acquire().await?;
            self.authorise(
                &mut conn,
                actor,
                Action::SiteShow,
                Some(site),
                Allowed::Managers,
            )
            .await?;
            let row = sqlx::query_as::<_, SiteRow>(SITE_SQLITE)
                .bind(site.as_str())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| ServiceError::NoSuchSite { site: site.clone() })?;
            let members = sqlx::query_as::<_, MemberRow>(
                "SELECT ibm_id, role, added_at FROM members WHERE site_number = $1 \
                 ORDER BY CASE role WHEN 'primary' THEN 0 WHEN 'secondary' THEN 1 ELSE 2 END, \
                 ibm_id",
            )
            .bind(site.as_str())
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(MemberRow::into_member)
            .collect::<Result<Vec<_>, _>>()?;
            let pending = sqlx::query_as::<_, NominationRow>(&format!(
                "{NOMINATION_COLUMNS} WHERE site_number = $1 AND status = 'pending' ORDER BY id"
            ))
            .bind(site.as_str())
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(NominationRow::into_nomination)
            .collect::<Result<Vec<_>, _>>()?;
            let lockout = match row.locked_until.map(Timestamp::from_millis) {
                Some(until) if until > now => Lockout::Locked { until },
                _ => Lockout::Open {
                    recent_failures: recent_failures(&mut conn, site, now).await?,
                },
            };
            SiteView {
                site: site.clone(),
                program: stored(Program::parse(&row.program))?,
                passcode_outstanding: row.passcode_hash.is_some(),
                lockout,
                members,
                pending,
            }
        };
        self.record(actor, Action::SiteShow, &Target::site(site), "ok")
            .await?;
        Ok(view)
    }

    async fn check_passcode_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
        passcode: &Passcode,
    ) -> Result<PasscodeAccepted, ServiceError> {
        let now = self.clock.now();
        // The check counts as a failure before the passcode is verified, so that concurrent
        // guesses cannot get past the limit while the (slow) hash runs.
        let mut write = self.begin().await?;
        let attempt = self.count_attempt(&mut write.tx, site, now).await;
        let attempt = write.finish(attempt).await?;
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
        let mut write = self.begin().await?;
        let result = async {
            let row = self.lock_site(&mut write.tx, site).await?;
            // Reissued or used by someone else while this check was verifying.
            if row.passcode_hash.as_deref() != Some(attempt.hash.as_str()) {
                return Err(ServiceError::NoPasscode { site: site.clone() });
            }
            sqlx::query("DELETE FROM passcode_failures WHERE site_number = $1")
                .bind(site.as_str())
                .execute(&mut *write.tx)
                .await?;
            sqlx::query(
                "UPDATE sites SET passcode_hash = NULL, locked_until = NULL \
                 WHERE site_number = $1",
            )
            .bind(site.as_str())
            .execute(&mut *write.tx)
            .await?;
            // A reissued passcode hands the site to a new primary; the old one keeps access.
            sqlx::query(
                "UPDATE members SET role = 'user' \
                 WHERE site_number = $1 AND role = 'primary' AND ibm_id <> $2",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .execute(&mut *write.tx)
            .await?;
            let promoted = sqlx::query(
                "UPDATE members SET role = 'primary', chat_identity = $3 \
                 WHERE site_number = $1 AND ibm_id = $2",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .bind(actor.to_string())
            .execute(&mut *write.tx)
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
                insert_member(&mut write.tx, member).await?;
            }
            let target = Target::member(site, ibm_id);
            self.audit(&mut write.tx, actor, Action::PasscodeCheck, &target, "ok")
                .await
        }
        .await;
        write.finish(result).await?;
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

    async fn request_nomination_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
    ) -> Result<NominationId, ServiceError> {
        let now = self.clock.now();
        let mut write = self.begin().await?;
        let result = async {
            let found: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT s.site_number, m.role FROM sites s \
                 LEFT JOIN members m ON m.site_number = s.site_number AND m.ibm_id = $2 \
                 WHERE s.site_number = $1",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .fetch_optional(&mut *write.tx)
            .await?;
            match found {
                None => return Err(ServiceError::NoSuchSite { site: site.clone() }),
                Some((_, Some(role))) => {
                    return Err(ServiceError::AlreadyMember {
                        site: site.clone(),
                        ibm_id: ibm_id.clone(),
                        role: stored(Role::parse(&role))?,
                    });
                }
                Some((_, None)) => {}
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .bind(actor.to_string())
            .bind(now.as_millis())
            .fetch_one(&mut *write.tx)
            .await
            .map_err(|error| match is_unique_violation(&error) {
                true => ServiceError::AlreadyPending {
                    site: site.clone(),
                    ibm_id: ibm_id.clone(),
                },
                false => error.into(),
            })?;
            let target = Target::member(site, ibm_id).detail(format!("nomination {id}"));
            self.audit(
                &mut write.tx,
                actor,
                Action::NominationRequest,
                &target,
                "ok",
            )
            .await?;
            Ok(NominationId(id))
        }
        .await;
        write.finish(result).await
    }

    async fn list_nominations_inner(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<Nomination>, ServiceError> {
        let rows = {
            let mut conn = self.db.pool().acquire().await?;
            let allowed = match site {
                Some(_) => Allowed::Managers,
                None => Allowed::AgentsOnly,
            };
            self.authorise(&mut conn, actor, Action::NominationList, site, allowed)
                .await?;
            match site {
                Some(site) => {
                    sqlx::query_as::<_, NominationRow>(&format!(
                        "{NOMINATION_COLUMNS} WHERE status = 'pending' AND site_number = $1 \
                         ORDER BY id"
                    ))
                    .bind(site.as_str())
                    .fetch_all(&mut *conn)
                    .await?
                }
                None => {
                    sqlx::query_as::<_, NominationRow>(&format!(
                        "{NOMINATION_COLUMNS} WHERE status = 'pending' ORDER BY id"
                    ))
                    .fetch_all(&mut *conn)
                    .await?
                }
            }
        };
        let target = Target {
            site,
            ..Target::default()
        };
        self.record(actor, Action::NominationList, &target, "ok")
            .await?;
        rows.into_iter()
            .map(NominationRow::into_nomination)
            .collect()
    }

    /// The pending nomination `id`, with its site locked and `actor` allowed to decide it.
    async fn nomination_to_decide(
        &self,
        conn: &mut AnyConnection,
        actor: &ChatIdentity,
        action: Action,
        id: NominationId,
    ) -> Result<Nomination, ServiceError> {
        let site: Option<String> =
            sqlx::query_scalar("SELECT site_number FROM nominations WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(site) = site else {
            // Only those who may decide some nomination learn which ones exist.
            if self.is_agent(conn, actor).await? {
                return Err(ServiceError::NoSuchNomination { id });
            }
            return Err(ServiceError::NotAuthorised {
                actor: actor.clone(),
                action,
            });
        };
        let site = stored(SiteNumber::parse(&site))?;
        self.authorise(conn, actor, action, Some(&site), Allowed::Managers)
            .await?;
        self.lock_site(conn, &site).await?;
        let nomination =
            sqlx::query_as::<_, NominationRow>(&format!("{NOMINATION_COLUMNS} WHERE id = $1"))
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await?
                .into_nomination()?;
        if nomination.status != NominationStatus::Pending {
            return Err(ServiceError::AlreadyDecided {
                id,
                status: nomination.status,
            });
        }
        Ok(nomination)
    }

    async fn approve_inner(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        role: GrantRole,
    ) -> Result<Member, ServiceError> {
        let now = self.clock.now();
        let role = Role::from(role);
        let mut write = self.begin().await?;
        let result = async {
            let conn = &mut *write.tx;
            let nomination = self
                .nomination_to_decide(conn, actor, Action::NominationApprove, id)
                .await?;
            let site = &nomination.site;
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT role FROM members WHERE site_number = $1 AND ibm_id = $2",
            )
            .bind(site.as_str())
            .bind(nomination.ibm_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(existing) = existing {
                return Err(ServiceError::AlreadyMember {
                    site: site.clone(),
                    ibm_id: nomination.ibm_id.clone(),
                    role: stored(Role::parse(&existing))?,
                });
            }
            if role == Role::Secondary {
                let secondaries: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM members WHERE site_number = $1 AND role = 'secondary'",
                )
                .bind(site.as_str())
                .fetch_one(&mut *conn)
                .await?;
                if secondaries >= i64::from(MAX_SECONDARIES) {
                    return Err(ServiceError::SecondaryLimitReached { site: site.clone() });
                }
            }
            let member = NewMember {
                site,
                ibm_id: &nomination.ibm_id,
                role,
                chat_identity: &nomination.requested_by,
                added_by: actor,
                at: now,
            };
            insert_member(conn, member).await?;
            decide(conn, actor, id, Decision::Approve(role), now).await?;
            let event = OutboxEvent::NominationApproved {
                nomination: id,
                site: site.to_string(),
                ibm_id: nomination.ibm_id.to_string(),
                role: role.to_string(),
            };
            self.send(conn, &nomination.requested_by, &event, now)
                .await?;
            let target = Target::member(site, &nomination.ibm_id)
                .detail(format!("nomination {id} as {role}"));
            self.audit(conn, actor, Action::NominationApprove, &target, "ok")
                .await?;
            Ok(Member {
                ibm_id: nomination.ibm_id.clone(),
                role,
                since: now,
            })
        }
        .await;
        write.finish(result).await
    }

    async fn deny_inner(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        reason: &DenyReason,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let mut write = self.begin().await?;
        let result = async {
            let conn = &mut *write.tx;
            let nomination = self
                .nomination_to_decide(conn, actor, Action::NominationDeny, id)
                .await?;
            decide(conn, actor, id, Decision::Deny(reason), now).await?;
            let event = OutboxEvent::NominationDenied {
                nomination: id,
                site: nomination.site.to_string(),
                ibm_id: nomination.ibm_id.to_string(),
                reason: reason.to_string(),
            };
            self.send(conn, &nomination.requested_by, &event, now)
                .await?;
            let target = Target::member(&nomination.site, &nomination.ibm_id)
                .detail(format!("nomination {id}: {reason}"));
            self.audit(conn, actor, Action::NominationDeny, &target, "ok")
                .await
        }
        .await;
        write.finish(result).await
    }

    /// Queues `event` for `recipient` in the outbox.
    async fn send(
        &self,
        conn: &mut AnyConnection,
        recipient: &ChatIdentity,
        event: &OutboxEvent,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let payload = serde_json::to_string(event)
            .map_err(|error| ServiceError::Corrupt(format!("outbox event: {error}")))?;
        sqlx::query(
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now.as_millis())
        .bind(recipient.to_string())
        .bind(recipient.channel().as_str())
        .bind(event.kind())
        .bind(payload)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn add_agent_inner(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let mut write = self.begin().await?;
        let result = async {
            let conn = &mut *write.tx;
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
        }
        .await;
        write.finish(result).await
    }

    async fn unlock_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<(), ServiceError> {
        let mut write = self.begin().await?;
        let result = async {
            let conn = &mut *write.tx;
            self.authorise(conn, actor, Action::Unlock, Some(site), Allowed::Managers)
                .await?;
            self.lock_site(conn, site).await?;
            clear_lockout(conn, site).await?;
            self.audit(conn, actor, Action::Unlock, &Target::site(site), "ok")
                .await
        }
        .await;
        write.finish(result).await
    }

    async fn reissue_inner(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<Passcode, ServiceError> {
        {
            let mut conn = self.db.pool().acquire().await?;
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
        let mut write = self.begin().await?;
        let result = async {
            let conn = &mut *write.tx;
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
        }
        .await;
        write.finish(result).await?;
        Ok(passcode)
    }

    async fn audit_log_inner(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let rows = {
            let mut conn = self.db.pool().acquire().await?;
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
        let target = Target {
            site,
            ..Target::default()
        };
        self.record(actor, Action::AuditRead, &target, "ok").await?;
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

#[async_trait::async_trait]
impl AccountService for SqlService {
    async fn add_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        program: Program,
    ) -> Result<Passcode, ServiceError> {
        let result = self.add_site_inner(actor, site, program).await;
        self.outcome(actor, Action::SiteAdd, Target::site(site), result)
            .await
    }

    async fn show_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<SiteView, ServiceError> {
        let result = self.show_site_inner(actor, site).await;
        self.outcome(actor, Action::SiteShow, Target::site(site), result)
            .await
    }

    async fn check_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
        passcode: &Passcode,
    ) -> Result<PasscodeAccepted, ServiceError> {
        tracing::debug!(%actor, %site, %ibm_id, "passcode check");
        let result = self
            .check_passcode_inner(actor, site, ibm_id, passcode)
            .await;
        let target = Target::member(site, ibm_id);
        self.outcome(actor, Action::PasscodeCheck, target, result)
            .await
    }

    async fn request_nomination(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
    ) -> Result<NominationId, ServiceError> {
        let result = self.request_nomination_inner(actor, site, ibm_id).await;
        let target = Target::member(site, ibm_id);
        self.outcome(actor, Action::NominationRequest, target, result)
            .await
    }

    async fn list_nominations(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<Nomination>, ServiceError> {
        let result = self.list_nominations_inner(actor, site).await;
        let target = Target {
            site,
            ..Target::default()
        };
        self.outcome(actor, Action::NominationList, target, result)
            .await
    }

    async fn approve_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        role: GrantRole,
    ) -> Result<Member, ServiceError> {
        let result = self.approve_inner(actor, id, role).await;
        let target = Target::default().detail(format!("nomination {id} as {role}"));
        self.outcome(actor, Action::NominationApprove, target, result)
            .await
    }

    async fn deny_nomination(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        reason: &DenyReason,
    ) -> Result<(), ServiceError> {
        let result = self.deny_inner(actor, id, reason).await;
        let target = Target::default().detail(format!("nomination {id}"));
        self.outcome(actor, Action::NominationDeny, target, result)
            .await
    }

    async fn add_agent(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<(), ServiceError> {
        let result = self.add_agent_inner(actor, agent).await;
        let target = Target::default().detail(format!("agent {agent}"));
        self.outcome(actor, Action::AgentAdd, target, result).await
    }

    async fn unlock(&self, actor: &ChatIdentity, site: &SiteNumber) -> Result<(), ServiceError> {
        let result = self.unlock_inner(actor, site).await;
        self.outcome(actor, Action::Unlock, Target::site(site), result)
            .await
    }

    async fn reissue_passcode(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<Passcode, ServiceError> {
        let result = self.reissue_inner(actor, site).await;
        self.outcome(actor, Action::PasscodeReissue, Target::site(site), result)
            .await
    }

    async fn audit_log(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let result = self.audit_log_inner(actor, site).await;
        let target = Target {
            site,
            ..Target::default()
        };
        self.outcome(actor, Action::AuditRead, target, result).await
    }

    async fn pending_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let rows = sqlx::query_as::<_, OutboxRow>(
            "SELECT id, recipient, created_at, payload FROM outbox \
             WHERE channel = $1 AND delivered_at IS NULL AND abandoned_at IS NULL \
               AND next_attempt_at <= $3 \
             ORDER BY id LIMIT $2",
        )
        .bind(channel.as_str())
        .bind(i64::from(limit))
        .bind(self.clock.now().as_millis())
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(OutboxMessage {
                    id: MessageId(row.id),
                    recipient: stored(ChatIdentity::parse(&row.recipient))?,
                    created_at: Timestamp::from_millis(row.created_at),
                    event: stored(serde_json::from_str(&row.payload))?,
                })
            })
            .collect()
    }

    async fn mark_failed(&self, id: MessageId) -> Result<bool, ServiceError> {
        let _turn = self.db.writer_turn().await;
        let attempts: Option<i64> = sqlx::query_scalar(
            "UPDATE outbox SET attempts = attempts + 1 \
             WHERE id = $1 AND delivered_at IS NULL AND abandoned_at IS NULL RETURNING attempts",
        )
        .bind(id.0)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(attempts) = attempts else {
            return Ok(false);
        };
        let now = self.clock.now();
        let abandoned = attempts >= i64::from(OUTBOX_ATTEMPTS);
        let query = if abandoned {
            sqlx::query("UPDATE outbox SET abandoned_at = $2 WHERE id = $1")
                .bind(id.0)
                .bind(now.as_millis())
        } else {
            sqlx::query("UPDATE outbox SET next_attempt_at = $2 WHERE id = $1")
                .bind(id.0)
                .bind(now.plus(outbox_backoff(attempts)).as_millis())
        };
        query.execute(self.db.pool()).await?;
        Ok(abandoned)
    }

    async fn mark_delivered(&self, id: MessageId) -> Result<(), ServiceError> {
        let _turn = self.db.writer_turn().await;
        sqlx::query("UPDATE outbox SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL")
            .bind(id.0)
            .bind(self.clock.now().as_millis())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

impl MemberRow {
    fn into_member(self) -> Result<Member, ServiceError> {
        Ok(Member {
            ibm_id: stored(IbmId::parse(&self.ibm_id))?,
            role: stored(Role::parse(&self.role))?,
            since: Timestamp::from_millis(self.added_at),
        })
    }
}

impl NominationRow {
    fn into_nomination(self) -> Result<Nomination, ServiceError> {
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

/// A membership about to be granted.
struct NewMember<'a> {
    site: &'a SiteNumber,
    ibm_id: &'a IbmId,
    role: Role,
    /// Who may act for the member from now on.
    chat_identity: &'a ChatIdentity,
    added_by: &'a ChatIdentity,
    at: Timestamp,
}

async fn insert_member(
    conn: &mut AnyConnection,
    member: NewMember<'_>,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO members (site_number, ibm_id, role, chat_identity, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(member.site.as_str())
    .bind(member.ibm_id.as_str())
    .bind(member.role.as_str())
    .bind(member.chat_identity.to_string())
    .bind(member.at.as_millis())
    .bind(member.added_by.to_string())
    .execute(conn)
    .await
    .map_err(|error| match is_secondary_limit(&error) {
        true => ServiceError::SecondaryLimitReached {
            site: member.site.clone(),
        },
        false => error.into(),
    })?;
    Ok(())
}

/// How a nomination is decided.
enum Decision<'a> {
    Approve(Role),
    Deny(&'a DenyReason),
}

async fn decide(
    conn: &mut AnyConnection,
    actor: &ChatIdentity,
    id: NominationId,
    decision: Decision<'_>,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let (status, role, reason) = match decision {
        Decision::Approve(role) => (NominationStatus::Approved, Some(role), None),
        Decision::Deny(reason) => (NominationStatus::Denied, None, Some(reason)),
    };
    sqlx::query(
        "UPDATE nominations \
         SET status = $2, granted_role = $3, reason = $4, decided_by = $5, decided_at = $6 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.0)
    .bind(status.as_str())
    .bind(role.map(Role::as_str))
    .bind(reason.map(DenyReason::as_str))
    .bind(actor.to_string())
    .bind(now.as_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Failed checks for `site` within the lockout window before `now`.
async fn recent_failures(
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

/// A value read back from the database that no longer parses.
fn stored<T, E>(parsed: Result<T, E>) -> Result<T, ServiceError>
where
    E: std::fmt::Display,
{
    parsed.map_err(|error| ServiceError::Corrupt(error.to_string()))
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation())
}

/// The schema's secondary-member trigger fired: another transaction got there first.
fn is_secondary_limit(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.message().contains("secondary limit reached"))
}
