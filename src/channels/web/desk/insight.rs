//! `GET /desk/insight`: what customers asked over the last 7, 30 or 90 days. The share of
//! questions the FAQ answered without a no-answer or a handoff (deflection); the questions per
//! day as a chart ([`chart`](super::chart)); the unanswered questions grouped by wording as
//! `pao-bot report` groups them, each group with its closest FAQ entry; and per FAQ entry, the
//! answers given with their "helped" and "did not help" rates.
//!
//! The groups come from the latest [`SAMPLE`] unanswered questions of the period, counted in
//! SQL by their folded text: the page costs the same with a hundred or a hundred thousand. The
//! figures per day and per entry come from the summaries of the days that ended
//! ([`Store::insight`](crate::conversation::Store::insight)), with today's counted live, so
//! that 90 days cost about what 7 do.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::answer::Answerer;
use crate::channels::web::desk::chart;
use crate::channels::web::desk::frame::Outcome;
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, page};
use crate::conversation::{DayCounts, EntryStats, Figures, Period, UnansweredStats};
use crate::domain::Timestamp;
use crate::knowledge::{EntryId, Messages};
use crate::lang::Lang;
use crate::report::{Group, Suggestion, group};

/// How many of the period's latest unanswered questions are grouped.
const SAMPLE: i64 = 5_000;

/// How many of the sample's most asked wordings are grouped.
const WORDINGS: i64 = 50;

/// The periods offered, in days; the first page shows the middle one.
const PERIODS: [i64; 3] = [7, 30, 90];

#[derive(Debug, Deserialize)]
pub(super) struct InsightQuery {
    days: Option<i64>,
}

/// What the page shows, read for one period.
struct Insight {
    days: Vec<DayCounts>,
    groups: Vec<Group>,
    entries: Vec<EntryStats>,
}

pub(super) async fn show(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Query(asked): Query<InsightQuery>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let days = asked.days.unwrap_or(PERIODS[1]);
    if !PERIODS.contains(&days) {
        let said = messages.say(&messages.desk_bad_filter, lang, &[]);
        let outcome = Outcome::refused(StatusCode::BAD_REQUEST, said);
        let body = html! { (periods(messages, lang, PERIODS[1])) (outcome.markup()) };
        return page(
            outcome.status,
            frame::signed_in(messages, &agent, DeskRoute::Insight, body),
        );
    }
    // Whole days (JST), today's included.
    let now = desk.engine.now();
    let first = DayCounts::of(now.as_millis()) - days + 1;
    let insight = match read(&desk, &bot, first, now).await {
        Ok(insight) => insight,
        Err(error) => {
            tracing::warn!(%error, "the insight page could not be read");
            return frame::unavailable(&desk, lang);
        }
    };
    let body = html! {
        (periods(messages, lang, days))
        (deflection(messages, lang, &insight.days))
        h3 { (messages.say(&messages.desk_insight_per_day, lang, &[])) }
        (legend(messages, lang))
        (chart::per_day(
            &messages.say(&messages.desk_insight_per_day, lang, &[]),
            &labels(messages, lang),
            first,
            days,
            &insight.days,
        ))
        (groups(&bot, lang, &insight.groups))
        (entries(&bot, lang, &insight.entries))
    };
    page(
        StatusCode::OK,
        frame::signed_in(messages, &agent, DeskRoute::Insight, body),
    )
}

async fn read(
    desk: &Desk,
    bot: &Answerer,
    first: i64,
    now: Timestamp,
) -> Result<Insight, sqlx::Error> {
    let store = desk.engine.store();
    let Figures { days, entries } = store.insight(first, now).await?;
    let period = Period {
        from: Timestamp::from_millis(DayCounts::start(first)),
        to: Timestamp::from_millis(i64::MAX),
    };
    let asked: Vec<(String, i64)> = store
        .recent_unanswered(SAMPLE, WORDINGS, period)
        .await?
        .into_iter()
        .map(|UnansweredStats { question, asked }| (question, asked))
        .collect();
    Ok(Insight {
        days,
        groups: group(bot, &asked, None),
        entries,
    })
}

/// The heading, with a link to each period and the current one marked.
fn periods(messages: &Messages, lang: Lang, current: i64) -> Markup {
    html! {
        h2 { (messages.say(&messages.desk_nav_insight, lang, &[])) }
        nav.periods {
            @for days in PERIODS {
                @let label = messages.say(&messages.desk_insight_period, lang, &[("days", &days.to_string())]);
                @if days == current {
                    a href={ (DeskRoute::Insight.path()) "?days=" (days) } aria-current="page" { (label) }
                } @else {
                    a href={ (DeskRoute::Insight.path()) "?days=" (days) } { (label) }
                }
            }
        }
    }
}

/// The questions the FAQ answered, of all the questions: those answered, unanswered and
/// handed to a person.
fn deflection(messages: &Messages, lang: Lang, days: &[DayCounts]) -> Markup {
    let answered: i64 = days.iter().map(|d| d.answered).sum();
    let questions: i64 = days
        .iter()
        .map(|d| d.answered + d.unanswered + d.handed_off)
        .sum();
    let said = messages.say(
        &messages.desk_insight_deflection,
        lang,
        &[
            ("percent", &percent(answered, questions)),
            ("answered", &answered.to_string()),
            ("questions", &questions.to_string()),
        ],
    );
    html! { p.deflection { (said) } }
}

fn labels(messages: &Messages, lang: Lang) -> [String; 3] {
    [
        messages.say(&messages.desk_insight_answered, lang, &[]),
        messages.say(&messages.desk_insight_unanswered, lang, &[]),
        messages.say(&messages.desk_insight_handed_off, lang, &[]),
    ]
}

fn legend(messages: &Messages, lang: Lang) -> Markup {
    html! {
        ul.legend {
            @for (label, colour) in labels(messages, lang).iter().zip(chart::COLOURS) {
                li {
                    svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" {
                        rect width="12" height="12" fill=(colour) {}
                    }
                    " " (label)
                }
            }
        }
    }
}

fn groups(bot: &Answerer, lang: Lang, groups: &[Group]) -> Markup {
    let messages = bot.knowledge().messages();
    let say = |sentence| messages.say(sentence, lang, &[]);
    html! {
        h3 { (messages.say(&messages.desk_insight_groups, lang, &[("sample", &SAMPLE.to_string())])) }
        @if groups.is_empty() {
            p { (say(&messages.desk_insight_no_groups)) }
        } @else {
            div.table {
                table.groups {
                    thead {
                        tr {
                            th { (say(&messages.desk_column_asked)) }
                            th { (say(&messages.desk_column_questions)) }
                            th { (say(&messages.desk_column_closest)) }
                        }
                    }
                    tbody {
                        @for group in groups {
                            tr.group {
                                td.count { (group.asked) }
                                td {
                                    ul.questions {
                                        @for question in &group.questions { li { (question) } }
                                    }
                                }
                                td { (closest(bot, lang, &group.suggestion)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The entry a group comes closest to, with its question in `lang`.
fn closest(bot: &Answerer, lang: Lang, suggestion: &Suggestion) -> Markup {
    let messages = bot.knowledge().messages();
    match suggestion {
        Suggestion::Entry { id, score } => html! {
            span.entry { (id) } " (" (format!("{score:.2}")) ")"
            @if let Some(question) = entry_question(bot, lang, id) { br; small { (question) } }
        },
        Suggestion::NewEntry { .. } => {
            html! { (messages.say(&messages.desk_insight_no_entry, lang, &[])) }
        }
        Suggestion::Elsewhere { cue } => {
            html! { (messages.say(&messages.desk_insight_elsewhere, lang, &[("cue", cue)])) }
        }
    }
}

fn entry_question(bot: &Answerer, lang: Lang, id: &str) -> Option<String> {
    let id = EntryId::parse(id).ok()?;
    let entry = bot.knowledge().entry(&id)?;
    Some(entry.question.get(lang).clone())
}

fn entries(bot: &Answerer, lang: Lang, entries: &[EntryStats]) -> Markup {
    let messages = bot.knowledge().messages();
    let say = |sentence| messages.say(sentence, lang, &[]);
    html! {
        h3 { (say(&messages.desk_insight_entries)) }
        div.table {
            table.entries {
                thead {
                    tr {
                        th { (say(&messages.desk_column_entry)) }
                        th { (say(&messages.desk_column_answered)) }
                        th { (say(&messages.desk_column_helped)) }
                        th { (say(&messages.desk_column_not_helped)) }
                    }
                }
                tbody {
                    @for entry in entries {
                        tr #{ "entry-" (entry.entry_id) } {
                            td {
                                span.entry { (entry.entry_id) }
                                @if let Some(question) = entry_question(bot, lang, &entry.entry_id) { br; small { (question) } }
                            }
                            td.count { (entry.answered) }
                            td.count { (percent(entry.helped, entry.answered)) "%" }
                            td.count { (percent(entry.not_helped, entry.answered)) "%" }
                        }
                    }
                }
            }
        }
    }
}

/// `part` of `whole` in percent, rounded; 0 of nothing.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0".to_owned();
    }
    ((part * 100 + whole / 2) / whole).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_rounded_and_nothing_is_zero() {
        assert_eq!(percent(1, 3), "33");
        assert_eq!(percent(2, 3), "67");
        assert_eq!(percent(0, 0), "0");
    }
}
