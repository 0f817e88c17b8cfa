//! What the help desk's insight page reads from the store: questions per day (answered,
//! unanswered, handed off) and the most asked of the latest unanswered questions, each query
//! bounded by an index on its time column (sqlite 0015, postgres 0014).

use sqlx::FromRow;

use crate::conversation::{Period, Store, UnansweredStats};

/// A day's length, and Japan Standard Time's offset from UTC, in milliseconds: the desk reads
/// days in JST.
pub(super) const DAY_MS: i64 = 24 * 60 * 60 * 1000;
pub(super) const JST_MS: i64 = 9 * 60 * 60 * 1000;

/// One day's questions (JST), by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// Days since 1970-01-01 (JST).
    pub day: i64,
    /// Answered by an FAQ entry.
    pub answered: i64,
    /// No entry fitted.
    pub unanswered: i64,
    /// Handed to a person.
    pub handed_off: i64,
}

#[derive(FromRow)]
struct DayCount {
    day: i64,
    count: i64,
}

impl DayCounts {
    /// The day (JST) of `millis` since the epoch.
    pub fn of(millis: i64) -> i64 {
        (millis + JST_MS).div_euclid(DAY_MS)
    }

    /// When `day` (JST) begins, in milliseconds since the epoch.
    pub fn start(day: i64) -> i64 {
        day * DAY_MS - JST_MS
    }
}

impl Store {
    /// The questions of each day of `period` that had any, in order of the days.
    pub async fn per_day(&self, period: Period) -> Result<Vec<DayCounts>, sqlx::Error> {
        let mut days: Vec<DayCounts> = Vec::new();
        let tables = [
            ("answers", "answered_at"),
            ("unanswered", "asked_at"),
            ("handoffs", "created_at"),
        ];
        let mut conn = self.db.acquire().await?;
        for (n, (table, column)) in tables.into_iter().enumerate() {
            let counts: Vec<DayCount> = sqlx::query_as(&format!(
                "SELECT ({column} + $3) / $4 AS day, count(*) AS count FROM {table} \
                 WHERE {column} >= $1 AND {column} < $2 GROUP BY day"
            ))
            .bind(period.from.as_millis())
            .bind(period.to.as_millis())
            .bind(JST_MS)
            .bind(DAY_MS)
            .fetch_all(&mut *conn)
            .await?;
            for DayCount { day, count } in counts {
                let at = match days.binary_search_by_key(&day, |d| d.day) {
                    Ok(at) => at,
                    Err(at) => {
                        days.insert(
                            at,
                            DayCounts {
                                day,
                                ..DayCounts::default()
                            },
                        );
                        at
                    }
                };
                let counted = &mut days[at];
                match n {
                    0 => counted.answered = count,
                    1 => counted.unanswered = count,
                    _ => counted.handed_off = count,
                }
            }
        }
        Ok(days)
    }

    /// Of the latest `sample` questions no entry answered in `period`, the `limit` most asked
    /// by their folded text, with how often within the sample. A sample, not the whole
    /// period, so that the page costs the same however many there are.
    pub async fn recent_unanswered(
        &self,
        sample: i64,
        limit: i64,
        period: Period,
    ) -> Result<Vec<UnansweredStats>, sqlx::Error> {
        sqlx::query_as(
            "SELECT max(question) AS question, count(*) AS asked FROM (\
               SELECT question, folded FROM unanswered \
               WHERE asked_at >= $2 AND asked_at < $3 ORDER BY asked_at DESC LIMIT $4\
             ) AS recent GROUP BY folded ORDER BY asked DESC, question LIMIT $1",
        )
        .bind(limit)
        .bind(period.from.as_millis())
        .bind(period.to.as_millis())
        .bind(sample)
        .fetch_all(&mut *self.db.acquire().await?)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_begin_at_midnight_in_japan() {
        // 2025-03-31 15:00 UTC is 2025-04-01 00:00 JST, one millisecond after the day before.
        let midnight = 1_743_433_200_000;
        assert_eq!(DayCounts::of(midnight), DayCounts::of(midnight - 1) + 1);
        assert_eq!(
            DayCounts::of(midnight),
            DayCounts::of(midnight + DAY_MS - 1)
        );
    }
}
