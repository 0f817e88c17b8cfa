//! The handoff inbox in a real browser, on both databases, with `serve` running the web and
//! Telegram: a web-chat customer asks for a person; an agent signs in, opens the inbox, takes
//! the ticket and replies; the customer's page shows the reply, and the customer's next
//! message appears on the agent's open ticket page without a reload (the desk's event
//! stream). Screenshots under `target/screenshots/`, at a desk's and a phone's width.

use fantoccini::Locator;

use crate::browser::desk::{PATIENCE, Serving, click, shown};
use crate::browser::driver::screenshot_path;
use crate::databases::{TestDb, on_both_databases, registered_agent};

on_both_databases!(an_agent_takes_a_ticket_replies_and_sees_the_next_message_live);

async fn an_agent_takes_a_ticket_replies_and_sees_the_next_message_live(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    let mut customer = serving.customer("ja-JP,ja;q=0.9");
    customer.get("/chat").await;
    customer.say("請求書の宛名を変更したい").await;
    let queued = customer.say("人と話したい").await;
    assert!(queued.contains("受付番号 #1"), "{queued}");

    let browser = serving.signed_in(&db, &agent, (1100, 820)).await;
    click(&browser, "nav a[href='/desk/handoffs']").await;
    shown(&browser, "請求書の宛名を変更したい").await;
    browser.screenshot("desk_handoffs_inbox").await;

    click(&browser, "#ticket-1 button.take").await;
    shown(&browser, "対応中").await;
    let reply = browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("form.reply textarea"))
        .await
        .expect("the reply box");
    reply
        .send_keys("ご連絡ありがとうございます。宛名の変更を承ります。")
        .await
        .expect("typed");
    click(&browser, "form.reply button").await;
    shown(&browser, "#1 のお客様に送信しました").await;
    let page = customer.get("/chat").await;
    assert!(
        page.body
            .contains("ヘルプデスク: ご連絡ありがとうございます。宛名の変更を承ります。"),
        "{}",
        page.body
    );

    // The page's event stream is open; a mark on the page shows it is not reloaded.
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("html[data-live-stream='open']"))
        .await
        .expect("the desk's event stream opened");
    browser
        .client
        .execute("document.body.dataset.mark = 'kept';", Vec::new())
        .await
        .expect("the page marked");
    customer.say("新しい宛名は株式会社サンプルです").await;
    let line = "//section[@id='transcript']//li[contains(@class, 'customer')]\
                [contains(., '新しい宛名は株式会社サンプルです')]";
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(line))
        .await
        .expect("the customer's message on the open page");
    let kept = browser
        .client
        .execute("return document.body.dataset.mark || '';", Vec::new())
        .await
        .expect("the mark read");
    assert_eq!(kept, serde_json::json!("kept"), "the page was not reloaded");
    browser
        .client
        .set_window_size(1100, 1250)
        .await
        .expect("a desktop's window, tall enough for the whole ticket");
    browser.screenshot("desk_handoffs").await;
    browser
        .client
        .set_window_size(420, 900)
        .await
        .expect("a phone's window");
    browser
        .client
        .execute(
            "document.querySelector('#transcript li:last-child').scrollIntoView();",
            Vec::new(),
        )
        .await
        .expect("scrolled to the customer's message");
    browser.screenshot("desk_handoffs_phone").await;
    browser.close().await;
    for name in [
        "desk_handoffs_inbox",
        "desk_handoffs",
        "desk_handoffs_phone",
    ] {
        assert!(screenshot_path(name).is_file(), "{name}");
    }
}
