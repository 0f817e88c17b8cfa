//! The desk's lists, a page at a time: each query reads one page by an index (the pending
//! nominations' partial index; the audit log's by site, actor, IBM ID, action or time) from
//! where the last page ended, so a page costs the same at the end of a long list as at its
//! start.

use sqlx::FromRow;

use crate::domain::{ChatIdentity, SiteNumber, Timestamp};
use crate::service::desk_views::{
    AuditFilter, AuditId, DeskViews, Paged, Person, SitePage, SiteWindow,
};
use crate::service::sql::SqlService;
use crate::service::sql::audit::Target;
use crate::service::sql::authorisation::Allowed;
use crate::service::sql::rows::{NOMINATION_COLUMNS, NominationRow};
use crate::service::{Action, AuditEntry, Nomination, NominationId, ServiceError};

#[derive(FromRow)]
struct AuditPageRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    site_number: Option<String>,
    ibm_id: Option<String>,
    outcome: String,
    detail: Option<String>,
}

/// A value bound to a query built at run time.
enum Bound {
    Text(String),
    Number(i64),
}

#[async_trait::async_trait]
impl DeskViews for SqlService {
    async fn pending_page(
        &self,
        actor: &ChatIdentity,
        after: Option<NominationId>,
        limit: u32,
    ) -> Result<Paged<Nomination, NominationId>, ServiceError> {
        let run = self.read_pending_page(actor, after, limit);
        self.audited(actor, Action::NominationList, Target::default(), run)
            .await
    }

    async fn audit_page(
        &self,
        actor: &ChatIdentity,
        filter: &AuditFilter,
        before: Option<AuditId>,
        limit: u32,
    ) -> Result<Paged<(AuditId, AuditEntry), AuditId>, ServiceError> {
        let run = self.read_audit_page(actor, filter, before, limit);
        let target = Target::optional_site(filter.site.as_ref());
        self.audited(actor, Action::AuditRead, target, run).await
    }

    async fn site_page(
        &self,
        actor: &ChatIdentity,
        site: &SiteNumber,
        window: &SiteWindow,
    ) -> Result<SitePage, ServiceError> {
        let run = self.read_site(actor, site, Some(window));
        self.audited(actor, Action::SiteShow, Target::site(site), run)
            .await
    }
}

impl SqlService {
    async fn read_pending_page(
        &self,
        actor: &ChatIdentity,
        after: Option<NominationId>,
        limit: u32,
    ) -> Result<Paged<Nomination, NominationId>, ServiceError> {
        let rows = {
            let mut conn = self.db.acquire().await?;
            let action = Action::NominationList;
            self.authorise(&mut conn, actor, action, None, Allowed::AgentsOnly)
                .await?;
            sqlx::query_as::<_, NominationRow>(&format!(
                "{NOMINATION_COLUMNS} WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after.map_or(0, |id| id.0))
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *conn)
            .await?
        };
        self.record(actor, Action::NominationList, &Target::default(), "ok")
            .await?;
        let mut items = rows
            .into_iter()
            .map(NominationRow::into_nomination)
            .collect::<Result<Vec<_>, _>>()?;
        let next = more(&mut items, limit).map(|last: &Nomination| last.id);
        Ok(Paged { items, next })
    }

    async fn read_audit_page(
        &self,
        actor: &ChatIdentity,
        filter: &AuditFilter,
        before: Option<AuditId>,
        limit: u32,
    ) -> Result<Paged<(AuditId, AuditEntry), AuditId>, ServiceError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        let mut condition = |clause: &str, value: Bound| {
            values.push(value);
            conditions.push(format!("{clause} ${}", values.len()));
        };
        if let Some(site) = &filter.site {
            condition("site_number =", Bound::Text(site.as_str().to_owned()));
        }
        match &filter.person {
            Some(Person::Actor(identity)) => {
                condition("actor =", Bound::Text(identity.to_string()))
            }
            Some(Person::IbmId(ibm_id)) => {
                condition("ibm_id =", Bound::Text(ibm_id.as_str().to_owned()))
            }
            None => {}
        }
        if let Some(action) = filter.action {
            condition("action =", Bound::Text(action.as_str().to_owned()));
        }
        if let Some(since) = filter.since {
            condition("at >=", Bound::Number(since.as_millis()));
        }
        if let Some(until) = filter.until {
            condition("at <", Bound::Number(until.as_millis()));
        }
        if let Some(before) = before {
            condition("id <", Bound::Number(before.0));
        }
        values.push(Bound::Number(i64::from(limit) + 1));
        let filtered = match conditions.is_empty() {
            true => String::new(),
            false => format!("WHERE {}", conditions.join(" AND ")),
        };
        let sql = format!(
            "SELECT id, at, actor, action, site_number, ibm_id, outcome, detail FROM audit_log \
             {filtered} ORDER BY id DESC LIMIT ${}",
            values.len()
        );
        let rows = {
            let mut conn = self.db.acquire().await?;
            let site: Option<&SiteNumber> = filter.site.as_ref();
            self.authorise(
                &mut conn,
                actor,
                Action::AuditRead,
                site,
                Allowed::AgentsOnly,
            )
            .await?;
            let mut query = sqlx::query_as::<_, AuditPageRow>(&sql);
            for value in values {
                query = match value {
                    Bound::Text(text) => query.bind(text),
                    Bound::Number(number) => query.bind(number),
                };
            }
            query.fetch_all(&mut *conn).await?
        };
        let target = Target::optional_site(filter.site.as_ref());
        self.record(actor, Action::AuditRead, &target, "ok").await?;
        let mut items: Vec<(AuditId, AuditEntry)> = rows
            .into_iter()
            .map(|row| {
                let entry = AuditEntry {
                    at: Timestamp::from_millis(row.at),
                    actor: row.actor,
                    action: row.action,
                    site: row.site_number,
                    ibm_id: row.ibm_id,
                    outcome: row.outcome,
                    detail: row.detail,
                };
                (AuditId(row.id), entry)
            })
            .collect();
        let next = more(&mut items, limit).map(|(id, _)| *id);
        Ok(Paged { items, next })
    }
}

/// Drops the one row read beyond a page of `limit`; returns the page's last row when there
/// was one, as where the next page starts.
pub(super) fn more<T>(items: &mut Vec<T>, limit: u32) -> Option<&T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if items.len() <= limit {
        return None;
    }
    items.truncate(limit);
    items.last()
}
