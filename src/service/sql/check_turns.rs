//! One passcode check per site at a time, across processes.
//!
//! A check is counted as a failure before its passcode is verified, so that guesses sent
//! together cannot get past the lockout while the slow hash runs. But checks of the right
//! passcode sent together (a contact pressing send again, or eight `admin passcode check` at
//! once) were then counted against each other: some were told of a lock that their own right
//! passcode lifted a moment later. Taking turns per site, the first right check uses the
//! passcode up before the next one is counted, and the next is told the passcode was used.
//!
//! A turn is the database's lock keyed by the site number ([`Database::lock_key`]), which
//! every process shares. In front of it, this process's checks queue on a few mutexes, so that
//! on PostgreSQL, where a waiting turn holds a connection, they hold at most that many.

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::Mutex;

use crate::database::{Database, KeyLock};
use crate::domain::SiteNumber;
use crate::service::ServiceError;

/// Sites share this process's queues by hash: checks are rare and one hash runs per core at a
/// time anyway, and 8 leave most of PostgreSQL's 20 connections to everything else.
const QUEUES: usize = 8;

#[derive(Debug)]
pub(super) struct CheckTurns {
    queues: Vec<Mutex<()>>,
}

/// A site's turn, held until dropped.
pub(super) struct SiteTurn<'a> {
    _queue: tokio::sync::MutexGuard<'a, ()>,
    _lock: KeyLock,
}

impl CheckTurns {
    pub(super) fn new() -> CheckTurns {
        CheckTurns {
            queues: (0..QUEUES).map(|_| Mutex::new(())).collect(),
        }
    }

    /// Waits for `site`'s turn on `db`.
    pub(super) async fn take(
        &self,
        db: &Database,
        site: &SiteNumber,
    ) -> Result<SiteTurn<'_>, ServiceError> {
        let mut hasher = DefaultHasher::new();
        site.hash(&mut hasher);
        let queue = self.queues[hasher.finish() as usize % QUEUES].lock().await;
        let key = site
            .as_str()
            .parse()
            .expect("a site number is 7 digits, which fit a u32");
        Ok(SiteTurn {
            _queue: queue,
            _lock: db.lock_key(key).await?,
        })
    }
}
