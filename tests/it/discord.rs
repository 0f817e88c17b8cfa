//! The Discord channel end to end: the program's real serenity client, started by
//! `pao_bot::channels::discord::run`, against a fake Discord on 127.0.0.1 ([`fake`]) that
//! records what the bot sends and delivers events in Discord's shapes ([`events`]). Each
//! test runs on a fresh SQLite database and stops the channel at the end, which must then
//! close its gateway connection cleanly.

pub mod events;
pub mod fake;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::Method;
use pao_bot::answer::Answerer;
use pao_bot::channels::discord::{self, DiscordError};
use pao_bot::config::DiscordSettings;
use pao_bot::conversation::{Engine, Period};
use pao_bot::domain::{DenyReason, IbmId, Role, SiteNumber};
use pao_bot::service::{AccountService, NominationStatus};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::events::{CHANNEL, GUILD, Person, Place};
use self::fake::{FakeDiscord, SESSION, dm_channel};
use crate::databases::{Backend, TestDb, registered_agent};
use crate::service::{identity, new_site, operator, requested};

/// Instantiates each named `async fn(TestDb)` as a test on a fresh SQLite database.
macro_rules! on_sqlite {
    ($($test:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            crate::databases::run(Backend::Sqlite, self::tests::$test).await;
        }
    )+};
}

on_sqlite!(
    slash_commands_are_registered_in_the_guild_in_both_languages,
    faq_is_answered_in_each_language_with_buttons,
    a_button_press_is_handled,
    passcode_opens_a_form_answered_only_to_the_sender,
    a_form_with_a_wrong_site_number_never_hands_over_the_passcode,
    nominate_ends_with_a_pending_nomination,
    an_agents_approval_reaches_the_requester_by_direct_message,
    a_decision_made_while_the_bot_was_away_is_delivered_when_it_starts,
    a_customer_is_refused_the_help_desk_commands,
    a_direct_message_is_answered,
    a_guild_message_is_answered_only_when_it_mentions_the_bot,
    a_dropped_gateway_connection_is_resumed,
    a_slow_answer_is_deferred_then_filled_in,
    a_malformed_event_is_skipped,
    a_token_discord_refuses_stops_the_channel_with_an_error,
);

const HANAKO: Person = Person {
    id: 1_400_000_000_000_000_001,
    name: "hanako",
    locale: "ja",
};
const JOHN: Person = Person {
    id: 1_400_000_000_000_000_002,
    name: "john",
    locale: "en-US",
};
const AGENT: Person = Person {
    id: 1_400_000_000_000_000_003,
    name: "agent",
    locale: "ja",
};

/// Discord's ephemeral message flag.
const EPHEMERAL: u64 = 1 << 6;

/// The shipped knowledge base, loaded once.
pub(crate) fn knowledge() -> Arc<Answerer> {
    static BOT: OnceLock<Arc<Answerer>> = OnceLock::new();
    BOT.get_or_init(|| {
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        Arc::new(Answerer::load(&faq).expect("the shipped faq/ loads"))
    })
    .clone()
}

/// The Discord channel running against a fake Discord.
struct Running {
    fake: FakeDiscord,
    shutdown: CancellationToken,
    channel: JoinHandle<Result<(), DiscordError>>,
}

/// The engine on `db`.
fn engine(db: &TestDb) -> Arc<Engine> {
    let database = db.service.database().clone();
    let engine = Engine::new(knowledge(), db.service.clone(), database, db.clock.clone());
    Arc::new(engine)
}

/// The settings that point the channel at `fake`, with the slash commands in the test guild.
fn settings(fake: &FakeDiscord, token: &str) -> DiscordSettings {
    DiscordSettings {
        token: SecretString::from(token),
        api_url: Some(fake.api_url()),
        guild: Some(GUILD),
        message_content: false,
        shards: None,
    }
}

/// Starts the channel on `db`'s engine and waits until the slash commands are registered:
/// the bot is then connected and ready for events.
async fn start(db: &TestDb) -> Running {
    let fake = FakeDiscord::start().await;
    let settings = settings(&fake, fake::TOKEN);
    let shutdown = CancellationToken::new();
    let channel = tokio::spawn(discord::run(engine(db), settings, shutdown.clone()));
    let commands = format!("/applications/{}/guilds/{GUILD}/commands", fake::APP_ID);
    fake.wait_call(Method::PUT, &commands, |_| true).await;
    Running {
        fake,
        shutdown,
        channel,
    }
}

impl Running {
    /// Delivers the interaction `build` makes of a fresh id; returns the id.
    fn interact(&self, build: impl FnOnce(u64) -> Value) -> u64 {
        let id = self.fake.next_id();
        self.fake.dispatch("INTERACTION_CREATE", build(id));
        id
    }

    /// Delivers the message `build` makes of a fresh id; returns the id.
    fn write(&self, build: impl FnOnce(u64) -> Value) -> u64 {
        let id = self.fake.next_id();
        self.fake.dispatch("MESSAGE_CREATE", build(id));
        id
    }

    /// `/name` by `person` in `place`; returns the bot's answer (the callback's body).
    async fn slash(&self, person: &Person, place: Place, name: &str, options: Value) -> Value {
        let id = self.interact(|id| events::slash(id, person, place, name, options));
        self.fake.answer_to(id).await
    }

    /// `/name` by `person` in the guild, which must open a form (a modal); returns the
    /// bot's answer and the form's id.
    async fn open_form(&self, person: &Person, name: &str) -> (Value, String) {
        let opened = self.slash(person, Place::Guild, name, json!([])).await;
        assert_eq!(opened["type"], 9, "a form (modal): {opened:#}");
        let form = opened["data"]["custom_id"]
            .as_str()
            .expect("the form's id")
            .to_owned();
        (opened, form)
    }

    /// The text the bot posted in `channel` once it contains `expected`.
    async fn posted(&self, channel: u64, expected: &str) -> Value {
        let path = format!("/channels/{channel}/messages");
        let contains = |body: &Value| text(body).contains(expected);
        self.fake
            .wait_call(Method::POST, &path, contains)
            .await
            .body
    }

    /// Stops the channel as a shutdown signal would; it must return without an error after
    /// closing the gateway connection with a normal closure.
    async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(15), self.channel)
            .await
            .expect("the channel stops in time")
            .expect("the channel's task does not panic");
        assert!(stopped.is_ok(), "{stopped:?}");
        let closes = self.fake.wait_for("a closing handshake", |record| {
            (!record.closes.is_empty()).then(|| record.closes.clone())
        });
        assert_eq!(closes.await, vec![1000]);
    }
}

/// A message's text, from a message body or an interaction callback's body.
fn text(body: &Value) -> &str {
    body["content"]
        .as_str()
        .or_else(|| body["data"]["content"].as_str())
        .unwrap_or_default()
}

/// A message's buttons, from a message body or an interaction callback's body.
fn buttons(body: &Value) -> Vec<Value> {
    let rows = match &body["components"] {
        Value::Array(rows) => rows.clone(),
        _ => body["data"]["components"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn labels(body: &Value) -> Vec<String> {
    buttons(body)
        .iter()
        .map(|b| b["label"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The custom id of the button labelled `label`.
fn custom_id(body: &Value, label: &str) -> String {
    buttons(body)
        .iter()
        .find(|b| b["label"] == label)
        .and_then(|b| b["custom_id"].as_str())
        .unwrap_or_else(|| panic!("no button {label:?} in {body:#}"))
        .to_owned()
}

fn ephemeral(body: &Value) -> bool {
    let flags = body["flags"]
        .as_u64()
        .or_else(|| body["data"]["flags"].as_u64())
        .unwrap_or(0);
    flags & EPHEMERAL != 0
}

fn option(name: &str, kind: u8, value: Value) -> Value {
    json!({"name": name, "type": kind, "value": value})
}

fn site(number: &str) -> SiteNumber {
    SiteNumber::parse(number).expect("a site number")
}

mod tests {
    use super::*;

    pub async fn slash_commands_are_registered_in_the_guild_in_both_languages(db: TestDb) {
        let bot = start(&db).await;
        let path = format!("/applications/{}/guilds/{GUILD}/commands", fake::APP_ID);
        let registered = bot.fake.wait_call(Method::PUT, &path, |_| true).await.body;
        let names: Vec<&str> = registered
            .as_array()
            .expect("a list of commands")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        let expected = [
            "faq", "nominate", "passcode", "lang", "help", "human", "end", "pending", "approve",
            "deny", "site", "unlock", "reissue", "inbox", "take", "note", "transfer", "close",
            "web",
        ];
        assert_eq!(names, expected);
        for command in registered.as_array().into_iter().flatten() {
            for field in ["name_localizations", "description_localizations"] {
                assert!(command[field]["ja"].is_string(), "{field} of {command:#}");
                assert!(
                    command[field]["en-US"].is_string(),
                    "{field} of {command:#}"
                );
            }
        }
        let approve = registered
            .as_array()
            .and_then(|all| all.iter().find(|c| c["name"] == "approve"))
            .expect("/approve is registered");
        assert_eq!(approve["name_localizations"]["ja"], "承認");
        assert_eq!(approve["options"][0]["name"], "id");
        assert_eq!(approve["options"][1]["choices"][1]["value"], "secondary");
        assert_eq!(
            approve["options"][1]["choices"][1]["name_localizations"]["ja"],
            "セカンダリー"
        );

        let identify = bot
            .fake
            .wait_for("an Identify", |r| r.identifies.first().cloned());
        let identify = identify.await;
        assert_eq!(identify["token"], "Bot fake-token");
        let intents = identify["intents"].as_u64().expect("intents");
        let (guild_messages, direct_messages, message_content) = (1 << 9, 1 << 12, 1 << 15);
        assert_eq!(
            intents & (guild_messages | direct_messages),
            guild_messages | direct_messages
        );
        assert_eq!(
            intents & message_content,
            0,
            "Message Content is off by default"
        );
        bot.stop().await;
    }

    pub async fn faq_is_answered_in_each_language_with_buttons(db: TestDb) {
        let bot = start(&db).await;
        let question = [option("question", 3, json!("パスワードを忘れました"))];
        let answer = bot
            .slash(&HANAKO, Place::Guild, "faq", json!(question))
            .await;
        assert_eq!(answer["type"], 4, "answered at once: {answer:#}");
        assert!(
            !ephemeral(&answer),
            "a question is answered for the channel to see"
        );
        assert!(
            text(&answer).contains("パスワードは、My IBM登録ページの"),
            "{answer:#}"
        );
        assert!(
            text(&answer).contains("この回答はお役に立ちましたか"),
            "{answer:#}"
        );
        let shown = labels(&answer);
        assert!(shown.contains(&"はい".to_owned()) && shown.contains(&"いいえ".to_owned()));
        assert!(custom_id(&answer, "はい").starts_with("fb:"));
        let link = "[各国のIBMご登録ヘルプ・デスク](https://www.ibm.com/account/profile/jp?page=reghelpdesk)";
        assert!(
            text(&answer).contains(link),
            "links stay Discord's masked links"
        );

        // John's client is in English: the topics come in English before he says a word.
        let topics = bot.slash(&JOHN, Place::Guild, "faq", json!([])).await;
        assert!(text(&topics).contains("Choose a topic."), "{topics:#}");
        assert!(!buttons(&topics).is_empty());
        let question = [option("question", 3, json!("How do I log out of PAO?"))];
        let answer = bot.slash(&JOHN, Place::Guild, "faq", json!(question)).await;
        let expected = "Closing the browser with its close button logs you out.";
        assert!(text(&answer).contains(expected), "{answer:#}");
        assert!(text(&answer).contains("Did this help?"));
        let shown = labels(&answer);
        assert!(shown.contains(&"Yes".to_owned()) && shown.contains(&"No".to_owned()));
        bot.stop().await;
    }

    pub async fn a_button_press_is_handled(db: TestDb) {
        let bot = start(&db).await;
        let question = [option("question", 3, json!("How do I log out of PAO?"))];
        let answer = bot.slash(&JOHN, Place::Guild, "faq", json!(question)).await;
        let no = custom_id(&answer, "No");
        let shown = events::bot_message(bot.fake.next_id(), CHANNEL, text(&answer), 0);
        let id = bot.interact(|id| events::press(id, &JOHN, Place::Guild, &no, shown));
        let reply = bot.fake.answer_to(id).await;
        assert_eq!(reply["type"], 4);
        assert!(
            text(&reply).contains("Sorry that did not help"),
            "{reply:#}"
        );
        let care = buttons(&reply)
            .into_iter()
            .find(|b| b["label"] == "Contact eCustomer Care")
            .unwrap_or_else(|| panic!("the help desk's link in {reply:#}"));
        assert_eq!(care["style"], 5);
        assert!(
            care["url"]
                .as_str()
                .unwrap_or_default()
                .starts_with("https://")
        );

        let stats = db.service.database().clone();
        let store = pao_bot::conversation::Store::new(stats);
        let entries = store
            .entry_stats(Period::ALL)
            .await
            .expect("answer statistics");
        assert!(
            entries.iter().any(|e| e.answered == 1 && e.not_helped == 1),
            "the press is stored as feedback: {entries:?}"
        );
        bot.stop().await;
    }

    pub async fn passcode_opens_a_form_answered_only_to_the_sender(db: TestDb) {
        let passcode = new_site(&db, "1234567").await;
        let bot = start(&db).await;
        let (opened, form) = bot.open_form(&HANAKO, "passcode").await;
        assert_eq!(
            opened["data"]["title"],
            "初回アクセス (テンポラリー・パスコード)"
        );
        let fields: Vec<&str> = opened["data"]["components"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|row| row["components"][0]["custom_id"].as_str())
            .collect();
        assert_eq!(fields, ["site_number", "ibm_id", "passcode"]);

        let secret = passcode.expose_secret().to_owned();
        let values = [
            ("site_number", "01234567"),
            ("ibm_id", "taro@example.co.jp"),
            ("passcode", secret.as_str()),
        ];
        let id = bot.interact(|id| events::submit(id, &HANAKO, Place::Guild, &form, &values));
        let answer = bot.fake.answer_to(id).await;
        assert!(ephemeral(&answer), "only the sender sees it: {answer:#}");
        let expected = "taro@example.co.jp がサイト 1234567 のプライマリー・メンバーになりました";
        assert!(text(&answer).contains(expected), "{answer:#}");
        let view = db
            .service
            .show_site(&operator(), &site("1234567"))
            .await
            .expect("the site");
        let primary = IbmId::parse("taro@example.co.jp").expect("an IBM ID");
        assert!(
            view.members
                .iter()
                .any(|m| m.ibm_id == primary && m.role == Role::Primary)
        );
        for call in bot.fake.calls() {
            assert!(
                !call.body.to_string().contains(&secret),
                "the passcode was sent: {call:#?}"
            );
        }
        bot.stop().await;
    }

    pub async fn a_form_with_a_wrong_site_number_never_hands_over_the_passcode(db: TestDb) {
        new_site(&db, "1234567").await;
        let bot = start(&db).await;
        let (_, form) = bot.open_form(&HANAKO, "passcode").await;
        let values = [
            ("site_number", "12345"),
            ("ibm_id", "taro@example.co.jp"),
            ("passcode", "WRANGC2DE3"),
        ];
        let id = bot.interact(|id| events::submit(id, &HANAKO, Place::Guild, &form, &values));
        let answer = bot.fake.answer_to(id).await;
        assert!(ephemeral(&answer));
        assert!(
            text(&answer).contains("サイト番号は7桁の数字です"),
            "{answer:#}"
        );
        let view = db
            .service
            .show_site(&operator(), &site("1234567"))
            .await
            .expect("the site");
        assert_eq!(
            view.lockout,
            pao_bot::service::Lockout::Open { recent_failures: 0 },
            "no passcode was checked"
        );
        bot.stop().await;
    }

    pub async fn nominate_ends_with_a_pending_nomination(db: TestDb) {
        new_site(&db, "1234567").await;
        let bot = start(&db).await;
        let (_, form) = bot.open_form(&HANAKO, "nominate").await;
        let values = [("site_number", "1234567"), ("ibm_id", "jiro@example.co.jp")];
        let id = bot.interact(|id| events::submit(id, &HANAKO, Place::Guild, &form, &values));
        let confirm = bot.fake.answer_to(id).await;
        assert!(ephemeral(&confirm));
        assert!(
            text(&confirm).contains("この内容でリクエストを送信しますか"),
            "{confirm:#}"
        );
        assert!(text(&confirm).contains("jiro@example.co.jp"));
        let yes = custom_id(&confirm, "はい");

        let shown = events::bot_message(bot.fake.next_id(), CHANNEL, text(&confirm), EPHEMERAL);
        let id = bot.interact(|id| events::press(id, &HANAKO, Place::Guild, &yes, shown));
        let sent = bot.fake.answer_to(id).await;
        assert!(ephemeral(&sent), "{sent:#}");
        assert!(
            text(&sent).contains("リクエスト(番号 1)を送信しました"),
            "{sent:#}"
        );
        let nominations = db
            .service
            .list_nominations(&operator(), None)
            .await
            .expect("the nominations");
        assert_eq!(nominations.len(), 1, "{nominations:?}");
        assert_eq!(nominations[0].status, NominationStatus::Pending);
        assert_eq!(nominations[0].requested_by, identity(&HANAKO.identity()));
        assert_eq!(nominations[0].ibm_id.as_str(), "jiro@example.co.jp");
        bot.stop().await;
    }

    pub async fn an_agents_approval_reaches_the_requester_by_direct_message(db: TestDb) {
        new_site(&db, "1234567").await;
        let nomination = requested(&db, &HANAKO.identity(), "1234567", "jiro@example.co.jp").await;
        registered_agent(&db, &AGENT.identity()).await;
        let bot = start(&db).await;

        let pending = bot.slash(&AGENT, Place::Guild, "pending", json!([])).await;
        assert!(
            ephemeral(&pending),
            "requests are the agent's to see: {pending:#}"
        );
        assert!(text(&pending).contains("jiro@example.co.jp"), "{pending:#}");
        let approve = format!("リクエスト {} を承認", nomination.0);
        assert!(labels(&pending).contains(&approve), "{pending:#}");

        let options = [
            option("id", 4, json!(nomination.0)),
            option("role", 3, json!("secondary")),
        ];
        let approved = bot
            .slash(&AGENT, Place::Guild, "approve", json!(options))
            .await;
        assert!(ephemeral(&approved));
        let expected = format!(
            "リクエスト {}(サイト 1234567、jiro@example.co.jp)を承認しました",
            nomination.0
        );
        assert!(text(&approved).contains(&expected), "{approved:#}");

        let opened = bot
            .fake
            .wait_call(Method::POST, "/users/@me/channels", |body| {
                body["recipient_id"].as_str() == Some(&*HANAKO.id.to_string())
            })
            .await;
        assert!(opened.body.is_object());
        let notice = bot.posted(dm_channel(HANAKO.id), "が承認されました").await;
        assert!(text(&notice).contains("サイト 1234567"), "{notice:#}");
        assert!(text(&notice).contains("セカンダリー"), "{notice:#}");
        bot.stop().await;
    }

    pub async fn a_decision_made_while_the_bot_was_away_is_delivered_when_it_starts(db: TestDb) {
        new_site(&db, "1234567").await;
        let nomination = requested(&db, &JOHN.identity(), "1234567", "john@example.com").await;
        let reason = DenyReason::parse("not on the staff list").expect("a reason");
        db.service
            .deny_nomination(&operator(), nomination, &reason)
            .await
            .expect("the operator denies it");
        let bot = start(&db).await;
        let notice = bot
            .posted(dm_channel(JOHN.id), "not on the staff list")
            .await;
        assert!(text(&notice).contains("1234567"), "{notice:#}");
        bot.stop().await;
    }

    pub async fn a_customer_is_refused_the_help_desk_commands(db: TestDb) {
        let bot = start(&db).await;
        let refused = bot.slash(&HANAKO, Place::Guild, "pending", json!([])).await;
        assert!(ephemeral(&refused));
        assert!(text(&refused).contains("ヘルプデスク担当者"), "{refused:#}");
        let options = [option("id", 4, json!(1))];
        let refused = bot
            .slash(&HANAKO, Place::Guild, "approve", json!(options))
            .await;
        assert!(text(&refused).contains("ヘルプデスク担当者"), "{refused:#}");
        let audit = db
            .service
            .audit_log(&operator(), None)
            .await
            .expect("the audit log");
        let refusals = audit
            .iter()
            .filter(|entry| entry.actor == HANAKO.identity() && entry.outcome != "ok")
            .count();
        assert_eq!(refusals, 2, "{audit:?}");
        bot.stop().await;
    }

    pub async fn a_direct_message_is_answered(db: TestDb) {
        let bot = start(&db).await;
        bot.write(|id| events::message(id, &HANAKO, Place::Dm, "パスワードを忘れました", false));
        let answer = bot
            .posted(dm_channel(HANAKO.id), "パスワードは、My IBM登録ページの")
            .await;
        assert!(labels(&answer).contains(&"はい".to_owned()), "{answer:#}");
        assert_eq!(
            answer["allowed_mentions"]["parse"],
            json!([]),
            "no one is pinged"
        );
        bot.stop().await;
    }

    pub async fn a_guild_message_is_answered_only_when_it_mentions_the_bot(db: TestDb) {
        let bot = start(&db).await;
        let ignored = "How do I log out of PAO?";
        bot.write(|id| events::message(id, &JOHN, Place::Guild, ignored, false));
        let asked = "I forgot my password";
        bot.write(|id| events::message(id, &JOHN, Place::Guild, asked, true));
        let answer = bot.posted(CHANNEL, "Did this help?").await;
        assert!(!text(&answer).contains("Closing the browser"), "{answer:#}");
        let posted = bot
            .fake
            .calls_to(Method::POST, &format!("/channels/{CHANNEL}/messages"));
        assert_eq!(posted.len(), 1, "only the mention is answered: {posted:#?}");
        bot.stop().await;
    }

    pub async fn a_dropped_gateway_connection_is_resumed(db: TestDb) {
        let bot = start(&db).await;
        // A heartbeat acknowledged first: the connection was healthy when it dropped.
        bot.fake
            .wait_for("a heartbeat", |r| (r.heartbeats > 0).then_some(()))
            .await;
        let seq = bot.fake.seq();
        bot.fake.drop_connection();
        // Written while the bot is away: Discord replays it when the session resumes.
        bot.write(|id| events::message(id, &HANAKO, Place::Dm, "パスワードを忘れました", false));
        let resume = bot
            .fake
            .wait_for("a Resume", |r| r.resumes.first().cloned())
            .await;
        assert_eq!(resume["session_id"], SESSION);
        assert_eq!(resume["seq"], seq);
        assert_eq!(resume["token"], "Bot fake-token");
        bot.posted(dm_channel(HANAKO.id), "パスワードは、My IBM登録ページの")
            .await;
        let identifies = bot
            .fake
            .wait_for("identifies", |r| Some(r.identifies.len()));
        assert_eq!(
            identifies.await,
            1,
            "the session was resumed, not started again"
        );
        bot.stop().await;
    }

    pub async fn a_slow_answer_is_deferred_then_filled_in(db: TestDb) {
        let bot = start(&db).await;
        let database = db.service.database().clone();
        let answer = {
            // While this process's SQLite writer is held, the engine cannot end its turn.
            let _writer = database.writer_turn().await;
            let question = [option("question", 3, json!("パスワードを忘れました"))];
            let id =
                bot.interact(|id| events::slash(id, &HANAKO, Place::Guild, "faq", json!(question)));
            let deferred = bot.fake.answer_to(id).await;
            assert_eq!(deferred["type"], 5, "deferred: {deferred:#}");
            assert!(!ephemeral(&deferred));
            id
        };
        let path = format!(
            "/webhooks/{}/{}/messages/@original",
            fake::APP_ID,
            fake::token(answer)
        );
        let filled = bot
            .fake
            .wait_call(Method::PATCH, &path, |_| true)
            .await
            .body;
        assert!(
            text(&filled).contains("パスワードは、My IBM登録ページの"),
            "{filled:#}"
        );
        assert!(labels(&filled).contains(&"はい".to_owned()));
        bot.stop().await;
    }

    pub async fn a_malformed_event_is_skipped(db: TestDb) {
        let bot = start(&db).await;
        let broken_id = bot.fake.next_id();
        let mut broken = events::slash(broken_id, &HANAKO, Place::Guild, "faq", json!([]));
        broken["data"] = json!("not an object");
        bot.fake.dispatch("INTERACTION_CREATE", broken);
        bot.fake
            .send_raw(json!({"op": 0, "t": "MESSAGE_CREATE", "d": {"id": "x"}}));
        bot.write(|id| events::message(id, &HANAKO, Place::Dm, "パスワードを忘れました", false));
        bot.posted(dm_channel(HANAKO.id), "パスワードは、My IBM登録ページの")
            .await;
        let broken = broken_id.to_string();
        let calls = bot.fake.calls();
        let answered: Vec<_> = calls.iter().filter(|c| c.path.contains(&broken)).collect();
        assert!(answered.is_empty(), "{answered:#?}");
        bot.stop().await;
    }

    pub async fn a_token_discord_refuses_stops_the_channel_with_an_error(db: TestDb) {
        let fake = FakeDiscord::start().await;
        let settings = settings(&fake, "revoked-token");
        let outcome = tokio::time::timeout(
            Duration::from_secs(15),
            discord::run(engine(&db), settings, CancellationToken::new()),
        )
        .await
        .expect("the channel gives up at once");
        let Err(error) = outcome else {
            panic!("a refused token must stop the channel");
        };
        assert!(matches!(error, DiscordError::SignIn(_)), "{error:?}");
        assert!(
            !format!("{error} {error:?}").contains("revoked-token"),
            "{error:?}"
        );
        let identifies = fake.wait_for("the record", |r| Some(r.identifies.len()));
        assert_eq!(identifies.await, 0, "no gateway connection was tried");
    }
}
