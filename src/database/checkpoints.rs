//! SQLite's checkpoints, which copy the write-ahead log back into the database file, run in
//! the background rather than by the commit that fills the log.
//!
//! A commit that filled the log copied it into the database file and waited for its fsyncs
//! while it held this process's one writer's turn: up to 0.2 s on the development machine's
//! disk, during which every other turn's write queued behind it (the tail of
//! `benches/web_chat.rs` and `benches/handoff.rs`). A passive checkpoint on a connection of
//! its own copies what no reader still needs while the writers go on appending. Only when
//! writers kept appending through it, so that the log is long and was never started again, is
//! a second pass made in this process's writer's turn, which catches up with the few pages
//! written meanwhile: the next commit then starts the log from its beginning.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::Mutex;
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

use crate::database::{Backend, connection};

/// How often the log is copied back. A longer log slows every read (each looks pages up in
/// its index), and a checkpoint with nothing to copy costs one query.
const EVERY: Duration = Duration::from_millis(500);

/// A log of this many frames (4 KiB pages) after a passive pass is caught up in the writer's
/// turn: writers never paused long enough for it to be started again.
const LONG_LOG: i64 = 4_000;

/// The background checkpoints of one SQLite database, stopped when dropped.
#[derive(Debug)]
pub(super) struct Checkpoints(AbortHandle);

impl Checkpoints {
    /// Checkpoints the SQLite database at `url` every [`EVERY`], on a connection of their own
    /// with the pool's settings, opened again after a failure; `writer` is this process's
    /// writers' turn.
    pub(super) fn start(url: String, writer: Arc<Mutex<()>>) -> Checkpoints {
        let task = tokio::spawn(async move {
            let mut conn: Option<AnyConnection> = None;
            let mut every = tokio::time::interval(EVERY);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if conn.is_none() {
                    conn = connection(Backend::Sqlite, &url).await.ok();
                }
                let Some(open) = conn.as_mut() else {
                    continue;
                };
                if let Err(error) = checkpoint(open, &writer).await {
                    tracing::debug!(%error, "checkpoint failed; tried again on a new connection");
                    conn = None;
                }
            }
        });
        Checkpoints(task.abort_handle())
    }

    /// Stops them, as when the database is closed.
    pub(super) fn stop(&self) {
        self.0.abort();
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A passive pass, and a second in the writer's turn when the log stayed long.
async fn checkpoint(conn: &mut AnyConnection, writer: &Mutex<()>) -> Result<(), sqlx::Error> {
    if checkpoint_once(conn).await?.log < LONG_LOG {
        return Ok(());
    }
    let _turn = writer.lock().await;
    checkpoint_once(conn).await.map(drop)
}

/// What one checkpoint did: the frames in the log, and how many of them are now copied into
/// the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Checkpointed {
    pub(super) log: i64,
    pub(super) copied: i64,
}

/// Copies what it can of the log into the database file without waiting for readers or
/// writers (a passive checkpoint).
pub(super) async fn checkpoint_once(conn: &mut AnyConnection) -> Result<Checkpointed, sqlx::Error> {
    let (_busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await?;
    Ok(Checkpointed { log, copied })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use sqlx::Executor;

    use super::*;

    /// Pages written, each a row of its own: more than the log held before a commit copied it
    /// back (SQLite's 1,000 pages, 4,000 as this bot once set).
    const PAGES: u64 = 5_000;

    fn url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// A connection to a new database at `path`, after [`PAGES`] pages written by commits of
    /// 50 each, with the bot's settings.
    async fn filled(path: &Path) -> AnyConnection {
        sqlx::any::install_default_drivers();
        let mut conn = connection(Backend::Sqlite, &url(path))
            .await
            .expect("the database opens");
        conn.execute("CREATE TABLE filler (x BLOB)").await.unwrap();
        for _ in 0..PAGES / 50 {
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
                 INSERT INTO filler SELECT randomblob(3900) FROM n",
            )
            .await
            .unwrap();
        }
        conn
    }

    #[tokio::test]
    async fn commits_leave_the_log_to_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = filled(&dir.path().join("bot.db")).await;

        let done = checkpoint_once(&mut conn).await.unwrap();

        assert!(done.log >= PAGES as i64, "{done:?}");
        assert_eq!(done.copied, done.log);
    }

    #[tokio::test]
    async fn the_background_checkpoints_copy_the_log_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.db");
        // Held open: the last connection to close would copy the log back itself.
        let _writer = filled(&path).await;
        let size = || std::fs::metadata(&path).unwrap().len();
        assert!(size() < PAGES * 4096 / 10, "{} bytes before", size());

        let _checkpoints = Checkpoints::start(url(&path), Arc::default());

        // Bounded only against a hang: the first checkpoint starts at once.
        tokio::time::timeout(Duration::from_secs(10), async {
            while size() < PAGES * 3900 {
                tokio::time::sleep(EVERY / 4).await;
            }
        })
        .await
        .expect("the log is copied into the database file");
    }
}
