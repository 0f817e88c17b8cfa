//! Temporary passcodes: first access, the lockout, and reissuing.

use std::time::Duration;

use pao_bot::domain::{Channel, GrantRole, Passcode, Role, Timestamp};
use pao_bot::service::{
    AccountService, Lockout, OutboxEvent, PasscodeAccepted, PersonLockout, ServiceError,
};

use super::{first_access, ibm, identity, new_site, operator, requested, site, site_with_primary};
use crate::databases::{START, TestDb, on_both_databases, registered_agent};

on_both_databases!(
    first_access_makes_the_contact_primary_and_uses_the_passcode_up,
    wrong_passcodes_count_down_to_a_lockout_that_ends_by_itself,
    failures_older_than_thirty_minutes_do_not_count,
    an_agent_lifts_a_lockout_and_a_stranger_cannot,
    a_reissued_passcode_replaces_the_old_one_and_hands_over_primary,
    only_agents_and_the_primary_reissue,
    eight_checks_at_once_with_the_right_passcode_accept_one,
);

fn wrong() -> Passcode {
    Passcode::parse("WRONG22222").expect("a passcode")
}

async fn first_access_makes_the_contact_primary_and_uses_the_passcode_up(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert!(view.passcode_outstanding);
    assert!(view.members.is_empty());

    let accepted = first_access(
        db.service.as_ref(),
        "telegram:1",
        "1234567",
        " Taro@Example.JP ",
        &passcode,
    )
    .await
    .unwrap();
    assert_eq!(accepted.ibm_id, ibm("taro@example.jp"));

    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert!(!view.passcode_outstanding);
    assert_eq!(view.members.len(), 1);
    assert_eq!(view.members[0].ibm_id, ibm("taro@example.jp"));
    assert_eq!(view.members[0].role, Role::Primary);

    let again = first_access(
        db.service.as_ref(),
        "telegram:2",
        "1234567",
        "jiro@example.jp",
        &passcode,
    )
    .await;
    assert!(
        matches!(again, Err(ServiceError::NoPasscode { .. })),
        "{again:?}"
    );
}

/// A check of `passcode` by Taro (`telegram:1`, taro@example.jp) on site 1234567.
async fn taro_checks(db: &TestDb, passcode: &Passcode) -> Result<PasscodeAccepted, ServiceError> {
    first_access(
        db.service.as_ref(),
        "telegram:1",
        "1234567",
        "taro@example.jp",
        passcode,
    )
    .await
}

async fn wrong_passcodes_count_down_to_a_lockout_that_ends_by_itself(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    let number = site("1234567");
    for expected in [4, 3, 2, 1] {
        match taro_checks(&db, &wrong()).await {
            Err(ServiceError::WrongPasscode { tries_left, .. }) => assert_eq!(tries_left, expected),
            other => panic!("expected a wrong passcode, got {other:?}"),
        }
        db.clock.advance(Duration::from_secs(60));
    }
    let until = Timestamp::from_millis(START).plus(Duration::from_secs(4 * 60 + 30 * 60));
    let fifth = taro_checks(&db, &wrong()).await;
    assert!(
        matches!(fifth, Err(ServiceError::Locked { until: u, .. }) if u == until),
        "{fifth:?}"
    );

    // The sixth check within 30 minutes is refused even with the right passcode.
    db.clock.advance(Duration::from_secs(29 * 60));
    let sixth = taro_checks(&db, &passcode).await;
    assert!(
        matches!(sixth, Err(ServiceError::Locked { until: u, .. }) if u == until),
        "{sixth:?}"
    );
    assert!(sixth.unwrap_err().to_string().contains(&until.to_string()));
    let view = db.service.show_site(&operator(), &number).await.unwrap();
    assert!(matches!(view.lockout, Lockout::Open { .. }), "{view:?}");
    let locked_out = PersonLockout {
        person: "telegram:1".to_owned(),
        until,
    };
    assert_eq!(view.locked_out, vec![locked_out]);

    // It ends by itself after 30 minutes.
    db.clock.advance(Duration::from_secs(60));
    taro_checks(&db, &passcode).await.unwrap();
    let view = db.service.show_site(&operator(), &number).await.unwrap();
    assert_eq!(view.members[0].role, Role::Primary);
}

async fn failures_older_than_thirty_minutes_do_not_count(db: TestDb) {
    new_site(&db, "1234567").await;
    let number = site("1234567");
    for _ in 0..4 {
        let refused = taro_checks(&db, &wrong()).await;
        assert!(matches!(refused, Err(ServiceError::WrongPasscode { .. })));
    }
    db.clock.advance(Duration::from_secs(31 * 60));
    let view = db.service.show_site(&operator(), &number).await.unwrap();
    assert_eq!(view.lockout, Lockout::Open { recent_failures: 0 });
    let refused = taro_checks(&db, &wrong()).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::WrongPasscode { tries_left: 4, .. })
        ),
        "{refused:?}"
    );
}

async fn lock(db: &TestDb, number: &str) {
    for _ in 0..5 {
        let refused = first_access(
            db.service.as_ref(),
            "telegram:1",
            number,
            "taro@example.jp",
            &wrong(),
        )
        .await;
        assert!(refused.is_err());
    }
}

async fn an_agent_lifts_a_lockout_and_a_stranger_cannot(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    lock(&db, "1234567").await;
    let stranger = db
        .service
        .unlock(&identity("discord:666"), &site("1234567"))
        .await;
    assert!(
        matches!(stranger, Err(ServiceError::NotAuthorised { .. })),
        "{stranger:?}"
    );

    let agent = registered_agent(&db, "telegram:900").await;
    db.service.unlock(&agent, &site("1234567")).await.unwrap();
    let view = db
        .service
        .show_site(&agent, &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.lockout, Lockout::Open { recent_failures: 0 });
    taro_checks(&db, &passcode).await.unwrap();
}

async fn a_reissued_passcode_replaces_the_old_one_and_hands_over_primary(db: TestDb) {
    let first = new_site(&db, "1234567").await;
    lock(&db, "1234567").await;
    let second = db
        .service
        .reissue_passcode(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());

    // The reissue lifted the lockout; the old passcode no longer works.
    let old = taro_checks(&db, &first).await;
    assert!(
        matches!(old, Err(ServiceError::WrongPasscode { tries_left: 4, .. })),
        "{old:?}"
    );
    taro_checks(&db, &second).await.unwrap();

    // A passcode reissued after first access makes its user primary; the old primary stays.
    let third = db
        .service
        .reissue_passcode(&operator(), &site("1234567"))
        .await
        .unwrap();
    first_access(
        db.service.as_ref(),
        "telegram:2",
        "1234567",
        "hanako@example.jp",
        &third,
    )
    .await
    .unwrap();
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    let roles: Vec<_> = view
        .members
        .iter()
        .map(|m| (m.ibm_id.to_string(), m.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("hanako@example.jp".to_owned(), Role::Primary),
            ("taro@example.jp".to_owned(), Role::User)
        ]
    );

    // The former primary is told, and the change is audited.
    let told = db
        .service
        .pending_messages(Channel::Telegram, 10)
        .await
        .unwrap();
    let notices: Vec<_> = told
        .iter()
        .filter(|m| matches!(m.event, OutboxEvent::PrimaryChanged { .. }))
        .collect();
    assert_eq!(notices.len(), 1, "{told:?}");
    assert_eq!(notices[0].recipient, identity("telegram:1"));
    assert_eq!(
        notices[0].event,
        OutboxEvent::PrimaryChanged {
            site: site("1234567"),
            former: ibm("taro@example.jp"),
            primary: ibm("hanako@example.jp"),
        }
    );
    let audit = db.service.audit_log(&operator(), None).await.unwrap();
    let changes: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "primary_change")
        .collect();
    assert_eq!(changes.len(), 1, "{audit:?}");
    assert_eq!(changes[0].actor, "telegram:2");
    assert_eq!(changes[0].ibm_id.as_deref(), Some("taro@example.jp"));
}

async fn only_agents_and_the_primary_reissue(db: TestDb) {
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    let nomination = requested(&db, "telegram:2", "1234567", "jiro@example.jp").await;
    db.service
        .approve_nomination(&operator(), nomination, GrantRole::Secondary)
        .await
        .unwrap();
    let secondary = db
        .service
        .reissue_passcode(&identity("telegram:2"), &site("1234567"))
        .await;
    assert!(
        matches!(secondary, Err(ServiceError::NotAuthorised { .. })),
        "{secondary:?}"
    );
    db.service
        .reissue_passcode(&identity("telegram:1"), &site("1234567"))
        .await
        .unwrap();
}

/// Eight checks with the right passcode at once, as a contact pressing send repeatedly: one is
/// accepted, the others are told the passcode was used, and none is told of a lock there is not.
async fn eight_checks_at_once_with_the_right_passcode_accept_one(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    let checks = (0..8).map(|_| {
        let (service, passcode) = (db.service.clone(), passcode.clone());
        tokio::spawn(async move {
            first_access(
                service.as_ref(),
                "telegram:1",
                "1234567",
                "taro@example.jp",
                &passcode,
            )
            .await
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(checks.collect::<Vec<_>>())
        .await
        .into_iter()
        .map(|joined| joined.expect("the check ends"))
        .collect();

    let accepted = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(accepted, 1, "{outcomes:?}");
    for outcome in outcomes.iter().filter(|outcome| outcome.is_err()) {
        assert!(
            matches!(outcome, Err(ServiceError::NoPasscode { .. })),
            "{outcome:?}"
        );
    }
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.lockout, Lockout::Open { recent_failures: 0 });
    assert_eq!(view.members.len(), 1);
}
