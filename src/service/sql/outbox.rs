//! The outbox: queueing an event for someone within an action's transaction, and the
//! delivery loop's claims and marks, with a growing wait between failed tries.
//!
//! A claim is a lease: the claimed messages carry this replica's name and an expiry, and no
//! claim hands out a message whose lease runs. On PostgreSQL the claim locks the rows it
//! takes and skips those another replica's claim is locking (`FOR UPDATE SKIP LOCKED`), so
//! that concurrent claims take different messages rather than wait for each other. SQLite's
//! single writer makes its claim (the same statement without the locking clause) one at a
//! time.
//!
//! A recipient's messages go out in order: no claim hands out a message while an earlier
//! undelivered one to the same recipient is claimed by a lease that runs or is not due yet
//! (failed, waiting for its next try). On PostgreSQL claims take turns (a transaction-scoped
//! advisory lock), since two at once could each take one of a recipient's messages, the later
//! skipping the earlier that the other is locking. A claim takes the recipients in rotation,
//! a message of each before a second of any: one chat's backlog, which its platform paces,
//! would otherwise fill a round while every other chat waits.
//!
//! Queueing on PostgreSQL also notifies the other replicas ([`crate::replicas::wakeups`]).

use std::time::Duration;

use sqlx::AnyConnection;

use crate::database::Backend;
use crate::domain::{Channel, ChatIdentity, Timestamp};
use crate::policy::OUTBOX_ATTEMPTS;
use crate::replicas::wakeups::OUTBOX_WRITTEN;
use crate::service::sql::SqlService;
use crate::service::sql::rows::{OutboxRow, stored};
use crate::service::{MessageId, OutboxEvent, OutboxMessage, ServiceError};

/// The advisory lock the outbox's claims take turns on (PostgreSQL): "outbox" in ASCII.
const CLAIMS_LOCK: i64 = 0x6f75_7462_6f78;

/// The wait before the next try of an outbox message that failed `attempts` times: 10 s,
/// doubling, at most an hour.
fn outbox_backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(9);
    Duration::from_secs(10 << doublings).min(Duration::from_secs(3600))
}

impl SqlService {
    /// Queues `event` for `recipient` in the outbox.
    pub(super) async fn send(
        &self,
        conn: &mut AnyConnection,
        recipient: &ChatIdentity,
        event: &OutboxEvent,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let payload = serde_json::to_string(event)
            .map_err(|error| ServiceError::Corrupt(format!("outbox event: {error}")))?;
        sqlx::query(
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now.as_millis())
        .bind(recipient.to_string())
        .bind(recipient.channel().as_str())
        .bind(event.kind())
        .bind(payload)
        .execute(&mut *conn)
        .await?;
        if self.db.backend() == Backend::Postgres {
            // Sent by PostgreSQL at the commit, and not at all on a rollback.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(OUTBOX_WRITTEN)
                .bind(recipient.channel().as_str())
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Undelivered messages for `channel` whose next try is due, oldest first.
    pub(super) async fn due_messages(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let rows = sqlx::query_as::<_, OutboxRow>(
            "SELECT id, recipient, created_at, payload FROM outbox \
             WHERE channel = $1 AND delivered_at IS NULL AND abandoned_at IS NULL \
               AND next_attempt_at <= $3 \
             ORDER BY id LIMIT $2",
        )
        .bind(channel.as_str())
        .bind(i64::from(limit))
        .bind(self.clock.now().as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await?;
        rows.into_iter().map(message).collect()
    }

    /// Undelivered messages for `recipient` whose next try is due, oldest first (by the
    /// recipient's index, whatever waits for others).
    pub(super) async fn due_messages_to(
        &self,
        recipient: &ChatIdentity,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let rows = sqlx::query_as::<_, OutboxRow>(
            "SELECT id, recipient, created_at, payload FROM outbox \
             WHERE recipient = $1 AND delivered_at IS NULL AND abandoned_at IS NULL \
               AND next_attempt_at <= $3 \
             ORDER BY id LIMIT $2",
        )
        .bind(recipient.to_string())
        .bind(i64::from(limit))
        .bind(self.clock.now().as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await?;
        rows.into_iter().map(message).collect()
    }

    /// The recipients on `channel` with undelivered messages due.
    pub(super) async fn due_recipients(
        &self,
        channel: Channel,
    ) -> Result<Vec<ChatIdentity>, ServiceError> {
        let recipients: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT recipient FROM outbox \
             WHERE channel = $1 AND delivered_at IS NULL AND abandoned_at IS NULL \
               AND next_attempt_at <= $2",
        )
        .bind(channel.as_str())
        .bind(self.clock.now().as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await?;
        recipients
            .iter()
            .map(|recipient| stored(ChatIdentity::parse(recipient)))
            .collect()
    }

    /// Claims up to `limit` of `channel`'s due messages whose lease (if any) has run out, for
    /// the database's outbox lease, taken in rotation among their recipients (each one's
    /// oldest, then each one's next, ...) and returned oldest first; none behind an earlier
    /// message to the same recipient that is claimed or not due.
    pub(super) async fn claim_due(
        &self,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let locking = match self.db.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // In rotation: each recipient's first message, then each one's second, and so on, so
        // that one recipient's backlog, which its platform paces (Telegram sends a chat one
        // message a second), does not fill the batch while others wait. The places are
        // counted in a table of their own, as no row may be locked beside a window function.
        let claim = format!(
            "UPDATE outbox SET claimed_by = $4, lease_until = $5 WHERE id IN ( \
               SELECT id FROM outbox WHERE id IN ( \
                 SELECT id FROM ( \
                   SELECT id, row_number() OVER (PARTITION BY recipient ORDER BY id) AS nth \
                   FROM outbox AS m \
                   WHERE channel = $1 AND delivered_at IS NULL AND abandoned_at IS NULL \
                     AND next_attempt_at <= $3 AND lease_until <= $3 \
                     AND NOT EXISTS (SELECT 1 FROM outbox AS earlier \
                       WHERE earlier.recipient = m.recipient AND earlier.id < m.id \
                         AND earlier.delivered_at IS NULL AND earlier.abandoned_at IS NULL \
                         AND (earlier.lease_until > $3 OR earlier.next_attempt_at > $3)) \
                 ) AS waiting ORDER BY nth, id LIMIT $2) \
               {locking}) \
             RETURNING id, recipient, created_at, payload"
        );
        let now = self.clock.now();
        let _turn = self.db.writer_turn().await;
        let mut tx = self.db.transaction().await?;
        if self.db.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(CLAIMS_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let mut rows = sqlx::query_as::<_, OutboxRow>(&claim)
            .bind(channel.as_str())
            .bind(i64::from(limit))
            .bind(now.as_millis())
            .bind(self.replica.as_str())
            .bind(now.plus(self.db.outbox_lease()).as_millis())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        // RETURNING keeps no order.
        rows.sort_by_key(|row| row.id);
        rows.into_iter().map(message).collect()
    }

    /// Counts a failed try: the next one waits longer, and the last gives the message up.
    /// Returns whether it was given up.
    pub(super) async fn delivery_failed(&self, id: MessageId) -> Result<bool, ServiceError> {
        let _turn = self.db.writer_turn().await;
        let mut conn = self.db.acquire().await?;
        let attempts: Option<i64> = sqlx::query_scalar(
            "UPDATE outbox SET attempts = attempts + 1 \
             WHERE id = $1 AND delivered_at IS NULL AND abandoned_at IS NULL RETURNING attempts",
        )
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(attempts) = attempts else {
            return Ok(false);
        };
        let now = self.clock.now();
        let abandoned = attempts >= i64::from(OUTBOX_ATTEMPTS);
        let query = if abandoned {
            sqlx::query("UPDATE outbox SET abandoned_at = $2 WHERE id = $1")
                .bind(id.0)
                .bind(now.as_millis())
        } else {
            // Released: due again at its next try, for whichever replica claims it then.
            sqlx::query(
                "UPDATE outbox SET next_attempt_at = $2, claimed_by = NULL, lease_until = 0 \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(now.plus(outbox_backoff(attempts)).as_millis())
        };
        query.execute(&mut *conn).await?;
        Ok(abandoned)
    }

    /// Marks `ids` delivered in one statement (a round's: at most its batch, well under either
    /// database's limit on parameters).
    pub(super) async fn delivered(&self, ids: &[MessageId]) -> Result<(), ServiceError> {
        let listed: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox SET delivered_at = $1 WHERE delivered_at IS NULL AND id IN ({})",
            listed.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(self.clock.now().as_millis());
        for id in ids {
            query = query.bind(id.0);
        }
        let _turn = self.db.writer_turn().await;
        query.execute(&mut *self.db.acquire().await?).await?;
        Ok(())
    }
}

impl SqlService {
    /// Gives `ids` back unsent (a round's, as [`SqlService::delivered`]'s).
    pub(super) async fn released(&self, ids: &[MessageId]) -> Result<(), ServiceError> {
        let listed: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox SET claimed_by = NULL, lease_until = 0 \
             WHERE delivered_at IS NULL AND id IN ({})",
            listed.join(", ")
        );
        let query = ids
            .iter()
            .fold(sqlx::query(&sql), |query, id| query.bind(id.0));
        let _turn = self.db.writer_turn().await;
        query.execute(&mut *self.db.acquire().await?).await?;
        Ok(())
    }
}

/// An outbox row as the message it stores.
fn message(row: OutboxRow) -> Result<OutboxMessage, ServiceError> {
    Ok(OutboxMessage {
        id: MessageId(row.id),
        recipient: stored(ChatIdentity::parse(&row.recipient))?,
        created_at: Timestamp::from_millis(row.created_at),
        event: stored(serde_json::from_str(&row.payload))?,
    })
}
