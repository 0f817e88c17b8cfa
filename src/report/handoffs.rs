//! The report's help-desk section: handoffs per day (UTC), the median wait until an agent took
//! a ticket, the median time from asking to the close, the ratings, and the questions that
//! most often led customers to ask for a person.

use std::collections::BTreeMap;
use std::fmt;

use chrono::DateTime;
use serde::Serialize;
use sqlx::FromRow;

use crate::conversation::{Period, Store};

/// How many of the questions that led to a handoff are listed.
const QUESTIONS_SHOWN: usize = 10;

/// The help desk's figures over the report's period.
#[derive(Debug, Default, Serialize)]
pub struct Handoffs {
    /// `YYYY-MM-DD` (UTC) and how many tickets were opened that day, in order.
    pub per_day: Vec<(String, i64)>,
    /// Seconds from asking to an agent taking the ticket, the median of those taken.
    pub median_wait_secs: Option<i64>,
    /// Seconds from asking to the close, the median of those closed.
    pub median_duration_secs: Option<i64>,
    /// How many tickets were rated 1, 2, 3, 4 and 5.
    pub ratings: [i64; 5],
    /// The (masked) questions that led to a handoff, the most frequent first.
    pub questions: Vec<(String, i64)>,
}

#[derive(FromRow)]
struct Row {
    created_at: i64,
    taken_at: Option<i64>,
    closed_at: Option<i64>,
    rating: Option<i64>,
    question: Option<String>,
}

impl Handoffs {
    /// The tickets opened within `period`.
    pub async fn read(store: &Store, period: Period) -> Result<Handoffs, sqlx::Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT created_at, taken_at, closed_at, rating, question FROM handoffs \
             WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at",
        )
        .bind(period.from.as_millis())
        .bind(period.to.as_millis())
        .fetch_all(&mut *store.database().acquire().await?)
        .await?;
        let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
        let mut questions: BTreeMap<String, i64> = BTreeMap::new();
        let mut ratings = [0; 5];
        let (mut waits, mut durations) = (Vec::new(), Vec::new());
        for row in &rows {
            let day = DateTime::from_timestamp_millis(row.created_at)
                .map_or_else(|| "?".to_owned(), |t| t.format("%Y-%m-%d").to_string());
            *per_day.entry(day).or_default() += 1;
            if let Some(question) = &row.question {
                *questions.entry(question.clone()).or_default() += 1;
            }
            if let Some(slot) = row
                .rating
                .and_then(|r| usize::try_from(r - 1).ok())
                .and_then(|i| ratings.get_mut(i))
            {
                *slot += 1;
            }
            waits.extend(row.taken_at.map(|t| (t - row.created_at) / 1000));
            durations.extend(row.closed_at.map(|t| (t - row.created_at) / 1000));
        }
        let mut questions: Vec<(String, i64)> = questions.into_iter().collect();
        questions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        questions.truncate(QUESTIONS_SHOWN);
        Ok(Handoffs {
            per_day: per_day.into_iter().collect(),
            median_wait_secs: median(waits),
            median_duration_secs: median(durations),
            ratings,
            questions,
        })
    }
}

/// The middle value (the lower of the two middle ones for an even count).
fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    values.get(values.len().checked_sub(1)? / 2).copied()
}

/// `95` as `1m35s`, `None` as `-`.
fn duration(secs: Option<i64>) -> String {
    match secs {
        Some(secs) if secs >= 60 => format!("{}m{:02}s", secs / 60, secs % 60),
        Some(secs) => format!("{secs}s"),
        None => "-".to_owned(),
    }
}

impl fmt::Display for Handoffs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\nHandoffs to the help desk, per day (UTC):")?;
        if self.per_day.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for (day, count) in &self.per_day {
            writeln!(f, "  {day}  {count:>5}")?;
        }
        writeln!(
            f,
            "  median wait until taken: {}; median duration: {}",
            duration(self.median_wait_secs),
            duration(self.median_duration_secs)
        )?;
        let ratings: Vec<String> = self
            .ratings
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}: {n}", i + 1))
            .collect();
        writeln!(f, "  ratings: {}", ratings.join(", "))?;
        writeln!(f, "  questions that led to a handoff, most frequent first:")?;
        for (question, count) in &self.questions {
            writeln!(f, "  {count:>5}  {question}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 30, 20]), Some(20));
        assert_eq!(duration(Some(95)), "1m35s");
    }
}
