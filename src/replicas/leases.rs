//! Leases: a job only one replica may do at a time (polling Telegram's `getUpdates`, which
//! Telegram refuses to a second poller) is done by whichever replica holds its lease, a row
//! of `leases` with a holder and an expiry. The holder renews it every [`RENEW_EVERY`]; the
//! others stand by, trying to take it as often, and one does once it has expired, so within
//! [`TERM`] plus [`RENEW_EVERY`] of the holder dying. A holder that stops releases it, so
//! that another takes over at its next try.
//!
//! Expiries are read on the replicas' clocks, which must agree to within a second or so
//! (NTP); a lease is not a lock for correctness, only for "one poller".

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::database::Database;
use crate::replicas::ReplicaId;
use crate::service::Clock;
use crate::telemetry;

/// How long a lease lasts from its last renewal.
pub const TERM: Duration = Duration::from_secs(5);
/// How often the holder renews, and a standby tries to take it: a standby takes over within
/// six seconds of the holder dying, and a holder survives four renewals lost in a row.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

/// One job's lease, as one replica sees it.
#[derive(Debug)]
pub struct Lease {
    db: Database,
    name: Cow<'static, str>,
    holder: ReplicaId,
    clock: Arc<dyn Clock>,
}

impl Lease {
    /// The lease `name` on `db`, held (when it is) under a new [`ReplicaId`].
    pub fn new<N>(db: Database, name: N, clock: Arc<dyn Clock>) -> Lease
    where
        N: Into<Cow<'static, str>>,
    {
        Lease {
            db,
            name: name.into(),
            holder: ReplicaId::new(),
            clock,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the lease if it is free or expired, or renews it if this replica holds it, for
    /// [`TERM`]. Returns whether this replica holds it now.
    pub async fn hold(&self) -> Result<bool, sqlx::Error> {
        let now = self.clock.now();
        let _turn = self.db.writer_turn().await;
        let held: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE \
               SET holder = excluded.holder, expires_at = excluded.expires_at \
               WHERE leases.holder = excluded.holder OR leases.expires_at <= $4 \
             RETURNING holder",
        )
        .bind(self.name())
        .bind(self.holder.as_str())
        .bind(now.plus(TERM).as_millis())
        .bind(now.as_millis())
        .fetch_optional(&mut *self.db.acquire().await?)
        .await?;
        Ok(held.is_some())
    }

    /// Gives the lease up, if this replica holds it.
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        let _turn = self.db.writer_turn().await;
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(self.name())
            .bind(self.holder.as_str())
            .execute(&mut *self.db.acquire().await?)
            .await?;
        Ok(())
    }
}

/// Until `stop`: stands by until this replica holds `lease`, then runs `job` with a token
/// that is cancelled when `stop` is or when another replica has taken the lease; after the
/// latter, stands by again. Returns what `job` returned once `stop` came, or its first
/// error, releasing the lease.
///
/// A renewal that fails (the database out of reach) keeps the job running: another replica
/// can take over only through the database too, and a job stopped for nothing (Telegram's
/// FAQ answers need no database) costs more than two pollers for a while.
pub async fn run_while_held<F, Fut, E>(
    lease: &Lease,
    stop: CancellationToken,
    mut job: F,
) -> Result<(), E>
where
    F: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    loop {
        if !stand_by(lease, &stop).await {
            return Ok(());
        }
        tracing::info!(
            lease = lease.name(),
            "lease taken: this replica does the job"
        );
        telemetry::lease_held(lease.name(), true);
        let lost = stop.child_token();
        let running = job(lost.clone());
        tokio::pin!(running);
        let result = tokio::select! {
            result = &mut running => result,
            () = keep(lease, &lost) => {
                // The job is told to stop, and finishes what it has.
                lost.cancel();
                running.await
            }
        };
        telemetry::lease_held(lease.name(), false);
        if stop.is_cancelled() || result.is_err() {
            if let Err(error) = lease.release().await {
                tracing::warn!(lease = lease.name(), %error, "the lease could not be released; it expires");
            }
            return result;
        }
        tracing::warn!(
            lease = lease.name(),
            "lease taken by another replica: standing by"
        );
    }
}

/// Tries to take `lease` every [`RENEW_EVERY`] until it is held (true) or `stop` (false).
async fn stand_by(lease: &Lease, stop: &CancellationToken) -> bool {
    let (mut said, mut failing) = (false, false);
    loop {
        let held = lease.hold().await;
        match &held {
            Ok(true) => return true,
            Ok(false) if !said => {
                tracing::info!(
                    lease = lease.name(),
                    "another replica holds the lease: standing by"
                );
                said = true;
            }
            Ok(false) => {}
            // Once per outage, not every second of it.
            Err(error) if !failing => {
                tracing::warn!(lease = lease.name(), %error, "the lease could not be tried")
            }
            Err(_) => {}
        }
        failing = held.is_err();
        tokio::select! {
            () = stop.cancelled() => return false,
            () = tokio::time::sleep(RENEW_EVERY) => {}
        }
    }
}

/// Renews `lease` every [`RENEW_EVERY`]; returns once another replica holds it, or never
/// until `stop` is cancelled.
async fn keep(lease: &Lease, stop: &CancellationToken) {
    let mut failing = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => return std::future::pending().await,
            () = tokio::time::sleep(RENEW_EVERY) => {}
        }
        let held = lease.hold().await;
        match &held {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) if !failing => {
                tracing::warn!(lease = lease.name(), %error, "the lease could not be renewed")
            }
            Err(_) => {}
        }
        failing = held.is_err();
    }
}
