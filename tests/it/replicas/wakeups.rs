//! `LISTEN`/`NOTIFY` on PostgreSQL: an outbox message queued through one replica's service
//! wakes another replica's delivery loops at once, not at their next round, also after the
//! listener's connection was lost.

use std::sync::Arc;
use std::time::Duration;

use pao_bot::domain::GrantRole;
use pao_bot::replicas::wakeups;
use pao_bot::service::{AccountService, SqlService};
use tokio::sync::futures::Notified;
use tokio_util::sync::CancellationToken;

use crate::databases::{self, Backend, TestDb};
use crate::service::{operator, requested, site_with_primary};

/// A bound that only guards against a hang: the wake-ups tested come in milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits for `waiter`, failing the test after [`PATIENCE`].
async fn woken(waiter: Notified<'_>, what: &str) {
    tokio::time::timeout(PATIENCE, waiter)
        .await
        .unwrap_or_else(|_| panic!("not woken: {what}"));
}

/// A nomination queued and approved through `db`'s own service, which queues an outbox
/// message for the requester.
async fn approve_one(db: &TestDb, chat: &str) {
    let id = requested(db, chat, "1234567", &format!("{}@example.jp", &chat[9..])).await;
    db.service
        .approve_nomination(&operator(), id, GrantRole::User)
        .await
        .expect("the operator approves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_write_through_one_replica_wakes_another_replicas_loops() {
    databases::run(Backend::Postgres, |db: TestDb| async move {
        site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
        let other: Arc<SqlService> = db.second_service().await;
        let stop = CancellationToken::new();
        // A waiter hears every `notify_waiters` from its creation on, polled or not.
        let connected = other.outbox_written().notified();
        let relay = tokio::spawn(wakeups::relay(
            other.database().clone(),
            {
                let other = other.clone();
                move || other.outbox_written().notify_waiters()
            },
            stop.clone(),
        ));
        woken(connected, "the listener connected").await;

        // Only the other service's listener can wake this waiter: the write is not its own.
        let written = other.outbox_written().notified();
        approve_one(&db, "telegram:501").await;
        woken(written, "an outbox write through another service").await;

        // The listener's connection is cut; it connects again and goes on.
        let reconnected = other.outbox_written().notified();
        let mut raw = db.raw().await;
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(&mut raw)
        .await
        .unwrap();
        assert_eq!(cut, [true]);
        woken(reconnected, "the listener reconnected").await;
        let written = other.outbox_written().notified();
        approve_one(&db, "telegram:502").await;
        woken(written, "an outbox write after the reconnection").await;

        stop.cancel();
        relay.await.unwrap();
        other.close().await;
    })
    .await;
}
