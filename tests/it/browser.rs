//! The web chat in a real browser: headless Chromium driven through WebDriver (fantoccini),
//! the chat served by the test on `127.0.0.1:0` on both databases. A customer asks in
//! Japanese, presses a "did you mean" choice and a feedback button; a customer completes the
//! first access with the site's passcode in a password field, which then is in no element of
//! the page and no table. Each test saves a screenshot under `target/screenshots/`.

mod desk;
mod desk_handoffs;
pub mod driver;

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::driver::{Browser, screenshot_path};
use crate::databases::{TestDb, made_site, on_both_databases};
use crate::web::server::WebChat;

on_both_databases!(
    a_customer_asks_in_japanese_and_presses_a_choice_and_feedback,
    a_customer_completes_the_first_access_with_the_passcode_hidden,
);

/// How long the page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// The web chat served on `db`, and a browser on its page.
async fn on_the_chat_page(db: &TestDb) -> (WebChat, Browser) {
    let chat = WebChat::start(db).await;
    let browser = Browser::open().await;
    browser
        .client
        .goto(&chat.url("/chat"))
        .await
        .expect("the page opens");
    (chat, browser)
}

/// Sends `text` from the chat's text box.
async fn say(browser: &Browser, text: &str) {
    let input = browser
        .client
        .find(Locator::Css("#text"))
        .await
        .expect("the text box");
    input.send_keys(text).await.expect("typed");
    browser
        .client
        .find(Locator::Css("#ask button"))
        .await
        .expect("the send button")
        .click()
        .await
        .expect("sent");
}

/// Waits for a bot line holding `text`.
async fn shown(browser: &Browser, text: &str) {
    let line = format!("//div[contains(@class, 'bot')]/p[contains(., '{text}')]");
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&line))
        .await
        .unwrap_or_else(|e| panic!("the page never showed {text:?}: {e}"));
}

/// Presses the live button whose label holds `label`.
async fn press(browser: &Browser, label: &str) {
    let button = format!("//div[@class='choices']//button[contains(., '{label}')]");
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&button))
        .await
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"))
        .click()
        .await
        .expect("pressed");
}

async fn a_customer_asks_in_japanese_and_presses_a_choice_and_feedback(db: TestDb) {
    let (_chat, browser) = on_the_chat_page(&db).await;
    shown(&browser, "パスポート・アドバンテージ").await;
    say(&browser, "アクセスできない").await;
    shown(&browser, "次のご質問のいずれかでしょうか").await;
    press(&browser, "誰でもアクセスできますか").await;
    shown(&browser, "この回答はお役に立ちましたか").await;
    press(&browser, "はい").await;
    shown(&browser, "ご回答ありがとうございました").await;
    let lang = browser
        .client
        .find(Locator::Css("html"))
        .await
        .expect("the document")
        .attr("lang")
        .await
        .expect("its language");
    assert_eq!(lang.as_deref(), Some("ja"));
    browser
        .screenshot("web_chat_did_you_mean_and_feedback")
        .await;
    browser.close().await;
    assert!(screenshot_path("web_chat_did_you_mean_and_feedback").is_file());
    // The choice was answered and the feedback recorded as helpful, from the web channel.
    let dump = db.dump().await;
    let answered = dump
        .lines()
        .find(|line| line.starts_with("answers: ") && line.contains("pao-access"))
        .unwrap_or_else(|| panic!("no answer recorded: {dump}"));
    assert!(answered.contains("web:"), "{answered}");
    assert!(
        answered.contains("|1|") || answered.contains(",1,"),
        "{answered}"
    );
}

async fn a_customer_completes_the_first_access_with_the_passcode_hidden(db: TestDb) {
    let passcode = made_site(&db, "1234567").await;
    let (_chat, browser) = on_the_chat_page(&db).await;
    say(&browser, "/passcode").await;
    shown(&browser, "7桁を入力してください").await;
    say(&browser, "1234567").await;
    shown(&browser, "IBM ID(メールアドレス)を入力してください").await;
    say(&browser, "taro@example.co.jp").await;
    // The passcode step: the text box becomes a password field.
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#text[type='password']"))
        .await
        .expect("the text box became a password field");
    shown(&browser, "認証画面で「テンポラリー・パスコード」を入力").await;
    say(&browser, &passcode).await;
    shown(&browser, "プライマリー・メンバーになりました").await;
    browser.screenshot("web_chat_first_access").await;
    let values = browser
        .client
        .execute(
            "return document.documentElement.outerHTML + document.body.innerText + \
             Array.from(document.querySelectorAll('input')).map(i => i.value).join('|');",
            Vec::new(),
        )
        .await
        .expect("the page read");
    let page = values.as_str().expect("text").to_owned();
    let reloaded = {
        browser.client.refresh().await.expect("reloaded");
        shown(&browser, "プライマリー・メンバーになりました").await;
        browser.client.source().await.expect("the page's source")
    };
    browser.close().await;
    assert!(page.contains("(パスコードを送信しました)"), "{page}");
    let bare = passcode.replace('-', "");
    for seen in [&page, &reloaded, &db.dump().await] {
        assert!(!seen.contains(&passcode) && !seen.contains(&bare), "{seen}");
    }
}
