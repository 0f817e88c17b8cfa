//! The lockout counts per person: failures of one chat identity lock that person out of that
//! site alone, so nobody can keep a site's contact out; everyone's failures together lock the
//! site past a higher ceiling and tell the help desk; checks of sites that do not exist count
//! against the person, so that site numbers cannot be listed by trying, and so do requests
//! for access to them.

use std::sync::Arc;
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::conversation::Engine;
use pao_bot::domain::{Channel, Passcode, Timestamp};
use pao_bot::policy::{LOCKOUT_FAILURES, SITE_LOCKOUT_FAILURES};
use pao_bot::service::{AccountService, Lockout, OutboxEvent, ServiceError};

use super::{first_access, ibm, identity, new_site, operator, site};
use crate::databases::{START, TestDb, on_both_databases, registered_agent};
use crate::support::faq_dir;

on_both_databases!(
    someone_elses_wrong_tries_do_not_keep_the_contact_out,
    failures_from_everyone_lock_the_site_and_tell_the_help_desk,
    checks_of_sites_that_do_not_exist_count_against_the_asker,
    requests_for_sites_that_do_not_exist_count_against_the_asker,
);

fn wrong() -> Passcode {
    Passcode::parse("WRONG22222").expect("a passcode")
}

/// A check by chat `chat` of site `number`.
async fn check(
    db: &TestDb,
    chat: &str,
    number: &str,
    passcode: &Passcode,
) -> Result<(), ServiceError> {
    let id = format!("{}@example.jp", chat.replace(':', "-"));
    first_access(db.service.as_ref(), chat, number, &id, passcode)
        .await
        .map(drop)
}

/// Asserts that refusal `n` of a run of [`LOCKOUT_FAILURES`] is what `last` accepts when it is
/// the last one, and what `before` accepts otherwise.
fn assert_nth_refusal<B, L>(n: u32, refused: &Result<(), ServiceError>, before: B, last: L)
where
    B: Fn(&ServiceError) -> bool,
    L: Fn(&ServiceError) -> bool,
{
    let error = refused.as_ref().expect_err("a refusal");
    let expected = match n < LOCKOUT_FAILURES {
        true => before(error),
        false => last(error),
    };
    assert!(expected, "refusal {n} of {LOCKOUT_FAILURES}: {error:?}");
}

async fn someone_elses_wrong_tries_do_not_keep_the_contact_out(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    for n in 1..=LOCKOUT_FAILURES {
        let refused = check(&db, "telegram:666", "1234567", &wrong()).await;
        let (before, last) = (
            |e: &ServiceError| matches!(e, ServiceError::WrongPasscode { .. }),
            |e: &ServiceError| matches!(e, ServiceError::Locked { .. }),
        );
        assert_nth_refusal(n, &refused, before, last);
    }
    // Locked out, even with the right passcode.
    let again = check(&db, "telegram:666", "1234567", &passcode).await;
    assert!(
        matches!(again, Err(ServiceError::Locked { .. })),
        "{again:?}"
    );

    check(&db, "telegram:1", "1234567", &passcode)
        .await
        .expect("the contact gets in");
}

async fn failures_from_everyone_lock_the_site_and_tell_the_help_desk(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    // Registered as `pao-bot chat --agent` does: the local operator is still told once.
    db.service
        .add_agent(&operator(), &operator())
        .await
        .unwrap();
    let passcode = new_site(&db, "1234567").await;
    let people = SITE_LOCKOUT_FAILURES / LOCKOUT_FAILURES;
    for person in 1..=people {
        for _ in 0..LOCKOUT_FAILURES {
            let refused = check(&db, &format!("telegram:{person}"), "1234567", &wrong()).await;
            assert!(refused.is_err());
        }
    }
    let until = Timestamp::from_millis(START).plus(Duration::from_secs(30 * 60));
    let view = db
        .service
        .show_site(&operator(), &site("1234567"))
        .await
        .unwrap();
    assert_eq!(view.lockout, Lockout::Locked { until });

    // Now nobody gets in, not even with the right passcode.
    let contact = check(&db, "telegram:1000", "1234567", &passcode).await;
    assert!(
        matches!(contact, Err(ServiceError::Locked { until: u, .. }) if u == until),
        "{contact:?}"
    );
    let told = OutboxEvent::SiteLocked {
        site: site("1234567"),
        failures: SITE_LOCKOUT_FAILURES,
        until,
    };
    for (channel, recipient) in [(Channel::Telegram, agent), (Channel::Console, operator())] {
        let messages = db.service.pending_messages(channel, 100).await.unwrap();
        let events: Vec<_> = messages
            .iter()
            .filter(|message| message.recipient == recipient)
            .map(|message| &message.event)
            .collect();
        assert_eq!(events, vec![&told], "{recipient}");
    }
    // What the agent reads: the site, until when (Japan time), and how to lift the lock.
    let engine = Engine::new(
        Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads")),
        db.service.clone(),
        db.service.database().clone(),
        db.clock.clone(),
    );
    let message = &db
        .service
        .pending_messages(Channel::Telegram, 100)
        .await
        .unwrap()[0];
    let notice = engine.outbox_reply(message).await.text;
    for part in [
        "サイト 1234567",
        "2025-04-01 09:30 JST",
        "25回",
        "/unlock 1234567",
    ] {
        assert!(notice.contains(part), "{notice}");
    }

    // Lifted by the help desk, after which the contact gets in.
    db.service
        .unlock(&operator(), &site("1234567"))
        .await
        .unwrap();
    check(&db, "telegram:1000", "1234567", &passcode)
        .await
        .expect("the contact gets in once the lock is lifted");
}

async fn checks_of_sites_that_do_not_exist_count_against_the_asker(db: TestDb) {
    let passcode = new_site(&db, "1234567").await;
    for n in 1..=LOCKOUT_FAILURES {
        let number = format!("765432{n}");
        let refused = check(&db, "telegram:666", &number, &wrong()).await;
        let (before, last) = (
            |e: &ServiceError| matches!(e, ServiceError::NoSuchSite { .. }),
            |e: &ServiceError| matches!(e, ServiceError::Locked { .. }),
        );
        assert_nth_refusal(n, &refused, before, last);
    }
    // Locked out of every site: an existing one answers as a missing one does.
    for number in ["7654329", "1234567"] {
        let refused = check(&db, "telegram:666", number, &wrong()).await;
        assert!(
            matches!(refused, Err(ServiceError::Locked { .. })),
            "{refused:?}"
        );
    }
    // Someone else is not.
    let other = check(&db, "telegram:2", "7654329", &wrong()).await;
    assert!(
        matches!(other, Err(ServiceError::NoSuchSite { .. })),
        "{other:?}"
    );

    db.clock.advance(Duration::from_secs(30 * 60 + 1));
    let later = check(&db, "telegram:666", "7654329", &wrong()).await;
    assert!(
        matches!(later, Err(ServiceError::NoSuchSite { .. })),
        "{later:?}"
    );
    check(&db, "telegram:1", "1234567", &passcode)
        .await
        .expect("the contact gets in");
}

/// A request by chat `chat` for access to site `number`.
async fn request(db: &TestDb, chat: &str, number: &str) -> Result<(), ServiceError> {
    db.service
        .request_nomination(
            &identity(chat),
            &site(number),
            &ibm(&format!("{}@example.jp", chat.replace(':', "-"))),
        )
        .await
        .map(|_| ())
}

/// Requesting access is no way round the limit: requests for sites that do not exist count
/// with checks of them, and once the asker is locked out, an existing site is refused as a
/// missing one is, until the lockout ends.
async fn requests_for_sites_that_do_not_exist_count_against_the_asker(db: TestDb) {
    new_site(&db, "1234567").await;
    check(&db, "telegram:666", "7654320", &wrong())
        .await
        .expect_err("no such site");
    for n in 2..=LOCKOUT_FAILURES {
        let refused = request(&db, "telegram:666", &format!("765432{n}")).await;
        let (before, last) = (
            |e: &ServiceError| matches!(e, ServiceError::NoSuchSite { .. }),
            |e: &ServiceError| matches!(e, ServiceError::TooManyUnknownSites { .. }),
        );
        assert_nth_refusal(n, &refused, before, last);
    }
    let until = Timestamp::from_millis(START).plus(Duration::from_secs(30 * 60));
    for number in ["7654329", "1234567"] {
        let refused = request(&db, "telegram:666", number).await;
        assert!(
            matches!(refused, Err(ServiceError::TooManyUnknownSites { until: u }) if u == until),
            "{refused:?}"
        );
    }
    request(&db, "telegram:2", "1234567")
        .await
        .expect("someone else is not locked out");

    db.clock.advance(Duration::from_secs(30 * 60 + 1));
    request(&db, "telegram:666", "1234567")
        .await
        .expect("the lockout ends by itself");
}
