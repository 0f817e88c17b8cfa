//! What asks for a reload while `serve` runs: a change in the knowledge base folder (watched
//! with `notify`, and taken once it has been quiet for a moment, so that an editor's save of
//! several files is one reload), SIGHUP,
//! and `pao-bot admin reload` (the database's counter, polled). Requests that arrive while a
//! reload runs are taken together by the next one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::database::Database;
use crate::live::{LiveKnowledge, requests};
use crate::telemetry;

/// How long the folder must be quiet after a change before it is reloaded: an editor saving
/// several files, or one file in several writes, makes one reload.
const QUIET: Duration = Duration::from_millis(250);
/// How often the database's reload counter is read: one indexed row, cheap enough.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// Reloads `dir` into `live` whenever something asks, until `shutdown`.
pub async fn keep_current(
    live: Arc<LiveKnowledge>,
    dir: PathBuf,
    db: Database,
    shutdown: CancellationToken,
) {
    let (changed, mut changes) = mpsc::unbounded_channel();
    // Kept until the loop ends: dropping it stops the watching.
    let _watcher = match watch_folder(&dir, changed) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!(%error, dir = %dir.display(), "the knowledge base folder cannot be watched; SIGHUP and admin reload still reload it");
            None
        }
    };
    let mut hangups = hangups();
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seen = requests::generation(&db).await.ok();
    loop {
        let cause = tokio::select! {
            () = shutdown.cancelled() => return,
            Some(()) = changes.recv() => {
                settle(&mut changes).await;
                "the folder changed"
            }
            () = hangup(&mut hangups) => "SIGHUP",
            _ = poll.tick() => match asked(&db, &mut seen).await {
                true => "admin reload",
                false => continue,
            },
        };
        // The changes seen until now are all in the folder this reload reads.
        while changes.try_recv().is_ok() {}
        reload_now(&live, &dir, cause).await;
    }
}

/// Reloads `dir` into `live` on a blocking thread, and logs the outcome: the new version, or
/// every problem of the refused folder with its file, line and column. The new version, when
/// the folder was put in use.
pub async fn reload_now(live: &Arc<LiveKnowledge>, dir: &Path, cause: &str) -> Option<u64> {
    let (reloading, folder) = (Arc::clone(live), dir.to_owned());
    match tokio::task::spawn_blocking(move || reloading.reload(&folder)).await {
        Ok(Ok(version)) => {
            tracing::info!(version, cause, "knowledge base reloaded");
            telemetry::reload(Some(version));
            Some(version)
        }
        Ok(Err(refused)) => {
            tracing::error!(cause, "{refused}");
            telemetry::reload(None);
            None
        }
        Err(error) => {
            tracing::error!(%error, cause, "the knowledge base reload stopped abnormally");
            None
        }
    }
}

/// Waits until no change came for [`QUIET`].
async fn settle(changes: &mut mpsc::UnboundedReceiver<()>) {
    while let Ok(Some(())) = tokio::time::timeout(QUIET, changes.recv()).await {}
}

/// Watches `dir` and everything in it, sending on `changed` at each change. Files opened or
/// read are no change: loading the folder opens them all.
fn watch_folder(
    dir: &Path,
    changed: mpsc::UnboundedSender<()>,
) -> notify::Result<RecommendedWatcher> {
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<Event>| match event {
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
            Ok(_) => {
                let _ = changed.send(());
            }
            Err(error) => tracing::warn!(%error, "watching the knowledge base folder failed"),
        })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Whether the reload counter moved since `seen`; the first reading only sets `seen`.
async fn asked(db: &Database, seen: &mut Option<i64>) -> bool {
    let Ok(now) = requests::generation(db).await else {
        return false;
    };
    let moved = seen.is_some_and(|seen| seen != now);
    *seen = Some(now);
    moved
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::warn!(%error, "SIGHUP cannot be caught");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangups() -> Hangups {}

/// The next SIGHUP; never when it cannot be caught.
#[cfg(unix)]
async fn hangup(hangups: &mut Hangups) {
    let received = match hangups {
        Some(signal) => signal.recv().await.is_some(),
        None => false,
    };
    if !received {
        std::future::pending::<()>().await;
    }
}

#[cfg(not(unix))]
async fn hangup(_: &mut Hangups) {
    std::future::pending().await
}
