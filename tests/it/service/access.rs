//! Who may do what, the audit log, and site numbers.

use std::fmt::Debug;
use std::sync::Arc;

use pao_bot::domain::{DenyReason, GrantRole, Program};
use pao_bot::service::{AccountService, NominationId, ServiceError, SqlService, SystemClock};
use sqlx::{AnyConnection, Connection};
use tempfile::TempDir;

use super::{first_access, identity, new_site, operator, requested, site};
use crate::databases::{TestDb, on_both_databases, registered_agent};

on_both_databases!(
    strangers_are_refused_and_every_refusal_is_audited,
    registered_agents_act_like_the_operator,
    every_action_is_audited_with_its_outcome,
    a_leading_zero_site_number_names_the_same_site,
    a_second_process_shares_the_database,
);

fn assert_not_authorised<T>(result: Result<T, ServiceError>)
where
    T: Debug,
{
    assert!(
        matches!(result, Err(ServiceError::NotAuthorised { .. })),
        "{result:?}"
    );
}

async fn strangers_are_refused_and_every_refusal_is_audited(db: TestDb) {
    new_site(&db, "1234567").await;
    let id = requested(&db, "telegram:5", "1234567", "a@example.jp").await;
    let stranger = identity("discord:666");
    let s = db.service.as_ref();
    assert_not_authorised(s.add_site(&stranger, &site("7654321"), Program::Pae).await);
    assert_not_authorised(s.show_site(&stranger, &site("1234567")).await);
    assert_not_authorised(s.unlock(&stranger, &site("1234567")).await);
    assert_not_authorised(s.reissue_passcode(&stranger, &site("1234567")).await);
    assert_not_authorised(s.add_agent(&stranger, &identity("discord:667")).await);
    assert_not_authorised(s.audit_log(&stranger, None).await);
    assert_not_authorised(s.list_nominations(&stranger, None).await);
    assert_not_authorised(s.approve_nomination(&stranger, id, GrantRole::User).await);
    let reason = DenyReason::parse("no").unwrap();
    assert_not_authorised(s.deny_nomination(&stranger, id, &reason).await);

    let audit = s.audit_log(&operator(), None).await.unwrap();
    let refusals: Vec<&str> = audit
        .iter()
        .filter(|e| e.actor == "discord:666")
        .map(|e| {
            assert_eq!(e.outcome, "not_authorised");
            e.action.as_str()
        })
        .collect();
    assert_eq!(
        refusals,
        [
            "site_add",
            "site_show",
            "unlock",
            "passcode_reissue",
            "agent_add",
            "audit_read",
            "nomination_list",
            "nomination_approve",
            "nomination_deny"
        ]
    );
    // Nothing was done.
    let pending = s.list_nominations(&operator(), None).await.unwrap();
    assert_eq!(pending.len(), 1);
}

async fn registered_agents_act_like_the_operator(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let s = db.service.as_ref();
    s.add_site(&agent, &site("1234567"), Program::Pae)
        .await
        .unwrap();
    s.add_agent(&agent, &identity("discord:901")).await.unwrap();
    let again = s.add_agent(&identity("discord:901"), &agent).await;
    assert!(
        matches!(again, Err(ServiceError::AlreadyAgent { .. })),
        "{again:?}"
    );
    let view = s
        .show_site(&identity("discord:901"), &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.program, Program::Pae);
    assert!(s.audit_log(&agent, Some(&site("1234567"))).await.is_ok());
}

async fn every_action_is_audited_with_its_outcome(db: TestDb) {
    let s = db.service.as_ref();
    let passcode = new_site(&db, "1234567").await;
    let exists = s.add_site(&operator(), &site("1234567"), Program::Pa).await;
    assert!(
        matches!(exists, Err(ServiceError::SiteExists { .. })),
        "{exists:?}"
    );
    first_access(s, "telegram:1", "1234567", "taro@example.jp", &passcode)
        .await
        .unwrap();
    new_site(&db, "7654321").await;
    let id = requested(&db, "telegram:2", "1234567", "jiro@example.jp").await;
    s.approve_nomination(&identity("telegram:1"), id, GrantRole::Secondary)
        .await
        .unwrap();
    s.unlock(&operator(), &site("1234567")).await.unwrap();
    let missing = s
        .deny_nomination(
            &operator(),
            NominationId(id.0 + 100),
            &DenyReason::parse("x").unwrap(),
        )
        .await;
    assert!(missing.is_err());

    let audit = s
        .audit_log(&operator(), Some(&site("1234567")))
        .await
        .unwrap();
    let rows: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("console:local", "site_add", "ok"),
            ("console:local", "site_add", "site_exists"),
            ("telegram:1", "passcode_check", "ok"),
            ("telegram:2", "nomination_request", "ok"),
            ("telegram:1", "nomination_approve", "ok"),
            ("console:local", "unlock", "ok"),
        ]
    );
    assert!(audit.iter().all(|e| e.site.as_deref() == Some("1234567")));
    assert_eq!(audit[2].ibm_id.as_deref(), Some("taro@example.jp"));
    let everything = s.audit_log(&operator(), None).await.unwrap();
    assert!(everything.iter().any(|e| e.outcome == "no_such_nomination"));
    assert!(everything.iter().any(|e| e.action == "audit_read"));
}

async fn a_leading_zero_site_number_names_the_same_site(db: TestDb) {
    new_site(&db, "01234567").await;
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.site.as_str(), "1234567");
    let exists = db
        .service
        .add_site(&operator(), &site("1234567"), Program::Pa)
        .await;
    assert!(
        matches!(exists, Err(ServiceError::SiteExists { .. })),
        "{exists:?}"
    );
}

async fn a_second_process_shares_the_database(db: TestDb) {
    new_site(&db, "1234567").await;
    let second = db.second_service().await;
    let view = second
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert!(view.passcode_outstanding);
}

#[tokio::test]
async fn a_missing_sqlite_database_is_created_in_wal_mode() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    let service = SqlService::connect(&url, Arc::new(SystemClock))
        .await
        .unwrap();
    service
        .add_site(&operator(), &site("1234567"), Program::Pa)
        .await
        .unwrap();
    assert!(path.is_file());
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    let refused = SqlService::connect("mysql://localhost/x", Arc::new(SystemClock)).await;
    assert!(refused.is_err());
}
