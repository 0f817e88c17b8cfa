//! One turn at a time per conversation within this process: a person's messages are handled
//! in the order they arrive even when the channel hands them over concurrently. (Across
//! processes sharing PostgreSQL, the [`store`](super::store) takes a database lock too.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// A lock per key, created on first use and dropped when nobody holds or waits for it.
#[derive(Debug, Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Holds a key's lock; releasing it forgets the key when nobody else wants it.
pub struct KeyGuard<'a> {
    owner: &'a KeyedLocks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    /// Waits for `key`'s turn.
    pub async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(key.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        KeyGuard {
            owner: self,
            key: key.to_owned(),
            guard: Some(guard),
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map's own reference left: nobody holds or waits for this key.
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_key_waits_other_keys_do_not_and_nothing_is_kept() {
        let locks = Arc::new(KeyedLocks::default());
        let first = locks.lock("a").await;
        assert!(
            tokio::time::timeout(Duration::from_secs(1), locks.lock("b"))
                .await
                .is_ok()
        );
        assert!(
            tokio::time::timeout(Duration::from_secs(1), locks.lock("a"))
                .await
                .is_err()
        );
        drop(first);
        assert!(
            tokio::time::timeout(Duration::from_secs(1), locks.lock("a"))
                .await
                .is_ok()
        );
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}
