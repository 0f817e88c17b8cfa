//! Long polling with `pao-bot serve` replicas on one PostgreSQL database and one bot: only
//! the holder of the polling lease calls `getUpdates`; killed, it is replaced by a standby
//! within ten seconds, which answers from then on, and answers once each update of the batch
//! the killed one had fetched but not handled whole. And the stream, 3,000 updates
//! from 300 chats queued for three replicas, answered exactly once and in order in each
//! chat although the holder is SIGKILLed in the middle with a `sendMessage` of its held by
//! the fake Telegram; and decisions queued in the outbox meanwhile reach each requester
//! exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pao_bot::lang::Lang;
use tempfile::TempDir;

use crate::databases::{self, Backend, TestDb};
use crate::reload::serve::Server;
use crate::replicas::stream::{
    self, CHATS, LEASE_SECS, PER_CHAT, REPLICAS, customer, hold_its_sends, question,
    wait_until_delivered,
};
use crate::support::{faq_dir, first_line_of_answer};
use crate::telegram::fake::{Call, FakeTelegram, Person};

/// How soon a standby must take over from a dead holder (issue 17).
const TAKEOVER: Duration = Duration::from_secs(10);

/// The replicas' outbox lease in the test of one batch: what the killed replica's claimed
/// reply waits for.
const SHORT_LEASE_SECS: u64 = 3;
/// In the stream, the holder is killed once this many replies are sent.
const KILLED_AFTER: u64 = CHATS as u64 * PER_CHAT as u64 / 3;
/// A bound on the stream's time that only guards against a hang.
const HANG: Duration = Duration::from_secs(600);

/// `person` asks `question`; the bot's reply.
async fn ask(fake: &FakeTelegram, person: &Person, question: &str) -> Call {
    let before = fake.sent_to(person.id).len();
    fake.say(person, question);
    let sent = fake.wait_for_messages(person.id, before + 1).await;
    sent[before].clone()
}

/// How many `getUpdates` calls the replica at `fake.url_for(name)` made.
fn polls_by(fake: &FakeTelegram, name: &str) -> usize {
    fake.calls_of("getUpdates")
        .iter()
        .filter(|call| call.via.as_deref() == Some(name))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_polls_and_the_standby_takes_over_when_it_is_killed() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = FakeTelegram::start().await;
        let cwd = TempDir::new().expect("a temporary folder");
        let mut first = Server::start_on(&fake.url_for("first"), &db.url, &faq_dir(), cwd.path());
        first.wait_for_log("lease taken").await;
        let mut second = Server::start_on(&fake.url_for("second"), &db.url, &faq_dir(), cwd.path());
        second.wait_for_log("standing by").await;

        let browsers = first_line_of_answer("browsers", Lang::En);
        let customer = Person::new(200, "Alice", Some("en"));
        let reply = ask(&fake, &customer, "which browsers does PAO support").await;
        assert!(reply.text().contains(&browsers), "{}", reply.text());
        assert_eq!(reply.via.as_deref(), Some("first"));
        assert!(polls_by(&fake, "first") > 0);
        assert_eq!(polls_by(&fake, "second"), 0, "the standby polled");

        // Killed once its reply is marked delivered: killed between its send and its mark,
        // the reply would be sent again by the other (at least once), before the next.
        wait_until_delivered(&db, TAKEOVER).await;
        first.child.kill().expect("SIGKILL");
        first.child.wait().expect("the killed replica reaped");
        let killed = Instant::now();
        second.wait_for_log("lease taken").await;
        let took = killed.elapsed();
        assert!(took < TAKEOVER, "took over after {took:?}");

        let reply = ask(&fake, &customer, "which browsers does PAO support").await;
        assert!(reply.text().contains(&browsers), "{}", reply.text());
        assert_eq!(reply.via.as_deref(), Some("second"));
    })
    .await;
}

/// Waits until the fake's gate holds a call.
async fn wait_for_the_gate(fake: &FakeTelegram) {
    let deadline = Instant::now() + TAKEOVER;
    while fake.at_gate() == 0 {
        assert!(Instant::now() < deadline, "nothing held at the gate");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The holder fetches one chat's three questions in one batch and is killed while its first
/// reply is held by the fake, before it handles the other two: the standby, taking over,
/// gets the batch again (it was not confirmed), skips the first (handled: its reply is in the
/// outbox, sent once the killed one's claim has run out) and answers the others after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_killed_holder_did_not_finish_is_answered_once_by_the_standby() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = FakeTelegram::start().await;
        let customer = Person::new(200, "Alice", Some("en"));
        let questions = [
            ("which browsers does PAO support", "browsers"),
            ("I forgot my password", "forgot-password"),
            ("how do I log out", "logout"),
        ];
        // Queued before the holder starts, so that its first batch holds all three.
        let ids: Vec<i64> = questions
            .iter()
            .map(|(question, _)| fake.say(&customer, question).0)
            .collect();
        fake.gate("first", "sendMessage");
        let cwd = TempDir::new().expect("a temporary folder");
        let settings = format!("outbox:\n  lease_secs: {SHORT_LEASE_SECS}\n");
        std::fs::write(cwd.path().join("pao-bot.yaml"), settings).expect("the settings written");
        let mut first = Server::start_on(&fake.url_for("first"), &db.url, &faq_dir(), cwd.path());
        first.wait_for_log("lease taken").await;
        let mut second = Server::start_on(&fake.url_for("second"), &db.url, &faq_dir(), cwd.path());
        second.wait_for_log("standing by").await;

        wait_for_the_gate(&fake).await;
        let handed: Vec<i64> = fake
            .calls_of("getUpdates")
            .iter()
            .flat_map(Call::update_ids)
            .collect();
        assert_eq!(handed, ids, "one batch of the three, to the holder");
        assert_eq!(fake.at_gate(), 1, "more than the first reply held");
        first.child.kill().expect("SIGKILL");
        first.child.wait().expect("the killed replica reaped");
        second.wait_for_log("lease taken").await;

        let sent = fake.wait_for_messages(customer.id, questions.len()).await;
        for (call, (_, entry)) in sent.iter().zip(&questions) {
            let expected = first_line_of_answer(entry, Lang::En);
            assert!(call.text().contains(&expected), "{}", call.text());
            assert_eq!(call.via.as_deref(), Some("second"));
        }
        wait_until_delivered(&db, TAKEOVER).await;
        assert_eq!(
            fake.sent_to(customer.id).len(),
            questions.len(),
            "a reply sent twice"
        );
    })
    .await;
}

/// Queues every chat's questions for `getUpdates`, each chat's in order and the chats in
/// turn (a person asks again once answered), and half of them once more, as Telegram hands
/// out again an update it is not sure the bot got.
fn queue_everyone(fake: &FakeTelegram) {
    for nth in 0..PER_CHAT {
        let ids: Vec<i64> = (0..CHATS)
            .map(|chat| fake.say(&customer(chat), question(nth)).0)
            .collect();
        if nth.is_multiple_of(2) {
            ids.into_iter().for_each(|id| fake.redeliver(id));
        }
    }
}

/// Waits until `count` messages have been sent, or for [`HANG`].
async fn wait_for_sent(fake: &FakeTelegram, count: u64) {
    let deadline = Instant::now() + HANG;
    while fake.count("sendMessage") < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_replicas_answer_each_update_once_and_in_order_when_the_holder_is_killed() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        let fake = Arc::new(FakeTelegram::start().await);
        let cwd = TempDir::new().expect("a temporary folder");
        let settings = format!("outbox:\n  lease_secs: {LEASE_SECS}\n");
        std::fs::write(cwd.path().join("pao-bot.yaml"), settings).expect("the settings written");
        let mut replicas = Vec::new();
        for n in 0..REPLICAS {
            let api = fake.url_for(&format!("r{n}"));
            let mut server = Server::start_on(&api, &db.url, &faq_dir(), cwd.path());
            let said = if n == 0 { "lease taken" } else { "standing by" };
            server.wait_for_log(said).await;
            replicas.push(server);
        }
        let nominations = stream::nominate_everyone(&db, &fake).await;

        let started = Instant::now();
        queue_everyone(&fake);
        let holder = &mut replicas[0].child;
        let ready = || fake.count("sendMessage") >= KILLED_AFTER;
        hold_its_sends(&fake, &db, "r0", holder.id(), ready).await;
        holder.kill().expect("SIGKILL");
        holder.wait().expect("the killed replica reaped");
        let killed = Instant::now();
        let killed_after = fake.count("sendMessage");
        assert!(fake.at_gate() > 0, "no sendMessage held when it was killed");
        for standby in ["r1", "r2"] {
            assert_eq!(
                polls_by(&fake, standby),
                0,
                "{standby} polled beside the holder"
            );
        }
        // Decided while the replicas answer: each decision is queued for its requester.
        let deciding = stream::decide(&db, nominations);

        let total = u64::try_from(CHATS).unwrap() * PER_CHAT as u64;
        wait_for_sent(&fake, total + u64::try_from(CHATS).unwrap()).await;
        deciding.await.expect("the decisions made");
        let took_over = fake
            .calls_of("getUpdates")
            .iter()
            .filter(|call| call.via.as_deref() != Some("r0"))
            .map(|call| call.at)
            .min()
            .expect("a standby polled");
        let took = took_over.saturating_duration_since(killed);
        assert!(took < TAKEOVER, "took over after {took:?}");
        assert!(
            killed_after < total,
            "killed after the stream ({killed_after} of {total} answered)"
        );

        // Everything delivered, the killed replica's claims too, once their lease ran out.
        wait_until_delivered(&db, Duration::from_secs(LEASE_SECS * 4)).await;
        stream::assert_answered_once_in_order(&fake).await;
        eprintln!(
            "{total} updates from {CHATS} chats by polling over {REPLICAS} replicas (the holder \
             killed after {killed_after} replies, replaced in {took:?}) answered in {:?}",
            started.elapsed()
        );
    })
    .await;
}
