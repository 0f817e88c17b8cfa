//! Self-nomination: requests, decisions, the role limits, and telling the requester.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pao_bot::domain::{Channel, DenyReason, GrantRole, IbmId, Role, SiteNumber};
use pao_bot::policy::OUTBOX_ATTEMPTS;
use pao_bot::service::{
    AccountService, NominationId, NominationStatus, OutboxEvent, OutboxMessage, ServiceError,
    deliver_once,
};
use sqlx::Executor;
use tokio::task::JoinSet;

use super::{ibm, identity, operator, requested, site, site_with_primary};
use crate::databases::{TestDb, on_both_databases};

on_both_databases!(
    a_second_pending_request_is_refused,
    a_member_asking_again_is_told_they_have_access,
    an_approval_is_delivered_to_the_requester,
    a_message_that_cannot_be_delivered_is_given_up_and_holds_up_no_other,
    a_denial_tells_the_requester_why_and_is_final,
    a_site_has_at_most_four_secondary_members,
    fifty_concurrent_approvals_leave_exactly_four_secondaries,
    the_database_itself_enforces_the_limits,
    managers_decide_for_their_own_site_and_users_do_not,
    unknown_sites_and_nominations_are_refused,
);

/// Delivers the outbox of `channel` once, returning what was sent.
async fn deliver(db: &TestDb, channel: Channel) -> Vec<OutboxMessage> {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let count = deliver_once(db.service.as_ref(), channel, |message| {
        let sent = sent.clone();
        async move {
            sent.lock().unwrap().push(message);
            Ok::<(), String>(())
        }
    })
    .await
    .unwrap();
    let sent = sent.lock().unwrap().clone();
    assert_eq!(count, sent.len());
    sent
}

async fn a_second_pending_request_is_refused(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    site_with_primary(&db, "7654321", "ken@example.jp", "telegram:9").await;
    requested(&db, "telegram:5", "1234567", "hanako@example.jp").await;
    let again = db
        .service
        .request_nomination(
            &identity("discord:5"),
            &site("1234567"),
            &ibm("Hanako@Example.jp"),
        )
        .await;
    assert!(
        matches!(again, Err(ServiceError::AlreadyPending { .. })),
        "{again:?}"
    );
    // The same IBM ID may ask for another site.
    requested(&db, "telegram:5", "7654321", "hanako@example.jp").await;
    let pending = db
        .service
        .list_nominations(&operator(), Some(&site("1234567")))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].ibm_id, ibm("hanako@example.jp"));
    assert_eq!(pending[0].requested_by, identity("telegram:5"));
    assert_eq!(pending[0].status, NominationStatus::Pending);
    assert_eq!(
        db.service
            .list_nominations(&operator(), None)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_member_asking_again_is_told_they_have_access(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let id = requested(&db, "telegram:5", "1234567", "hanako@example.jp").await;
    db.service
        .approve_nomination(&operator(), id, GrantRole::User)
        .await
        .unwrap();
    for (who, role) in [
        ("hanako@example.jp", Role::User),
        ("taro@example.jp", Role::Primary),
    ] {
        let again = db
            .service
            .request_nomination(&identity("telegram:5"), &site("1234567"), &ibm(who))
            .await;
        assert!(
            matches!(again, Err(ServiceError::AlreadyMember { role: r, .. }) if r == role),
            "{again:?}"
        );
    }
}

async fn an_approval_is_delivered_to_the_requester(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let id = requested(&db, "telegram:5", "1234567", "hanako@example.jp").await;
    let member = db
        .service
        .approve_nomination(&identity("telegram:1"), id, GrantRole::default())
        .await
        .unwrap()
        .member;
    assert_eq!(member.role, Role::User);

    assert!(deliver(&db, Channel::Discord).await.is_empty());
    // A sender that fails leaves the message for a later round, not the very next one.
    let failed = deliver_once(db.service.as_ref(), Channel::Telegram, |_| async {
        Err::<(), _>("telegram is down")
    })
    .await
    .unwrap();
    assert_eq!(failed, 0);
    assert!(
        deliver(&db, Channel::Telegram).await.is_empty(),
        "not due yet"
    );
    db.clock.advance(Duration::from_secs(10));

    let sent = deliver(&db, Channel::Telegram).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, identity("telegram:5"));
    assert_eq!(
        sent[0].event,
        OutboxEvent::NominationApproved {
            nomination: id,
            site: SiteNumber::parse("1234567").unwrap(),
            ibm_id: IbmId::parse("hanako@example.jp").unwrap(),
            role: Role::User,
        }
    );
    assert!(
        deliver(&db, Channel::Telegram).await.is_empty(),
        "delivered once only"
    );
}

async fn a_message_that_cannot_be_delivered_is_given_up_and_holds_up_no_other(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let blocked = requested(&db, "telegram:5", "1234567", "hanako@example.jp").await;
    let deciding = identity("telegram:1");
    let approve = GrantRole::default();
    db.service
        .approve_nomination(&deciding, blocked, approve)
        .await
        .unwrap();
    // telegram:5 blocked the bot: every try fails.
    let refuse = |message: OutboxMessage| async move {
        if message.recipient == identity("telegram:5") {
            Err("blocked by the user")
        } else {
            Ok(())
        }
    };
    let due = || async {
        !db.service
            .pending_messages(Channel::Telegram, 10)
            .await
            .unwrap()
            .is_empty()
    };
    let try_once = || async {
        let sent = deliver_once(db.service.as_ref(), Channel::Telegram, refuse).await;
        assert_eq!(sent.unwrap(), 0);
    };
    // The waits grow: 10 s after the first failure, 20 s after the second.
    try_once().await;
    db.clock.advance(Duration::from_secs(10));
    assert!(due().await);
    try_once().await;
    db.clock.advance(Duration::from_secs(10));
    assert!(!due().await, "the second wait is longer");
    db.clock.advance(Duration::from_secs(10));
    assert!(due().await);
    for _ in 2..OUTBOX_ATTEMPTS {
        try_once().await;
        db.clock.advance(Duration::from_secs(3600));
    }
    assert!(!due().await, "given up after {OUTBOX_ATTEMPTS} tries");

    let later = requested(&db, "telegram:6", "1234567", "jiro@example.jp").await;
    db.service
        .approve_nomination(&deciding, later, approve)
        .await
        .unwrap();
    let sent = deliver(&db, Channel::Telegram).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, identity("telegram:6"));
}

async fn a_denial_tells_the_requester_why_and_is_final(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let id = requested(&db, "discord:55", "1234567", "hanako@example.jp").await;
    let reason = DenyReason::parse("not an employee of this customer").unwrap();
    db.service
        .deny_nomination(&operator(), id, &reason)
        .await
        .unwrap();
    let sent = deliver(&db, Channel::Discord).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, identity("discord:55"));
    assert!(matches!(
        &sent[0].event,
        OutboxEvent::NominationDenied { reason, .. } if reason.as_str() == "not an employee of this customer"
    ));
    let approve = db
        .service
        .approve_nomination(&operator(), id, GrantRole::User)
        .await;
    assert!(
        matches!(
            approve,
            Err(ServiceError::AlreadyDecided {
                status: NominationStatus::Denied,
                ..
            })
        ),
        "{approve:?}"
    );
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.members.len(), 1);
    assert!(view.pending.is_empty());
    // Once decided, the same person may ask again.
    requested(&db, "discord:55", "1234567", "hanako@example.jp").await;
}

async fn a_site_has_at_most_four_secondary_members(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    for n in 0..4 {
        let id = requested(&db, "telegram:5", "1234567", &format!("s{n}@example.jp")).await;
        db.service
            .approve_nomination(&operator(), id, GrantRole::Secondary)
            .await
            .unwrap();
    }
    let fifth = requested(&db, "telegram:5", "1234567", "s4@example.jp").await;
    let refused = db
        .service
        .approve_nomination(&operator(), fifth, GrantRole::Secondary)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::SecondaryLimitReached { .. })),
        "{refused:?}"
    );
    // Still pending: it can be approved as a user.
    let member = db
        .service
        .approve_nomination(&operator(), fifth, GrantRole::User)
        .await
        .unwrap()
        .member;
    assert_eq!(member.role, Role::User);
}

async fn fifty_concurrent_approvals_leave_exactly_four_secondaries(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    for n in 0..3 {
        let id = requested(&db, "telegram:5", "1234567", &format!("s{n}@example.jp")).await;
        db.service
            .approve_nomination(&operator(), id, GrantRole::Secondary)
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(requested(&db, "telegram:6", "1234567", &format!("c{n}@example.jp")).await);
    }
    // Half the approvals go through a second service, as from a second bot process.
    let services = [db.service.clone(), db.second_service().await];
    let mut approvals = JoinSet::new();
    for (n, id) in ids.into_iter().enumerate() {
        let service = services[n % 2].clone();
        approvals.spawn(async move {
            service
                .approve_nomination(&operator(), id, GrantRole::Secondary)
                .await
        });
    }
    let (mut approved, mut refused) = (0, 0);
    while let Some(outcome) = approvals.join_next().await {
        match outcome.expect("the approval task ends") {
            Ok(_) => approved += 1,
            Err(ServiceError::SecondaryLimitReached { .. }) => refused += 1,
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!((approved, refused), (1, 49));
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    let secondaries = view
        .members
        .iter()
        .filter(|m| m.role == Role::Secondary)
        .count();
    assert_eq!(secondaries, 4);
    assert_eq!(view.pending.len(), 49);
}

async fn the_database_itself_enforces_the_limits(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let mut raw = db.raw().await;
    let insert = |ibm_id: &str, role: &str| {
        format!(
            "INSERT INTO members (site_number, ibm_id, role, added_at, added_by) \
             VALUES ('1234567', '{ibm_id}', '{role}', 0, 'test')"
        )
    };
    let second_primary = raw
        .execute(insert("jiro@example.jp", "primary").as_str())
        .await;
    assert!(second_primary.is_err(), "a second primary was stored");
    for n in 0..4 {
        raw.execute(insert(&format!("s{n}@example.jp"), "secondary").as_str())
            .await
            .unwrap();
    }
    let fifth = raw
        .execute(insert("s4@example.jp", "secondary").as_str())
        .await;
    assert!(fifth.is_err(), "a fifth secondary was stored");
    raw.execute(insert("u@example.jp", "user").as_str())
        .await
        .unwrap();
    let promote = raw
        .execute("UPDATE members SET role = 'secondary' WHERE ibm_id = 'u@example.jp'")
        .await;
    assert!(promote.is_err(), "a user was promoted to a fifth secondary");

    let pending = "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at) \
                   VALUES ('1234567', 'x@example.jp', 'telegram:1', 0)";
    raw.execute(pending).await.unwrap();
    assert!(
        raw.execute(pending).await.is_err(),
        "a second pending nomination was stored"
    );
}

async fn managers_decide_for_their_own_site_and_users_do_not(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    site_with_primary(&db, "7654321", "ken@example.jp", "telegram:9").await;
    let (primary, other_site) = (identity("telegram:1"), identity("telegram:9"));

    // The primary adds a secondary member.
    let id = requested(&db, "telegram:2", "1234567", "jiro@example.jp").await;
    db.service
        .approve_nomination(&primary, id, GrantRole::Secondary)
        .await
        .unwrap();
    // ... who adds a user (chat identity telegram:2 now speaks for jiro).
    let id = requested(&db, "telegram:3", "1234567", "saburo@example.jp").await;
    db.service
        .approve_nomination(&identity("telegram:2"), id, GrantRole::User)
        .await
        .unwrap();

    let id = requested(&db, "telegram:4", "1234567", "shiro@example.jp").await;
    for outsider in [
        identity("telegram:3"),
        other_site.clone(),
        identity("telegram:4"),
    ] {
        let refused = db
            .service
            .approve_nomination(&outsider, id, GrantRole::User)
            .await;
        assert!(
            matches!(refused, Err(ServiceError::NotAuthorised { .. })),
            "{refused:?}"
        );
        let refused = db
            .service
            .deny_nomination(&outsider, id, &DenyReason::parse("no").unwrap())
            .await;
        assert!(
            matches!(refused, Err(ServiceError::NotAuthorised { .. })),
            "{refused:?}"
        );
        let refused = db.service.show_site(&outsider, &site("1234567")).await;
        assert!(
            matches!(refused, Err(ServiceError::NotAuthorised { .. })),
            "{refused:?}"
        );
    }
    // Managers see their own site's requests, with the site named or not.
    let pending = db
        .service
        .list_nominations(&identity("telegram:2"), Some(&site("1234567")))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let all = db.service.list_nominations(&primary, None).await.unwrap();
    assert_eq!(all, pending);
    // Another site's primary sees none of them, and a user is refused.
    let elsewhere = db
        .service
        .list_nominations(&other_site, None)
        .await
        .unwrap();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
    let user = db
        .service
        .list_nominations(&identity("telegram:3"), None)
        .await;
    assert!(
        matches!(user, Err(ServiceError::NotAuthorised { .. })),
        "{user:?}"
    );
    db.service
        .show_site(&identity("telegram:2"), &site("1234567"))
        .await
        .unwrap();
}

async fn unknown_sites_and_nominations_are_refused(db: TestDb) {
    let refused = db
        .service
        .request_nomination(
            &identity("telegram:5"),
            &site("1234567"),
            &ibm("a@example.jp"),
        )
        .await;
    assert!(
        matches!(refused, Err(ServiceError::NoSuchSite { .. })),
        "{refused:?}"
    );
    let refused = db
        .service
        .approve_nomination(&operator(), NominationId(999), GrantRole::User)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::NoSuchNomination { .. })),
        "{refused:?}"
    );
    // Strangers do not learn which nominations exist.
    let refused = db
        .service
        .approve_nomination(&identity("telegram:5"), NominationId(999), GrantRole::User)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::NotAuthorised { .. })),
        "{refused:?}"
    );
}
