//! Sites and their members: registering a site, what an agent or manager sees of it, locking
//! its row, and granting a membership.

use sqlx::AnyConnection;

use crate::database::Backend;
use crate::domain::{ChatIdentity, IbmId, Passcode, Program, Role, SiteNumber, Timestamp};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::desk_views::more;
use crate::service::sql::passcodes::{locked_out, recent_failures};
use crate::service::sql::rows::{
    MemberRow, NOMINATION_COLUMNS, NominationRow, SiteRow, is_secondary_limit, is_unique_violation,
    stored,
};
use crate::service::{
    Action, Lockout, Member, MemberKey, Nomination, NominationId, ServiceError, SitePage, SiteView,
    SiteWindow,
};

const SITE_SQLITE: &str =
    "SELECT program, passcode_hash, locked_until FROM sites WHERE site_number = $1";
const SITE_FOR_UPDATE_POSTGRES: &str =
    "SELECT program, passcode_hash, locked_until FROM sites WHERE site_number = $1 FOR UPDATE";

/// A membership about to be granted.
pub(super) struct NewMember<'a> {
    pub(super) site: &'a SiteNumber,
    pub(super) ibm_id: &'a IbmId,
    pub(super) role: Role,
    /// Who may act for the member from now on.
    pub(super) chat_identity: &'a ChatIdentity,
    pub(super) added_by: &'a ChatIdentity,
    pub(super) at: Timestamp,
}

impl SqlService {
    /// The site's row, locked against other writers until the transaction ends.
    pub(super) async fn lock_site(
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

    /// Registers a site and returns its new temporary passcode.
    pub(super) async fn insert_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        program: Program,
    ) -> Result<Passcode, ServiceError> {
        {
            let mut conn = self.db.acquire().await?;
            self.authorise(&mut conn, actor, Action::SiteAdd, None, Allowed::AgentsOnly)
                .await?;
        }
        let passcode = Passcode::generate();
        let hash = self.hasher.hash(&passcode).await?;
        let now = self.clock.now();
        self.transaction(async |conn| {
            sqlx::query(
                "INSERT INTO sites (site_number, program, passcode_hash, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(site.as_str())
            .bind(program.as_str())
            .bind(hash)
            .bind(now.as_millis())
            .bind(actor.to_string())
            .execute(&mut *conn)
            .await
            .map_err(|error| match is_unique_violation(&error) {
                true => ServiceError::SiteExists { site: site.clone() },
                false => error.into(),
            })?;
            let target = Target::site(site).detail(format!("program {program}"));
            self.audit(conn, actor, Action::SiteAdd, &target, "ok")
                .await
        })
        .await?;
        Ok(passcode)
    }

    /// Members, pending nominations and lockout state.
    pub(super) async fn site_view(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
    ) -> Result<SiteView, ServiceError> {
        Ok(self.read_site(actor, site, None).await?.view)
    }

    /// The site with every member and pending nomination, or with the page of each that
    /// `window` asks for.
    pub(super) async fn read_site(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        window: Option<&SiteWindow>,
    ) -> Result<SitePage, ServiceError> {
        let now = self.clock.now();
        let page = {
            let mut conn = self.db.acquire().await?;
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
            let (members, next_member) = members(&mut conn, site, window).await?;
            let (pending, next_pending) = pending(&mut conn, site, window).await?;
            let lockout = match row.locked_until.map(Timestamp::from_millis) {
                Some(until) if until > now => Lockout::Locked { until },
                _ => Lockout::Open {
                    recent_failures: recent_failures(&mut conn, site, now).await?,
                },
            };
            let view = SiteView {
                site: site.clone(),
                program: stored(Program::parse(&row.program))?,
                passcode_outstanding: row.passcode_hash.is_some(),
                lockout,
                locked_out: locked_out(&mut conn, site, now).await?,
                members,
                pending,
            };
            SitePage {
                view,
                next_member,
                next_pending,
            }
        };
        self.record(actor, Action::SiteShow, &Target::site(site), "ok")
            .await?;
        Ok(page)
    }
}

/// The site's members in their order (primary, secondary, users; by IBM ID within a role),
/// all of them or the window's page, with where the next page starts.
async fn members(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    window: Option<&SiteWindow>,
) -> Result<(Vec<Member>, Option<MemberKey>), ServiceError> {
    let rows = match window {
        None => {
            sqlx::query_as::<_, MemberRow>(
                "SELECT ibm_id, role, added_at FROM members WHERE site_number = $1 \
                 ORDER BY CASE role WHEN 'primary' THEN 0 WHEN 'secondary' THEN 1 ELSE 2 END, \
                 ibm_id",
            )
            .bind(site.as_str())
            .fetch_all(&mut *conn)
            .await?
        }
        // The roles' names sort as the roles do ('primary' < 'secondary' < 'user'), so the
        // page starts where the last one ended by a comparison the database can seek to.
        Some(window) => {
            let (role, ibm_id) = window
                .members_after
                .as_ref()
                .map_or(("", ""), |key| (key.role.as_str(), key.ibm_id.as_str()));
            sqlx::query_as::<_, MemberRow>(
                "SELECT ibm_id, role, added_at FROM members WHERE site_number = $1 \
                   AND (role > $2 OR (role = $2 AND ibm_id > $3)) \
                 ORDER BY role, ibm_id LIMIT $4",
            )
            .bind(site.as_str())
            .bind(role)
            .bind(ibm_id)
            .bind(i64::from(window.limit) + 1)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut members = rows
        .into_iter()
        .map(MemberRow::into_member)
        .collect::<Result<Vec<_>, _>>()?;
    let next = window
        .and_then(|window| more(&mut members, window.limit))
        .map(|last| MemberKey {
            role: last.role,
            ibm_id: last.ibm_id.clone(),
        });
    Ok((members, next))
}

/// The site's pending nominations, oldest first: all of them or the window's page, with
/// where the next page starts.
async fn pending(
    conn: &mut AnyConnection,
    site: &SiteNumber,
    window: Option<&SiteWindow>,
) -> Result<(Vec<Nomination>, Option<NominationId>), ServiceError> {
    let after = window.and_then(|w| w.pending_after).map_or(0, |id| id.0);
    let limit = window.map_or(i64::MAX, |w| i64::from(w.limit) + 1);
    let mut pending = sqlx::query_as::<_, NominationRow>(&format!(
        "{NOMINATION_COLUMNS} WHERE site_number = $1 AND status = 'pending' AND id > $2 \
         ORDER BY id LIMIT $3"
    ))
    .bind(site.as_str())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(NominationRow::into_nomination)
    .collect::<Result<Vec<_>, _>>()?;
    let next = window
        .and_then(|window| more(&mut pending, window.limit))
        .map(|last| last.id);
    Ok((pending, next))
}

pub(super) async fn insert_member(
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
