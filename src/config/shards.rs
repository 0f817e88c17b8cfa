//! Which of the bot's Discord shards this process connects, so that replicas split them:
//! Discord sends a guild's events to shard `(guild_id >> 22) % total` and direct messages to
//! shard 0, so each event reaches the one replica holding its shard.
//!
//! ```yaml
//! discord:
//!   shards:
//!     total: 2        # how many shards the bot has, the same on every replica
//!     ids: [0]        # this replica's; claimed through leases when left out
//! ```
//!
//! Or `DISCORD_SHARDS=0/2` (ids, a slash, the total; `DISCORD_SHARDS=2` to claim them).
//! Without ids, on PostgreSQL each shard is connected by whichever replica holds its lease;
//! on SQLite, the one process connects them all.

use std::fmt;

use serde::Deserialize;

/// A valid choice of shards: at least one, each below the total, none twice, in order; or
/// none chosen, to be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shards {
    total: u32,
    ids: Option<Vec<u32>>,
}

/// The `shards:` section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShardsFile {
    total: u32,
    ids: Option<Vec<u32>>,
}

impl ShardsFile {
    pub(super) fn shards(self) -> Result<Shards, String> {
        Shards::new(self.total, self.ids)
    }
}

impl Shards {
    /// `ids` of `total` shards; to be claimed when `None`.
    pub fn new(total: u32, ids: Option<Vec<u32>>) -> Result<Shards, String> {
        if total == 0 {
            return Err("discord.shards.total must be at least 1".to_owned());
        }
        let Some(mut ids) = ids else {
            return Ok(Shards { total, ids: None });
        };
        if ids.is_empty() {
            return Err("discord.shards.ids is empty: leave it out to claim the shards".to_owned());
        }
        if let Some(id) = ids.iter().find(|id| **id >= total) {
            return Err(format!(
                "discord.shards.ids has {id}, but shard ids go from 0 to {} with total {total}",
                total - 1
            ));
        }
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("discord.shards.ids has {} twice", pair[0]));
        }
        Ok(Shards {
            total,
            ids: Some(ids),
        })
    }

    /// Reads `DISCORD_SHARDS`: `0,1/4` (shards 0 and 1 of 4) or `4` (four to claim).
    pub fn parse(text: &str) -> Result<Shards, String> {
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| format!("{:?} is not a shard number", part.trim()))
        };
        match text.split_once('/') {
            Some((ids, total)) => {
                let ids = ids.split(',').map(number).collect::<Result<_, _>>()?;
                Shards::new(number(total)?, Some(ids))
            }
            None => Shards::new(number(text)?, None),
        }
    }

    /// How many shards the bot has in all.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Whether the ids are left to be claimed.
    pub fn claimed(&self) -> bool {
        self.ids.is_none()
    }

    /// This process's shards (all of them when none were chosen) as runs of consecutive ids,
    /// first and last included: serenity starts a run at a time (`Client::start_shard_range`).
    pub fn runs(&self) -> Vec<(u32, u32)> {
        let Some(ids) = &self.ids else {
            return vec![(0, self.total - 1)];
        };
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for &id in ids {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == id => *last = id,
                _ => runs.push((id, id)),
            }
        }
        runs
    }
}

impl fmt::Display for Shards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(ids) = &self.ids else {
            return write!(f, "any of {}", self.total);
        };
        let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
        write!(f, "{}/{}", ids.join(","), self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_below_the_total_once_each_are_runs_of_consecutive_ids() {
        let shards = Shards::new(8, Some(vec![5, 0, 1, 3, 4])).unwrap();
        assert_eq!(shards.runs(), vec![(0, 1), (3, 5)]);
        assert_eq!(shards.to_string(), "0,1,3,4,5/8");
        assert_eq!(Shards::new(3, None).unwrap().runs(), vec![(0, 2)]);
    }

    #[test]
    fn an_id_out_of_range_twice_or_none_at_all_is_refused_with_a_reason() {
        let error = Shards::new(2, Some(vec![0, 2])).unwrap_err();
        assert!(
            error.contains("has 2") && error.contains("0 to 1"),
            "{error}"
        );
        let error = Shards::new(4, Some(vec![1, 1])).unwrap_err();
        assert!(error.contains("1 twice"), "{error}");
        assert!(Shards::new(0, None).unwrap_err().contains("at least 1"));
        assert!(Shards::new(2, Some(vec![])).unwrap_err().contains("empty"));
    }

    #[test]
    fn the_environment_s_form_is_ids_slash_total_or_the_total_alone() {
        let both = Shards::new(2, Some(vec![0, 1])).unwrap();
        assert_eq!(Shards::parse("1, 0/2").unwrap(), both);
        assert!(Shards::parse("3").unwrap().claimed());
        assert_eq!(Shards::parse("3").unwrap().runs(), vec![(0, 2)]);
        assert!(Shards::parse("0/x").unwrap_err().contains("\"x\""));
        assert!(Shards::parse("2/2").unwrap_err().contains("has 2"));
    }
}
