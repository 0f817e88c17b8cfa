//! One passcode check per site at a time in this process.
//!
//! A check is counted as a failure before its passcode is verified, so that guesses sent
//! together cannot get past the lockout while the slow hash runs. But checks of the right
//! passcode sent together (a contact pressing send again) were then counted against each other:
//! some were told of a lock that their own right passcode lifted a moment later. Taking turns
//! per site, the first right check uses the passcode up before the next one is counted, and
//! the next is told the passcode was used.

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};

use crate::domain::SiteNumber;

/// Sites share turns by hash: checks are rare and one hash runs per core at a time anyway, so
/// two sites waiting on one turn lose nothing worth a map that grows with every site asked.
const TURNS: usize = 64;

#[derive(Debug)]
pub(super) struct CheckTurns {
    turns: Vec<Mutex<()>>,
}

impl CheckTurns {
    pub(super) fn new() -> CheckTurns {
        CheckTurns {
            turns: (0..TURNS).map(|_| Mutex::new(())).collect(),
        }
    }

    /// Waits for `site`'s turn, held until the guard is dropped.
    pub(super) async fn take(&self, site: &SiteNumber) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        site.hash(&mut hasher);
        self.turns[hasher.finish() as usize % TURNS].lock().await
    }
}
