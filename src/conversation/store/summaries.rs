//! The insight page's figures at about the same cost for any period: each day (JST) that has
//! ended is counted once from the rows into summary tables (sqlite 0016, postgres 0015), by the
//! first view that needs it; the days not summarised yet (today, and yesterday for a
//! [`GRACE_MS`] after midnight) are counted live from the rows, which is cheap.
//!
//! Why summaries of closed days rather than counters that every answering turn updates: on
//! PostgreSQL every turn would update today's one row and hold its lock until its commit,
//! queueing the replicas' turns one behind the other. A closed day's summary is written once,
//! by a view, with insert-or-ignore, so that replicas summarising the same day at once do no
//! harm (the day's row is inserted first: the second waits for it, then ignores its own).
//!
//! What makes a summary stale: feedback given on an answer of an earlier day marks that day
//! (`insight_stale`, written in the feedback's own turn) and the next view counts it again,
//! deleting the mark in the same transaction before counting, so that feedback committed after
//! the count leaves its mark; and the clearing of old rows ([`Store::clear_before`]) deletes the
//! summaries of every day it touches, so that none outlives the rows' retention.

use sqlx::{AnyConnection, FromRow};

use super::insight::DAY_MS;
use crate::conversation::{DayCounts, EntryStats, Period, Store};
use crate::domain::Timestamp;

/// How long after a day's end (JST) it is still counted live: turns that read the clock
/// before midnight may commit a little after it.
pub const GRACE_MS: i64 = 15 * 60 * 1000;

/// What the insight page shows of a period: its questions per day and per FAQ entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// The days that had any question, in order.
    pub days: Vec<DayCounts>,
    /// Per entry that answered, most answered first.
    pub entries: Vec<EntryStats>,
}

#[derive(FromRow)]
struct DayRow {
    day: i64,
    answered: i64,
    unanswered: i64,
    handed_off: i64,
}

impl Store {
    /// The figures of the days from `first` (JST) to `now`'s, summarising the ended days of
    /// them that are not yet ([`Store::summarise`]).
    pub async fn insight(&self, first: i64, now: Timestamp) -> Result<Figures, sqlx::Error> {
        self.summarise(first, now).await?;
        let settled = settled(now);
        let live = Period {
            from: Timestamp::from_millis(DayCounts::start(first.max(settled))),
            to: Timestamp::from_millis(i64::MAX),
        };
        let mut conn = self.db.acquire().await?;
        let summarised: Vec<DayRow> = sqlx::query_as(
            "SELECT day, answered, unanswered, handed_off FROM insight_days \
             WHERE day >= $1 AND day < $2 \
               AND (answered > 0 OR unanswered > 0 OR handed_off > 0) ORDER BY day",
        )
        .bind(first)
        .bind(settled)
        .fetch_all(&mut *conn)
        .await?;
        let summarised_entries: Vec<EntryStats> = sqlx::query_as(
            "SELECT entry_id, CAST(sum(answered) AS BIGINT) AS answered, \
               CAST(sum(helped) AS BIGINT) AS helped, \
               CAST(sum(not_helped) AS BIGINT) AS not_helped \
             FROM insight_entries WHERE day >= $1 AND day < $2 GROUP BY entry_id",
        )
        .bind(first)
        .bind(settled)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        let mut days: Vec<DayCounts> = summarised
            .into_iter()
            .map(|row| DayCounts {
                day: row.day,
                answered: row.answered,
                unanswered: row.unanswered,
                handed_off: row.handed_off,
            })
            .collect();
        days.extend(self.per_day(live).await?);
        let mut entries = summarised_entries;
        for today in self.entry_stats(live).await? {
            match entries.iter_mut().find(|e| e.entry_id == today.entry_id) {
                Some(entry) => {
                    entry.answered += today.answered;
                    entry.helped += today.helped;
                    entry.not_helped += today.not_helped;
                }
                None => entries.push(today),
            }
        }
        entries.sort_by(|a, b| {
            b.answered
                .cmp(&a.answered)
                .then_with(|| a.entry_id.cmp(&b.entry_id))
        });
        Ok(Figures { days, entries })
    }

    /// Counts into the summary tables the days from `first` (JST) that ended at least
    /// [`GRACE_MS`] before `now` and have no summary, or a stale one; returns how many it
    /// counted. The insight page calls it at each view; a step of its own so that a test can
    /// see what it did.
    pub async fn summarise(&self, first: i64, now: Timestamp) -> Result<usize, sqlx::Error> {
        let settled = settled(now);
        if first >= settled {
            return Ok(0);
        }
        let counted: Vec<i64> = sqlx::query_scalar(
            "SELECT day FROM insight_days WHERE day >= $1 AND day < $2 \
               AND day NOT IN (SELECT day FROM insight_stale) ORDER BY day",
        )
        .bind(first)
        .bind(settled)
        .fetch_all(&mut *self.db.acquire().await?)
        .await?;
        let due: Vec<i64> = (first..settled)
            .filter(|day| counted.binary_search(day).is_err())
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let mut write = self.db.begin().await?;
        let result = async {
            for &day in &due {
                count_day(&mut write.tx, day).await?;
            }
            Ok(due.len())
        }
        .await;
        write.finish(result).await
    }
}

/// The first day (JST) not summarised at `now`: today, or yesterday within the grace.
fn settled(now: Timestamp) -> i64 {
    DayCounts::of(now.as_millis() - GRACE_MS)
}

/// Counts `day` from the rows into its summary, replacing any it had. Its stale mark goes
/// first, so that feedback committed after the count marks it again.
async fn count_day(tx: &mut AnyConnection, day: i64) -> Result<(), sqlx::Error> {
    let from = DayCounts::start(day);
    let to = from + DAY_MS;
    for table in ["insight_stale", "insight_entries", "insight_days"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE day = $1"))
            .bind(day)
            .execute(&mut *tx)
            .await?;
    }
    // `WHERE true`: SQLite reads an upsert after a SELECT without WHERE as a join's ON.
    sqlx::query(
        "INSERT INTO insight_days (day, answered, unanswered, handed_off) SELECT $1, \
           (SELECT count(*) FROM answers WHERE answered_at >= $2 AND answered_at < $3), \
           (SELECT count(*) FROM unanswered WHERE asked_at >= $2 AND asked_at < $3), \
           (SELECT count(*) FROM handoffs WHERE created_at >= $2 AND created_at < $3) \
         WHERE true ON CONFLICT (day) DO NOTHING",
    )
    .bind(day)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO insight_entries (day, entry_id, answered, helped, not_helped) \
         SELECT $1, entry_id, count(*), \
           sum(CASE WHEN helped = 1 THEN 1 ELSE 0 END), \
           sum(CASE WHEN helped = 0 THEN 1 ELSE 0 END) \
         FROM answers WHERE answered_at >= $2 AND answered_at < $3 GROUP BY entry_id \
         ON CONFLICT (day, entry_id) DO NOTHING",
    )
    .bind(day)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
