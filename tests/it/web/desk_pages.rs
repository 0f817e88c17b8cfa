//! The desk's pages over HTTP, on both databases, for a signed-in agent: the pending
//! nominations a page at a time, approved and denied by one form each as `/approve` and
//! `/deny` do (the requester told through the outbox, the agent audited as the actor); a
//! site's members, lockout and pending requests, unlocked, its passcode reissued and shown on
//! that response only; the audit log newest first, filtered and paged; the language switch.

use pao_bot::domain::{Channel, ChatIdentity, IbmId, Passcode, Program, SiteNumber};
use pao_bot::service::{AccountService, FirstAccess, OutboxEvent};

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::web::desk::signed_in;
use crate::web::server::WebChat;

on_both_databases!(
    nominations_are_listed_by_page_and_decided_as_in_chat,
    a_site_is_shown_unlocked_and_its_passcode_reissued_once,
    the_audit_log_is_filtered_and_paged_newest_first,
    the_language_switch_holds_on_every_desk_page,
);

fn site() -> SiteNumber {
    SiteNumber::parse("1234567").expect("a site number")
}

/// A site, and `count` pending requests for it from Telegram customers 100, 101, ...
async fn with_requests(db: &TestDb, count: usize) -> Passcode {
    let passcode = db
        .service
        .add_site(&ChatIdentity::local_operator(), &site(), Program::Pa)
        .await
        .expect("the site is made");
    for n in 0..count {
        let customer = ChatIdentity::parse(&format!("telegram:{}", 100 + n)).expect("an id");
        let ibm_id = IbmId::parse(&format!("user{n}@example.co.jp")).expect("an IBM ID");
        db.service
            .request_nomination(&customer, &site(), &ibm_id)
            .await
            .expect("the request is recorded");
    }
    passcode
}

async fn nominations_are_listed_by_page_and_decided_as_in_chat(db: TestDb) {
    with_requests(&db, 60).await;
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, token) = signed_in(&chat, &db, &agent).await;

    let first = browser.get("/desk/nominations").await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body.matches("<tr id=\"nomination-").count(), 50);
    assert!(first.body.contains("user0@example.co.jp") && first.body.contains("telegram:100"));
    assert!(
        first.body.contains("href=\"/desk/nominations?after=50\""),
        "{}",
        first.body
    );
    let second = browser.get("/desk/nominations?after=50").await;
    assert_eq!(second.body.matches("<tr id=\"nomination-").count(), 10);
    assert!(second.body.contains("nomination-60") && !second.body.contains("after="));

    let approved = browser
        .post_to(
            "/desk/nominations/1/approve",
            &[("csrf", &token), ("role", "user")],
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert!(
        approved
            .body
            .contains("リクエスト 1(サイト 1234567、user0@example.co.jp)を承認しました"),
        "{}",
        approved.body
    );
    assert!(
        !approved.body.contains("nomination-1\""),
        "no longer pending"
    );
    let secondary = browser
        .post_to(
            "/desk/nominations/2/approve",
            &[("csrf", &token), ("role", "secondary")],
        )
        .await;
    assert!(
        secondary.body.contains("セカンダリー"),
        "{}",
        secondary.body
    );
    let no_reason = browser
        .post_to(
            "/desk/nominations/3/deny",
            &[("csrf", &token), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    let denied = browser
        .post_to(
            "/desk/nominations/3/deny",
            &[("csrf", &token), ("reason", "not a customer")],
        )
        .await;
    assert_eq!(denied.status, 200, "{denied:?}");
    assert!(
        denied
            .body
            .contains("リクエスト 3(サイト 1234567、user2@example.co.jp)を否認しました")
    );
    let again = browser
        .post_to(
            "/desk/nominations/1/deny",
            &[("csrf", &token), ("reason", "twice")],
        )
        .await;
    assert_eq!(again.status, 409, "{again:?}");

    // The requesters are told on their platform, as after /approve and /deny.
    let queued = db
        .service
        .pending_messages(Channel::Telegram, 10)
        .await
        .expect("the outbox is read");
    let told: Vec<_> = queued
        .iter()
        .map(|message| (message.recipient.to_string(), &message.event))
        .collect();
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(
        matches!(told[0], (ref who, OutboxEvent::NominationApproved { .. }) if who == "telegram:100")
    );
    assert!(
        matches!(told[1], (ref who, OutboxEvent::NominationApproved { .. }) if who == "telegram:101")
    );
    assert!(
        matches!(told[2], (ref who, OutboxEvent::NominationDenied { reason, .. }) if who == "telegram:102" && reason.as_str() == "not a customer")
    );
    let log = db
        .service
        .audit_log(&agent, Some(&site()))
        .await
        .expect("the audit log");
    let decisions: Vec<_> = log
        .iter()
        .filter(|row| row.actor == "telegram:900" && row.outcome == "ok")
        .map(|row| row.action.as_str())
        .filter(|action| action.starts_with("nomination_"))
        .collect();
    assert_eq!(
        decisions,
        [
            "nomination_approve",
            "nomination_approve",
            "nomination_deny"
        ]
    );
}

async fn a_site_is_shown_unlocked_and_its_passcode_reissued_once(db: TestDb) {
    let old = with_requests(&db, 1).await;
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, token) = signed_in(&chat, &db, &agent).await;

    let found = browser.get("/desk/sites?number=1234567").await;
    assert_eq!(found.status, 303);
    assert_eq!(found.header("location"), Some("/desk/sites/1234567"));
    assert_eq!(browser.get("/desk/sites?number=12").await.status, 400);
    let unknown = browser.get("/desk/sites/7654321").await;
    assert_eq!(unknown.status, 404, "{unknown:?}");

    let page = browser.get("/desk/sites/1234567").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("サイト 1234567(PA)"), "{}", page.body);
    assert!(page.body.contains("テンポラリー・パスコード: 未使用"));
    assert!(page.body.contains("ロック: なし"));
    assert!(
        page.body.contains("user0@example.co.jp"),
        "its pending request"
    );

    let unlocked = browser
        .post_to("/desk/sites/1234567/unlock", &[("csrf", &token)])
        .await;
    assert_eq!(unlocked.status, 200);
    assert!(
        unlocked
            .body
            .contains("サイト 1234567 のロックを解除しました")
    );

    let reissued = browser
        .post_to("/desk/sites/1234567/reissue", &[("csrf", &token)])
        .await;
    assert_eq!(reissued.status, 200, "{reissued:?}");
    assert_eq!(reissued.header("cache-control"), Some("no-store"));
    let (_, after) = reissued
        .body
        .split_once("新しいテンポラリー・パスコード: ")
        .unwrap_or_else(|| panic!("no passcode shown: {}", reissued.body));
    let shown: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let passcode = Passcode::parse(&shown).expect("a passcode shown");
    assert_ne!(passcode.expose_secret(), old.expose_secret());
    // Shown on that response only: the site's page and the database do not hold it.
    let later = browser.get("/desk/sites/1234567").await;
    let dump = db.dump().await;
    for seen in [&later.body, &dump] {
        assert!(
            !seen.contains(passcode.expose_secret()) && !seen.contains(&shown),
            "{seen}"
        );
    }
    let contact = ChatIdentity::parse("telegram:300").expect("an id");
    let ibm_id = IbmId::parse("taro@example.co.jp").expect("an IBM ID");
    let access = FirstAccess {
        site: &site(),
        ibm_id: &ibm_id,
        passcode: &passcode,
    };
    db.service
        .check_passcode(&contact, access)
        .await
        .expect("the reissued passcode is the site's");

    let log = db
        .service
        .audit_log(&agent, Some(&site()))
        .await
        .expect("the log");
    for action in ["site_show", "unlock", "passcode_reissue"] {
        assert!(
            log.iter().any(|row| row.actor == "telegram:900"
                && row.action == action
                && row.outcome == "ok"),
            "{action}: {log:?}"
        );
    }
}

async fn the_audit_log_is_filtered_and_paged_newest_first(db: TestDb) {
    with_requests(&db, 2).await;
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, token) = signed_in(&chat, &db, &agent).await;
    browser
        .post_to("/desk/sites/1234567/unlock", &[("csrf", &token)])
        .await;
    for _ in 0..110 {
        db.service.audit_log(&agent, None).await.expect("the log");
    }

    let by_action = browser.get("/desk/audit?action=unlock").await;
    assert_eq!(by_action.status, 200, "{by_action:?}");
    assert_eq!(
        by_action.body.matches("<tr id=\"audit-").count(),
        1,
        "{}",
        by_action.body
    );
    assert!(by_action.body.contains("<td>unlock</td>"));

    let by_person = browser
        .get("/desk/audit?person=user1%40example.co.jp")
        .await;
    assert_eq!(
        by_person.body.matches("<tr id=\"audit-").count(),
        1,
        "{}",
        by_person.body
    );
    assert!(by_person.body.contains("telegram:101"));
    let by_actor = browser
        .get("/desk/audit?person=telegram%3A100&site=1234567")
        .await;
    assert_eq!(by_actor.body.matches("<tr id=\"audit-").count(), 1);

    // The test's clock reads 2025-04-01 09:00 JST.
    let today = browser
        .get("/desk/audit?action=unlock&since=2025-04-01&until=2025-04-01")
        .await;
    assert_eq!(today.body.matches("<tr id=\"audit-").count(), 1);
    let tomorrow = browser
        .get("/desk/audit?action=unlock&since=2025-04-02")
        .await;
    assert_eq!(tomorrow.body.matches("<tr id=\"audit-").count(), 0);
    assert!(tomorrow.body.contains("条件に合う記録はありません"));
    let yesterday = browser.get("/desk/audit?until=2025-03-31").await;
    assert_eq!(yesterday.body.matches("<tr id=\"audit-").count(), 0);
    assert_eq!(browser.get("/desk/audit?site=abc").await.status, 400);
    assert_eq!(browser.get("/desk/audit?action=nothing").await.status, 400);

    let first = browser.get("/desk/audit").await;
    let ids = ids_in(&first.body);
    assert_eq!(ids.len(), 100);
    assert!(
        ids.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {ids:?}"
    );
    let next = format!("/desk/audit?before={}", ids[99]);
    assert!(
        first.body.contains(&format!("href=\"{next}\"")),
        "{}",
        first.body
    );
    let second = browser.get(&next).await;
    let older = ids_in(&second.body);
    assert!(!older.is_empty() && older[0] < ids[99], "{older:?}");
}

/// The audit rows' numbers on a page, in its order.
fn ids_in(page: &str) -> Vec<i64> {
    page.split("<tr id=\"audit-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

async fn the_language_switch_holds_on_every_desk_page(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, _) = signed_in(&chat, &db, &agent).await;
    let session = browser.cookie.clone().expect("the session's cookie");
    let home = browser.get("/desk").await;
    assert!(
        home.body.contains("href=\"/desk/language/en\""),
        "{}",
        home.body
    );

    let switched = browser.get("/desk/language/en").await;
    assert_eq!(switched.status, 303, "{switched:?}");
    assert_eq!(switched.header("location"), Some("/desk"));
    let cookie = switched.header("set-cookie").expect("the choice kept");
    assert!(
        cookie.starts_with("pao_desk_lang=en;") && cookie.contains("Path=/desk"),
        "{cookie}"
    );
    // The client keeps one cookie; a browser keeps both.
    browser.cookie = Some(format!("{session}; pao_desk_lang=en"));
    let page = browser.get("/desk/nominations").await;
    assert!(page.body.contains("<html lang=\"en\""), "{}", page.body);
    assert!(
        page.body.contains("No requests are waiting."),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/desk/language/ja\""));
}
