//! Waking every replica's delivery loops when any replica queues an outbox message, through
//! PostgreSQL's `LISTEN`/`NOTIFY`: the service notifies [`OUTBOX_WRITTEN`] in the
//! transaction that queues (so the notification goes out with the commit), and each `serve`
//! keeps a listener that passes it on to the loops of its process. The loops' own round
//! stays as the fallback for a notification lost while the listener was reconnecting.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::database::{Backend, Database};

/// The notification channel of outbox writes; its payload is the chat platform's name.
pub const OUTBOX_WRITTEN: &str = "pao_outbox";

/// How long to wait before connecting the listener again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Until `stop`: calls `wake` for every outbox notification on `db`, and after each
/// (re)connection, since notifications sent meanwhile are lost. Returns at once on SQLite,
/// where a single process serves and wakes its own loops.
pub async fn relay<W>(db: Database, wake: W, stop: CancellationToken)
where
    W: Fn() + Send,
{
    if db.backend() != Backend::Postgres {
        return;
    }
    let mut failing = false;
    loop {
        let connected = tokio::select! {
            () = stop.cancelled() => return,
            connected = listen(&db) => connected,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "cannot listen for other replicas' outbox writes; retrying");
                }
                failing = true;
                if stopped_while_waiting(&stop).await {
                    return;
                }
                continue;
            }
        };
        tracing::debug!("listening for other replicas' outbox writes");
        failing = false;
        wake();
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(_)) => wake(),
                // The connection was lost and made again (sqlx listens anew).
                Ok(None) => {
                    tracing::info!("the outbox listener reconnected");
                    wake();
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "the outbox listener failed; reconnecting");
                    }
                    failing = true;
                    if stopped_while_waiting(&stop).await {
                        return;
                    }
                }
            }
        }
    }
}

/// A listener on its own connection, listening for outbox writes.
async fn listen(db: &Database) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(db.url()).await?;
    listener.listen(OUTBOX_WRITTEN).await?;
    Ok(listener)
}

/// Waits [`RETRY`]; whether `stop` came first.
async fn stopped_while_waiting(stop: &CancellationToken) -> bool {
    tokio::select! {
        () = stop.cancelled() => true,
        () = tokio::time::sleep(RETRY) => false,
    }
}
