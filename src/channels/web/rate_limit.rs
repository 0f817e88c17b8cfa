//! How many messages the web chat takes: [`PER_MINUTE`] a minute per browser and as many per
//! address, so that neither one browser nor one machine with many cookies floods the engine.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Messages a minute, per browser and per address.
pub const PER_MINUTE: u32 = 20;

const WINDOW: Duration = Duration::from_secs(60);

/// Past this many keys, those whose minute is over are forgotten.
const PRUNE_AT: usize = 10_000;

/// Counts per key in fixed one-minute windows, each starting at its key's first message.
#[derive(Debug, Default)]
pub(super) struct MessageLimit {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl MessageLimit {
    /// Counts one message at `now` against every key, and says whether it is within the limit
    /// for all of them. A refused message counts too: a flood stays refused.
    pub(super) fn allow(&self, keys: &[&str], now: Instant) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > PRUNE_AT {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let mut allowed = true;
        for key in keys {
            let (started, count) = windows.entry((*key).to_owned()).or_insert((now, 0));
            if now.duration_since(*started) >= WINDOW {
                (*started, *count) = (now, 0);
            }
            *count = count.saturating_add(1);
            allowed &= *count <= PER_MINUTE;
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_a_minute_per_key_then_refused_until_the_minute_is_over() {
        let limit = MessageLimit::default();
        let start = Instant::now();
        for _ in 0..PER_MINUTE {
            assert!(limit.allow(&["web:a", "127.0.0.1"], start));
        }
        assert!(!limit.allow(&["web:a", "127.0.0.1"], start));
        // Another browser on the same address is refused too; on another address it is not.
        assert!(!limit.allow(&["web:b", "127.0.0.1"], start));
        assert!(limit.allow(&["web:b", "10.0.0.2"], start));
        assert!(limit.allow(&["web:a", "127.0.0.1"], start + WINDOW));
    }

    #[test]
    fn one_browser_is_limited_across_addresses() {
        let limit = MessageLimit::default();
        let now = Instant::now();
        for n in 0..PER_MINUTE {
            assert!(limit.allow(&["web:a", &format!("10.0.0.{n}")], now));
        }
        assert!(!limit.allow(&["web:a", "10.0.1.1"], now));
    }
}
