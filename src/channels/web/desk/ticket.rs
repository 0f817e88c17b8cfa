//! `GET /desk/handoffs/{id}`: one ticket, its masked transcript (notes marked as agents'
//! only), and what the agent may do with it: take it when queued; when they hold it, reply,
//! send an FAQ answer (in the customer's language), hand it back to the queue or close it
//! (the customer is told and asked for a rating); a note at any time. Each action is the help
//! desk's call with the agent as the actor, the one the chat's commands make, so a reply
//! reaches the customer on their platform through the outbox exactly as a chat agent's does.
//! The ticket's state and transcript are marked live, for the desk's script to fetch again.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::answer::too_long;
use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::handoffs::{self, TokenOnly};
use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, page};
use crate::conversation::wording;
use crate::knowledge::{EntryId, KnowledgeBase, Messages};
use crate::lang::Localized;
use crate::masking::{mask, mask_passcodes, passcodes_in};
use crate::service::{Author, ServiceError, Ticket, TicketId, TicketState, TranscriptLine};

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

impl Written {
    /// The text, trimmed; none when it is empty or longer than a message may be.
    fn text(&self) -> Option<&str> {
        let text = self.text.trim();
        (!text.is_empty() && !too_long(text)).then_some(text)
    }
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

pub(super) async fn reply(State(desk): State<Arc<Desk>>, on: OnTicket<Written>) -> Response {
    let Some(text) = on.form.text() else {
        return on
            .refused(&desk, StatusCode::BAD_REQUEST, |m| &m.desk_bad_form, &[])
            .await;
    };
    // As in chat: a reissued passcode pasted by mistake never reaches the customer.
    if !passcodes_in(text).is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return on
            .refused(&desk, status, |m| &m.desk_reply_secret, &[])
            .await;
    }
    let masked = mask_passcodes(text);
    let service = desk.engine.service();
    let result = service
        .agent_message(&on.agent.identity, on.id, masked.trim())
        .await;
    on.answered(&desk, result, |m| &m.desk_replied, &[]).await
}

pub(super) async fn send_answer(
    State(desk): State<Arc<Desk>>,
    on: OnTicket<ChosenEntry>,
) -> Response {
    let entry = on.form.entry.trim();
    let bot = desk.engine.bot();
    let Some(entry) = EntryId::parse(entry)
        .ok()
        .filter(|known| bot.knowledge().entry(known).is_some())
    else {
        let values = [("entry", entry)];
        return on
            .refused(
                &desk,
                StatusCode::BAD_REQUEST,
                |m| &m.ticket_no_entry,
                &values,
            )
            .await;
    };
    let service = desk.engine.service();
    let result = service
        .send_answer(&on.agent.identity, on.id, entry.as_str())
        .await;
    let values = [("entry", entry.as_str())];
    on.answered(&desk, result, |m| &m.ticket_faq_sent, &values)
        .await
}

pub(super) async fn note(State(desk): State<Arc<Desk>>, on: OnTicket<Written>) -> Response {
    let Some(text) = on.form.text() else {
        return on
            .refused(&desk, StatusCode::BAD_REQUEST, |m| &m.desk_bad_form, &[])
            .await;
    };
    let masked = mask(text);
    let service = desk.engine.service();
    let result = service.note(&on.agent.identity, on.id, masked.trim()).await;
    on.answered(&desk, result, |m| &m.ticket_noted, &[]).await
}

pub(super) async fn transfer(State(desk): State<Arc<Desk>>, on: OnTicket<TokenOnly>) -> Response {
    let result = desk
        .engine
        .service()
        .transfer(&on.agent.identity, on.id)
        .await;
    on.answered(&desk, result, |m| &m.ticket_transferred, &[])
        .await
}

pub(super) async fn close(State(desk): State<Arc<Desk>>, on: OnTicket<TokenOnly>) -> Response {
    let service = desk.engine.service();
    let result = service.close_ticket(&on.agent.identity, on.id).await;
    on.answered(&desk, result, |m| &m.ticket_closed_notice, &[])
        .await
}

/// One of the desk's sentences, picked from the messages of the FAQ in use.
type Sentence = for<'m> fn(&'m Messages) -> &'m Localized;

/// A form posted about one ticket by a signed-in agent with their session's token: the
/// agent, the ticket, the form. A path that names no ticket is answered with the page saying
/// the form could not be read.
pub(super) struct OnTicket<T> {
    agent: Agent,
    id: TicketId,
    form: T,
}

impl<T> FromRequest<Arc<Desk>> for OnTicket<T>
where
    T: DeserializeOwned + Tokened + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, desk: &Arc<Desk>) -> Result<OnTicket<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(id) = Path::<String>::from_request_parts(&mut parts, desk)
            .await
            .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, body);
        let Posted { agent, form } = Posted::<T>::from_request(request, desk).await?;
        let Ok(id) = id.parse::<TicketId>() else {
            return Err(bad_form(desk, &agent));
        };
        Ok(OnTicket { agent, id, form })
    }
}

impl<T> OnTicket<T> {
    /// The ticket's page below `sentence` (filled with `values`): why what was posted is
    /// refused before it reaches the service.
    async fn refused(
        &self,
        desk: &Desk,
        status: StatusCode,
        sentence: Sentence,
        values: &[(&str, &str)],
    ) -> Response {
        let bot = desk.engine.bot();
        let messages = bot.knowledge().messages();
        let said = messages.say(sentence(messages), self.agent.lang, values);
        let outcome = frame::Outcome::refused(status, said);
        page_of(desk, &self.agent, self.id, Some(outcome)).await
    }

    /// The ticket's page below what the service answered: `done` (filled with the ticket's
    /// number and `values`), else the service's refusal.
    async fn answered<R>(
        &self,
        desk: &Desk,
        result: Result<R, ServiceError>,
        done: Sentence,
        values: &[(&str, &str)],
    ) -> Response {
        let bot = desk.engine.bot();
        let messages = bot.knowledge().messages();
        let lang = self.agent.lang;
        let outcome = frame::Outcome::of(messages, lang, result, |_| {
            let id = self.id.to_string();
            let values = [&[("ticket", id.as_str())], values].concat();
            messages.say(done(messages), lang, &values)
        });
        page_of(desk, &self.agent, self.id, Some(outcome)).await
    }
}

/// The page saying a form or a path could not be read.
fn bad_form(desk: &Desk, agent: &Agent) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let outcome = frame::Outcome::bad_form(messages, agent.lang);
    frame::after(
        messages,
        agent,
        DeskRoute::Handoffs,
        Some(&outcome),
        html! {},
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
    let title = messages.say(
        &messages.desk_ticket_title,
        agent.lang,
        &[("ticket", &id.to_string())],
    );
    let body = html! {
        h2 { (title) }
        (summary(messages, agent, &ticket))
        (transcript(kb, agent, &ticket, &lines))
        (compose(kb, agent, &ticket))
    };
    frame::after(messages, agent, DeskRoute::Handoffs, outcome.as_ref(), body)
}

/// The path of `route` for `ticket`.
fn path(route: DeskRoute, ticket: &Ticket) -> String {
    route.path().replace("{id}", &ticket.id.to_string())
}

/// Whether `agent` holds `ticket`: took it, and has neither handed it back nor closed it.
fn holds(agent: &Agent, ticket: &Ticket) -> bool {
    ticket.state == TicketState::Taken && ticket.agent.as_ref() == Some(&agent.identity)
}

/// Who, where, in which language, since when; and take, hand back and close.
fn summary(messages: &Messages, agent: &Agent, ticket: &Ticket) -> Markup {
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let action = |route| path(route, ticket);
    let held = holds(agent, ticket);
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
    let path = path(DeskRoute::Ticket, ticket);
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
    let action = |route| path(route, ticket);
    let held = holds(agent, ticket);
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
