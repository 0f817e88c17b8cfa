//! The webhook with three `pao-bot serve` replicas on one PostgreSQL database behind one
//! address (the test posts to them as a load balancer would, retrying a failed post on
//! another replica as Telegram retries): one replica sets the webhook, all accept its secret,
//! an update posted to two replicas acts once, and the stream, 3,000 updates from
//! 300 chats spread over the replicas, is answered exactly once and in order in each chat
//! although one replica is SIGKILLed in the middle, with posts in flight to it and a
//! `sendMessage` of its held by the fake Telegram; and decisions queued in the outbox
//! meanwhile reach each requester exactly once.
//!
//! The killed replica's committed turns left their replies in the outbox, claimed by it:
//! the others send them once its claims' lease (shortened here) has run out, before the
//! replies of the chats' later updates, which wait behind them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinSet;

use crate::databases::{self, Backend, TestDb};
use crate::reload::serve::Server;
use crate::replicas::stream::{
    self, CHATS, LEASE_SECS, PER_CHAT, REPLICAS, answer, customer, hold_its_sends, question,
    wait_until_delivered,
};
use crate::support::faq_dir;
use crate::telegram::fake::{FakeTelegram, Person, post_update};

/// The replica killed, and after how many of the stream's updates it is.
const KILLED: usize = REPLICAS - 1;
const KILLED_AFTER: usize = CHATS as usize * PER_CHAT / 3;

/// A free port on 127.0.0.1 for a replica's webhook.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// A replica: its server, its webhook's address and its folder.
struct Replica {
    server: Server,
    address: SocketAddr,
    _cwd: TempDir,
}

/// Starts replica `n` in webhook mode on `fake` and the database at `url`.
fn replica(fake: &FakeTelegram, url: &str, n: usize) -> Replica {
    let address = free_address();
    let cwd = TempDir::new().expect("a temporary folder");
    let settings = format!(
        "telegram:\n  webhook:\n    listen: {address}\n    url: https://bot.example.com/telegram\n\
         outbox:\n  lease_secs: {LEASE_SECS}\n"
    );
    std::fs::write(cwd.path().join("pao-bot.yaml"), settings).expect("the settings written");
    let server = Server::start_on(&fake.url_for(&format!("r{n}")), url, &faq_dir(), cwd.path());
    Replica {
        server,
        address,
        _cwd: cwd,
    }
}

/// Posts `update` to the replica `first`, and on to the next ones while a replica is dead or
/// fails, as Telegram retries; returns the replica that took it.
async fn deliver(addresses: &[SocketAddr], secret: &str, update: &Value, first: usize) -> usize {
    for tried in 0..addresses.len() * 3 {
        let n = (first + tried) % addresses.len();
        if post_update(addresses[n], secret, update).await == Some(200) {
            return n;
        }
    }
    panic!("no replica took update {}", update["update_id"]);
}

/// The update of `person` saying `text`, with the id `id`.
fn update(fake: &FakeTelegram, person: &Person, text: &str, id: i64) -> Value {
    let message = fake.message(&person.private_chat(), person, text, None);
    json!({"update_id": id, "message": message})
}

/// Every chat's `PER_CHAT` questions, each chat's one after the other, the chats side by
/// side, spread over the replicas; `taken` counts the updates taken.
async fn ask_everyone(
    fake: &Arc<FakeTelegram>,
    addresses: &Arc<Vec<SocketAddr>>,
    secret: &Arc<String>,
    taken: &Arc<AtomicUsize>,
) {
    let mut chats = JoinSet::new();
    for chat in 0..CHATS {
        let (fake, addresses, secret) = (fake.clone(), addresses.clone(), secret.clone());
        let taken = taken.clone();
        chats.spawn(async move {
            let person = customer(chat);
            for nth in 0..PER_CHAT {
                let id = 1_000_000 + chat * 100 + i64::try_from(nth).unwrap();
                let update = update(&fake, &person, question(nth), id);
                let first = usize::try_from(chat).unwrap() + nth;
                let took = deliver(&addresses, &secret, &update, first).await;
                taken.fetch_add(1, Ordering::SeqCst);
                // Half the time, Telegram posts it again to another replica.
                if nth.is_multiple_of(2) {
                    deliver(&addresses, &secret, &update, took + 1).await;
                }
            }
        });
    }
    while let Some(done) = chats.join_next().await {
        done.expect("a chat's questions posted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_behind_one_address_answer_each_update_once_and_in_order() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = Arc::new(FakeTelegram::start().await);
        let mut replicas: Vec<Replica> =
            (0..REPLICAS).map(|n| replica(&fake, &db.url, n)).collect();
        for replica in &mut replicas {
            replica.server.wait_for_log("telegram_webhook").await;
        }
        // The lease's holder logs that it holds it before it calls setWebhook.
        fake.wait_for_count("setWebhook", 1).await;
        let set = fake.calls_of("setWebhook");
        assert_eq!(set.len(), 1, "setWebhook called by one replica");
        let (url, secret) = fake.webhook().expect("the webhook is set");
        assert_eq!(url, "https://bot.example.com/telegram");
        let secret = Arc::new(secret.expect("a secret"));
        let addresses: Arc<Vec<SocketAddr>> =
            Arc::new(replicas.iter().map(|replica| replica.address).collect());

        // Every replica accepts the secret, and only it.
        let probe = Person::new(9_999, "Probe", Some("en"));
        for (n, address) in addresses.iter().enumerate() {
            let asked = update(&fake, &probe, question(0), 900_000 + n as i64);
            assert_eq!(
                post_update(*address, "not-the-secret", &asked).await,
                Some(401)
            );
            assert_eq!(post_update(*address, &secret, &asked).await, Some(200));
        }
        let probed = fake.wait_for_messages(probe.id, REPLICAS).await;
        assert!(probed.iter().all(|call| call.text().contains(&answer(0))));

        let nominations = stream::nominate_everyone(&db, &fake).await;

        let started = Instant::now();
        let taken = Arc::new(AtomicUsize::new(0));
        let asking = tokio::spawn({
            let (fake, addresses, secret, taken) = (
                fake.clone(),
                addresses.clone(),
                secret.clone(),
                taken.clone(),
            );
            async move { ask_everyone(&fake, &addresses, &secret, &taken).await }
        });
        let killed = &mut replicas[KILLED].server.child;
        let name = format!("r{KILLED}");
        let ready = || taken.load(Ordering::SeqCst) >= KILLED_AFTER;
        let pid = killed.id();
        hold_its_sends(&fake, &db, &name, pid, ready).await;
        killed.kill().expect("SIGKILL");
        killed.wait().expect("the killed replica reaped");
        let killed_at = taken.load(Ordering::SeqCst);
        assert!(fake.at_gate() > 0, "no sendMessage held when it was killed");
        let stranded: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT recipient) FROM outbox \
             WHERE delivered_at IS NULL AND claimed_by LIKE $1",
        )
        .bind(format!("{pid}-%"))
        .fetch_one(&mut db.raw().await)
        .await
        .expect("the chats waiting for the killed replica counted");
        // Decided while the replicas answer: each decision is queued for its requester.
        let deciding = stream::decide(&db, nominations);
        asking.await.expect("the stream posted");
        deciding.await.expect("the decisions made");
        let total = CHATS as usize * PER_CHAT;
        assert!(
            killed_at < total,
            "killed after the stream ({killed_at} of {total} taken)"
        );

        // Everything delivered, the killed replica's claims too, once their lease ran out.
        let posted = started.elapsed();
        wait_until_delivered(&db, Duration::from_secs(LEASE_SECS * 4)).await;
        let delivered = started.elapsed();
        stream::assert_answered_once_in_order(&fake).await;
        eprintln!(
            "{} updates from {CHATS} chats over {REPLICAS} replicas (one killed after {killed_at}, \
             {stranded} chats' replies claimed by it): posted in {posted:?}, the outbox \
             delivered after {delivered:?}",
            CHATS * PER_CHAT as i64,
        );
    })
    .await;
}
