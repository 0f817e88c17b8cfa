//! Two services on one database (two replicas' pools) delivering one outbox: every message
//! sent exactly once, the claims of a replica that died sent by the other after their lease,
//! and a recipient's messages handed out in order, none while an earlier one is claimed or
//! waits for its next try; a claim takes the recipients in rotation, so that one chat's
//! backlog (paced by its platform) does not fill it, and a round sends to several at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pao_bot::domain::{Channel, SiteNumber, Timestamp};
use pao_bot::policy::OUTBOX_LEASE;
use pao_bot::service::{AccountService, MessageId, OutboxEvent, SqlService, deliver_once};
use sqlx::AnyConnection;
use tokio::sync::Barrier;

use crate::databases::{START, TestDb, on_both_databases};

on_both_databases!(
    two_replicas_delivering_at_once_send_every_message_exactly_once,
    a_dead_replicas_claims_are_sent_by_another_once_their_lease_runs_out,
    no_claim_hands_out_a_message_behind_an_earlier_one_claimed_or_not_due,
    a_claim_takes_every_recipients_first_message_before_anyones_second,
    a_round_sends_to_several_recipients_at_once_each_ones_in_order,
);

/// How many messages the tests queue: several claims' worth.
const QUEUED: usize = 450;

/// Queues `count` messages for Telegram behind the service's back, as actions would have,
/// to 30 recipients in turn.
async fn queue(conn: &mut AnyConnection, count: usize) {
    for n in 0..count {
        queue_for(conn, 1000 + n % 30, n).await;
    }
}

/// Queues message `n` for Telegram's `recipient`.
async fn queue_for(conn: &mut AnyConnection, recipient: usize, n: usize) {
    {
        let event = OutboxEvent::SiteLocked {
            site: SiteNumber::parse("1234567").unwrap(),
            failures: u32::try_from(n).unwrap(),
            until: Timestamp::from_millis(START),
        };
        sqlx::query(
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             VALUES ($1, $2, 'telegram', $3, $4)",
        )
        .bind(START)
        .bind(format!("telegram:{recipient}"))
        .bind(event.kind())
        .bind(serde_json::to_string(&event).unwrap())
        .execute(&mut *conn)
        .await
        .unwrap();
    }
}

/// Sends what `service` claims until a round finds nothing, recording each message sent.
async fn deliver_all(service: Arc<SqlService>, sent: Arc<Mutex<Vec<MessageId>>>) {
    loop {
        let count = deliver_once(service.as_ref(), Channel::Telegram, |message| {
            let sent = sent.clone();
            async move {
                // Lets the other replica's round run in the middle of this one.
                tokio::task::yield_now().await;
                sent.lock().unwrap().push(message.id);
                Ok::<(), String>(())
            }
        })
        .await
        .unwrap();
        if count == 0 {
            return;
        }
    }
}

/// How often each message was sent.
fn times_sent(sent: &Mutex<Vec<MessageId>>) -> BTreeMap<i64, usize> {
    let mut times = BTreeMap::new();
    for id in sent.lock().unwrap().iter() {
        *times.entry(id.0).or_default() += 1;
    }
    times
}

async fn two_replicas_delivering_at_once_send_every_message_exactly_once(db: TestDb) {
    queue(&mut db.raw().await, QUEUED).await;
    let other = db.second_service().await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let first = tokio::spawn(deliver_all(db.service.clone(), sent.clone()));
    let second = tokio::spawn(deliver_all(other.clone(), sent.clone()));
    first.await.unwrap();
    second.await.unwrap();

    let times = times_sent(&sent);
    assert_eq!(times.len(), QUEUED);
    let again: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "sent more than once: {again:?}");
    let left = db.service.pending_messages(Channel::Telegram, 10).await;
    assert!(left.unwrap().is_empty());
    other.close().await;
}

async fn a_dead_replicas_claims_are_sent_by_another_once_their_lease_runs_out(db: TestDb) {
    queue(&mut db.raw().await, 30).await;
    // This replica claims the messages and dies before sending any.
    let dead = db.second_service().await;
    let claimed = dead.claim_messages(Channel::Telegram, 100).await.unwrap();
    assert_eq!(claimed.len(), 30);
    dead.close().await;

    let sent = Arc::new(Mutex::new(Vec::new()));
    deliver_all(db.service.clone(), sent.clone()).await;
    assert!(times_sent(&sent).is_empty(), "claimed messages were sent");
    db.clock.advance(OUTBOX_LEASE - Duration::from_secs(1));
    deliver_all(db.service.clone(), sent.clone()).await;
    assert!(
        times_sent(&sent).is_empty(),
        "sent before the lease ran out"
    );

    db.clock.advance(Duration::from_secs(1));
    deliver_all(db.service.clone(), sent.clone()).await;
    let times = times_sent(&sent);
    let claimed: Vec<i64> = claimed.iter().map(|message| message.id.0).collect();
    assert_eq!(times.keys().copied().collect::<Vec<_>>(), claimed);
    assert!(times.values().all(|n| *n == 1), "{times:?}");
}

/// The recipients and failure counts (each message's number) of `messages`.
fn claimed(messages: &[pao_bot::service::OutboxMessage]) -> Vec<(String, u32)> {
    messages
        .iter()
        .map(|message| {
            let OutboxEvent::SiteLocked { failures, .. } = message.event else {
                panic!("not a queued test message: {message:?}");
            };
            (message.recipient.to_string(), failures)
        })
        .collect()
}

async fn no_claim_hands_out_a_message_behind_an_earlier_one_claimed_or_not_due(db: TestDb) {
    let mut conn = db.raw().await;
    for n in 0..3 {
        queue_for(&mut conn, 1, n).await;
    }
    queue_for(&mut conn, 2, 3).await;
    let a = |n| ("telegram:1".to_owned(), n);
    let b = |n| ("telegram:2".to_owned(), n);

    // The other replica claims the first message; its recipient's next ones wait for it.
    let other = db.second_service().await;
    let first = other.claim_messages(Channel::Telegram, 1).await.unwrap();
    assert_eq!(claimed(&first), [a(0)]);
    let meanwhile = db.service.claim_messages(Channel::Telegram, 100).await;
    assert_eq!(claimed(&meanwhile.unwrap()), [b(3)]);

    // It fails: due again in 10 s, and the ones behind it still wait.
    other.mark_failed(first[0].id).await.unwrap();
    let failed = db.service.claim_messages(Channel::Telegram, 100).await;
    assert_eq!(claimed(&failed.unwrap()), []);
    db.clock.advance(Duration::from_secs(10));
    let due = db.service.claim_messages(Channel::Telegram, 100).await;
    assert_eq!(claimed(&due.unwrap()), [a(0), a(1), a(2)]);
    other.close().await;
}

/// Three messages to each of three recipients, the first's three queued first: the
/// recipients' messages as `(recipient, number)`.
async fn three_each(conn: &mut AnyConnection) -> [[(String, u32); 3]; 3] {
    for n in 0..9 {
        queue_for(conn, 1 + n / 3, n).await;
    }
    [0, 1, 2].map(|r| [0, 1, 2].map(|n| (format!("telegram:{}", r + 1), 3 * r + n)))
}

async fn a_claim_takes_every_recipients_first_message_before_anyones_second(db: TestDb) {
    let [a, b, c] = three_each(&mut db.raw().await).await;
    let first = db.service.claim_messages(Channel::Telegram, 3).await;
    assert_eq!(
        claimed(&first.unwrap()),
        [&a[0], &b[0], &c[0]].map(Clone::clone)
    );

    // Once their lease has run out, they are claimed again with each recipient's next one.
    db.clock.advance(OUTBOX_LEASE);
    let next = db.service.claim_messages(Channel::Telegram, 6).await;
    let expected = [&a[0], &a[1], &b[0], &b[1], &c[0], &c[1]].map(Clone::clone);
    assert_eq!(claimed(&next.unwrap()), expected);
}

/// A bound that only guards against a hang.
const PATIENCE: Duration = Duration::from_secs(5);

async fn a_round_sends_to_several_recipients_at_once_each_ones_in_order(db: TestDb) {
    let mut conn = db.raw().await;
    for (recipient, n) in [(1, 0), (1, 1), (2, 2)] {
        queue_for(&mut conn, recipient, n).await;
    }
    // The first messages to 1 and to 2 are sent only together: one recipient at a time, the
    // round would wait for ever.
    let together = Arc::new(Barrier::new(2));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let count = deliver_once(db.service.as_ref(), Channel::Telegram, |message| {
        let (together, sent) = (together.clone(), sent.clone());
        async move {
            let number = claimed(std::slice::from_ref(&message))[0].1;
            if number != 1 {
                tokio::time::timeout(PATIENCE, together.wait())
                    .await
                    .map_err(|_| format!("message {number} sent alone"))?;
            }
            sent.lock().unwrap().push(number);
            Ok::<(), String>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(count, 3);
    let sent = sent.lock().unwrap().clone();
    let place = |number| sent.iter().position(|n| *n == number);
    assert!(place(0) < place(1), "recipient 1's out of order: {sent:?}");
}
