//! The desk's insight page over HTTP, on both databases: questions customers ask in the web
//! chat, some unanswered (grouped by wording, counted, with the closest FAQ entry) and some
//! answered with feedback (the entry's answers and its "helped" and "did not help" rates), the
//! deflection figure, the chart as inline SVG, and the period's filter.

use std::time::Duration;

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::web::client::Client;
use crate::web::desk::signed_in;
use crate::web::server::WebChat;

on_both_databases!(the_insight_page_groups_unanswered_questions_and_rates_entries,);

const EN: &str = "en-US,en;q=0.9";

/// The payload of the feedback button of `lines` that answers `yes` or not.
fn feedback(lines: &str, yes: bool) -> String {
    let end = if yes { ":y" } else { ":n" };
    lines
        .split("value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|payload| payload.starts_with("fb:") && payload.ends_with(end))
        .unwrap_or_else(|| panic!("a feedback button: {lines}"))
        .to_owned()
}

async fn the_insight_page_groups_unanswered_questions_and_rates_entries(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let mut customer = Client::new(chat.address, EN);
    customer.get("/chat").await;
    for question in [
        "how do I knit a scarf",
        "how can I knit a scarf",
        "how do I knit a scarf",
        "who do I call about PAO invoices",
    ] {
        customer.say(question).await;
    }
    for helped in [true, false] {
        let lines = customer.say("How do I log out?").await;
        let pressed = customer
            .post(&[("button", &feedback(&lines, helped))], true)
            .await;
        assert_eq!(pressed.status, 200, "{pressed:?}");
    }

    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, _) = signed_in(&chat, &db, &agent).await;
    // The language switch's cookie beside the session's, as a browser keeps both.
    let session = browser.cookie.clone().expect("the session's cookie");
    browser.cookie = Some(format!("{session}; pao_desk_lang=en"));
    let page = browser.get("/desk/insight").await;
    assert_eq!(page.status, 200, "{page:?}");
    let body = &page.body;
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // The scarf group: three questions in two wordings, none close in the FAQ.
    let groups: Vec<&str> = body.split("<tr class=\"group\">").skip(1).collect();
    assert_eq!(groups.len(), 2, "{body}");
    let scarf = groups[0];
    assert!(scarf.contains("<td class=\"count\">3</td>"), "{scarf}");
    assert!(
        scarf.contains("how do I knit a scarf") && scarf.contains("how can I knit a scarf"),
        "{scarf}"
    );
    assert!(scarf.contains("None close"), "{scarf}");
    let invoices = groups[1];
    assert!(
        invoices.contains("<td class=\"count\">1</td>"),
        "{invoices}"
    );
    assert!(
        invoices.contains("<span class=\"entry\">pao-features</span>"),
        "the closest entry: {invoices}"
    );

    // The logout entry: answered twice, helped once, did not help once.
    let (_, logout) = body
        .split_once("<tr id=\"entry-logout\">")
        .unwrap_or_else(|| panic!("the logout entry: {body}"));
    let logout = logout.split("</tr>").next().expect("its row");
    assert!(
        logout.contains(
            "<td class=\"count\">2</td><td class=\"count\">50%</td><td class=\"count\">50%</td>"
        ),
        "{logout}"
    );
    assert!(
        body.contains("Deflection 33%: 2 of 6 questions answered by the FAQ"),
        "{body}"
    );

    // The chart: today's bar, of the six questions, drawn by the server.
    assert!(body.contains("<svg class=\"chart\""), "{body}");
    assert!(
        body.contains("Answered 2, Unanswered 4, Handed off 0"),
        "{body}"
    );
    assert!(!body.contains("<script"), "no script: {body}");

    // Eight days later the last week holds none of it, the last 30 days all of it.
    // (The session of a working day has ended by then: the agent signs in again.)
    db.clock.advance(Duration::from_secs(8 * 24 * 60 * 60));
    let (mut browser, _) = signed_in(&chat, &db, &agent).await;
    let session = browser.cookie.clone().expect("the session's cookie");
    browser.cookie = Some(format!("{session}; pao_desk_lang=en"));
    let week = browser.get("/desk/insight?days=7").await;
    assert_eq!(week.status, 200);
    assert!(
        week.body
            .contains("No question went unanswered in this period")
            && week.body.contains("Deflection 0%: 0 of 0 questions")
            && !week.body.contains("entry-logout"),
        "{}",
        week.body
    );
    let month = browser.get("/desk/insight?days=30").await;
    assert!(
        month.body.contains("how can I knit a scarf"),
        "{}",
        month.body
    );
    assert!(
        month
            .body
            .contains("href=\"/desk/insight?days=30\" aria-current=\"page\""),
        "{}",
        month.body
    );
    let odd = browser.get("/desk/insight?days=5").await;
    assert_eq!(odd.status, 400, "{odd:?}");

    // In Japanese too.
    browser.cookie = Some(format!("{session}; pao_desk_lang=ja"));
    let japanese = browser.get("/desk/insight").await;
    assert!(
        japanese.body.contains("自己解決率 33%"),
        "{}",
        japanese.body
    );
}
