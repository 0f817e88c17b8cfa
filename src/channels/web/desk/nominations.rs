//! `GET /desk/nominations`: the pending nominations, oldest first, a page at a time, each
//! with one form per decision: approve as a user, approve as a secondary member, deny with a
//! reason. A decision goes through the service's `approve_nomination` / `deny_nomination`
//! with the agent as the actor, as `/approve` and `/deny` do in chat, so the requester is
//! told on their platform through the outbox; the page then says what was done.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::frame::Outcome;
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame};
use crate::conversation::wording;
use crate::domain::{DenyReason, GrantRole};
use crate::knowledge::Messages;
use crate::service::{Nomination, NominationId, Paged};

/// How many nominations a page lists.
pub(super) const PER_PAGE: u32 = 50;

/// Where the list starts: after the nomination of this number.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Start {
    after: Option<i64>,
}

/// An approval: the role granted.
#[derive(Debug, Deserialize)]
pub(super) struct Approve {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// A denial: the reason the requester is told.
#[derive(Debug, Deserialize)]
pub(super) struct Deny {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

impl Tokened for Approve {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl Tokened for Deny {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn show(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Query(start): Query<Start>,
) -> Response {
    let after = start.after.map(NominationId);
    list(&desk, &agent, after, None).await
}

pub(super) async fn approve(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<Approve>,
) -> Response {
    let Posted { agent, form } = posted;
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let (Ok(id), Ok(role)) = (id.parse::<NominationId>(), GrantRole::parse(&form.role)) else {
        let outcome = Outcome::bad_form(messages, lang);
        return list(&desk, &agent, None, Some(outcome)).await;
    };
    let service = desk.engine.service();
    let result = service.approve_nomination(&agent.identity, id, role).await;
    let outcome = Outcome::of(messages, lang, result, |approval| {
        let role = wording::role(messages, approval.member.role, lang);
        messages.say(
            &messages.approved,
            lang,
            &[
                ("id", &id.to_string()),
                ("site", approval.nomination.site.as_str()),
                ("ibm_id", approval.member.ibm_id.as_str()),
                ("role", &role),
            ],
        )
    });
    list(&desk, &agent, None, Some(outcome)).await
}

pub(super) async fn deny(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<Deny>,
) -> Response {
    let Posted { agent, form } = posted;
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let Ok(id) = id.parse::<NominationId>() else {
        let outcome = Outcome::bad_form(messages, lang);
        return list(&desk, &agent, None, Some(outcome)).await;
    };
    let Ok(reason) = DenyReason::parse(&form.reason) else {
        let said = messages.say(
            &messages.deny_reason_prompt,
            lang,
            &[("id", &id.to_string())],
        );
        let outcome = Outcome::refused(StatusCode::BAD_REQUEST, said);
        return list(&desk, &agent, None, Some(outcome)).await;
    };
    let service = desk.engine.service();
    let result = service.deny_nomination(&agent.identity, id, &reason).await;
    let outcome = Outcome::of(messages, lang, result, |nomination| {
        messages.say(
            &messages.denied,
            lang,
            &[
                ("id", &id.to_string()),
                ("site", nomination.site.as_str()),
                ("ibm_id", nomination.ibm_id.as_str()),
            ],
        )
    });
    list(&desk, &agent, None, Some(outcome)).await
}

/// The page of nominations after `after`, below what was just done, if anything.
async fn list(
    desk: &Desk,
    agent: &Agent,
    after: Option<NominationId>,
    outcome: Option<Outcome>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let service = desk.engine.service();
    let pending = match service.pending_page(&agent.identity, after, PER_PAGE).await {
        Ok(pending) => pending,
        Err(error) => {
            let outcome = Outcome::of_error(messages, agent.lang, &error);
            return frame::after(
                messages,
                agent,
                DeskRoute::Nominations,
                Some(&outcome),
                html! {},
            );
        }
    };
    let body = html! {
        // The first page is live: the desk's script fetches it again when nominations change.
        @if after.is_none() {
            section #nominations data-live=(DeskRoute::Nominations.path()) {
                (table(messages, agent, &pending, false))
            }
        } @else {
            (table(messages, agent, &pending, true))
        }
    };
    frame::after(
        messages,
        agent,
        DeskRoute::Nominations,
        outcome.as_ref(),
        body,
    )
}

/// The table of one page of pending nominations, with its decisions.
pub(super) fn table(
    messages: &Messages,
    agent: &Agent,
    pending: &Paged<Nomination, NominationId>,
    paged: bool,
) -> Markup {
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let nominations = DeskRoute::Nominations.path();
    html! {
        h2 { (say(&messages.desk_nav_nominations)) }
        @if pending.items.is_empty() {
            p { (say(&messages.pending_none)) }
        } @else {
            div.table {
                table {
                    thead {
                        tr {
                            th { "#" }
                            th { (say(&messages.desk_column_site)) }
                            th { "IBM ID" }
                            th { (say(&messages.desk_column_requester)) }
                            th { (say(&messages.desk_column_requested_at)) }
                            th { (say(&messages.desk_column_decision)) }
                        }
                    }
                    tbody {
                        @for nomination in &pending.items {
                            (row(messages, agent, nomination))
                        }
                    }
                }
            }
        }
        nav.pages {
            @if paged {
                a href=(nominations) { (say(&messages.desk_first_page)) }
            }
            @if let Some(next) = pending.next {
                a href={ (nominations) "?after=" (next) } { (say(&messages.desk_next_page)) }
            }
        }
    }
}

fn row(messages: &Messages, agent: &Agent, nomination: &Nomination) -> Markup {
    let lang = agent.lang;
    let id = nomination.id.to_string();
    let say = |sentence| messages.say(sentence, lang, &[("id", &id)]);
    let approve = DeskRoute::Approve.path().replace("{id}", &id);
    let deny = DeskRoute::Deny.path().replace("{id}", &id);
    let site = DeskRoute::Site
        .path()
        .replace("{number}", nomination.site.as_str());
    html! {
        tr #{ "nomination-" (id) } {
            td { (id) }
            td { a href=(site) { (nomination.site.as_str()) } }
            td { (nomination.ibm_id.as_str()) }
            td { (nomination.requested_by.to_string()) }
            td.time { (wording::time(nomination.requested_at)) }
            td.actions {
                form method="post" action=(approve) {
                    (frame::token(agent))
                    input type="hidden" name="role" value="user";
                    button.approve type="submit" { (say(&messages.approve_button)) }
                }
                form method="post" action=(approve) {
                    (frame::token(agent))
                    input type="hidden" name="role" value="secondary";
                    button.approve-secondary type="submit" { (say(&messages.approve_secondary_button)) }
                }
                form.deny method="post" action=(deny) {
                    (frame::token(agent))
                    input type="text" name="reason" required maxlength="500"
                        placeholder=(say(&messages.desk_deny_reason)) aria-label=(say(&messages.desk_deny_reason));
                    button.danger type="submit" { (say(&messages.deny_button)) }
                }
            }
        }
    }
}
