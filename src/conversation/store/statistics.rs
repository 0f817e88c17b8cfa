//! What `pao-bot report` reads from the store, answers and unanswered questions within a
//! period, and the clearing of the rows older than a point in time.

use sqlx::FromRow;

use crate::conversation::{DayCounts, Store};
use crate::domain::Timestamp;

/// From `from` (included) to `to` (left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    /// Every row, whenever it was written.
    pub const ALL: Period = Period {
        from: Timestamp::from_millis(i64::MIN),
        to: Timestamp::from_millis(i64::MAX),
    };
}

/// Per FAQ entry: how often it answered, and the feedback it got.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EntryStats {
    pub entry_id: String,
    pub answered: i64,
    pub helped: i64,
    pub not_helped: i64,
}

/// A question nobody could answer, with how often it was asked.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UnansweredStats {
    /// The most recent wording.
    pub question: String,
    pub asked: i64,
}

/// A question whose answer was marked "did not help", with the entry that gave it and how
/// often.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NotHelpedStats {
    pub question: String,
    pub entry_id: String,
    pub asked: i64,
}

/// How many rows a clearing removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleared {
    pub answers: u64,
    pub unanswered: u64,
}

impl Store {
    /// Per FAQ entry that answered in `period`: answers given and the feedback, most
    /// answered first.
    pub async fn entry_stats(&self, period: Period) -> Result<Vec<EntryStats>, sqlx::Error> {
        sqlx::query_as(
            "SELECT entry_id, count(*) AS answered, \
               sum(CASE WHEN helped = 1 THEN 1 ELSE 0 END) AS helped, \
               sum(CASE WHEN helped = 0 THEN 1 ELSE 0 END) AS not_helped \
             FROM answers WHERE answered_at >= $1 AND answered_at < $2 \
             GROUP BY entry_id ORDER BY answered DESC, entry_id",
        )
        .bind(period.from.as_millis())
        .bind(period.to.as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await
    }

    /// Questions no entry answered in `period`, grouped by their folded text, most asked
    /// first.
    pub async fn unanswered_stats(
        &self,
        limit: i64,
        period: Period,
    ) -> Result<Vec<UnansweredStats>, sqlx::Error> {
        sqlx::query_as(
            "SELECT (SELECT u2.question FROM unanswered u2 WHERE u2.folded = u.folded \
                       AND u2.asked_at >= $2 AND u2.asked_at < $3 \
                     ORDER BY u2.id DESC LIMIT 1) AS question, \
                    count(*) AS asked \
             FROM unanswered u WHERE u.asked_at >= $2 AND u.asked_at < $3 \
             GROUP BY u.folded ORDER BY asked DESC, question LIMIT $1",
        )
        .bind(limit)
        .bind(period.from.as_millis())
        .bind(period.to.as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await
    }

    /// Questions typed in `period` whose answer was marked "did not help", by question and
    /// the entry that answered, most asked first.
    pub async fn not_helped_stats(
        &self,
        limit: i64,
        period: Period,
    ) -> Result<Vec<NotHelpedStats>, sqlx::Error> {
        sqlx::query_as(
            "SELECT question, entry_id, count(*) AS asked FROM answers \
             WHERE helped = 0 AND question IS NOT NULL \
               AND answered_at >= $2 AND answered_at < $3 \
             GROUP BY question, entry_id ORDER BY asked DESC, question, entry_id LIMIT $1",
        )
        .bind(limit)
        .bind(period.from.as_millis())
        .bind(period.to.as_millis())
        .fetch_all(&mut *self.db.acquire().await?)
        .await
    }

    /// Removes the answers (with their feedback) and unanswered questions older than
    /// `before`, with the insight summaries of the days they were in, in one transaction.
    pub async fn clear_before(&self, before: Timestamp) -> Result<Cleared, sqlx::Error> {
        let mut write = self.db.begin().await?;
        let result = async {
            let answers = sqlx::query("DELETE FROM answers WHERE answered_at < $1")
                .bind(before.as_millis())
                .execute(&mut *write.tx)
                .await?
                .rows_affected();
            let unanswered = sqlx::query("DELETE FROM unanswered WHERE asked_at < $1")
                .bind(before.as_millis())
                .execute(&mut *write.tx)
                .await?
                .rows_affected();
            // The summaries of every day the clearing touched, so that none outlives the
            // rows: the next view counts those days again from what is left.
            for table in ["insight_days", "insight_entries", "insight_stale"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE day <= $1"))
                    .bind(DayCounts::of(before.as_millis().saturating_sub(1)))
                    .execute(&mut *write.tx)
                    .await?;
            }
            Ok(Cleared {
                answers,
                unanswered,
            })
        }
        .await;
        write.finish(result).await
    }
}
