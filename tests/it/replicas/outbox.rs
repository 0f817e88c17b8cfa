//! Two services on one database (two replicas' pools) delivering one outbox: every message
//! sent exactly once, and the claims of a replica that died sent by the other after their
//! lease.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pao_bot::domain::{Channel, SiteNumber, Timestamp};
use pao_bot::policy::OUTBOX_LEASE;
use pao_bot::service::{AccountService, MessageId, OutboxEvent, SqlService, deliver_once};
use sqlx::AnyConnection;

use crate::databases::{START, TestDb, on_both_databases};

on_both_databases!(
    two_replicas_delivering_at_once_send_every_message_exactly_once,
    a_dead_replicas_claims_are_sent_by_another_once_their_lease_runs_out,
);

/// How many messages the tests queue: several claims' worth.
const QUEUED: usize = 450;

/// Queues `count` messages for Telegram behind the service's back, as actions would have.
async fn queue(conn: &mut AnyConnection, count: usize) {
    for n in 0..count {
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
        .bind(format!("telegram:{}", 1000 + n % 30))
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
