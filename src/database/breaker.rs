//! Whether the database is worth waiting for: a circuit breaker.
//!
//! A connection that cannot be made costs its caller the pool's whole acquire timeout: the pool
//! retries a refused connection until then, and a server that accepts and never answers holds
//! each attempt that long. Every message would wait as long again. So the first such failure
//! opens the breaker: from then on every use fails at once, and one task tries to reach the
//! database in the background, less and less often, until it can; the breaker then closes.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The first retry comes this long after the failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Retries come less often after each failure, down to one in this long.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// Open while the database is known to be out of reach.
#[derive(Debug)]
pub(super) struct Breaker {
    open: watch::Sender<bool>,
}

impl Default for Breaker {
    fn default() -> Breaker {
        Breaker {
            open: watch::Sender::new(false),
        }
    }
}

/// What a background retry found.
pub(super) enum Probe {
    Reachable,
    Unreachable(String),
    /// The database was closed on purpose: nothing to wait for.
    Closed,
}

impl Breaker {
    /// Fails at once while the breaker is open.
    pub(super) fn check(&self) -> Result<(), sqlx::Error> {
        if *self.open.borrow() {
            return Err(sqlx::Error::Io(io::Error::new(
                io::ErrorKind::NotConnected,
                "the database is out of reach; trying again in the background",
            )));
        }
        Ok(())
    }

    /// Waits until the breaker is closed: at once unless it is open.
    pub(super) async fn closed(&self) {
        // The sender lives in `self`: the wait ends only by the breaker closing.
        let _ = self.open.subscribe().wait_for(|open| !open).await;
    }

    /// Whether `error` says the database could not be reached, rather than refusing a query.
    pub(super) fn is_out_of_reach(error: &sqlx::Error) -> bool {
        matches!(
            error,
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed
        )
    }

    /// Opens the breaker after `cause`, unless it is open already, and starts retrying with
    /// `probe` in the background.
    pub(super) fn trip<F, Fut>(self: &Arc<Self>, cause: &dyn fmt::Display, probe: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Probe> + Send,
    {
        if !self
            .open
            .send_if_modified(|open| !std::mem::replace(open, true))
        {
            return;
        }
        tracing::error!(error = %cause, "database out of reach: account actions fail at once until it is back; retrying in the background");
        let breaker = Arc::clone(self);
        tokio::spawn(async move {
            let mut wait = FIRST_RETRY;
            loop {
                tokio::time::sleep(wait).await;
                match probe().await {
                    Probe::Reachable => {
                        tracing::warn!("database reachable again");
                        breaker.open.send_replace(false);
                        return;
                    }
                    Probe::Closed => return,
                    Probe::Unreachable(error) => {
                        tracing::debug!(%error, "database still out of reach");
                        wait = (wait * 2).min(LONGEST_WAIT);
                    }
                }
            }
        });
    }
}
