//! Discord sharding across two replicas: two Discord channels, each on an engine of its own
//! on one PostgreSQL database, on one fake gateway, which sends each guild's events to its
//! shard's connection as Discord does. Holding shard 0 and shard 1 of two, each answers the
//! messages of its shard, once; with no ids, the first up claims both shards through their
//! leases, and the other connects them once it stops.

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
const QUESTION: &str = "I forgot my password";
const ALICE: Person = Person {
    id: 1_400_000_000_000_000_001,
    name: "alice",
    locale: "en-US",
};

/// The settings of the replica `name`, holding shard `shard` of [`TOTAL`], or claiming
/// them when `None`.
fn settings(fake: &FakeDiscord, name: &str, shard: Option<u32>) -> DiscordSettings {
    let ids = shard.map(|shard| vec![shard]);
    DiscordSettings {
        token: SecretString::from(fake::TOKEN),
        api_url: Some(fake.api_url_for(name)),
        guild: Some(events::GUILD),
        message_content: false,
        shards: Some(Shards::new(TOTAL as u32, ids).expect("valid shards")),
    }
}

/// A replica's engine on `db`.
fn engine(db: &TestDb) -> Arc<Engine> {
    let database = db.service.database().clone();
    let knowledge = crate::discord::knowledge();
    Arc::new(Engine::new(
        knowledge,
        db.service.clone(),
        database,
        db.clock.clone(),
    ))
}

/// A guild message on each shard, `n`th of its guilds, and a direct message; returns the
/// channel each is to be answered in.
fn ask_on_every_shard(fake: &FakeDiscord, n: u64) -> Vec<u64> {
    let mut channels = vec![dm_channel(ALICE.id)];
    for shard in 0..TOTAL {
        let guild = guild_on_shard(shard, TOTAL, n);
        let mut message = events::message(fake.next_id(), &ALICE, Place::Guild, QUESTION, true);
        message["guild_id"] = json!(guild.to_string());
        message["channel_id"] = json!(channel_in(guild).to_string());
        fake.dispatch("MESSAGE_CREATE", message);
        channels.push(channel_in(guild));
    }
    let direct = events::message(fake.next_id(), &ALICE, Place::Dm, QUESTION, false);
    fake.dispatch("MESSAGE_CREATE", direct);
    channels
}

/// Who gave the `nth` answer (from 0) in `channel`, once given.
async fn answerer(fake: &FakeDiscord, channel: u64, nth: usize) -> String {
    let path = format!("/channels/{channel}/messages");
    fake.wait_for(&format!("answer {nth} in {channel}"), |record| {
        let mut answers = record
            .calls
            .iter()
            .filter(|call| call.method == Method::POST && call.path == path);
        answers
            .nth(nth)
            .map(|call| call.via.clone().unwrap_or_default())
    })
    .await
}

/// How many shards were identified so far, once there are at least `count`.
async fn identified(fake: &FakeDiscord, count: usize) -> usize {
    fake.wait_for("the identifies", |record| {
        (record.identifies.len() >= count).then_some(record.identifies.len())
    })
    .await
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
            let settings = settings(&fake, name, Some(shard));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_ids_one_replica_claims_the_shards_and_the_other_takes_them_over_when_it_stops() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = FakeDiscord::start().await;
        let (first_stop, second_stop) = (CancellationToken::new(), CancellationToken::new());
        let first = tokio::spawn(discord::run(
            engine(&db),
            settings(&fake, "first", None),
            first_stop.clone(),
        ));
        identified(&fake, 2).await;
        let second = tokio::spawn(discord::run(
            engine(&db),
            settings(&fake, "second", None),
            second_stop.clone(),
        ));
        fake.wait_for("the second replica signed in", |record| {
            record
                .calls
                .iter()
                .find(|call| call.path == "/users/@me" && call.via.as_deref() == Some("second"))
                .map(|_| ())
        })
        .await;

        for channel in ask_on_every_shard(&fake, 0) {
            assert_eq!(
                answerer(&fake, channel, 0).await,
                "first",
                "channel {channel}"
            );
        }
        let connected_by_second = fake
            .calls_to(Method::GET, "/gateway")
            .iter()
            .filter(|call| call.via.as_deref() == Some("second"))
            .count();
        assert_eq!(
            connected_by_second, 0,
            "the second replica connected a shard"
        );

        first_stop.cancel();
        first.await.expect("not panicked").expect("stopped cleanly");
        assert_eq!(identified(&fake, 2 + TOTAL as usize).await, 4);
        for channel in ask_on_every_shard(&fake, 1) {
            let nth = usize::from(channel == dm_channel(ALICE.id));
            assert_eq!(
                answerer(&fake, channel, nth).await,
                "second",
                "channel {channel}"
            );
        }
        second_stop.cancel();
        second
            .await
            .expect("not panicked")
            .expect("stopped cleanly");
        let direct = fake.calls_to(
            Method::POST,
            &format!("/channels/{}/messages", dm_channel(ALICE.id)),
        );
        assert_eq!(
            direct.len(),
            2,
            "each direct message answered once: {direct:#?}"
        );
    })
    .await;
}
