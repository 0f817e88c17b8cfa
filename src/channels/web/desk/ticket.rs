//! `GET /desk/handoffs/{id}`: one ticket, its masked transcript (notes marked as agents'
//! only), and what the agent may do with it: take it when queued; when they hold it, reply,
//! send an FAQ answer (in the customer's language), hand it back to the queue or close it
//! (the customer is told and asked for a rating); a note at any time. Each action is the help
//! desk's call with the agent as the actor, the one the chat's commands make, so a reply
//! reaches the customer on their platform through the outbox exactly as a chat agent's does.
//! The ticket's state and transcript are marked live, for the desk's script to fetch again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::answer::too_long;
use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::handoffs::{self, TokenOnly};
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, page};
use crate::conversation::wording;
use crate::knowledge::{EntryId, KnowledgeBase, Messages};
use crate::masking::{mask, mask_passcodes, passcodes_in};
use crate::service::{Author, Ticket, TicketId, TicketState, TranscriptLine};

/// A text: a reply or a note.
#[derive(Debug, Deserialize)]
pub(super) struct Written {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// An FAQ entry to send.
#[derive(Debug, Deserialize)]
pub(super) struct ChosenEntry {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entry: String,
}

impl Tokened for Written {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl Tokened for ChosenEntry {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn show(
    State(desk): State<Arc<Desk>>,
    agent: Agent,
    Path(id): Path<String>,
) -> Response {
    match id.parse::<TicketId>() {
        Ok(id) => page_of(&desk, &agent, id, None).await,
        Err(_) => bad_form(&desk, &agent),
    }
}

pub(super) async fn reply(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<Written>,
) -> Response {
    let Posted { agent, form } = posted;
    let Ok(id) = id.parse::<TicketId>() else {
        return bad_form(&desk, &agent);
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let text = form.text.trim();
    if text.is_empty() || too_long(text) {
        let said = messages.say(&messages.desk_bad_form, lang, &[]);
        let outcome = frame::Outcome::refused(StatusCode::BAD_REQUEST, said);
        return page_of(&desk, &agent, id, Some(outcome)).await;
    }
    // As in chat: a reissued passcode pasted by mistake never reaches the customer.
    if !passcodes_in(text).is_empty() {
        let said = messages.say(&messages.desk_reply_secret, lang, &[]);
        let outcome = frame::Outcome::refused(StatusCode::UNPROCESSABLE_ENTITY, said);
        return page_of(&desk, &agent, id, Some(outcome)).await;
    }
    let masked = mask_passcodes(text);
    let service = desk.engine.service();
    let outcome = match service
        .agent_message(&agent.identity, id, masked.trim())
        .await
    {
        Ok(_) => frame::Outcome::done(messages.say(
            &messages.desk_replied,
            lang,
            &[("ticket", &id.to_string())],
        )),
        Err(error) => frame::Outcome::of_error(messages, lang, &error),
    };
    page_of(&desk, &agent, id, Some(outcome)).await
}

pub(super) async fn send_answer(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<ChosenEntry>,
) -> Response {
    let Posted { agent, form } = posted;
    let Ok(id) = id.parse::<TicketId>() else {
        return bad_form(&desk, &agent);
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let entry = form.entry.trim();
    let Some(entry) = EntryId::parse(entry)
        .ok()
        .filter(|known| bot.knowledge().entry(known).is_some())
    else {
        let said = messages.say(&messages.ticket_no_entry, lang, &[("entry", entry)]);
        let outcome = frame::Outcome::refused(StatusCode::BAD_REQUEST, said);
        return page_of(&desk, &agent, id, Some(outcome)).await;
    };
    let service = desk.engine.service();
    let outcome = match service
        .send_answer(&agent.identity, id, entry.as_str())
        .await
    {
        Ok(_) => frame::Outcome::done(messages.say(
            &messages.ticket_faq_sent,
            lang,
            &[("ticket", &id.to_string()), ("entry", entry.as_str())],
        )),
        Err(error) => frame::Outcome::of_error(messages, lang, &error),
    };
    page_of(&desk, &agent, id, Some(outcome)).await
}

pub(super) async fn note(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<Written>,
) -> Response {
    let Posted { agent, form } = posted;
    let Ok(id) = id.parse::<TicketId>() else {
        return bad_form(&desk, &agent);
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let text = form.text.trim();
    if text.is_empty() || too_long(text) {
        let said = messages.say(&messages.desk_bad_form, lang, &[]);
        let outcome = frame::Outcome::refused(StatusCode::BAD_REQUEST, said);
        return page_of(&desk, &agent, id, Some(outcome)).await;
    }
    let masked = mask(text);
    let service = desk.engine.service();
    let outcome = match service.note(&agent.identity, id, masked.trim()).await {
        Ok(()) => frame::Outcome::done(messages.say(
            &messages.ticket_noted,
            lang,
            &[("ticket", &id.to_string())],
        )),
        Err(error) => frame::Outcome::of_error(messages, lang, &error),
    };
    page_of(&desk, &agent, id, Some(outcome)).await
}

pub(super) async fn transfer(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<TokenOnly>,
) -> Response {
    let agent = posted.agent;
    let Ok(id) = id.parse::<TicketId>() else {
        return bad_form(&desk, &agent);
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let outcome = match desk.engine.service().transfer(&agent.identity, id).await {
        Ok(()) => frame::Outcome::done(messages.say(
            &messages.ticket_transferred,
            lang,
            &[("ticket", &id.to_string())],
        )),
        Err(error) => frame::Outcome::of_error(messages, lang, &error),
    };
    page_of(&desk, &agent, id, Some(outcome)).await
}

pub(super) async fn close(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    posted: Posted<TokenOnly>,
) -> Response {
    let agent = posted.agent;
    let Ok(id) = id.parse::<TicketId>() else {
        return bad_form(&desk, &agent);
    };
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = agent.lang;
    let service = desk.engine.service();
    let outcome = match service.close_ticket(&agent.identity, id).await {
        Ok(_) => frame::Outcome::done(messages.say(
            &messages.ticket_closed_notice,
            lang,
            &[("ticket", &id.to_string())],
        )),
        Err(error) => frame::Outcome::of_error(messages, lang, &error),
    };
    page_of(&desk, &agent, id, Some(outcome)).await
}

/// The page saying a form or a path could not be read.
fn bad_form(desk: &Desk, agent: &Agent) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let said = messages.say(&messages.desk_bad_form, agent.lang, &[]);
    let outcome = frame::Outcome::refused(StatusCode::BAD_REQUEST, said);
    page(
        outcome.status,
        frame::signed_in(messages, agent, DeskRoute::Handoffs, outcome.markup()),
    )
}

/// Ticket `id`'s page, below what was just done, if anything.
pub(super) async fn page_of(
    desk: &Desk,
    agent: &Agent,
    id: TicketId,
    outcome: Option<frame::Outcome>,
) -> Response {
    let bot = desk.engine.bot();
    let kb = bot.knowledge();
    let messages = kb.messages();
    let (ticket, lines) = match desk.engine.service().transcript(&agent.identity, id).await {
        Ok(found) => found,
        Err(error) => {
            let refused = frame::Outcome::of_error(messages, agent.lang, &error);
            let body = html! {
                @if let Some(outcome) = &outcome { (outcome.markup()) }
                (refused.markup())
            };
            return page(
                refused.status,
                frame::signed_in(messages, agent, DeskRoute::Handoffs, body),
            );
        }
    };
    let status = outcome.as_ref().map_or(StatusCode::OK, |o| o.status);
    let title = messages.say(
        &messages.desk_ticket_title,
        agent.lang,
        &[("ticket", &id.to_string())],
    );
    let body = html! {
        @if let Some(outcome) = &outcome { (outcome.markup()) }
        h2 { (title) }
        (summary(messages, agent, &ticket))
        (transcript(kb, agent, &ticket, &lines))
        (compose(kb, agent, &ticket))
    };
    page(
        status,
        frame::signed_in(messages, agent, DeskRoute::Handoffs, body),
    )
}

/// Who, where, in which language, since when; and take, hand back and close.
fn summary(messages: &Messages, agent: &Agent, ticket: &Ticket) -> Markup {
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let id = ticket.id.to_string();
    let action = |route: DeskRoute| route.path().replace("{id}", &id);
    let held = ticket.state == TicketState::Taken && ticket.agent.as_ref() == Some(&agent.identity);
    html! {
        section #ticket data-live=(action(DeskRoute::Ticket)) data-state=(ticket.state.as_str()) {
            dl.ticket {
                dt { (say(&messages.desk_column_state)) }
                dd.state { (handoffs::state(messages, ticket.state, lang)) }
                dt { (say(&messages.desk_column_customer)) }
                dd { (ticket.customer.to_string()) }
                dt { (say(&messages.desk_column_platform)) }
                dd { (ticket.customer.channel().as_str()) }
                dt { (say(&messages.desk_column_lang)) }
                dd { (ticket.lang.code()) }
                dt { (say(&messages.desk_column_requested_at)) }
                dd { (wording::time(ticket.created_at)) }
                dt { (say(&messages.desk_column_question)) }
                dd { (ticket.question.as_deref().unwrap_or("-")) }
                dt { (say(&messages.desk_tried)) }
                dd { (if ticket.tried.is_empty() { "-".to_owned() } else { ticket.tried.join(", ") }) }
                dt { (say(&messages.desk_column_agent)) }
                dd.agent { (ticket.agent.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string)) }
            }
            div.actions {
                @if ticket.state == TicketState::Queued {
                    form method="post" action=(action(DeskRoute::Take)) {
                        (frame::token(agent))
                        button.take type="submit" { (say(&messages.desk_take)) }
                    }
                }
                @if held {
                    form method="post" action=(action(DeskRoute::Transfer)) {
                        (frame::token(agent))
                        button.transfer type="submit" { (say(&messages.desk_transfer)) }
                    }
                    form method="post" action=(action(DeskRoute::Close)) {
                        (frame::token(agent))
                        button.danger.close type="submit" { (say(&messages.desk_close)) }
                    }
                }
            }
        }
    }
}

/// The customer's messages before the handoff, and the transcript since, oldest first, as
/// masked as they were stored.
fn transcript(
    kb: &KnowledgeBase,
    agent: &Agent,
    ticket: &Ticket,
    lines: &[TranscriptLine],
) -> Markup {
    let messages = kb.messages();
    let lang = agent.lang;
    let path = DeskRoute::Ticket
        .path()
        .replace("{id}", &ticket.id.to_string());
    html! {
        @if !ticket.recent.is_empty() {
            section #recent {
                h3 { (messages.say(&messages.desk_recent, lang, &[])) }
                ol.transcript {
                    @for text in &ticket.recent {
                        li.customer { p.text { (text) } }
                    }
                }
            }
        }
        section #transcript data-live=(path) {
            h3 { (messages.say(&messages.desk_transcript, lang, &[])) }
            @if lines.is_empty() {
                p { (messages.say(&messages.desk_transcript_none, lang, &[])) }
            } @else {
                ol.transcript {
                    @for line in lines {
                        li class=(line.author.as_str()) {
                            span.who {
                                (line.sender)
                                @match line.author {
                                    Author::Note => { " · " (messages.say(&messages.desk_author_note, lang, &[])) }
                                    Author::Faq => { " · FAQ" }
                                    Author::Customer | Author::Agent => {}
                                }
                            }
                            " "
                            span.time { (wording::time(line.at)) }
                            p.text { (said(kb, ticket, line)) }
                        }
                    }
                }
            }
        }
    }
}

/// A line's text; an FAQ line holds its entry's id, shown with the entry's question in the
/// language it was sent in.
fn said(kb: &KnowledgeBase, ticket: &Ticket, line: &TranscriptLine) -> String {
    if line.author != Author::Faq {
        return line.text.clone();
    }
    let question = EntryId::parse(line.text.as_str()).ok().and_then(|id| {
        kb.entry(&id)
            .map(|entry| entry.question.get(ticket.lang).clone())
    });
    match question {
        Some(question) => format!("{}: {question}", line.text),
        None => line.text.clone(),
    }
}

/// The reply, the FAQ answer and the note, for the agent holding the ticket; the note alone
/// for the others while it is open.
fn compose(kb: &KnowledgeBase, agent: &Agent, ticket: &Ticket) -> Markup {
    let messages = kb.messages();
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let id = ticket.id.to_string();
    let action = |route: DeskRoute| route.path().replace("{id}", &id);
    let held = ticket.state == TicketState::Taken && ticket.agent.as_ref() == Some(&agent.identity);
    html! {
        section #compose {
            @if held {
                form.reply method="post" action=(action(DeskRoute::Reply)) {
                    (frame::token(agent))
                    textarea name="text" rows="3" required maxlength="4096"
                        placeholder=(say(&messages.desk_reply_placeholder))
                        aria-label=(say(&messages.desk_reply_placeholder)) {}
                    button type="submit" { (say(&messages.desk_reply)) }
                }
                form.faq method="post" action=(action(DeskRoute::SendAnswer)) {
                    (frame::token(agent))
                    label {
                        (say(&messages.desk_faq_pick))
                        select name="entry" required {
                            @for entry in kb.entries() {
                                option value=(entry.id.as_str()) selected[ticket.tried.iter().any(|t| t == entry.id.as_str())] {
                                    (entry.id.as_str()) ": " (entry.question.get(ticket.lang))
                                }
                            }
                        }
                    }
                    button type="submit" { (say(&messages.desk_faq_send)) }
                }
            }
            @if ticket.state != TicketState::Closed {
                form.note method="post" action=(action(DeskRoute::Note)) {
                    (frame::token(agent))
                    input type="text" name="text" required maxlength="4096"
                        placeholder=(say(&messages.desk_note_placeholder))
                        aria-label=(say(&messages.desk_note_placeholder));
                    button type="submit" { (say(&messages.desk_note)) }
                }
            }
        }
    }
}
