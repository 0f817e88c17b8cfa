//! `GET /desk/handoffs`: the handoff inbox, queued and taken tickets oldest first, each with
//! its waiting time, the customer's platform and language, the question that led here and
//! who holds it; a queued one is taken with one click (`POST /desk/handoffs/{id}/take`).
//! Both go through the help desk's `inbox` and `take` with the agent as the actor, as `/inbox`
//! and `/take` do in chat: of two agents taking one ticket, from here or from chat, exactly
//! one wins, and the other is shown who has it. The list is marked live: the desk's script
//! fetches it again when the event stream says the tickets changed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, ticket};
use crate::domain::Timestamp;
use crate::knowledge::Messages;
use crate::lang::Lang;
use crate::policy::minutes;
use crate::service::{Ticket, TicketId, TicketState};

/// A form whose only field is its token: take, transfer, close.
#[derive(Debug, Deserialize)]
pub(super) struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

impl Tokened for TokenOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn show(State(desk): State<Arc<Desk>>, agent: Agent) -> Response {
    inbox(&desk, &agent, None).await
}

pub(super) async fn take(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<TokenOnly>,
) -> Response {
    let agent = posted.agent;
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let Ok(id) = id.parse::<TicketId>() else {
        let outcome = frame::Outcome::bad_form(messages, agent.lang);
        return inbox(&desk, &agent, Some(outcome)).await;
    };
    match desk.engine.service().take(&agent.identity, id).await {
        Ok(_) => ticket::page_of(&desk, &agent, id, None).await,
        Err(error) => {
            let outcome = frame::Outcome::of_error(messages, agent.lang, &error);
            inbox(&desk, &agent, Some(outcome)).await
        }
    }
}

/// The inbox, below what was just done, if anything.
async fn inbox(desk: &Desk, agent: &Agent, outcome: Option<frame::Outcome>) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let tickets = match desk.engine.service().inbox(&agent.identity).await {
        Ok(tickets) => tickets,
        Err(error) => {
            let outcome = frame::Outcome::of_error(messages, agent.lang, &error);
            return frame::after(
                messages,
                agent,
                DeskRoute::Handoffs,
                Some(&outcome),
                html! {},
            );
        }
    };
    let now = desk.engine.now();
    let body = html! {
        h2 { (messages.say(&messages.desk_nav_handoffs, agent.lang, &[])) }
        (table(messages, agent, &tickets, now))
    };
    frame::after(messages, agent, DeskRoute::Handoffs, outcome.as_ref(), body)
}

/// The list of open tickets, as a part of the page the desk's script replaces when it changes.
fn table(messages: &Messages, agent: &Agent, tickets: &[Ticket], now: Timestamp) -> Markup {
    let say = |sentence| messages.say(sentence, agent.lang, &[]);
    html! {
        section #inbox data-live=(DeskRoute::Handoffs.path()) {
            @if tickets.is_empty() {
                p { (say(&messages.inbox_none)) }
            } @else {
                div.table {
                    table {
                        thead {
                            tr {
                                th { "#" }
                                th { (say(&messages.desk_column_state)) }
                                th { (say(&messages.desk_column_waiting)) }
                                th { (say(&messages.desk_column_customer)) }
                                th { (say(&messages.desk_column_platform)) }
                                th { (say(&messages.desk_column_lang)) }
                                th { (say(&messages.desk_column_question)) }
                                th { (say(&messages.desk_column_agent)) }
                                th { (say(&messages.desk_column_decision)) }
                            }
                        }
                        tbody {
                            @for ticket in tickets {
                                (row(messages, agent, ticket, now))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn row(messages: &Messages, agent: &Agent, ticket: &Ticket, now: Timestamp) -> Markup {
    let lang = agent.lang;
    let id = ticket.id.to_string();
    let path = DeskRoute::Ticket.path().replace("{id}", &id);
    let take = DeskRoute::Take.path().replace("{id}", &id);
    html! {
        tr #{ "ticket-" (id) } class=(ticket.state.as_str()) {
            td { a href=(path) { "#" (id) } }
            td { (state(messages, ticket.state, lang)) }
            td.time { (waiting(messages, ticket.created_at, now, lang)) }
            td { (ticket.customer.to_string()) }
            td { (ticket.customer.channel().as_str()) }
            td { (ticket.lang.code()) }
            td.question { (ticket.question.as_deref().unwrap_or("-")) }
            td { (ticket.agent.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string)) }
            td.actions {
                @if ticket.state == TicketState::Queued {
                    form method="post" action=(take) {
                        (frame::token(agent))
                        button.take type="submit" { (messages.say(&messages.desk_take, lang, &[])) }
                    }
                }
                a href=(path) { (messages.say(&messages.desk_open_ticket, lang, &[])) }
            }
        }
    }
}

/// A ticket's state, in words.
pub(super) fn state(messages: &Messages, state: TicketState, lang: Lang) -> String {
    let sentence = match state {
        TicketState::Queued => &messages.desk_state_queued,
        TicketState::Taken => &messages.desk_state_taken,
        TicketState::Closed => &messages.desk_state_closed,
    };
    messages.say(sentence, lang, &[])
}

/// How long since `since`, in whole minutes.
fn waiting(messages: &Messages, since: Timestamp, now: Timestamp, lang: Lang) -> String {
    let waited = u64::try_from(now.as_millis().saturating_sub(since.as_millis())).unwrap_or(0);
    let waited = minutes(Duration::from_millis(waited)).to_string();
    messages.say(
        &messages.desk_waiting_minutes,
        lang,
        &[("minutes", &waited)],
    )
}
