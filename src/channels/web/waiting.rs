//! Which browsers have outbox messages waiting, as this process last looked: one read of the
//! web channel's outbox for every page, made when the outbox is written (woken as the
//! delivery loops are) and every [`LOOK_EVERY`] for what no wake-up reaches (another
//! process's writes on SQLite), so that a message sent, or an open page woken, reads the
//! outbox only when something waits for its own browser.
//!
//! Each page used to read the outbox itself: every message sent, under one lock for all the
//! browsers, and every open event stream at each wake-up and every 10 s, a thousand reads at
//! once with a thousand pages open. Those reads, queued behind one another and behind the
//! turns' own for the same few connections, were the web chat's slowest replies.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::conversation::Engine;
use crate::domain::{Channel, ChatIdentity};

/// How often the outbox is looked at when nothing in this process wakes the look.
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// The browsers with messages waiting, and a count of the looks that open pages wait on.
#[derive(Debug)]
pub(super) struct Waiting {
    recipients: Mutex<HashSet<ChatIdentity>>,
    looked: watch::Sender<u64>,
}

impl Waiting {
    /// Looks at `engine`'s outbox at once, then whenever it is written and every
    /// [`LOOK_EVERY`], until `shutdown`.
    pub(super) fn start(engine: Arc<Engine>, shutdown: CancellationToken) -> Arc<Waiting> {
        let waiting = Arc::new(Waiting {
            recipients: Mutex::new(HashSet::new()),
            looked: watch::Sender::new(0),
        });
        let looking = Arc::clone(&waiting);
        tokio::spawn(async move {
            loop {
                let written = engine.outbox_written().notified();
                let mut written = std::pin::pin!(written);
                // Before the look: a write during it wakes the next one.
                written.as_mut().enable();
                looking.look(&engine).await;
                tokio::select! {
                    () = written => {}
                    () = tokio::time::sleep(LOOK_EVERY) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        });
        waiting
    }

    fn recipients(&self) -> MutexGuard<'_, HashSet<ChatIdentity>> {
        self.recipients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One read of who has messages waiting; the open pages are then woken.
    async fn look(&self, engine: &Engine) {
        match engine.service().waiting_recipients(Channel::Web).await {
            Ok(found) => *self.recipients() = found.into_iter().collect(),
            Err(error) => {
                tracing::warn!(%error, "outbox not read");
                return;
            }
        }
        self.looked.send_modify(|looks| *looks += 1);
    }

    /// Whether the last look found messages for `identity`, forgotten now: the caller reads
    /// them. A message queued meanwhile is found by the next look.
    pub(super) fn take(&self, identity: &ChatIdentity) -> bool {
        self.recipients().remove(identity)
    }

    /// Marks `identity` as having messages waiting still (more than one read took).
    pub(super) fn keep(&self, identity: &ChatIdentity) {
        self.recipients().insert(identity.clone());
    }

    /// Changes after each look.
    pub(super) fn looks(&self) -> watch::Receiver<u64> {
        self.looked.subscribe()
    }
}
