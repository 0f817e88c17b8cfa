//! Discord sharding across two replicas: two Discord channels, each on an engine of its own
//! on one PostgreSQL database, hold shard 0 and shard 1 of two on one fake gateway, which
//! sends each guild's events to its shard's connection as Discord does. Every message is
//! answered once, by the replica holding its shard.

use std::sync::Arc;

use axum::http::Method;
use pao_bot::channels::discord;
use pao_bot::config::{DiscordSettings, Shards};
use pao_bot::conversation::Engine;
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::databases::{self, Backend, TestDb};
use crate::discord::events::{self, Person, Place};
use crate::discord::fake::{self, FakeDiscord, dm_channel, guild_on_shard};

const TOTAL: u64 = 2;
/// Guilds asked in on each shard.
const GUILDS_PER_SHARD: u64 = 3;
const ALICE: Person = Person {
    id: 1_400_000_000_000_000_001,
    name: "alice",
    locale: "en-US",
};

/// The settings of the replica `name`, holding shard `shard` of [`TOTAL`].
fn settings(fake: &FakeDiscord, name: &str, shard: u32) -> DiscordSettings {
    DiscordSettings {
        token: SecretString::from(fake::TOKEN),
        api_url: Some(fake.api_url_for(name)),
        guild: Some(events::GUILD),
        message_content: false,
        shards: Some(Shards::new(TOTAL as u32, Some(vec![shard])).expect("valid shards")),
    }
}

/// A channel of its own in `guild`, so that each answer says which message it is for.
fn channel_in(guild: u64) -> u64 {
    guild + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_split_the_shards_and_each_message_is_answered_once_by_its_shard_s() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = FakeDiscord::start().await;
        let shutdown = CancellationToken::new();
        let mut replicas = Vec::new();
        for (name, shard) in [("first", 0), ("second", 1)] {
            let database = db.service.database().clone();
            let engine = Engine::new(
                crate::discord::knowledge(),
                db.service.clone(),
                database,
                db.clock.clone(),
            );
            let settings = settings(&fake, name, shard);
            replicas.push(tokio::spawn(discord::run(
                Arc::new(engine),
                settings,
                shutdown.clone(),
            )));
        }
        let identified = fake
            .wait_for("both shards identified", |record| {
                let mut shards: Vec<_> = record
                    .identifies
                    .iter()
                    .map(|identify| identify["shard"].clone())
                    .collect();
                shards.sort_by_key(|shard| shard[0].as_u64());
                (shards.len() == 2).then_some(shards)
            })
            .await;
        assert_eq!(identified, vec![json!([0, TOTAL]), json!([1, TOTAL])]);
        let commands = format!(
            "/applications/{}/guilds/{}/commands",
            fake::APP_ID,
            events::GUILD
        );
        for name in ["first", "second"] {
            fake.wait_for("the commands registered by both", |record| {
                record
                    .calls
                    .iter()
                    .find(|call| call.path == commands && call.via.as_deref() == Some(name))
                    .map(|_| ())
            })
            .await;
        }

        // Which replica must answer in which channel.
        let mut expected = vec![(dm_channel(ALICE.id), "first")];
        for n in 0..GUILDS_PER_SHARD {
            for (shard, name) in [(0, "first"), (1, "second")] {
                let guild = guild_on_shard(shard, TOTAL, n);
                let mut message = events::message(
                    fake.next_id(),
                    &ALICE,
                    Place::Guild,
                    "I forgot my password",
                    true,
                );
                message["guild_id"] = json!(guild.to_string());
                message["channel_id"] = json!(channel_in(guild).to_string());
                fake.dispatch("MESSAGE_CREATE", message);
                expected.push((channel_in(guild), name));
            }
        }
        let direct = events::message(
            fake.next_id(),
            &ALICE,
            Place::Dm,
            "I forgot my password",
            false,
        );
        fake.dispatch("MESSAGE_CREATE", direct);

        for (channel, name) in &expected {
            let path = format!("/channels/{channel}/messages");
            let answer = fake.wait_call(Method::POST, &path, |_| true).await;
            assert_eq!(answer.via.as_deref(), Some(*name), "channel {channel}");
        }
        shutdown.cancel();
        for replica in replicas {
            replica
                .await
                .expect("not panicked")
                .expect("stopped cleanly");
        }
        for (channel, _) in &expected {
            let answers = fake.calls_to(Method::POST, &format!("/channels/{channel}/messages"));
            assert_eq!(answers.len(), 1, "channel {channel}: {answers:#?}");
        }
    })
    .await;
}
