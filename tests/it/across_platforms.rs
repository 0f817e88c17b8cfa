//! The help desk across platforms in one `pao-bot serve` (`pao_bot::serve::serve` with both
//! channels, each against its fake server): a customer on Telegram served by an agent on
//! Discord, and a customer on Discord served by an agent on Telegram; an agent holding two
//! tickets replies to a relayed message (a Telegram reply, a Discord reply) to address its
//! ticket.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use pao_bot::answer::Answerer;
use pao_bot::config::{DiscordSettings, HelpDeskSettings, Settings, TelegramSettings};
use pao_bot::conversation::Engine;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::discord::events::{self, GUILD, Place};
use crate::discord::fake::{self as discord_fake, FakeDiscord, dm_channel};
use crate::support::faq_dir;
use crate::telegram::fake::{self as telegram_fake, FakeTelegram, Person};

on_both_databases!(
    a_customer_on_one_platform_is_served_by_an_agent_on_the_other,
    an_agent_with_two_tickets_replies_to_a_relayed_message_to_address_its_ticket,
);

const DISCORD_AGENT: events::Person = events::Person {
    id: 1_400_000_000_000_000_003,
    name: "agent",
    locale: "ja",
};
const DISCORD_CUSTOMER: events::Person = events::Person {
    id: 1_400_000_000_000_000_001,
    name: "hanako",
    locale: "ja",
};

/// What the bot posted in a Discord channel.
async fn discord_posted(fake: &FakeDiscord, channel: u64, expected: &str) -> Value {
    let path = format!("/channels/{channel}/messages");
    fake.wait_call(Method::POST, &path, |body| {
        body["content"]
            .as_str()
            .is_some_and(|text| text.contains(expected))
    })
    .await
    .body
}

/// What the bot sent to a Telegram chat: the message id, when the fake took it.
async fn telegram_sent(fake: &FakeTelegram, chat: i64, expected: &str) -> Option<i64> {
    fake.wait_for(&format!("{expected:?} to chat {chat}"), |calls| {
        calls
            .iter()
            .find(|c| c.is("sendMessage") && c.chat() == Some(chat) && c.text().contains(expected))
            .map(|c| c.message_id())
    })
    .await
}

/// Whether the bot sent anything containing `text` to a Telegram chat.
fn telegram_has_sent(fake: &FakeTelegram, chat: i64, text: &str) -> bool {
    fake.sent_to(chat).iter().any(|c| c.text().contains(text))
}

/// Both fakes, and `serve` with both channels on `db`, until the token is cancelled.
struct Serving {
    telegram: FakeTelegram,
    discord: FakeDiscord,
    shutdown: CancellationToken,
    serving: tokio::task::JoinHandle<Result<(), pao_bot::serve::ServeError>>,
}

impl Serving {
    async fn start(db: &TestDb) -> Serving {
        let (telegram, discord) = (FakeTelegram::start().await, FakeDiscord::start().await);
        let settings = Settings {
            telegram: Some(TelegramSettings {
                token: SecretString::from(telegram_fake::TOKEN),
                api_url: Some(telegram.url()),
                webhook: None,
            }),
            discord: Some(DiscordSettings {
                token: SecretString::from(discord_fake::TOKEN),
                api_url: Some(discord.api_url()),
                guild: Some(GUILD),
                message_content: false,
                shards: None,
            }),
            help_desk: HelpDeskSettings::default(),
            metrics: Default::default(),
            web: None,
            outbox_lease: pao_bot::policy::OUTBOX_LEASE,
        };
        let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
        let database = db.service.database().clone();
        let engine = Arc::new(Engine::new(
            bot,
            db.service.clone(),
            database,
            db.clock.clone(),
        ));
        let shutdown = CancellationToken::new();
        let serving = tokio::spawn(pao_bot::serve::serve(engine, settings, shutdown.clone()));
        let commands = format!(
            "/applications/{}/guilds/{GUILD}/commands",
            discord_fake::APP_ID
        );
        discord.wait_call(Method::PUT, &commands, |_| true).await;
        telegram.wait_for_arrivals("getUpdates", 1).await;
        Serving {
            telegram,
            discord,
            shutdown,
            serving,
        }
    }

    /// `person` writes `text` in their direct messages with the bot.
    fn discord_says(&self, person: &events::Person, text: &str) {
        let id = self.discord.next_id();
        self.discord.dispatch(
            "MESSAGE_CREATE",
            events::message(id, person, Place::Dm, text, false),
        );
    }

    /// The Discord agent takes `ticket` with the slash command.
    async fn discord_take(&self, ticket: i64) {
        let id = self.discord.next_id();
        let options = json!([{"name": "ticket", "type": 4, "value": ticket}]);
        self.discord.dispatch(
            "INTERACTION_CREATE",
            events::slash(id, &DISCORD_AGENT, Place::Dm, "take", options),
        );
        let taken = self.discord.answer_to(id).await;
        assert!(
            taken
                .to_string()
                .contains(&format!("#{ticket} を担当しました")),
            "{taken:#}"
        );
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(15), self.serving)
            .await
            .expect("serve stops in time")
            .expect("serve does not panic");
        assert!(stopped.is_ok(), "{stopped:?}");
    }
}

async fn an_agent_with_two_tickets_replies_to_a_relayed_message_to_address_its_ticket(db: TestDb) {
    registered_agent(&db, &DISCORD_AGENT.identity()).await;
    registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    // The agent has a private chat with the bot: an announcement that failed for an unknown
    // chat would hold the agent's later messages behind its retry (a recipient's in order).
    serving
        .telegram
        .know(&Person::new(900, "Agent", Some("ja")).private_chat());
    let (telegram, discord) = (&serving.telegram, &serving.discord);
    let taro = Person::new(100, "Taro", Some("ja"));
    let hanako_dm = dm_channel(DISCORD_CUSTOMER.id);
    telegram.say(&taro, "/human");
    telegram_sent(telegram, 100, "受付番号 #1").await;
    serving.discord_says(&DISCORD_CUSTOMER, "人と話したい");
    discord_posted(discord, hanako_dm, "受付番号 #2").await;

    // The agent on Telegram holds both and replies to each customer's relayed message.
    let agent = Person::new(900, "Agent", Some("ja"));
    telegram.say(&agent, "/take 1");
    telegram_sent(telegram, 900, "#1 を担当しました").await;
    telegram.say(&agent, "/take 2");
    telegram_sent(telegram, 900, "#2 を担当しました").await;
    telegram.say(&taro, "請求書の宛名について");
    let from_taro = telegram_sent(telegram, 900, "#1 お客様: 請求書の宛名について").await;
    let from_taro = from_taro.expect("the relayed message is in the agent's chat");
    serving.discord_says(&DISCORD_CUSTOMER, "ライセンスの件です");
    let from_hanako = telegram_sent(telegram, 900, "#2 お客様: ライセンスの件です").await;
    let from_hanako = from_hanako.expect("the relayed message is in the agent's chat");
    let chat = agent.private_chat();
    telegram.say_in(&chat, &agent, "ライセンスを確認します", Some(from_hanako));
    discord_posted(discord, hanako_dm, "ヘルプデスク: ライセンスを確認します").await;
    telegram.say_in(&chat, &agent, "宛名を確認します", Some(from_taro));
    telegram_sent(telegram, 100, "ヘルプデスク: 宛名を確認します").await;
    assert!(!telegram_has_sent(telegram, 100, "ライセンスを確認します"));

    // Handed back, both are taken by the agent on Discord, who replies on Discord.
    telegram.say(&agent, "/transfer 1");
    telegram_sent(telegram, 900, "#1 を待ち行列に戻しました").await;
    telegram.say(&agent, "/transfer 2");
    telegram_sent(telegram, 900, "#2 を待ち行列に戻しました").await;
    serving.discord_take(1).await;
    serving.discord_take(2).await;
    let agent_dm = dm_channel(DISCORD_AGENT.id);
    telegram.say(&taro, "まだですか");
    let relayed = discord_posted(discord, agent_dm, "#1 お客様: まだですか").await;
    serving.discord_says(&DISCORD_CUSTOMER, "よろしくお願いします");
    discord_posted(discord, agent_dm, "#2 お客様: よろしくお願いします").await;
    let replied = events::bot_message(
        discord.next_id(),
        agent_dm,
        relayed["content"].as_str().expect("the relayed text"),
        0,
    );
    let id = discord.next_id();
    discord.dispatch(
        "MESSAGE_CREATE",
        events::reply(
            id,
            &DISCORD_AGENT,
            Place::Dm,
            "少々お待ちください",
            &replied,
        ),
    );
    telegram_sent(telegram, 100, "ヘルプデスク: 少々お待ちください").await;
    let posted = discord.calls_to(Method::POST, &format!("/channels/{hanako_dm}/messages"));
    assert!(
        !posted
            .iter()
            .any(|c| c.body.to_string().contains("少々お待ちください")),
        "{posted:?}"
    );
    serving.stop().await;
}

async fn a_customer_on_one_platform_is_served_by_an_agent_on_the_other(db: TestDb) {
    registered_agent(&db, &DISCORD_AGENT.identity()).await;
    registered_agent(&db, "telegram:900").await;
    let serving = Serving::start(&db).await;
    // The agent has a private chat with the bot: an announcement that failed for an unknown
    // chat would hold the agent's later messages behind its retry (a recipient's in order).
    serving
        .telegram
        .know(&Person::new(900, "Agent", Some("ja")).private_chat());
    let (telegram, discord) = (&serving.telegram, &serving.discord);

    // A customer on Telegram, the agent on Discord.
    let taro = Person::new(100, "Taro", Some("ja"));
    let agent_dm = dm_channel(DISCORD_AGENT.id);
    telegram.say(&taro, "/human");
    telegram_sent(telegram, 100, "受付番号 #1").await;
    discord_posted(discord, agent_dm, "新しいチケット #1: telegram:100").await;
    let id = discord.next_id();
    let options = json!([{"name": "ticket", "type": 4, "value": 1}]);
    discord.dispatch(
        "INTERACTION_CREATE",
        events::slash(id, &DISCORD_AGENT, Place::Dm, "take", options),
    );
    let taken = discord.answer_to(id).await;
    assert!(taken.to_string().contains("#1 を担当しました"), "{taken:#}");
    telegram_sent(telegram, 100, "担当者が参加しました").await;
    telegram.say(&taro, "請求書の宛名について");
    discord_posted(discord, agent_dm, "#1 お客様: 請求書の宛名について").await;
    let id = discord.next_id();
    discord.dispatch(
        "MESSAGE_CREATE",
        events::message(id, &DISCORD_AGENT, Place::Dm, "確認します", false),
    );
    telegram_sent(telegram, 100, "ヘルプデスク: 確認します").await;

    // A customer on Discord, the agent on Telegram.
    let hanako_dm = dm_channel(DISCORD_CUSTOMER.id);
    let id = discord.next_id();
    discord.dispatch(
        "MESSAGE_CREATE",
        events::message(id, &DISCORD_CUSTOMER, Place::Dm, "人と話したい", false),
    );
    discord_posted(discord, hanako_dm, "受付番号 #2").await;
    telegram_sent(telegram, 900, "新しいチケット #2: discord:").await;
    let hanako_agent = Person::new(900, "Hanako", Some("ja"));
    telegram.say(&hanako_agent, "/take 2");
    telegram_sent(telegram, 900, "#2 を担当しました").await;
    discord_posted(discord, hanako_dm, "担当者が参加しました").await;
    telegram.say(&hanako_agent, "どうされましたか");
    discord_posted(discord, hanako_dm, "ヘルプデスク: どうされましたか").await;

    serving.stop().await;
}
