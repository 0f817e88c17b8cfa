//! The stream for three replicas, shared by the webhook and the long polling tests:
//! 300 chats asking 10 questions each while an operator decides 300 nominations, one replica
//! SIGKILLed in the middle with a `sendMessage` of its held by the fake Telegram, and what it
//! must come to: every question answered exactly once and in order in its chat, every
//! decision told once to its requester, nothing left undelivered in the outbox.

use std::time::{Duration, Instant};

use pao_bot::domain::GrantRole;
use pao_bot::lang::Lang;
use pao_bot::service::{AccountService, NominationId};
use tokio::task::JoinHandle;

use crate::databases::TestDb;
use crate::service::{operator, requested, site_with_primary};
use crate::support::first_line_of_answer;
use crate::telegram::fake::{FakeTelegram, Person};

pub const REPLICAS: usize = 3;
/// The 300 chats of 10 updates. Each chat's ten take ten seconds at least
/// (Telegram's one message a second per chat, which every replica keeps).
pub const CHATS: i64 = 300;
pub const PER_CHAT: usize = 10;
/// The replicas' outbox lease: long enough for a round to send a chat's replies that waited
/// behind the killed replica's (one a second), short enough not to keep the test waiting.
pub const LEASE_SECS: u64 = 15;
/// The first chat id of the people whose nominations are decided.
const REQUESTERS: i64 = 20_000;
/// Questions with different answers, asked in turn, so that a chat's replies show their order.
const QUESTIONS: [(&str, &str); 3] = [
    ("which browsers does PAO support", "browsers"),
    ("I forgot my password", "forgot-password"),
    ("how do I log out", "logout"),
];

/// The customer of chat `chat` (0 to [`CHATS`]).
pub fn customer(chat: i64) -> Person {
    Person::new(10_000 + chat, "Customer", Some("en"))
}

/// The `nth` question a chat asks.
pub fn question(nth: usize) -> &'static str {
    QUESTIONS[nth % QUESTIONS.len()].0
}

/// The first line of the answer to [`question`]`(nth)`.
pub fn answer(nth: usize) -> String {
    first_line_of_answer(QUESTIONS[nth % QUESTIONS.len()].1, Lang::En)
}

/// People waiting for a decision on their nomination, one per chat, each chat known to the
/// fake: their nominations.
pub async fn nominate_everyone(db: &TestDb, fake: &FakeTelegram) -> Vec<NominationId> {
    site_with_primary(db, "1234567", "taro@example.jp", "telegram:1").await;
    let mut nominations = Vec::new();
    for n in 0..CHATS {
        let requester = Person::new(REQUESTERS + n, "Requester", Some("en"));
        fake.know(&requester.private_chat());
        let chat = format!("telegram:{}", requester.id);
        let ibm_id = format!("user{n}@example.jp");
        nominations.push(requested(db, &chat, "1234567", &ibm_id).await);
    }
    nominations
}

/// The operator approves `nominations` one after the other, in a task: each decision is
/// queued for its requester.
pub fn decide(db: &TestDb, nominations: Vec<NominationId>) -> JoinHandle<()> {
    let service = db.service.clone();
    tokio::spawn(async move {
        for id in nominations {
            service
                .approve_nomination(&operator(), id, GrantRole::User)
                .await
                .expect("the operator approves");
        }
    })
}

/// Waits, at most `patience`, until the outbox holds nothing undelivered.
pub async fn wait_until_delivered(db: &TestDb, patience: Duration) {
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

/// Once `ready()`, holds every `sendMessage` of the replica `name` (process `pid`) at the
/// fake's gate, waits until it has one held and none sent but unmarked (each of its claimers
/// with undelivered messages, a turn or a round, is held at the gate), and returns, for the
/// replica to be killed: killed between a send and its mark, a replica has its message sent
/// twice (the outbox is at least once), which these tests do not measure.
pub async fn hold_its_sends<F>(fake: &FakeTelegram, db: &TestDb, name: &str, pid: u32, ready: F)
where
    F: Fn() -> bool,
{
    while !ready() {
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

/// Every chat's questions answered once each, in the order asked; every requester told
/// once. Called once the outbox is delivered.
pub async fn assert_answered_once_in_order(fake: &FakeTelegram) {
    let answers: Vec<String> = (0..QUESTIONS.len()).map(answer).collect();
    for chat in 0..CHATS {
        let person = customer(chat).id;
        let sent = fake.wait_for_messages(person, PER_CHAT).await;
        let firsts: Vec<&str> = sent
            .iter()
            .map(|call| call.text().lines().next().unwrap_or_default())
            .collect();
        assert_eq!(sent.len(), PER_CHAT, "chat {person}: {firsts:#?}");
        for (nth, call) in sent.iter().enumerate() {
            assert!(
                call.text().contains(answers[nth % answers.len()].as_str()),
                "chat {person}, reply {nth} out of order: {firsts:#?}"
            );
        }
    }
    for n in 0..CHATS {
        let requester = REQUESTERS + n;
        let told = fake.wait_for_messages(requester, 1).await;
        assert_eq!(told.len(), 1, "requester {requester} told once");
    }
}
