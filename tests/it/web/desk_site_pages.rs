//! A site's page over HTTP, on both databases, for a site of 250 members and 105 pending
//! requests: its members and its pending nominations a hundred at a time, each list with a
//! link to its next page by the members' order (primary, secondary, users; by IBM ID) and by
//! the nominations' numbers, and a place in the list that cannot be read refused.

use crate::databases::{START, TestDb, on_both_databases, registered_agent};
use crate::service::new_site;
use crate::web::desk::signed_in;
use crate::web::server::WebChat;

on_both_databases!(a_sites_members_and_requests_are_shown_a_hundred_at_a_time,);

/// The members of site 1234567: a primary, three secondary members and 246 users, written
/// straight to the table; and 105 pending requests.
async fn a_big_site(db: &TestDb) {
    new_site(db, "1234567").await;
    let mut raw = db.raw().await;
    let members = std::iter::once(("primary", "boss@example.co.jp".to_owned()))
        .chain((0..3).map(|n| ("secondary", format!("second{n}@example.co.jp"))))
        .chain((0..246).map(|n| ("user", format!("user+{n:03}@example.co.jp"))));
    for (n, (role, ibm_id)) in members.enumerate() {
        sqlx::query(
            "INSERT INTO members (site_number, ibm_id, role, chat_identity, added_at, added_by) \
             VALUES ('1234567', $1, $2, $3, $4, 'operator:local')",
        )
        .bind(&ibm_id)
        .bind(role)
        .bind(format!("telegram:{}", 5000 + n))
        .bind(START)
        .execute(&mut raw)
        .await
        .expect("a member");
    }
    for n in 0..105 {
        sqlx::query(
            "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at) \
             VALUES ('1234567', $1, $2, $3)",
        )
        .bind(format!("asker{n:03}@example.co.jp"))
        .bind(format!("telegram:{}", 8000 + n))
        .bind(START)
        .execute(&mut raw)
        .await
        .expect("a pending request");
    }
}

/// The IBM IDs in the members' table of `body`, in order.
fn members(body: &str) -> Vec<&str> {
    let table = body.split("</table>").next().expect("the members' table");
    table
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| row.split("</td>").next())
        .collect()
}

/// The nominations' numbers on `body`.
fn requests(body: &str) -> Vec<&str> {
    body.split("<tr id=\"nomination-")
        .skip(1)
        .filter_map(|row| row.split('"').next())
        .collect()
}

/// The link of the navigation `class` of `body`, whose text is `text`.
fn link<'a>(body: &'a str, class: &str, text: &str) -> Option<&'a str> {
    let (_, nav) = body.split_once(&format!("<nav class=\"pages {class}\">"))?;
    let nav = nav.split("</nav>").next()?;
    nav.split("<a href=\"")
        .skip(1)
        .find(|a| a.contains(&format!(">{text}<")))
        .and_then(|a| a.split('"').next())
}

async fn a_sites_members_and_requests_are_shown_a_hundred_at_a_time(db: TestDb) {
    a_big_site(&db).await;
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut browser, _) = signed_in(&chat, &db, &agent).await;
    let session = browser.cookie.clone().expect("the session's cookie");
    browser.cookie = Some(format!("{session}; pao_desk_lang=en"));

    // The members by role, then IBM ID, a hundred a page, to the last.
    let mut shown = Vec::new();
    let mut path = "/desk/sites/1234567".to_owned();
    let mut pages = 0;
    loop {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "{page:?}");
        pages += 1;
        let on_page = members(&page.body);
        assert!(on_page.len() <= 100, "{}", on_page.len());
        shown.extend(on_page.into_iter().map(str::to_owned));
        let Some(next) = link(&page.body, "members", "Next page") else {
            break;
        };
        path = next.to_owned();
    }
    assert_eq!(pages, 3);
    let mut expected = vec!["boss@example.co.jp".to_owned()];
    expected.extend((0..3).map(|n| format!("second{n}@example.co.jp")));
    expected.extend((0..246).map(|n| format!("user+{n:03}@example.co.jp")));
    assert_eq!(shown, expected);

    // The pending requests by number, a hundred on the first page, five on the next.
    let first = browser.get("/desk/sites/1234567").await;
    let numbers = requests(&first.body);
    assert_eq!(numbers.len(), 100, "{}", first.body);
    let next = link(&first.body, "pending", "Next page").expect("a next page of requests");
    assert_eq!(next, format!("/desk/sites/1234567?pending={}", numbers[99]));
    let second = browser.get(next).await;
    let rest = requests(&second.body);
    assert_eq!(rest.len(), 5, "{}", second.body);
    assert!(rest[0].parse::<i64>().unwrap() > numbers[99].parse::<i64>().unwrap());
    assert_eq!(link(&second.body, "pending", "Next page"), None);
    assert_eq!(
        link(&second.body, "pending", "First page"),
        Some("/desk/sites/1234567")
    );

    // A place in the list that is not one is refused.
    let bad = browser.get("/desk/sites/1234567?members=owner:x").await;
    assert_eq!(bad.status, 400, "{bad:?}");
}
