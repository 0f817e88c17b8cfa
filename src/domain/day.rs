//! A calendar day in UTC, as the command line names one (`2026-11-29`): the bounds of
//! `pao-bot report`'s period and of the rows it clears.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::domain::Timestamp;

/// A day, from 00:00 UTC to the next day's 00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(NaiveDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date: write it as YYYY-MM-DD, such as 2026-11-29")]
pub struct DayError(String);

impl Day {
    pub fn parse(text: &str) -> Result<Day, DayError> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Day)
            .map_err(|_| DayError(text.to_owned()))
    }

    /// Its first moment, 00:00 UTC.
    pub fn start(self) -> Timestamp {
        Timestamp::from_millis(
            self.0
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis(),
        )
    }

    /// The first moment after it, the next day's 00:00 UTC.
    pub fn end(self) -> Timestamp {
        match self.0.succ_opt() {
            Some(next) => Day(next).start(),
            None => Timestamp::from_millis(i64::MAX),
        }
    }
}

impl FromStr for Day {
    type Err = DayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Day::parse(s)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        let day = Day::parse("2025-04-01").unwrap();
        assert_eq!(day.start().to_string(), "2025-04-01T00:00:00Z");
        assert_eq!(day.end().to_string(), "2025-04-02T00:00:00Z");
        assert_eq!(day.to_string(), "2025-04-01");
    }

    #[test]
    fn anything_but_a_real_date_is_refused_with_the_format() {
        for text in ["2025-02-30", "01/04/2025", "yesterday", "", "2025-04"] {
            let error = Day::parse(text).unwrap_err().to_string();
            assert!(error.contains("YYYY-MM-DD"), "{text}: {error}");
        }
    }
}
