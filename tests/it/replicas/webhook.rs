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

use pao_bot::domain::GrantRole;
use pao_bot::lang::Lang;
use pao_bot::service::AccountService;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinSet;

use crate::databases::{self, Backend, TestDb};
use crate::reload::serve::Server;
use crate::service::{operator, requested, site_with_primary};
use crate::support::{faq_dir, first_line_of_answer};
use crate::telegram::fake::{FakeTelegram, Person, post_update};

const REPLICAS: usize = 3;
/// The 300 chats of 10 updates. Each chat's ten take ten seconds at least
/// (Telegram's one message a second per chat, which every replica keeps).
const CHATS: i64 = 300;
const PER_CHAT: usize = 10;
/// The replicas' outbox lease: long enough for a round to send a chat's replies that waited
/// behind the killed replica's (one a second), short enough not to keep the test waiting.
const LEASE_SECS: u64 = 15;
/// The replica killed, and after how many of the stream's updates it is.
const KILLED: usize = REPLICAS - 1;
const KILLED_AFTER: usize = CHATS as usize * PER_CHAT / 3;
/// The first chat id of the people whose nominations are decided.
const REQUESTERS: i64 = 20_000;
/// Questions with different answers, asked in turn, so that a chat's replies show their order.
const QUESTIONS: [(&str, &str); 3] = [
    ("which browsers does PAO support", "browsers"),
    ("I forgot my password", "forgot-password"),
    ("how do I log out", "logout"),
];

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
            let person = Person::new(10_000 + chat, "Customer", Some("en"));
            for nth in 0..PER_CHAT {
                let id = 1_000_000 + chat * 100 + i64::try_from(nth).unwrap();
                let question = QUESTIONS[nth % QUESTIONS.len()].0;
                let update = update(&fake, &person, question, id);
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

/// Waits, at most `patience`, until the outbox holds nothing undelivered.
async fn wait_until_delivered(db: &TestDb, patience: Duration) {
    let deadline = Instant::now() + patience;
    loop {
        let undelivered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND abandoned_at IS NULL",
        )
        .fetch_one(&mut db.raw().await)
        .await
        .expect("the outbox counted");
        if undelivered == 0 {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "{undelivered} outbox messages undelivered:\n{}",
                undelivered_summary(db).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the outbox holds undelivered, for a failure's message: per claimer's process (or
/// none), whether the claim's lease runs and whether the message waits for its next try,
/// how many messages to how many chats, and the lease's end from now.
async fn undelivered_summary(db: &TestDb) -> String {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("a time in milliseconds");
    let rows: Vec<(Option<String>, bool, bool, i64, i64, i64)> = sqlx::query_as(
        "SELECT split_part(claimed_by, '-', 1) || CASE WHEN claimed_by LIKE '%-turn-%' \
           THEN ' (turns)' ELSE ' (rounds)' END, \
           lease_until > $1, next_attempt_at > $1, count(*), count(DISTINCT recipient), \
           max(lease_until) - $1 \
         FROM outbox WHERE delivered_at IS NULL AND abandoned_at IS NULL \
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(now)
    .fetch_all(&mut db.raw().await)
    .await
    .expect("the undelivered summed up");
    rows.iter()
        .map(|(by, leased, waiting, messages, chats, lease_left)| {
            let by = by.as_deref().unwrap_or("unclaimed");
            format!(
                "  {by}: {messages} messages to {chats} chats, leased {leased} \
                 (ends in {lease_left} ms at most), waiting for a retry {waiting}"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Once `count` updates are taken, holds every `sendMessage` of the replica `name` (process
/// `pid`) at the fake's gate, waits until it has one held and none sent but unmarked (each of
/// its claimers with undelivered messages, a turn or a round, is held at the gate), and
/// returns, for the replica to be killed: killed between a send and its mark, a replica has
/// its message sent twice (the outbox is at least once), which this test does not measure.
async fn hold_its_sends(
    fake: &FakeTelegram,
    db: &TestDb,
    name: &str,
    pid: u32,
    taken: &AtomicUsize,
    count: usize,
) {
    while taken.load(Ordering::SeqCst) < count {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.gate(name, "sendMessage");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let claimers: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT claimed_by) FROM outbox \
             WHERE delivered_at IS NULL AND claimed_by LIKE $1",
        )
        .bind(format!("{pid}-%"))
        .fetch_one(&mut db.raw().await)
        .await
        .expect("the killed replica's claims counted");
        let held = fake.at_gate();
        // Each claimer has one send at a time: as many held as claimers, none unmarked.
        if held > 0 && u64::try_from(claimers).unwrap() <= held {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica's sends never all held"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
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
            let asked = update(&fake, &probe, QUESTIONS[0].0, 900_000 + n as i64);
            assert_eq!(
                post_update(*address, "not-the-secret", &asked).await,
                Some(401)
            );
            assert_eq!(post_update(*address, &secret, &asked).await, Some(200));
        }
        let answers: Vec<String> = QUESTIONS
            .iter()
            .map(|(_, id)| first_line_of_answer(id, Lang::En))
            .collect();
        let probed = fake.wait_for_messages(probe.id, REPLICAS).await;
        assert!(probed.iter().all(|call| call.text().contains(&answers[0])));

        // People waiting for a decision on their nomination, one per chat.
        site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
        let mut nominations = Vec::new();
        for n in 0..CHATS {
            let requester = Person::new(REQUESTERS + n, "Requester", Some("en"));
            fake.know(&requester.private_chat());
            let chat = format!("telegram:{}", requester.id);
            let ibm_id = format!("user{n}@example.jp");
            nominations.push(requested(&db, &chat, "1234567", &ibm_id).await);
        }

        let started = Instant::now();
        let taken = Arc::new(AtomicUsize::new(0));
        let stream = tokio::spawn({
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
        let pid = killed.id();
        hold_its_sends(&fake, &db, &name, pid, &taken, KILLED_AFTER).await;
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
        let deciding = tokio::spawn({
            let service = db.service.clone();
            async move {
                for id in nominations {
                    service
                        .approve_nomination(&operator(), id, GrantRole::User)
                        .await
                        .expect("the operator approves");
                }
            }
        });
        stream.await.expect("the stream posted");
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
        for chat in 0..CHATS {
            let person = 10_000 + chat;
            let sent = fake.wait_for_messages(person, PER_CHAT).await;
            let firsts: Vec<&str> = sent
                .iter()
                .map(|call| call.text().lines().next().unwrap_or_default())
                .collect();
            assert_eq!(sent.len(), PER_CHAT, "chat {person}: {firsts:#?}");
            for (nth, call) in sent.iter().enumerate() {
                let expected = &answers[nth % QUESTIONS.len()];
                assert!(
                    call.text().contains(expected.as_str()),
                    "chat {person}, reply {nth} out of order: {firsts:#?}"
                );
            }
        }
        for n in 0..CHATS {
            let requester = REQUESTERS + n;
            let told = fake.wait_for_messages(requester, 1).await;
            assert_eq!(told.len(), 1, "requester {requester} told once");
        }
        eprintln!(
            "{} updates from {CHATS} chats over {REPLICAS} replicas (one killed after {killed_at}, \
             {stranded} chats' replies claimed by it): posted in {posted:?}, the outbox \
             delivered after {delivered:?}",
            CHATS * PER_CHAT as i64,
        );
    })
    .await;
}
