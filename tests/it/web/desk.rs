//! The help desk's page over HTTP, on both databases: an agent's `/web` link signs them in
//! once (a used link is refused with a page saying so), the session cookie's attributes, the
//! desk refused (403) without a session, after sign-out and after a working day; a stale
//! link, a non-agent and a group chat refused; `pao-bot admin web-login` printing a link.

use std::time::Duration;

use pao_bot::domain::ChatIdentity;
use pao_bot::service::WebSignIn;
use secrecy::ExposeSecret;

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::support::pao_bot;
use crate::web::client::Client;
use crate::web::server::WebChat;

on_both_databases!(
    an_agent_signs_in_once_by_the_link_of_web_and_out_again,
    stale_links_non_agents_groups_and_old_sessions_are_refused,
);

const JA: &str = "ja-JP,ja;q=0.9";

/// The form token in a desk page.
pub fn token_in(page: &str) -> String {
    let (_, after) = page
        .split_once("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no form token: {page}"));
    after.split('"').next().expect("the token's end").to_owned()
}

/// A browser signed in to the desk as `agent`, with its form token.
pub async fn signed_in(chat: &WebChat, db: &TestDb, agent: &ChatIdentity) -> (Client, String) {
    let link = db.service.web_link(agent, agent).await.expect("a link");
    let mut browser = Client::new(chat.address, JA);
    let answer = browser
        .post_to("/desk/login", &[("secret", link.secret.expose_secret())])
        .await;
    assert_eq!(answer.status, 303, "{answer:?}");
    let page = browser.get("/desk").await;
    assert_eq!(page.status, 200, "{page:?}");
    let token = token_in(&page.body);
    (browser, token)
}

/// The secret of the sign-in link in `text`.
fn secret_in(text: &str) -> String {
    let (_, after) = text.split_once("/desk/login/").expect("a sign-in link");
    after.chars().take_while(char::is_ascii_hexdigit).collect()
}

async fn an_agent_signs_in_once_by_the_link_of_web_and_out_again(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    let refused = browser.get("/desk").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("ヘルプ・デスクの担当者専用です"),
        "{}",
        refused.body
    );

    let response = chat.message(&agent, "/web", true).await;
    let reply = &response.replies[0];
    assert!(reply.private);
    assert!(
        reply
            .text
            .contains(&format!("http://{}/desk/login/", chat.address)),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("10分間有効"), "{}", reply.text);
    let secret = secret_in(&reply.text);
    assert_eq!(secret.len(), 64);

    // Opening the link (as a chat app's preview does) does not use it.
    let confirm = browser.get(&format!("/desk/login/{secret}")).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm.body.contains("action=\"/desk/login\""),
        "{}",
        confirm.body
    );
    let signed_in = browser.post_to("/desk/login", &[("secret", &secret)]).await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    assert_eq!(signed_in.header("location"), Some("/desk"));
    let cookie = signed_in.header("set-cookie").expect("a session cookie");
    for attribute in [
        "pao_desk=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/desk",
        "Max-Age=32400",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let session = browser.cookie.clone().expect("the cookie kept");
    let page = browser.get("/desk").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("telegram:900 としてサインインしています"),
        "{}",
        page.body
    );

    let mut other = Client::new(chat.address, JA);
    let again = other.post_to("/desk/login", &[("secret", &secret)]).await;
    assert_eq!(again.status, 410);
    assert!(
        again.body.contains("使用済みか、期限切れです"),
        "{}",
        again.body
    );

    let dump = db.dump().await;
    let session_secret = session.trim_start_matches("pao_desk=");
    assert!(
        !dump.contains(&secret) && !dump.contains(session_secret),
        "{dump}"
    );
    assert!(dump.contains("web_link"), "the link is audited: {dump}");

    let token = token_in(&page.body);
    let out = browser.post_to("/desk/sign-out", &[("csrf", &token)]).await;
    assert_eq!(out.status, 200);
    assert!(out.body.contains("サインアウトしました"));
    let mut returning = Client::new(chat.address, JA);
    returning.cookie = Some(session);
    assert_eq!(returning.get("/desk").await.status, 403);
}

async fn stale_links_non_agents_groups_and_old_sessions_are_refused(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let chat = WebChat::start(&db).await;

    let customer = ChatIdentity::parse("telegram:100").expect("an identity");
    let refused = chat.message(&customer, "/web", true).await;
    assert!(
        refused.replies[0].text.contains("ヘルプデスク担当者のみ"),
        "{:?}",
        refused
    );
    assert!(!refused.replies[0].text.contains("/desk/login/"));
    let group = chat.message(&agent, "/web", false).await;
    assert!(
        group.replies[0].text.contains("個別チャットでのみ"),
        "{:?}",
        group
    );
    assert!(db.service.web_link(&customer, &customer).await.is_err());
    assert!(db.service.web_link(&agent, &customer).await.is_err());
    // An agent's link is theirs alone to ask for.
    let colleague = registered_agent(&db, "telegram:901").await;
    assert!(db.service.web_link(&agent, &colleague).await.is_err());

    let stale = db.service.web_link(&agent, &agent).await.expect("a link");
    db.clock.advance(Duration::from_secs(10 * 60 + 1));
    let mut browser = Client::new(chat.address, JA);
    let answer = browser
        .post_to("/desk/login", &[("secret", stale.secret.expose_secret())])
        .await;
    assert_eq!(answer.status, 410);

    // A session ends after a working day.
    let fresh = db.service.web_link(&agent, &agent).await.expect("a link");
    let signed_in = browser
        .post_to("/desk/login", &[("secret", fresh.secret.expose_secret())])
        .await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(browser.get("/desk").await.status, 200);
    db.clock.advance(Duration::from_secs(9 * 60 * 60));
    assert_eq!(browser.get("/desk").await.status, 403);

    // The operator's command prints a link for a registered agent, and refuses anyone else.
    let printed = pao_bot(&[
        "--database-url",
        &db.url,
        "admin",
        "web-login",
        "telegram:900",
        "--url",
        &format!("http://{}", chat.address),
    ]);
    assert_eq!(printed.code, Some(0), "{}", printed.stderr);
    assert!(
        printed.stdout.contains("telegram:900"),
        "{}",
        printed.stdout
    );
    let secret = secret_in(&printed.stdout);
    let mut operator = Client::new(chat.address, JA);
    let used = operator
        .post_to("/desk/login", &[("secret", &secret)])
        .await;
    assert_eq!(used.status, 303);
    let not_agent = pao_bot(&[
        "--database-url",
        &db.url,
        "admin",
        "web-login",
        "telegram:100",
    ]);
    assert_ne!(not_agent.code, Some(0));
    assert!(!not_agent.stdout.contains("/desk/login/"));
}
