//! The Telegram channel end to end: the program's own teloxide stack
//! (`pao_bot::channels::telegram`) talks to a Bot API server of the test's own on 127.0.0.1
//! ([`fake`]), with the engine on a fresh SQLite database, and the tests assert on the calls
//! the bot made. Nothing sleeps: each test waits for the calls it expects, with a deadline.
//!
//! Throttling is off where a test sends several messages a second to one chat (Telegram's
//! 1 a second per chat would only slow it down); the tests that run [`telegram::run`], the
//! program's entry point, have it on.

pub mod fake;
mod outbox;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::channels::telegram::{self, CallError, Options, TelegramError};
use pao_bot::config::{TelegramSettings, Webhook};
use pao_bot::conversation::Engine;
use pao_bot::domain::{ChatIdentity, GrantRole, IbmId, Program, SiteNumber};
use pao_bot::lang::Lang;
use pao_bot::matcher::Decision;
use pao_bot::service::{AccountService, Nomination, NominationStatus};
use secrecy::SecretString;
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::databases::{self, Backend, TestDb};
use crate::support::{bot, faq_dir, first_line_of_answer};
use fake::{Call, Failure, FakeTelegram, PATIENCE, Person, TOKEN};

/// The customer, whose Telegram is in Japanese.
fn taro() -> Person {
    Person::new(100, "Taro", Some("ja"))
}

/// A customer whose Telegram is in English.
fn alice() -> Person {
    Person::new(200, "Alice", Some("en-GB"))
}

/// A help-desk agent.
fn agent() -> Person {
    Person::new(900, "Hanako", Some("ja"))
}

const SITE: &str = "1234567";

/// The bot running against its own fake Telegram, on a test database.
struct Running {
    fake: FakeTelegram,
    db: TestDb,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), TelegramError>>,
}

fn settings(fake: &FakeTelegram) -> TelegramSettings {
    TelegramSettings {
        token: SecretString::from(TOKEN),
        api_url: Some(fake.url()),
        webhook: None,
    }
}

fn engine(db: &TestDb) -> Arc<Engine> {
    let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
    Arc::new(Engine::new(
        bot,
        db.service.clone(),
        db.service.database().clone(),
        db.clock.clone(),
    ))
}

/// No throttling, and the outbox delivered every 100 ms rather than 2 s.
fn quick() -> Options {
    Options {
        throttle: false,
        outbox_every: Duration::from_millis(100),
        ..Options::default()
    }
}

impl Running {
    /// Starts the channel with `options` (`None`: [`telegram::run`] itself) and waits until
    /// it polls.
    async fn start(db: TestDb, options: Option<Options>) -> Running {
        let fake = FakeTelegram::start().await;
        Running::start_on(fake, db, options).await
    }

    /// [`Running::start`] on a server the test prepared.
    async fn start_on(fake: FakeTelegram, db: TestDb, options: Option<Options>) -> Running {
        let shutdown = CancellationToken::new();
        let (engine, settings) = (engine(&db), settings(&fake));
        let task = match options {
            Some(options) => tokio::spawn(telegram::run_with(
                engine,
                settings,
                options,
                shutdown.clone(),
            )),
            None => tokio::spawn(telegram::run(engine, settings, shutdown.clone())),
        };
        Running {
            fake,
            db,
            shutdown,
            task,
        }
        .ready()
        .await
    }

    /// Once it asks for updates (or sets its webhook), the bot is listening.
    async fn ready(self) -> Running {
        self.fake
            .wait_for_arrivals_of(&["getUpdates", "setWebhook"], 1)
            .await;
        self
    }

    /// Cancels the shutdown token and waits for the channel to end, which must be cleanly.
    async fn stop(self) -> (FakeTelegram, TestDb) {
        self.shutdown.cancel();
        let ended = tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the channel stops in time")
            .expect("the channel does not panic");
        if let Err(error) = ended {
            panic!("the channel stopped with an error: {error}");
        }
        (self.fake, self.db)
    }

    /// Every nomination, as the operator sees them.
    async fn nominations(&self) -> Vec<Nomination> {
        self.db
            .service
            .list_nominations(&ChatIdentity::local_operator(), None)
            .await
            .expect("nominations listed")
    }

    /// Adds the site and returns its passcode.
    async fn add_site(&self) -> String {
        let site = SiteNumber::parse(SITE).expect("a site number");
        self.db
            .service
            .add_site(&ChatIdentity::local_operator(), &site, Program::Pa)
            .await
            .expect("the site is added")
            .expose_secret()
            .to_owned()
    }

    async fn add_agent(&self, person: &Person) {
        let identity = identity(person);
        self.db
            .service
            .add_agent(&ChatIdentity::local_operator(), &identity)
            .await
            .expect("the agent is added");
    }

    /// Sends `text` from `person` in their private chat and waits for the bot's next message
    /// there, which it returns.
    async fn ask(&self, person: &Person, text: &str) -> Call {
        let before = self.fake.sent_to(person.id).len();
        self.fake.say(person, text);
        self.next_message(person.id, before).await
    }

    /// Presses `label` under `message` as `person` and waits for the bot's next message in
    /// their private chat.
    async fn press(&self, person: &Person, message: &Call, label: &str) -> Call {
        let before = self.fake.sent_to(person.id).len();
        self.fake.press(person, message, label);
        self.next_message(person.id, before).await
    }

    async fn next_message(&self, chat: i64, before: usize) -> Call {
        let sent = self.fake.wait_for_messages(chat, before + 1).await;
        sent[before].clone()
    }
}

fn identity(person: &Person) -> ChatIdentity {
    ChatIdentity::parse(&format!("telegram:{}", person.id)).expect("a Telegram identity")
}

fn sqlite<F, Fut>(test: F) -> impl Future<Output = ()>
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    databases::run(Backend::Sqlite, test)
}

/// Asserts that `call` is a message in HTML holding every one of `expected`.
#[track_caller]
fn assert_says(call: &Call, expected: &[&str]) {
    assert_eq!(call.params["parse_mode"], "HTML", "{}", call.params);
    for text in expected {
        assert!(call.text().contains(text), "no {text:?} in {}", call.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faq_answers_come_in_each_language_with_their_buttons() {
    sqlite(|db| async move {
        let running = Running::start(db, None).await;

        let answer = running.ask(&taro(), "パスワードを忘れました").await;
        assert_says(
            &answer,
            &[
                &first_line_of_answer("forgot-password", Lang::Ja),
                "<a href=\"https://www.ibm.com/account/profile/jp?page=reghelpdesk\">\
                 各国のIBMご登録ヘルプ・デスク</a>",
                "この回答はお役に立ちましたか？",
            ],
        );
        assert_eq!(answer.labels(), ["はい", "いいえ"]);
        assert_eq!(answer.params["link_preview_options"]["is_disabled"], true);

        let answer = running.ask(&alice(), "How do I log out of PAO?").await;
        assert_says(
            &answer,
            &[
                "Closing the browser with its close button logs you out.",
                "Did this help?",
            ],
        );
        assert_eq!(answer.labels(), ["Yes", "No"]);

        // The buttons work: the press is answered, the message shows the choice and loses
        // its buttons, and the bot replies.
        let thanks = running.press(&alice(), &answer, "Yes").await;
        assert!(thanks.text().contains("Thank you"), "{}", thanks.text());
        let calls = running.fake.calls();
        assert!(
            calls.iter().any(|c| c.is("answerCallbackQuery") && c.ok()),
            "the press is answered"
        );
        let edit = calls
            .iter()
            .find(|c| c.is("editMessageText"))
            .expect("the pressed message is edited");
        assert!(edit.ok(), "{edit:?}");
        assert_eq!(edit.params["message_id"].as_i64(), answer.message_id());
        assert!(edit.text().contains("Did this help?"), "{}", edit.text());
        assert!(edit.text().ends_with("<i>» Yes</i>"), "{}", edit.text());
        assert!(edit.buttons().is_empty(), "{:?}", edit.buttons());

        let (fake, _) = running.stop().await;
        // The last call confirms the updates handled, so that a restart does not see them
        // again.
        let last = fake.calls().pop().expect("calls");
        assert!(last.is("getUpdates"), "{last:?}");
        assert_eq!(last.params["timeout"], 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_menu_is_set_in_japanese_and_english() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        let menus = running.fake.calls_of("setMyCommands");
        assert_eq!(menus.len(), 2, "{menus:?}");
        assert!(menus.iter().all(Call::ok), "{menus:?}");
        let commands = |call: &Call| -> Vec<(String, String)> {
            call.params["commands"]
                .as_array()
                .expect("commands")
                .iter()
                .map(|c| {
                    let field = |name: &str| c[name].as_str().unwrap_or_default().to_owned();
                    (field("command"), field("description"))
                })
                .collect()
        };
        let english = menus
            .iter()
            .find(|c| c.params.get("language_code").is_none())
            .expect("a default (English) menu");
        let japanese = menus
            .iter()
            .find(|c| c.params["language_code"] == "ja")
            .expect("a Japanese menu");
        for command in ["faq", "passcode", "nominate", "lang", "cancel", "help"] {
            let find = |menu: &[(String, String)]| {
                menu.iter()
                    .find(|(name, _)| name == command)
                    .map(|(_, description)| description.clone())
                    .unwrap_or_else(|| panic!("/{command} is not in {menu:?}"))
            };
            assert!(find(&commands(english)).is_ascii(), "/{command} in English");
            assert!(
                find(&commands(japanese))
                    .chars()
                    .any(pao_bot::lang::is_japanese),
                "/{command} in Japanese"
            );
        }
        // The agents' commands are not offered to customers.
        assert!(!commands(english).iter().any(|(name, _)| name == "approve"));
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_did_you_mean_button_pressed_gives_that_answer() {
    let (vague, offered, lang) = ["英語", "ID", "サイト", "ユーザー", "画面"]
        .into_iter()
        .find_map(|q| {
            let answer = bot().ask(q, Lang::Ja);
            match answer.decision {
                Decision::DidYouMean(offered) if offered.len() > 1 => {
                    Some((q, offered, answer.lang))
                }
                _ => None,
            }
        })
        .expect("one of these lone words makes the bot hesitate");
    let entries = bot().knowledge().entries();
    let questions: Vec<String> = offered
        .iter()
        .map(|&i| entries[i].question.get(lang).trim().to_owned())
        .collect();
    let chosen = &entries[offered[1]];
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        let choices = running.ask(&taro(), vague).await;
        assert_eq!(choices.labels(), questions);

        let answer = running.press(&taro(), &choices, &questions[1]).await;
        assert_says(&answer, &[&first_line_of_answer(chosen.id.as_str(), lang)]);
        let edit = running
            .fake
            .wait_for("the choices edited", |calls| {
                calls.iter().find(|c| c.is("editMessageText")).cloned()
            })
            .await;
        assert!(edit.ok(), "{edit:?}");
        assert!(edit.text().ends_with(&format!("<i>» {}</i>", questions[1])));
        assert!(edit.buttons().is_empty());
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_nomination_approved_by_an_agent_in_another_chat_reaches_the_requester() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        running.add_site().await;
        running.add_agent(&agent()).await;
        let customer = taro();

        let asked = running.ask(&customer, "/nominate").await;
        assert_says(&asked, &["7桁を入力してください"]);
        let asked = running.ask(&customer, SITE).await;
        assert_says(&asked, &["IBM ID(メールアドレス)を入力してください"]);
        let confirm = running.ask(&customer, "jiro@example.co.jp").await;
        assert_says(
            &confirm,
            &["この内容でリクエストを送信しますか", "サイト番号: 1234567"],
        );
        assert_eq!(confirm.labels(), ["はい", "いいえ", "やめる"]);
        let sent = running.press(&customer, &confirm, "はい").await;
        assert_says(&sent, &["リクエスト(番号 1)を送信しました"]);

        let nominations = running.nominations().await;
        assert_eq!(nominations.len(), 1, "{nominations:?}");
        assert_eq!(nominations[0].status, NominationStatus::Pending);
        assert_eq!(nominations[0].site.as_str(), SITE);
        assert_eq!(nominations[0].ibm_id.as_str(), "jiro@example.co.jp");

        let pending = running.ask(&agent(), "/pending").await;
        assert_says(
            &pending,
            &["リクエスト 1: サイト 1234567、jiro@example.co.jp"],
        );
        assert_eq!(
            pending.labels(),
            [
                "リクエスト 1 を承認",
                "リクエスト 1 をセカンダリーとして承認",
                "リクエスト 1 を否認"
            ]
        );
        let approved = running
            .press(&agent(), &pending, "リクエスト 1 を承認")
            .await;
        assert_says(
            &approved,
            &["リクエスト 1(サイト 1234567、jiro@example.co.jp)を承認しました"],
        );

        // The decision reaches the requester's chat from the outbox.
        let told = running.fake.wait_for_messages(customer.id, 5).await;
        assert_says(
            &told[4],
            &["サイト 1234567 へのアクセスのリクエスト(番号 1)が承認されました"],
        );
        let left = running.nominations().await;
        assert!(
            left.iter().all(|n| n.status != NominationStatus::Pending),
            "{left:?}"
        );
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_while_the_bot_was_down_is_delivered_at_start() {
    sqlite(|db| async move {
        let operator = ChatIdentity::local_operator();
        let site = SiteNumber::parse(SITE).expect("a site number");
        let service = db.service.clone();
        service
            .add_site(&operator, &site, Program::Pa)
            .await
            .expect("the site is added");
        let ibm_id = IbmId::parse("jiro@example.co.jp").expect("an IBM ID");
        let id = service
            .request_nomination(&identity(&taro()), &site, &ibm_id)
            .await
            .expect("the nomination is requested");
        service
            .approve_nomination(&operator, id, GrantRole::User)
            .await
            .expect("the nomination is approved");

        let fake = FakeTelegram::start().await;
        fake.know(&taro().private_chat());
        let running = Running::start_on(fake, db, None).await;
        let told = running.fake.wait_for_messages(taro().id, 1).await;
        assert_says(&told[0], &["(番号 1)が承認されました"]);
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passcode_message_is_deleted() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        let passcode = running.add_site().await;
        let customer = taro();

        running.ask(&customer, "/passcode").await;
        running.ask(&customer, SITE).await;
        let asked = running.ask(&customer, "taro@example.co.jp").await;
        assert_says(&asked, &["テンポラリー・パスコード"]);
        let before = running.fake.sent_to(customer.id).len();
        let (_, message) = running.fake.say(&customer, &passcode);
        let accepted = running.next_message(customer.id, before).await;
        assert_says(
            &accepted,
            &["taro@example.co.jp がサイト 1234567 のプライマリー・メンバーになりました"],
        );

        let deletes = running.fake.calls_of("deleteMessage");
        assert_eq!(deletes.len(), 1, "{deletes:?}");
        assert!(deletes[0].ok(), "{deletes:?}");
        assert_eq!(deletes[0].params["chat_id"], customer.id);
        assert_eq!(deletes[0].params["message_id"], message);
        // Nothing the bot sent repeats the passcode.
        let calls = running.fake.calls();
        let echoed = calls
            .iter()
            .filter(|c| !c.is("getUpdates"))
            .find(|c| c.params.to_string().contains(&passcode));
        assert!(echoed.is_none(), "{echoed:?}");
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_only_commands_mentions_and_replies_to_the_bot_are_answered() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        let group = fake::group(-1001, "PAO users");
        let taro = taro();
        let fake = &running.fake;

        let (_, plain) = fake.say_in(&group, &taro, "パスワードを忘れました", None);
        let (_, other_bot) = fake.say_in(&group, &taro, "/help@other_bot", None);
        let (_, mention) = fake.say_in(&group, &taro, "@pao_test_bot パスワードを忘れました", None);
        let (_, command) = fake.say_in(&group, &taro, "/help", None);
        let sent = fake.wait_for_messages(-1001, 2).await;
        assert_eq!(sent[0].replying_to(), Some(mention));
        assert_says(
            &sent[0],
            &[&first_line_of_answer("forgot-password", Lang::Ja)],
        );
        assert_eq!(sent[1].replying_to(), Some(command));

        let (_, reply) = fake.say_in(
            &group,
            &taro,
            "How do I log out of PAO?",
            sent[0].message_id(),
        );
        let sent = fake.wait_for_messages(-1001, 3).await;
        assert_eq!(sent[2].replying_to(), Some(reply));
        assert_says(
            &sent[2],
            &["Closing the browser with its close button logs you out."],
        );

        // One chat's updates are handled in order: the two ignored ones were handled (and
        // ignored) before the mention was answered.
        assert_eq!(sent.len(), 3, "{sent:?}");
        for ignored in [plain, other_bot] {
            assert!(sent.iter().all(|c| c.replying_to() != Some(ignored)));
        }
        running.stop().await;
    })
    .await;
}

/// A 429 on the bot's message: it is sent again, not before `retry_after`.
async fn a_429_is_honoured(db: TestDb, options: Option<Options>) {
    let running = Running::start(db, options).await;
    running
        .fake
        .fail_next("sendMessage", Failure::TooManyRequests { retry_after: 1 });
    let help = running.ask(&taro(), "/help").await;
    assert_says(&help, &["/nominate"]);
    let attempts = running.fake.calls_of("sendMessage");
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].status, 429);
    assert!(attempts[1].ok());
    assert_eq!(attempts[0].params, attempts[1].params);
    let waited = attempts[1].at - attempts[0].at;
    assert!(
        waited >= Duration::from_secs(1),
        "sent again after {waited:?}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_honoured_by_the_throttle() {
    sqlite(|db| a_429_is_honoured(db, None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_honoured_without_the_throttle() {
    sqlite(|db| a_429_is_honoured(db, Some(quick()))).await;
}

/// A server error: tried again after a pause (teloxide itself waits 10 s after a 5xx before
/// reporting it, so this test takes that long).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_tried_again() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        running.fake.fail_next("sendMessage", Failure::ServerError);
        let help = running.ask(&taro(), "/help").await;
        assert_says(&help, &["/nominate"]);
        let attempts = running.fake.calls_of("sendMessage");
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert_eq!(attempts[0].status, 500);
        assert!(attempts[1].ok());
        assert_eq!(attempts[0].params, attempts[1].params);
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_over_telegrams_limit_comes_as_several_messages() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        running.add_site().await;
        running.add_agent(&agent()).await;
        // 150 members, whom /site lists one a line: far over 4,096 characters.
        let operator = ChatIdentity::local_operator();
        let site = SiteNumber::parse(SITE).expect("a site number");
        let members: Vec<String> = (0..150)
            .map(|n| format!("member-{n:03}-of-a-large-department@example.co.jp"))
            .collect();
        for member in &members {
            let ibm_id = IbmId::parse(member).expect("an IBM ID");
            let service = &running.db.service;
            let id = service
                .request_nomination(&identity(&taro()), &site, &ibm_id)
                .await
                .expect("the nomination is requested");
            service
                .approve_nomination(&operator, id, GrantRole::User)
                .await
                .expect("the nomination is approved");
        }

        let before = running.fake.sent_to(agent().id).len();
        running.fake.say(&agent(), &format!("/site {SITE}"));
        let last = &members[members.len() - 1];
        running
            .fake
            .wait_for("the last member listed", |calls| {
                calls
                    .iter()
                    .find(|c| c.ok() && c.text().contains(last.as_str()))
                    .cloned()
            })
            .await;
        let parts = running.fake.sent_to(agent().id).split_off(before);
        assert!(parts.len() >= 2, "{} message(s)", parts.len());
        assert!(parts[0].text().contains(SITE), "{}", parts[0].text());
        let whole: String = parts.iter().map(Call::text).collect();
        for member in &members {
            assert_eq!(whole.matches(member.as_str()).count(), 1, "{member}");
        }
        // (The approvals' notices to the requester, who never wrote to the bot, are refused.)
        let refused: Vec<Call> = running
            .fake
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.chat() == Some(agent().id) && !c.ok())
            .collect();
        assert!(refused.is_empty(), "{refused:?}");
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_update_twice_is_handled_once() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        running.add_site().await;
        let customer = taro();
        let fake = &running.fake;

        running.ask(&customer, "/nominate").await;
        let before = fake.sent_to(customer.id).len();
        let (site_update, _) = fake.say(&customer, SITE);
        running.next_message(customer.id, before).await;
        fake.redeliver(site_update);
        let confirm = running.ask(&customer, "jiro@example.co.jp").await;
        assert_says(&confirm, &["この内容でリクエストを送信しますか"]);

        let before = fake.sent_to(customer.id).len();
        let press = fake.press(&customer, &confirm, "はい");
        let sent = running.next_message(customer.id, before).await;
        assert_says(&sent, &["リクエスト(番号 1)を送信しました"]);
        fake.redeliver(press);
        // Handled after the redelivered press, in the same chat.
        running.ask(&customer, "/help").await;

        let messages = fake.sent_to(customer.id);
        assert_eq!(messages.len(), 5, "{messages:?}");
        let operator = ChatIdentity::local_operator();
        let nominations = running.nominations().await;
        assert_eq!(nominations.len(), 1, "{nominations:?}");
        let requests = running
            .db
            .service
            .audit_log(&operator, None)
            .await
            .expect("the audit log")
            .into_iter()
            .filter(|row| row.action == "nomination_request")
            .count();
        assert_eq!(requests, 1);
        running.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_or_unexpected_update_is_skipped() {
    sqlite(|db| async move {
        let running = Running::start(db, Some(quick())).await;
        let taro = taro();
        running.fake.push_raw(json!({
            "message": {"message_id": "not a number", "chat": 5, "text": ["?"]}
        }));
        running
            .fake
            .push_raw(json!({"poll": {"id": "1", "question": "?"}}));
        running.fake.push(
            "edited_message",
            json!({
                "message_id": 1,
                "date": 0,
                "edit_date": 0,
                "chat": taro.private_chat(),
                "from": taro.json(),
                "text": "/help",
            }),
        );
        let help = running.ask(&taro, "/help").await;
        assert_says(&help, &["/nominate"]);
        assert_eq!(running.fake.sent_to(taro.id).len(), 1);
        running.stop().await;
    })
    .await;
}

/// Two chats' updates, fetched in one batch, are being handled, their replies held by the
/// server: the channel asks for no more updates meanwhile (which would confirm the batch).
/// The shutdown comes: it ends only once both replies are sent, and confirms the batch only
/// then, so that a process killed before would leave it to the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_finishes_the_updates_already_received() {
    sqlite(|db| async move {
        let fake = FakeTelegram::start().await;
        fake.hold("sendMessage");
        fake.say(&taro(), "パスワードを忘れました");
        let (last, _) = fake.say(&alice(), "How do I log out of PAO?");
        let running = Running::start_on(fake, db, Some(quick())).await;
        running.fake.wait_for_arrivals("sendMessage", 2).await;
        // Asking for the next batch would confirm this one before it is handled.
        assert_eq!(
            running.fake.arrivals("getUpdates"),
            1,
            "the next batch asked for while this one is handled"
        );

        running.shutdown.cancel();
        assert!(!running.task.is_finished(), "the replies are still held");
        assert!(running.fake.sent_to(taro().id).is_empty());
        running.fake.release("sendMessage");
        let (fake, _) = running.stop().await;
        let replies = fake.calls_of("sendMessage");
        assert_eq!(fake.sent_to(taro().id).len(), 1);
        assert_eq!(fake.sent_to(alice().id).len(), 1);

        let polls = fake.calls_of("getUpdates");
        assert_eq!(
            polls.len(),
            2,
            "the batch's, then the confirmation: {polls:?}"
        );
        let confirming = &polls[1];
        assert_eq!(confirming.params["offset"], last + 1);
        assert_eq!(confirming.params["timeout"], 0);
        assert!(
            replies.iter().all(|reply| reply.at <= confirming.at),
            "confirmed before the replies were sent"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_an_error() {
    sqlite(|db| async move {
        let fake = FakeTelegram::start().await;
        let mut settings = settings(&fake);
        settings.token = SecretString::from("7000000001:wrong");
        let result = tokio::time::timeout(
            PATIENCE,
            telegram::run(engine(&db), settings, CancellationToken::new()),
        )
        .await
        .expect("the channel gives up in time");
        match result {
            Err(TelegramError::Start(CallError::Refused(_))) => {}
            other => panic!("{other:?}"),
        }
        assert!(fake.calls().iter().all(|c| c.status == 401));
    })
    .await;
}

/// A free port on 127.0.0.1 for the webhook's listener.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_takes_updates_from_telegrams_posts() {
    sqlite(|db| async move {
        let address = free_address();
        let fake = FakeTelegram::start().await;
        let webhook = Webhook {
            listen: address,
            url: "https://bot.example.com/telegram".to_owned(),
        };
        let mut settings = settings(&fake);
        settings.webhook = Some(webhook);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(telegram::run_with(
            engine(&db),
            settings,
            quick(),
            shutdown.clone(),
        ));
        let running = Running {
            fake,
            db,
            shutdown,
            task,
        }
        .ready()
        .await;
        running
            .fake
            .wait_for("the webhook set", |calls| {
                calls
                    .iter()
                    .any(|c| c.is("setWebhook") && c.ok())
                    .then_some(())
            })
            .await;
        let (url, secret) = running.fake.webhook().expect("the webhook is set");
        assert_eq!(url, "https://bot.example.com/telegram");
        let secret = secret.expect("a secret token");
        assert!(running.fake.calls_of("getUpdates").is_empty());

        let taro = taro();
        let message = running
            .fake
            .message(&taro.private_chat(), &taro, "/help", None);
        let update = json!({"update_id": 1, "message": message});
        assert_eq!(
            fake::post_update(address, "not-the-secret", &update).await,
            Some(401)
        );
        assert_eq!(
            fake::post_update(address, &secret, &update).await,
            Some(200)
        );
        let sent = running.fake.wait_for_messages(taro.id, 1).await;
        assert_says(&sent[0], &["/nominate"]);

        let (fake, _) = running.stop().await;
        assert!(
            fake.webhook().is_none(),
            "the webhook is deleted at the end"
        );
    })
    .await;
}
