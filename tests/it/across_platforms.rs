//! The help desk across platforms in one `pao-bot serve` (`pao_bot::serve::serve` with both
//! channels, each against its fake server): a customer on Telegram served by an agent on
//! Discord, and a customer on Discord served by an agent on Telegram.

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

on_both_databases!(a_customer_on_one_platform_is_served_by_an_agent_on_the_other);

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

/// What the bot sent to a Telegram chat.
async fn telegram_sent(fake: &FakeTelegram, chat: i64, expected: &str) {
    fake.wait_for(&format!("{expected:?} to chat {chat}"), |calls| {
        calls
            .iter()
            .find(|c| c.is("sendMessage") && c.chat() == Some(chat) && c.text().contains(expected))
            .cloned()
    })
    .await;
}

async fn a_customer_on_one_platform_is_served_by_an_agent_on_the_other(db: TestDb) {
    registered_agent(&db, &DISCORD_AGENT.identity()).await;
    registered_agent(&db, "telegram:900").await;
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

    // A customer on Telegram, the agent on Discord.
    let taro = Person::new(100, "Taro", Some("ja"));
    let agent_dm = dm_channel(DISCORD_AGENT.id);
    telegram.say(&taro, "/human");
    telegram_sent(&telegram, 100, "受付番号 #1").await;
    discord_posted(&discord, agent_dm, "新しいチケット #1: telegram:100").await;
    let id = discord.next_id();
    let options = json!([{"name": "ticket", "type": 4, "value": 1}]);
    discord.dispatch(
        "INTERACTION_CREATE",
        events::slash(id, &DISCORD_AGENT, Place::Dm, "take", options),
    );
    let taken = discord.answer_to(id).await;
    assert!(taken.to_string().contains("#1 を担当しました"), "{taken:#}");
    telegram_sent(&telegram, 100, "担当者が参加しました").await;
    telegram.say(&taro, "請求書の宛名について");
    discord_posted(&discord, agent_dm, "#1 お客様: 請求書の宛名について").await;
    let id = discord.next_id();
    discord.dispatch(
        "MESSAGE_CREATE",
        events::message(id, &DISCORD_AGENT, Place::Dm, "確認します", false),
    );
    telegram_sent(&telegram, 100, "ヘルプデスク: 確認します").await;

    // A customer on Discord, the agent on Telegram.
    let hanako_dm = dm_channel(DISCORD_CUSTOMER.id);
    let id = discord.next_id();
    discord.dispatch(
        "MESSAGE_CREATE",
        events::message(id, &DISCORD_CUSTOMER, Place::Dm, "人と話したい", false),
    );
    discord_posted(&discord, hanako_dm, "受付番号 #2").await;
    telegram_sent(&telegram, 900, "新しいチケット #2: discord:").await;
    let hanako_agent = Person::new(900, "Hanako", Some("ja"));
    telegram.say(&hanako_agent, "/take 2");
    telegram_sent(&telegram, 900, "#2 を担当しました").await;
    discord_posted(&discord, hanako_dm, "担当者が参加しました").await;
    telegram.say(&hanako_agent, "どうされましたか");
    discord_posted(&discord, hanako_dm, "ヘルプデスク: どうされましたか").await;

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(15), serving)
        .await
        .expect("serve stops in time")
        .expect("serve does not panic");
    assert!(stopped.is_ok(), "{stopped:?}");
}
