//! The help desk's settings: its opening hours (in its own time zone), how long a customer
//! waits for an agent before being told, and how long transcripts are kept.
//!
//! ```yaml
//! help_desk:
//!   hours: "09:00-17:30"        # opening hours, every day unless weekdays_only
//!   utc_offset: "+09:00"        # the help desk's time zone
//!   weekdays_only: true         # closed on Saturdays and Sundays
//!   waiting_limit_minutes: 10   # then the customer is told once, and agents again
//!   retention_days: 90          # closed tickets' transcripts are deleted after this
//! ```

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Weekday};
use serde::Deserialize;

use crate::domain::Timestamp;

const DEFAULT_WAITING_LIMIT_MINUTES: u64 = 10;
const DEFAULT_RETENTION_DAYS: u64 = 90;

/// How the help desk works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpDeskSettings {
    /// `None`: always open.
    pub hours: Option<OpeningHours>,
    pub waiting_limit: Duration,
    pub retention: Duration,
}

impl Default for HelpDeskSettings {
    fn default() -> HelpDeskSettings {
        HelpDeskSettings {
            hours: None,
            waiting_limit: Duration::from_secs(DEFAULT_WAITING_LIMIT_MINUTES * 60),
            retention: Duration::from_secs(DEFAULT_RETENTION_DAYS * 24 * 60 * 60),
        }
    }
}

/// When agents are there: from `open` to `close` (minutes after midnight) in `zone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    open: u32,
    close: u32,
    zone: FixedOffset,
    weekdays_only: bool,
}

/// The `help_desk:` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HelpDeskFile {
    hours: Option<String>,
    utc_offset: Option<String>,
    #[serde(default)]
    weekdays_only: bool,
    waiting_limit_minutes: Option<u64>,
    retention_days: Option<u64>,
}

impl HelpDeskFile {
    pub(super) fn settings(self) -> Result<HelpDeskSettings, String> {
        let defaults = HelpDeskSettings::default();
        let hours = match self.hours {
            Some(hours) => Some(OpeningHours::parse(
                &hours,
                self.utc_offset.as_deref().unwrap_or("+00:00"),
                self.weekdays_only,
            )?),
            None => None,
        };
        Ok(HelpDeskSettings {
            hours,
            waiting_limit: self
                .waiting_limit_minutes
                .map_or(defaults.waiting_limit, |m| Duration::from_secs(m * 60)),
            retention: self.retention_days.map_or(defaults.retention, |d| {
                Duration::from_secs(d * 24 * 60 * 60)
            }),
        })
    }
}

impl OpeningHours {
    /// `hours` as `HH:MM-HH:MM`, `offset` as `+HH:MM` or `-HH:MM`.
    pub fn parse(hours: &str, offset: &str, weekdays_only: bool) -> Result<OpeningHours, String> {
        let bad_hours = || format!("help_desk.hours {hours:?}: write it as 09:00-17:30");
        let (open, close) = hours.split_once('-').ok_or_else(bad_hours)?;
        let open = minutes_of(open).ok_or_else(bad_hours)?;
        let close = minutes_of(close).ok_or_else(bad_hours)?;
        if open >= close {
            return Err(bad_hours());
        }
        let bad_offset = || format!("help_desk.utc_offset {offset:?}: write it as +09:00");
        let (sign, rest) = match offset.trim().split_at_checked(1) {
            Some(("+", rest)) => (1, rest),
            Some(("-", rest)) => (-1, rest),
            _ => return Err(bad_offset()),
        };
        let minutes = minutes_of(rest).ok_or_else(bad_offset)?;
        let seconds = sign * i32::try_from(minutes * 60).map_err(|_| bad_offset())?;
        let zone = FixedOffset::east_opt(seconds).ok_or_else(bad_offset)?;
        Ok(OpeningHours {
            open,
            close,
            zone,
            weekdays_only,
        })
    }

    /// Whether agents are there at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        let Some(time) = DateTime::from_timestamp_millis(now.as_millis()) else {
            return true;
        };
        let local = time.with_timezone(&self.zone);
        if self.weekdays_only && matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        let minute = local.hour() * 60 + local.minute();
        (self.open..self.close).contains(&minute)
    }

    /// The time zone, as `UTC+09:00`.
    pub fn zone(&self) -> String {
        format!("UTC{}", self.zone)
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.open), hm(self.close))?;
        if self.weekdays_only {
            f.write_str(" Mon-Fri")?;
        }
        Ok(())
    }
}

/// `HH:MM` as minutes after midnight.
fn minutes_of(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_hours_are_read_in_the_help_desks_time_zone() {
        let hours = OpeningHours::parse("09:00-17:30", "+09:00", true).unwrap();
        // 2025-04-01 (a Tuesday) 00:00 UTC is 09:00 in Tokyo.
        let tuesday_9am = Timestamp::from_millis(1_743_465_600_000);
        assert!(hours.is_open(tuesday_9am));
        assert!(!hours.is_open(tuesday_9am.minus(Duration::from_secs(60))));
        let saturday = tuesday_9am.plus(Duration::from_secs(4 * 24 * 3600));
        assert!(!hours.is_open(saturday));
        assert_eq!(hours.to_string(), "09:00-17:30 Mon-Fri");
        assert_eq!(hours.zone(), "UTC+09:00");
        assert!(OpeningHours::parse("17:00-09:00", "+09:00", false).is_err());
        assert!(OpeningHours::parse("9-17", "+09:00", false).is_err());
        assert!(OpeningHours::parse("09:00-17:00", "JST", false).is_err());
    }
}
