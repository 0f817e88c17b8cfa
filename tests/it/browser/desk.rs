//! The help desk's pages in a real browser, on both databases, with `serve` running the web
//! and Telegram (against the fake Telegram): an agent signs in by a link, a form stripped of
//! its token is refused and changes nothing, then a nomination is approved with one click and
//! the requester gets the decision on Telegram, and the site's page shows the new member; a
//! non-agent and a stale link are refused; the insight page shows a group of unanswered
//! questions asked in the web chat.
//! Screenshots under `target/screenshots/`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::Locator;
use pao_bot::answer::Answerer;
use pao_bot::config::{HelpDeskSettings, Settings, TelegramSettings, WebSettings};
use pao_bot::conversation::Engine;
use pao_bot::domain::{ChatIdentity, IbmId, Program, SiteNumber};
use pao_bot::service::{AccountService, DeskViews, WebSignIn};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use crate::browser::driver::{Browser, screenshot_path};
use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::support::faq_dir;
use crate::telegram::fake::{self as telegram_fake, FakeTelegram};
use crate::web::client::Client;

on_both_databases!(
    an_agent_approves_a_nomination_and_the_requester_hears_on_telegram,
    a_non_agent_and_a_stale_link_are_refused,
    the_insight_page_shows_a_group_of_unanswered_questions,
);

/// How long the page may take to show what a test waits for.
pub(super) const PATIENCE: Duration = Duration::from_secs(15);

/// The Telegram customer who asks for access.
const REQUESTER: i64 = 100;

/// `serve` with the web on a free loopback port and Telegram against its fake.
pub(super) struct Serving {
    telegram: FakeTelegram,
    address: SocketAddr,
    pub(super) base: String,
    shutdown: CancellationToken,
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Serving {
    pub(super) async fn start(db: &TestDb) -> Serving {
        let telegram = FakeTelegram::start().await;
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let settings = Settings {
            telegram: Some(TelegramSettings {
                token: SecretString::from(telegram_fake::TOKEN),
                api_url: Some(telegram.url()),
                webhook: None,
            }),
            discord: None,
            help_desk: HelpDeskSettings::default(),
            metrics: Default::default(),
            web: Some(WebSettings::on(address)),
            outbox_lease: pao_bot::policy::OUTBOX_LEASE,
        };
        let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
        let database = db.service.database().clone();
        let engine = Engine::new(bot, db.service.clone(), database, db.clock.clone());
        let shutdown = CancellationToken::new();
        tokio::spawn(pao_bot::serve::serve(
            Arc::new(engine),
            settings,
            shutdown.clone(),
        ));
        telegram.wait_for_arrivals("getUpdates", 1).await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the web never listened"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Serving {
            telegram,
            address,
            base: format!("http://{address}"),
            shutdown,
        }
    }

    /// A web-chat customer whose browser asks for `accept_language`.
    pub(super) fn customer(&self, accept_language: &'static str) -> Client {
        Client::new(self.address, accept_language)
    }

    /// A browser window of `size` signed in to the desk as `agent` by a link of theirs, on
    /// the desk's first page.
    pub(super) async fn signed_in(
        &self,
        db: &TestDb,
        agent: &ChatIdentity,
        (width, height): (u32, u32),
    ) -> Browser {
        let link = db.service.web_link(agent, agent).await.expect("a link");
        let browser = Browser::open().await;
        browser
            .client
            .set_window_size(width, height)
            .await
            .expect("a desktop's window");
        let url = format!("{}/desk/login/{}", self.base, link.secret.expose_secret());
        browser.client.goto(&url).await.expect("the link opens");
        click(&browser, "main form button").await;
        let signed_in = format!("{agent} としてサインインしています");
        shown(&browser, &signed_in).await;
        browser
    }
}

/// Waits for an element holding `text`.
pub(super) async fn shown(browser: &Browser, text: &str) {
    let found = format!("//*[contains(., '{text}')]");
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&found))
        .await
        .unwrap_or_else(|e| panic!("the page never showed {text:?}: {e}"));
}

pub(super) async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{css} not clicked: {e}"));
}

/// A site, and a request for it from the Telegram customer.
async fn requested(db: &TestDb) {
    let site = SiteNumber::parse("1234567").expect("a site number");
    db.service
        .add_site(&ChatIdentity::local_operator(), &site, Program::Pa)
        .await
        .expect("the site is made");
    let customer = ChatIdentity::parse(&format!("telegram:{REQUESTER}")).expect("an id");
    let ibm_id = IbmId::parse("jiro@example.co.jp").expect("an IBM ID");
    db.service
        .request_nomination(&customer, &site, &ibm_id)
        .await
        .expect("the request is recorded");
}

async fn an_agent_approves_a_nomination_and_the_requester_hears_on_telegram(db: TestDb) {
    requested(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    let browser = serving.signed_in(&db, &agent, (1100, 720)).await;
    click(&browser, "nav a[href='/desk/nominations']").await;
    shown(&browser, "jiro@example.co.jp").await;
    browser.screenshot("desk_nominations").await;

    // A form without its token, as another site's page would post it, is refused.
    browser
        .client
        .execute(
            "document.querySelectorAll('#nomination-1 input[name=csrf]').forEach(i => i.remove());",
            Vec::new(),
        )
        .await
        .expect("the token removed");
    click(&browser, "#nomination-1 button.approve").await;
    shown(&browser, "このフォームは受け付けられませんでした").await;
    browser.screenshot("desk_form_without_token").await;
    let still = db
        .service
        .pending_page(&agent, None, 10)
        .await
        .expect("the pending list");
    assert_eq!(still.items.len(), 1, "nothing was decided");

    browser.client.back().await.expect("back to the list");
    browser
        .client
        .refresh()
        .await
        .expect("the list again, with its tokens");
    click(&browser, "#nomination-1 button.approve").await;
    shown(&browser, "を承認しました").await;
    browser.screenshot("desk_nomination_approved").await;
    // The site's page from the box in the title bar: the new member, at a desk and on a phone.
    let number = browser
        .client
        .find(Locator::Css("header input[name=number]"))
        .await
        .expect("the site box");
    number.send_keys("1234567").await.expect("typed");
    click(&browser, "header form.find button").await;
    shown(&browser, "サイト 1234567(PA)").await;
    shown(&browser, "jiro@example.co.jp").await;
    browser.screenshot("desk_site").await;
    browser
        .client
        .set_window_size(420, 780)
        .await
        .expect("a phone's window");
    browser.screenshot("desk_site_phone").await;
    browser.close().await;
    for name in ["desk_nomination_approved", "desk_site", "desk_site_phone"] {
        assert!(screenshot_path(name).is_file(), "{name}");
    }

    let told = serving
        .telegram
        .wait_for("the decision sent to the requester", |calls| {
            calls
                .iter()
                .find(|c| c.is("sendMessage") && c.chat() == Some(REQUESTER))
                .map(|c| c.text().to_owned())
        })
        .await;
    assert!(told.contains("承認されました"), "{told}");
}

async fn a_non_agent_and_a_stale_link_are_refused(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    let stale = db.service.web_link(&agent, &agent).await.expect("a link");
    db.clock.advance(Duration::from_secs(10 * 60 + 1));
    let browser = Browser::open().await;
    browser
        .client
        .goto(&format!("{}/desk/nominations", serving.base))
        .await
        .expect("the page opens");
    shown(&browser, "ヘルプ・デスクの担当者専用です").await;
    browser.screenshot("desk_refused_without_session").await;
    let url = format!(
        "{}/desk/login/{}",
        serving.base,
        stale.secret.expose_secret()
    );
    browser.client.goto(&url).await.expect("the link opens");
    click(&browser, "main form button").await;
    shown(&browser, "使用済みか、期限切れです").await;
    browser.screenshot("desk_stale_link").await;
    browser
        .client
        .goto(&format!("{}/desk", serving.base))
        .await
        .expect("the desk opens");
    shown(&browser, "ヘルプ・デスクの担当者専用です").await;
    browser.close().await;
}

async fn the_insight_page_shows_a_group_of_unanswered_questions(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    let mut customer = serving.customer("en-US,en;q=0.9");
    customer.get("/chat").await;
    for question in [
        "how do I knit a scarf",
        "how can I knit a scarf",
        "how do I knit a scarf",
    ] {
        customer.say(question).await;
    }

    let browser = serving.signed_in(&db, &agent, (1100, 900)).await;
    click(&browser, "nav a[href='/desk/insight']").await;
    shown(&browser, "how can I knit a scarf").await;
    let group = browser
        .client
        .find(Locator::Css("tr.group td.count"))
        .await
        .expect("a group");
    assert_eq!(group.text().await.expect("its count"), "3");
    browser
        .client
        .find(Locator::Css("svg.chart rect"))
        .await
        .expect("today's bar in the chart");
    browser.screenshot("desk_insight").await;
    browser
        .client
        .set_window_size(420, 900)
        .await
        .expect("a phone's window");
    browser.screenshot("desk_insight_phone").await;
    browser.close().await;
    for name in ["desk_insight", "desk_insight_phone"] {
        assert!(screenshot_path(name).is_file(), "{name}");
    }
}
