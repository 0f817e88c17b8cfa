//! Nominations: requests for access to a site, listing them, and approving or denying one,
//! which tells the requester through the outbox.

use sqlx::AnyConnection;

use crate::domain::{ChatIdentity, DenyReason, GrantRole, IbmId, Role, SiteNumber, Timestamp};
use crate::policy::MAX_SECONDARIES;
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::passcodes::locked_out_of_every_site;
use crate::service::sql::rows::{NOMINATION_COLUMNS, NominationRow, is_unique_violation, stored};
use crate::service::sql::sites::{NewMember, insert_member};
use crate::service::{
    Action, Approval, Member, Nomination, NominationId, NominationStatus, OutboxEvent, ServiceError,
};

/// How a nomination is decided.
enum Decision<'a> {
    Approve(Role),
    Deny(&'a DenyReason),
}

impl SqlService {
    /// Records a request for `ibm_id` to get access to `site`. A request for a site that does
    /// not exist counts against the asker as a passcode check of one does, so that site
    /// numbers cannot be listed by requesting access either.
    pub(super) async fn insert_nomination(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        ibm_id: &IbmId,
    ) -> Result<NominationId, ServiceError> {
        let now = self.clock.now();
        let person = actor.to_string();
        // A refusal that must still be committed (the count of an unknown site) comes back as
        // the inner error.
        self.transaction(async |conn| {
            if let Some(until) = locked_out_of_every_site(conn, &person, now).await? {
                return Ok(Err(ServiceError::TooManyUnknownSites { until }));
            }
            let found: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT s.site_number, m.role FROM sites s \
                 LEFT JOIN members m ON m.site_number = s.site_number AND m.ibm_id = $2 \
                 WHERE s.site_number = $1",
            )
            .bind(site.as_str())
            .bind(ibm_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            match found {
                None => {
                    let refusal = match self.count_unknown_site(conn, &person, now).await? {
                        Some(until) => ServiceError::TooManyUnknownSites { until },
                        None => ServiceError::NoSuchSite { site: site.clone() },
                    };
                    return Ok(Err(refusal));
                }
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
            .bind(&person)
            .bind(now.as_millis())
            .fetch_one(&mut *conn)
            .await
            .map_err(|error| match is_unique_violation(&error) {
                true => ServiceError::AlreadyPending {
                    site: site.clone(),
                    ibm_id: ibm_id.clone(),
                },
                false => error.into(),
            })?;
            let target = Target::member(site, ibm_id).detail(format!("nomination {id}"));
            self.audit(conn, actor, Action::NominationRequest, &target, "ok")
                .await?;
            Ok(Ok(NominationId(id)))
        })
        .await?
    }

    /// Whether `site` can be requested by `actor`: it exists, and they are not locked out of
    /// every site. An unknown site is counted against them, in a transaction of its own that
    /// commits the count with the refusal.
    pub(super) async fn nomination_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let person = actor.to_string();
        self.transaction(async |conn| {
            if let Some(until) = locked_out_of_every_site(conn, &person, now).await? {
                return Ok(Err(ServiceError::TooManyUnknownSites { until }));
            }
            let found: Option<String> =
                sqlx::query_scalar("SELECT site_number FROM sites WHERE site_number = $1")
                    .bind(site.as_str())
                    .fetch_optional(&mut *conn)
                    .await?;
            if found.is_some() {
                return Ok(Ok(()));
            }
            let refusal = match self.count_unknown_site(conn, &person, now).await? {
                Some(until) => ServiceError::TooManyUnknownSites { until },
                None => ServiceError::NoSuchSite { site: site.clone() },
            };
            Ok(Err(refusal))
        })
        .await?
    }

    /// Pending nominations of one site, or of all: all of them for an agent, those of the
    /// sites they manage for a site's primary or secondary member (what they could decide).
    pub(super) async fn pending_nominations(
        &self,
        actor: &ChatIdentity,
        site: Option<&SiteNumber>,
    ) -> Result<Vec<Nomination>, ServiceError> {
        let rows = {
            let mut conn = self.db.acquire().await?;
            let everyone = site.is_none() && self.is_agent(&mut conn, actor).await?;
            match site {
                Some(_) => {
                    self.authorise(
                        &mut conn,
                        actor,
                        Action::NominationList,
                        site,
                        Allowed::Managers,
                    )
                    .await?;
                }
                None if everyone => {}
                None => {
                    let managed: i64 = sqlx::query_scalar(
                        "SELECT count(*) FROM members \
                         WHERE chat_identity = $1 AND role IN ('primary', 'secondary')",
                    )
                    .bind(actor.to_string())
                    .fetch_one(&mut *conn)
                    .await?;
                    if managed == 0 {
                        return Err(ServiceError::NotAuthorised {
                            actor: actor.clone(),
                            action: Action::NominationList,
                        });
                    }
                }
            }
            match site {
                None if !everyone => {
                    sqlx::query_as::<_, NominationRow>(&format!(
                        "{NOMINATION_COLUMNS} WHERE status = 'pending' AND site_number IN \
                         (SELECT site_number FROM members \
                          WHERE chat_identity = $1 AND role IN ('primary', 'secondary')) \
                         ORDER BY id"
                    ))
                    .bind(actor.to_string())
                    .fetch_all(&mut *conn)
                    .await?
                }
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
        self.record(
            actor,
            Action::NominationList,
            &Target::optional_site(site),
            "ok",
        )
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

    /// Grants the requested access as `role` and tells the requester.
    pub(super) async fn approve(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        role: GrantRole,
    ) -> Result<Approval, ServiceError> {
        let now = self.clock.now();
        let role = Role::from(role);
        self.transaction(async |conn| {
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
                site: site.clone(),
                ibm_id: nomination.ibm_id.clone(),
                role,
            };
            self.send(conn, &nomination.requested_by, &event, now)
                .await?;
            let target = Target::member(site, &nomination.ibm_id)
                .detail(format!("nomination {id} as {role}"));
            self.audit(conn, actor, Action::NominationApprove, &target, "ok")
                .await?;
            let member = Member {
                ibm_id: nomination.ibm_id.clone(),
                role,
                since: now,
            };
            Ok(Approval { nomination, member })
        })
        .await
    }

    /// Refuses the requested access and tells the requester why.
    pub(super) async fn deny(
        &self,
        actor: &ChatIdentity,
        id: NominationId,
        reason: &DenyReason,
    ) -> Result<Nomination, ServiceError> {
        let now = self.clock.now();
        self.transaction(async |conn| {
            let nomination = self
                .nomination_to_decide(conn, actor, Action::NominationDeny, id)
                .await?;
            decide(conn, actor, id, Decision::Deny(reason), now).await?;
            let event = OutboxEvent::NominationDenied {
                nomination: id,
                site: nomination.site.clone(),
                ibm_id: nomination.ibm_id.clone(),
                reason: reason.clone(),
            };
            self.send(conn, &nomination.requested_by, &event, now)
                .await?;
            let target = Target::member(&nomination.site, &nomination.ibm_id)
                .detail(format!("nomination {id}: {reason}"));
            self.audit(conn, actor, Action::NominationDeny, &target, "ok")
                .await?;
            Ok(nomination)
        })
        .await
    }
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
