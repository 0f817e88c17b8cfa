//! The web chat over HTTP, on `127.0.0.1:0` with the engine on a real database (both kinds):
//! a question answered with its buttons, the cookie that continues a conversation, the rate
//! limit and the size limit answered in the customer's language, the first-access procedure
//! with the passcode in no table and no page, a decision on a nomination shown when the page
//! next opens (however many messages wait for other browsers) or pushed to an open one by
//! server-sent events, and `pao-bot serve --web` with no platform.

pub mod client;
mod desk;
mod desk_guards;
mod desk_handoffs;
mod desk_insight;
mod desk_pages;
mod desk_site_pages;
pub mod events;
pub mod server;

use std::time::Duration;

use pao_bot::conversation::Response;
use pao_bot::domain::{ChatIdentity, SiteNumber, Timestamp};
use pao_bot::service::OutboxEvent;
use tokio::process::Command;

use crate::databases::{TestDb, made_site, on_both_databases};
use crate::support::faq_dir;
use crate::web::client::Client;
use crate::web::server::WebChat;

on_both_databases!(
    a_question_is_answered_with_its_buttons_and_the_security_headers,
    the_cookie_continues_the_conversation_after_a_reload,
    more_than_twenty_messages_a_minute_are_refused_per_browser_and_per_address,
    a_message_over_4096_characters_is_refused_and_not_shown,
    the_first_access_passcode_is_in_no_table_and_no_page,
    a_decision_on_a_nomination_is_on_the_page_when_it_next_opens,
    a_decision_is_on_the_page_behind_other_browsers_waiting_messages,
    a_decision_reaches_an_open_page_by_server_sent_events,
);

const JA: &str = "ja-JP,ja;q=0.9,en;q=0.8";
const EN: &str = "en-US,en;q=0.9";

async fn a_question_is_answered_with_its_buttons_and_the_security_headers(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    let page = browser.get("/chat").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html lang=\"ja\""), "{}", page.body);
    assert!(page.body.contains("PAO サポートチャット"));
    let cookie = page
        .header("set-cookie")
        .expect("a new browser gets a cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let policy = page.header("content-security-policy").expect("a policy");
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
    assert!(policy.contains("frame-ancestors"), "{policy}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(!page.body.contains("<script>"), "no inline script");

    let lines = browser.say("ログアウトの方法を教えてください").await;
    assert!(
        lines.contains("ブラウザの閉じるボタンで閉じていただくことで"),
        "{lines}"
    );
    assert!(lines.contains("この回答はお役に立ちましたか"), "{lines}");
    assert!(
        lines.contains("name=\"button\""),
        "feedback buttons: {lines}"
    );

    // Without the script: a plain form, answered by a redirect to the page.
    let posted = browser.post(&[("text", "アクセスできない")], false).await;
    assert_eq!(posted.status, 303);
    assert_eq!(posted.header("location"), Some("/chat"));
    let page = browser.get("/chat").await;
    assert!(
        page.body.contains("次のご質問のいずれかでしょうか"),
        "{}",
        page.body
    );

    let mut english = Client::new(chat.address, EN);
    let page = english.get("/chat").await;
    assert!(page.body.contains("<html lang=\"en\""));
    assert!(page.body.contains("PAO support chat"));

    // The widget's script, its labels filled in both languages; the page's own assets.
    let widget = browser.get("/widget.js").await;
    assert_eq!(widget.status, 200);
    assert!(
        widget
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript"))
    );
    assert!(
        widget.body.contains("サポートチャットを開く")
            && widget.body.contains("Open the support chat")
    );
    assert!(!widget.body.contains("/*LABELS*/"));
    for asset in ["/assets/chat.js", "/assets/chat.css"] {
        assert_eq!(browser.get(asset).await.status, 200, "{asset}");
    }
}

async fn the_cookie_continues_the_conversation_after_a_reload(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    browser.get("/chat").await;
    browser.say("ログアウトの方法を教えてください").await;
    let reloaded = browser.get("/chat").await;
    assert!(
        reloaded.header("set-cookie").is_none(),
        "the cookie is kept"
    );
    assert!(reloaded.body.contains("ログアウトの方法を教えてください"));
    assert!(reloaded.body.contains("ブラウザの閉じるボタン"));

    let mut stranger = Client::new(chat.address, JA);
    let other = stranger.get("/chat").await;
    assert!(!other.body.contains("ログアウトの方法を教えてください"));

    // The conversation goes on: the feedback button of the answer is pressed.
    let yes = reloaded
        .body
        .split("value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|payload| payload.starts_with("fb:") && payload.ends_with(":y"))
        .expect("a feedback button")
        .to_owned();
    let pressed = browser.post(&[("button", &yes)], true).await;
    let lines = pressed.json("html");
    assert!(
        lines
            .as_str()
            .is_some_and(|l| l.contains("ご回答ありがとうございました")),
        "{lines}"
    );
}

async fn more_than_twenty_messages_a_minute_are_refused_per_browser_and_per_address(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    for n in 0..20 {
        let lines = browser.say(&format!("質問 {n}")).await;
        assert!(
            !lines.contains("メッセージの送信が速すぎます"),
            "message {n}: {lines}"
        );
    }
    let lines = browser.say("ログアウトの方法を教えてください").await;
    assert!(
        lines.contains("メッセージの送信が速すぎます(毎分20件まで)"),
        "{lines}"
    );
    assert!(!lines.contains("ブラウザの閉じるボタン"), "{lines}");

    // A new cookie from the same address is refused too, in its own language.
    let mut again = Client::new(chat.address, EN);
    let lines = again.say("How do I log out?").await;
    assert!(
        lines.contains("You are sending messages too fast (20 a minute at most)"),
        "{lines}"
    );
}

async fn a_message_over_4096_characters_is_refused_and_not_shown(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    let long = "あ".repeat(4097);
    let lines = browser.say(&long).await;
    assert!(lines.contains("メッセージが長すぎるため"), "{lines}");
    let page = browser.get("/chat").await;
    assert!(!page.body.contains(&"あ".repeat(100)));
    let fits = browser.say(&"ログアウト".repeat(800)).await;
    assert!(!fits.contains("メッセージが長すぎるため"));
}

async fn the_first_access_passcode_is_in_no_table_and_no_page(db: TestDb) {
    let passcode = made_site(&db, "1234567").await;
    let chat = WebChat::start(&db).await;
    let mut browser = Client::new(chat.address, JA);
    browser.get("/chat").await;
    browser.say("/passcode").await;
    browser.say("1234567").await;
    let asked = browser.post(&[("text", "taro@example.co.jp")], true).await;
    assert_eq!(asked.json("passcode"), serde_json::json!(true));
    let page = browser.get("/chat").await;
    assert!(page.body.contains("type=\"password\""), "{}", page.body);

    let lines = browser.say(&passcode).await;
    assert!(
        lines.contains("プライマリー・メンバーになりました"),
        "{lines}"
    );
    assert!(lines.contains("(パスコードを送信しました)"), "{lines}");
    let page = browser.get("/chat").await;
    assert!(page.body.contains("type=\"text\""));
    let bare = passcode.replace('-', "");
    for shown in [&page.body, &lines, &db.dump().await] {
        assert!(
            !shown.contains(&passcode) && !shown.contains(&bare),
            "{shown}"
        );
    }
}

async fn a_decision_on_a_nomination_is_on_the_page_when_it_next_opens(db: TestDb) {
    let (chat, mut browser) = access_requested(&db).await;
    let operator = ChatIdentity::local_operator();

    let approved = approve_as_operator(&chat, &operator).await;
    assert!(
        approved.replies[0].text.contains("approved") || approved.replies[0].text.contains("承認")
    );
    let page = browser.get("/chat").await;
    assert!(
        page.body
            .contains("サイト 1234567 へのアクセスのリクエスト(番号 1)が承認されました"),
        "{}",
        page.body
    );
    // Delivered once: the next look finds nothing new in the outbox.
    let again = browser.get("/chat").await;
    assert_eq!(again.body.matches("が承認されました").count(), 1);
}

async fn a_decision_reaches_an_open_page_by_server_sent_events(db: TestDb) {
    let (chat, mut browser) = access_requested(&db).await;
    let operator = ChatIdentity::local_operator();
    // The page's event stream, open before the decision.
    let mut events = browser.events("/chat/events").await;
    assert!(events.seen().contains("text/event-stream"));

    approve_as_operator(&chat, &operator).await;
    events.wait_for("が承認されました").await;
    // Delivered once: the page, reloaded, shows it without taking it again.
    let page = browser.get("/chat").await;
    assert_eq!(page.body.matches("が承認されました").count(), 1);
}

/// The web chat, and a customer on its page who asked it for access to site 1234567: the
/// nomination request numbered 1.
async fn access_requested(db: &TestDb) -> (WebChat, Client) {
    made_site(db, "1234567").await;
    let chat = WebChat::start(db).await;
    let mut browser = Client::new(chat.address, JA);
    browser.get("/chat").await;
    for text in ["/nominate", "1234567", "jiro@example.co.jp"] {
        browser.say(text).await;
    }
    let sent = browser.say("はい").await;
    assert!(sent.contains("リクエスト(番号 1)を送信しました"), "{sent}");
    (chat, browser)
}

async fn a_decision_is_on_the_page_behind_other_browsers_waiting_messages(db: TestDb) {
    let (chat, mut browser) = access_requested(&db).await;
    let site = SiteNumber::parse("1234567").expect("a site number");
    // More than one read of the outbox holds, for browsers whose pages are not open.
    let locked = OutboxEvent::SiteLocked {
        site: site.clone(),
        failures: 5,
        until: Timestamp::from_millis(0),
    };
    let payload = serde_json::to_string(&locked).expect("an event serialises");
    let mut raw = db.raw().await;
    for n in 0..150 {
        sqlx::query(
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             VALUES (0, $1, 'web', 'site_locked', $2)",
        )
        .bind(format!("web:{n:032x}"))
        .bind(&payload)
        .execute(&mut raw)
        .await
        .expect("a message queued");
    }

    approve_as_operator(&chat, &ChatIdentity::local_operator()).await;
    let page = browser.get("/chat").await;
    assert!(page.body.contains("が承認されました"), "{}", page.body);
}

/// `/approve 1` from the local operator's console.
async fn approve_as_operator(chat: &WebChat, operator: &ChatIdentity) -> Response {
    chat.message(operator, "/approve 1", true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_only_the_web_address_serves_the_chat_without_a_platform_token() {
    let cwd = tempfile::TempDir::new().expect("a temporary folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let web = format!("127.0.0.1:{port}");
    let url = format!("sqlite://{}", cwd.path().join("pao-bot.db").display());
    let _serving = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
        .args(["--database-url", &url, "serve", "--web", &web, "--faq"])
        .arg(faq_dir())
        .current_dir(cwd.path())
        .env_remove("PAO_FAQ_DIR")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .env("PAO_METRICS_LISTEN", "127.0.0.1:0")
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let address = web.parse().expect("an address");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the web chat never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut browser = Client::new(address, EN);
    let page = browser.get("/chat").await;
    assert_eq!(page.status, 200);
    let lines = browser.say("How do I log out?").await;
    assert!(
        lines.contains("log out") || lines.contains("logout"),
        "{lines}"
    );
}
