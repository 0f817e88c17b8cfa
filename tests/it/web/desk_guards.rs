//! The desk's guards, route by route over [`DeskRoute::ALL`] (the list the router is built
//! from, so that a new route is walked too), on both databases: every route refused (403)
//! without a session and with the session of someone no longer an agent; every form posted
//! without its token, or with another session's, refused (403) with nothing changed.

use pao_bot::channels::web::DeskRoute;
use pao_bot::domain::ChatIdentity;
use pao_bot::service::AccountService;

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::web::client::{Answer, Client};
use crate::web::desk::signed_in;
use crate::web::server::WebChat;

on_both_databases!(
    every_desk_route_is_refused_without_an_agents_session,
    every_desk_form_without_its_token_is_refused_and_changes_nothing,
);

const JA: &str = "ja-JP,ja;q=0.9";

/// What the refusal page says to someone not signed in as an agent.
const FORBIDDEN: &str = "ヘルプ・デスクの担当者専用です";

/// What the refusal page says of a form without its token.
const NO_TOKEN: &str = "このフォームは受け付けられませんでした";

/// `route`'s path with a value in each varying part.
fn path_of(route: DeskRoute) -> String {
    route
        .path()
        .replace("{id}", "1")
        .replace("{number}", "1234567")
        .replace("{lang}", "en")
}

/// `route` requested by `browser`, a form posted with `fields`.
async fn request(browser: &mut Client, route: DeskRoute, fields: &[(&str, &str)]) -> Answer {
    let path = path_of(route);
    match route.method() {
        "GET" => browser.get(&path).await,
        _ => browser.post_to(&path, fields).await,
    }
}

async fn every_desk_route_is_refused_without_an_agents_session(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let former = registered_agent(&db, "telegram:901").await;
    let (mut former_browser, former_token) = signed_in(&chat, &db, &former).await;
    db.service
        .remove_agent(&ChatIdentity::local_operator(), &former)
        .await
        .expect("the agent is removed");
    let mut stranger = Client::new(chat.address, JA);
    for route in DeskRoute::ALL {
        for (who, browser) in [
            ("no session", &mut stranger),
            ("a former agent", &mut former_browser),
        ] {
            let answer = request(browser, route, &[("csrf", &former_token)]).await;
            assert_eq!(answer.status, 403, "{route:?} for {who}: {answer:?}");
            assert!(
                answer.body.contains(FORBIDDEN),
                "{route:?} for {who}: {}",
                answer.body
            );
            assert_eq!(
                answer.header("cache-control"),
                Some("no-store"),
                "{route:?}"
            );
        }
    }
}

async fn every_desk_form_without_its_token_is_refused_and_changes_nothing(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let colleague = registered_agent(&db, "telegram:902").await;
    let (mut browser, token) = signed_in(&chat, &db, &agent).await;
    let (_, colleagues_token) = signed_in(&chat, &db, &colleague).await;
    assert_ne!(token, colleagues_token);
    let before = db.dump().await;
    let posts = DeskRoute::ALL
        .into_iter()
        .filter(|route| route.method() == "POST");
    for route in posts {
        for fields in [
            vec![],
            vec![("csrf", "")],
            vec![("csrf", colleagues_token.as_str())],
            vec![("csrf", &token[..token.len() - 1])],
        ] {
            let mut fields = fields;
            fields.extend([("role", "user"), ("reason", "not a customer")]);
            let answer = request(&mut browser, route, &fields).await;
            assert_eq!(answer.status, 403, "{route:?} with {fields:?}: {answer:?}");
            assert!(answer.body.contains(NO_TOKEN), "{route:?}: {}", answer.body);
        }
    }
    assert_eq!(db.dump().await, before, "a refused form changed nothing");
    // The session still works: its own token is taken.
    let page = browser.get("/desk").await;
    assert_eq!(page.status, 200);
    let out = browser.post_to("/desk/sign-out", &[("csrf", &token)]).await;
    assert_eq!(out.status, 200, "{out:?}");
}
