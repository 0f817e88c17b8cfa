//! The frame of every desk page, by maud: the head, the title bar with the signed-in agent's
//! navigation (home, the handoffs, nominations, the audit log, insight, a box that opens a site,
//! sign-out) and the desk's script, and the pages that say one sentence.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{DOCTYPE, Markup, html};

use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, csrf, page};
use crate::channels::web::layout::head;
use crate::conversation::wording;
use crate::knowledge::Messages;
use crate::lang::Lang;
use crate::service::ServiceError;

/// The desk's stylesheet.
pub(super) const STYLESHEET: &str = "/assets/desk.css";

/// The desk's script, which keeps the parts of a page marked live up to date: the inbox's, a
/// ticket's (both under [`DeskRoute::Handoffs`]) and the nominations'.
const SCRIPT: &str = "/assets/desk.js";

/// A page of the desk for `agent`, with the navigation; `current` is the page's own route.
pub(super) fn signed_in(
    messages: &Messages,
    agent: &Agent,
    current: DeskRoute,
    body: Markup,
) -> Markup {
    let lang = agent.lang;
    let say = |sentence| messages.say(sentence, lang, &[]);
    let (other, other_name) = match lang {
        Lang::Ja => (Lang::En, "English"),
        Lang::En => (Lang::Ja, "日本語"),
    };
    // Only the pages with live parts run the script; the others need none.
    let script = matches!(current, DeskRoute::Handoffs | DeskRoute::Nominations).then_some(SCRIPT);
    let links = [
        (DeskRoute::Home, say(&messages.desk_nav_home)),
        (DeskRoute::Handoffs, say(&messages.desk_nav_handoffs)),
        (DeskRoute::Nominations, say(&messages.desk_nav_nominations)),
        (DeskRoute::Audit, say(&messages.desk_nav_audit)),
        (DeskRoute::Insight, say(&messages.desk_nav_insight)),
    ];
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(&say(&messages.desk_title), STYLESHEET, script))
            body {
                header {
                    h1 { (say(&messages.desk_title)) }
                    nav {
                        @for (route, label) in &links {
                            @if *route == current {
                                a href=(route.path()) aria-current="page" { (label) }
                            } @else {
                                a href=(route.path()) { (label) }
                            }
                        }
                    }
                    form.find method="get" action=(DeskRoute::FindSite.path()) {
                        input name="number" inputmode="numeric" required
                            placeholder=(say(&messages.desk_site_box))
                            aria-label=(say(&messages.desk_site_box));
                        button type="submit" { (say(&messages.desk_site_open)) }
                    }
                    a.switch href=(DeskRoute::Language.path().replace("{lang}", other.code()))
                        lang=(other.code()) { (other_name) }
                    form.sign-out method="post" action=(DeskRoute::SignOut.path()) {
                        (token(agent))
                        button type="submit" title=(agent.identity.to_string()) {
                            (say(&messages.desk_sign_out))
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page of the desk for `agent` with what was just done, if anything, above `body`; its
/// status is the outcome's.
pub(super) fn after(
    messages: &Messages,
    agent: &Agent,
    current: DeskRoute,
    outcome: Option<&Outcome>,
    body: Markup,
) -> Response {
    let status = outcome.map_or(StatusCode::OK, |outcome| outcome.status);
    let body = html! {
        @if let Some(outcome) = outcome { (outcome.markup()) }
        (body)
    };
    page(status, signed_in(messages, agent, current, body))
}

/// The hidden field that carries `agent`'s form token.
pub(super) fn token(agent: &Agent) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(agent.csrf); }
}

/// A page, without navigation, for someone not (or no longer) signed in.
pub(super) fn bare(messages: &Messages, lang: Lang, body: Markup) -> Markup {
    let title = messages.say(&messages.desk_title, lang, &[]);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(&title, STYLESHEET, None))
            body {
                header { h1 { (title) } }
                main { (body) }
            }
        }
    }
}

/// A page that says one sentence: that the agent signed out.
pub(super) fn notice(messages: &Messages, lang: Lang, sentence: &str) -> Markup {
    bare(messages, lang, html! { p.notice { (sentence) } })
}

/// A page that says why the request was refused.
pub(super) fn refusal(messages: &Messages, lang: Lang, sentence: &str) -> Markup {
    bare(
        messages,
        lang,
        html! { p.notice.refused role="alert" { (sentence) } },
    )
}

/// The page saying the database cannot be reached (503).
pub(super) fn unavailable(desk: &Desk, lang: Lang) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let unavailable = messages.say(&messages.unavailable, lang, &[]);
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        refusal(messages, lang, &unavailable),
    )
}

/// What an action did, said at the top of the page that follows it.
pub(super) struct Outcome {
    pub(super) status: StatusCode,
    sentence: String,
    refused: bool,
}

impl Outcome {
    pub(super) fn done(sentence: String) -> Outcome {
        Outcome {
            status: StatusCode::OK,
            sentence,
            refused: false,
        }
    }

    pub(super) fn refused(status: StatusCode, sentence: String) -> Outcome {
        Outcome {
            status,
            sentence,
            refused: true,
        }
    }

    /// A form or a path that could not be read (400).
    pub(super) fn bad_form(messages: &Messages, lang: Lang) -> Outcome {
        let said = messages.say(&messages.desk_bad_form, lang, &[]);
        Outcome::refused(StatusCode::BAD_REQUEST, said)
    }

    /// What a call of the service's did: `done`'s sentence of what it returned, else its
    /// refusal.
    pub(super) fn of<T, F>(
        messages: &Messages,
        lang: Lang,
        result: Result<T, ServiceError>,
        done: F,
    ) -> Outcome
    where
        F: FnOnce(T) -> String,
    {
        match result {
            Ok(value) => Outcome::done(done(value)),
            Err(error) => Outcome::of_error(messages, lang, &error),
        }
    }

    /// A refusal of the service's, worded as the chat words it.
    pub(super) fn of_error(messages: &Messages, lang: Lang, error: &ServiceError) -> Outcome {
        let status = match error {
            ServiceError::NotAuthorised { .. } => StatusCode::FORBIDDEN,
            ServiceError::NoSuchSite { .. }
            | ServiceError::NoSuchNomination { .. }
            | ServiceError::NoSuchTicket { .. } => StatusCode::NOT_FOUND,
            ServiceError::Unavailable(_) | ServiceError::Corrupt(_) | ServiceError::Hashing => {
                tracing::warn!(%error, "a desk page could not be served");
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::CONFLICT,
        };
        Outcome::refused(status, wording::refusal(messages, error, lang))
    }

    pub(super) fn markup(&self) -> Markup {
        let class = if self.refused {
            "notice refused"
        } else {
            "notice"
        };
        html! { p class=(class) role="status" { (self.sentence) } }
    }
}
