//! `GET /desk/audit`: the audit log, newest first, a page at a time, filtered by site, person
//! (a chat identity who acted, or an IBM ID acted on), action and a range of days (in JST, as
//! the desk reads times), through the service's `audit_page`.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{FixedOffset, NaiveDate, TimeZone};
use maud::{Markup, html};
use serde::Deserialize;

use crate::channels::web::desk::frame::Outcome;
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, page};
use crate::conversation::wording;
use crate::domain::{SiteNumber, Timestamp};
use crate::knowledge::Messages;
use crate::lang::Lang;
use crate::service::{Action, AuditEntry, AuditFilter, AuditId, Paged, Person};

/// How many rows a page lists.
pub(super) const PER_PAGE: u32 = 100;

/// Japan Standard Time, in which the filter's days are read.
const JST_SECONDS: i32 = 9 * 60 * 60;

/// The filter's form, as typed: each field may be empty.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    before: Option<i64>,
}

pub(super) async fn show(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Query(asked): Query<AuditQuery>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let form = filters(messages, lang, &asked);
    let filter = match parse(&asked) {
        Ok(filter) => filter,
        Err(()) => {
            let said = messages.say(&messages.desk_bad_filter, lang, &[]);
            let outcome = Outcome::refused(StatusCode::BAD_REQUEST, said);
            let body = html! { (form) (outcome.markup()) };
            return page(
                outcome.status,
                frame::signed_in(messages, &agent, DeskRoute::Audit, body),
            );
        }
    };
    let before = asked.before.map(AuditId);
    let service = desk.engine.service();
    let rows = match service
        .audit_page(&agent.identity, &filter, before, PER_PAGE)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            let outcome = Outcome::of_error(messages, lang, &error);
            let body = html! { (form) (outcome.markup()) };
            return page(
                outcome.status,
                frame::signed_in(messages, &agent, DeskRoute::Audit, body),
            );
        }
    };
    let body = html! {
        (form)
        (table(messages, lang, &rows))
        nav.pages {
            @if before.is_some() {
                a href=(link(&asked, None)) { (messages.say(&messages.desk_first_page, lang, &[])) }
            }
            @if let Some(next) = rows.next {
                a href=(link(&asked, Some(next))) { (messages.say(&messages.desk_next_page, lang, &[])) }
            }
        }
    };
    page(
        StatusCode::OK,
        frame::signed_in(messages, &agent, DeskRoute::Audit, body),
    )
}

/// The filter typed, each part parsed; an unreadable part is refused rather than ignored.
fn parse(asked: &AuditQuery) -> Result<AuditFilter, ()> {
    let site = given(&asked.site)
        .map(SiteNumber::parse)
        .transpose()
        .map_err(drop)?;
    let person = given(&asked.person)
        .map(Person::parse)
        .transpose()
        .map_err(drop)?;
    let action = given(&asked.action).map(Action::named);
    if action == Some(None) {
        return Err(());
    }
    let since = given(&asked.since)
        .map(|day| start_of(day, 0))
        .transpose()?;
    // Until a day: to the end of it.
    let until = given(&asked.until)
        .map(|day| start_of(day, 1))
        .transpose()?;
    Ok(AuditFilter {
        site,
        person,
        action: action.flatten(),
        since,
        until,
    })
}

/// `text` trimmed, unless nothing is left.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

/// The start of the day `later` days after `day` (`YYYY-MM-DD`), in JST.
fn start_of(day: &str, later: u64) -> Result<Timestamp, ()> {
    let jst = FixedOffset::east_opt(JST_SECONDS).ok_or(())?;
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(drop)?;
    let date = date.checked_add_days(chrono::Days::new(later)).ok_or(())?;
    let start = jst
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .single()
        .ok_or(())?;
    Ok(Timestamp::from_millis(start.timestamp_millis()))
}

fn filters(messages: &Messages, lang: Lang, asked: &AuditQuery) -> Markup {
    let say = |sentence| messages.say(sentence, lang, &[]);
    html! {
        h2 { (say(&messages.desk_nav_audit)) }
        form.filters method="get" action=(DeskRoute::Audit.path()) {
            label { (say(&messages.desk_column_site))
                input name="site" value=(asked.site) inputmode="numeric" size="9";
            }
            label { (say(&messages.desk_column_person))
                input name="person" value=(asked.person) placeholder="telegram:123 / name@example.com";
            }
            label { (say(&messages.desk_column_action))
                select name="action" {
                    option value="" { "—" }
                    @for action in Action::ALL {
                        option value=(action.as_str()) selected[asked.action == action.as_str()] {
                            (action.as_str())
                        }
                    }
                }
            }
            label { (say(&messages.desk_filter_since))
                input type="date" name="since" value=(asked.since);
            }
            label { (say(&messages.desk_filter_until))
                input type="date" name="until" value=(asked.until);
            }
            button type="submit" { (say(&messages.desk_filter_apply)) }
        }
    }
}

fn table(messages: &Messages, lang: Lang, rows: &Paged<(AuditId, AuditEntry), AuditId>) -> Markup {
    let say = |sentence| messages.say(sentence, lang, &[]);
    let dash = "—";
    html! {
        @if rows.items.is_empty() {
            p { (say(&messages.desk_audit_none)) }
        } @else {
            div.table {
                table.audit {
                    thead {
                        tr {
                            th { (say(&messages.desk_column_time)) }
                            th { (say(&messages.desk_column_person)) }
                            th { (say(&messages.desk_column_action)) }
                            th { (say(&messages.desk_column_site)) }
                            th { "IBM ID" }
                            th { (say(&messages.desk_column_outcome)) }
                            th { (say(&messages.desk_column_detail)) }
                        }
                    }
                    tbody {
                        @for (id, entry) in &rows.items {
                            tr #{ "audit-" (id) } {
                                td.time { (wording::time(entry.at)) }
                                td { (entry.actor) }
                                td { (entry.action) }
                                td { (entry.site.as_deref().unwrap_or(dash)) }
                                td { (entry.ibm_id.as_deref().unwrap_or(dash)) }
                                td { (entry.outcome) }
                                td { (entry.detail.as_deref().unwrap_or(dash)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The audit page with the same filter, from the row before `before`.
fn link(asked: &AuditQuery, before: Option<AuditId>) -> String {
    let mut link = format!("{}?", DeskRoute::Audit.path());
    for (name, value) in [
        ("site", &asked.site),
        ("person", &asked.person),
        ("action", &asked.action),
        ("since", &asked.since),
        ("until", &asked.until),
    ] {
        if !value.is_empty() {
            let _ = write!(link, "{name}={}&", encoded(value));
        }
    }
    if let Some(before) = before {
        let _ = write!(link, "before={before}");
    }
    link.trim_end_matches(['&', '?']).to_owned()
}

/// `text` percent-encoded for a query string.
pub(super) fn encoded(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_in_jst_and_until_takes_the_whole_day() {
        // 2025-04-01 00:00 JST is 2025-03-31 15:00 UTC.
        assert_eq!(
            start_of("2025-04-01", 0),
            Ok(Timestamp::from_millis(1_743_433_200_000))
        );
        assert_eq!(
            start_of("2025-04-01", 1),
            Ok(Timestamp::from_millis(1_743_519_600_000))
        );
        assert_eq!(start_of("2025-13-01", 0), Err(()));
    }

    #[test]
    fn the_next_page_keeps_the_filter() {
        let asked = AuditQuery {
            person: "taro@example.co.jp".to_owned(),
            action: "unlock".to_owned(),
            ..AuditQuery::default()
        };
        assert_eq!(
            link(&asked, Some(AuditId(42))),
            "/desk/audit?person=taro%40example.co.jp&action=unlock&before=42"
        );
        assert_eq!(link(&AuditQuery::default(), None), "/desk/audit");
    }
}
