//! Help-desk agents: listed, removed (and so no longer an agent), every removal audited.

use pao_bot::service::{AccountService, ServiceError};

use super::{identity, operator, site};
use crate::databases::{START, TestDb, on_both_databases, registered_agent};

on_both_databases!(
    agents_are_listed_and_removed_and_removals_are_audited,
    only_agents_list_and_remove_agents,
);

async fn agents_are_listed_and_removed_and_removals_are_audited(db: TestDb) {
    let s = db.service.as_ref();
    assert!(s.list_agents(&operator()).await.unwrap().is_empty());
    let first = registered_agent(&db, "telegram:900").await;
    s.add_agent(&first, &identity("discord:901")).await.unwrap();
    let listed: Vec<(String, i64, String)> = s
        .list_agents(&first)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.identity.to_string(), a.added_at.as_millis(), a.added_by))
        .collect();
    assert_eq!(
        listed,
        [
            ("discord:901".to_owned(), START, "telegram:900".to_owned()),
            ("telegram:900".to_owned(), START, "console:local".to_owned()),
        ]
    );

    s.remove_agent(&operator(), &identity("discord:901"))
        .await
        .unwrap();
    let again = s.remove_agent(&operator(), &identity("discord:901")).await;
    assert!(
        matches!(again, Err(ServiceError::NotAnAgent { .. })),
        "{again:?}"
    );
    let removed = identity("discord:901");
    let refused = s.show_site(&removed, &site("1234567")).await;
    assert!(
        matches!(refused, Err(ServiceError::NotAuthorised { .. })),
        "a removed agent is no longer one: {refused:?}"
    );
    let left: Vec<String> = s
        .list_agents(&operator())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.identity.to_string())
        .collect();
    assert_eq!(left, ["telegram:900"]);

    let audit = s.audit_log(&operator(), None).await.unwrap();
    let removals: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .filter(|e| e.action == "agent_remove")
        .map(|e| (e.actor.as_str(), e.outcome.as_str(), e.detail.as_deref()))
        .collect();
    assert_eq!(
        removals,
        [
            ("console:local", "ok", Some("agent discord:901")),
            ("console:local", "not_an_agent", Some("agent discord:901")),
        ]
    );
}

async fn only_agents_list_and_remove_agents(db: TestDb) {
    registered_agent(&db, "telegram:900").await;
    let s = db.service.as_ref();
    let stranger = identity("discord:666");
    let listed = s.list_agents(&stranger).await;
    assert!(
        matches!(listed, Err(ServiceError::NotAuthorised { .. })),
        "{listed:?}"
    );
    let removed = s.remove_agent(&stranger, &identity("telegram:900")).await;
    assert!(
        matches!(removed, Err(ServiceError::NotAuthorised { .. })),
        "{removed:?}"
    );
    assert_eq!(s.list_agents(&operator()).await.unwrap().len(), 1);
    let audit = s.audit_log(&operator(), None).await.unwrap();
    let refusals: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.actor == "discord:666")
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        refusals,
        [
            ("agent_list", "not_authorised"),
            ("agent_remove", "not_authorised")
        ]
    );
}
