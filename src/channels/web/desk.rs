//! The help desk's web pages, for agents signed in without passwords (`sign_in`): a one-time
//! link's page, `POST /desk/login` (uses the link once and sets the session cookie: HttpOnly,
//! SameSite=Strict, Secure over HTTPS, for a working day) and `POST /desk/sign-out`; then
//! the pages of [`DeskRoute`], each reached only through a signed-in agent's session
//! (`session`), each form carrying the session's token (`csrf`). The handoff inbox
//! (`handoffs`) and a ticket's page (`ticket`) update themselves from the desk's event
//! stream (`live`).
//!
//! Every action goes through the account service's calls, with the agent as the actor, so the
//! service authorises and audits it as it does the same command in chat.

mod audit;
mod chart;
mod csrf;
mod frame;
mod handoffs;
mod home;
mod insight;
mod language;
mod live;
mod nominations;
mod session;
mod sign_in;
mod site;
mod ticket;

use std::sync::Arc;

use axum::Router;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use maud::Markup;
use tokio_util::sync::CancellationToken;

use crate::conversation::Engine;
use crate::lang::Lang;

/// The desk's shared state.
struct Desk {
    engine: Arc<Engine>,
    /// Whether cookies are marked Secure.
    secure: bool,
    /// Ends the event streams, so that a shutdown does not wait on them.
    shutdown: CancellationToken,
}

/// Every route of the desk that a signed-in agent's session opens, and that anyone else is
/// refused (403). The router is built from [`DeskRoute::ALL`], so that a test walking the
/// list reaches every route there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskRoute {
    Home,
    Nominations,
    Approve,
    Deny,
    FindSite,
    Site,
    Unlock,
    Reissue,
    Audit,
    Insight,
    Handoffs,
    Ticket,
    Take,
    Reply,
    SendAnswer,
    Note,
    Transfer,
    Close,
    Events,
    Language,
    SignOut,
}

impl DeskRoute {
    pub const ALL: [DeskRoute; 21] = [
        DeskRoute::Home,
        DeskRoute::Nominations,
        DeskRoute::Approve,
        DeskRoute::Deny,
        DeskRoute::FindSite,
        DeskRoute::Site,
        DeskRoute::Unlock,
        DeskRoute::Reissue,
        DeskRoute::Audit,
        DeskRoute::Insight,
        DeskRoute::Handoffs,
        DeskRoute::Ticket,
        DeskRoute::Take,
        DeskRoute::Reply,
        DeskRoute::SendAnswer,
        DeskRoute::Note,
        DeskRoute::Transfer,
        DeskRoute::Close,
        DeskRoute::Events,
        DeskRoute::Language,
        DeskRoute::SignOut,
    ];

    /// `GET` or `POST`.
    pub fn method(self) -> &'static str {
        match self.handler() {
            Handler::Get(_) => "GET",
            Handler::Post(_) => "POST",
        }
    }

    /// The route's path, with axum's `{name}` for a part that varies.
    pub fn path(self) -> &'static str {
        match self {
            DeskRoute::Home => "/desk",
            DeskRoute::Nominations => "/desk/nominations",
            DeskRoute::Approve => "/desk/nominations/{id}/approve",
            DeskRoute::Deny => "/desk/nominations/{id}/deny",
            DeskRoute::FindSite => "/desk/sites",
            DeskRoute::Site => "/desk/sites/{number}",
            DeskRoute::Unlock => "/desk/sites/{number}/unlock",
            DeskRoute::Reissue => "/desk/sites/{number}/reissue",
            DeskRoute::Audit => "/desk/audit",
            DeskRoute::Insight => "/desk/insight",
            DeskRoute::Handoffs => "/desk/handoffs",
            DeskRoute::Ticket => "/desk/handoffs/{id}",
            DeskRoute::Take => "/desk/handoffs/{id}/take",
            DeskRoute::Reply => "/desk/handoffs/{id}/reply",
            DeskRoute::SendAnswer => "/desk/handoffs/{id}/faq",
            DeskRoute::Note => "/desk/handoffs/{id}/note",
            DeskRoute::Transfer => "/desk/handoffs/{id}/transfer",
            DeskRoute::Close => "/desk/handoffs/{id}/close",
            DeskRoute::Events => "/desk/events",
            DeskRoute::Language => "/desk/language/{lang}",
            DeskRoute::SignOut => "/desk/sign-out",
        }
    }

    fn handler(self) -> Handler {
        match self {
            DeskRoute::Home => Handler::Get(get(home::show)),
            DeskRoute::Nominations => Handler::Get(get(nominations::show)),
            DeskRoute::Approve => Handler::Post(post(nominations::approve)),
            DeskRoute::Deny => Handler::Post(post(nominations::deny)),
            DeskRoute::FindSite => Handler::Get(get(site::find)),
            DeskRoute::Site => Handler::Get(get(site::show)),
            DeskRoute::Unlock => Handler::Post(post(site::unlock)),
            DeskRoute::Reissue => Handler::Post(post(site::reissue)),
            DeskRoute::Audit => Handler::Get(get(audit::show)),
            DeskRoute::Insight => Handler::Get(get(insight::show)),
            DeskRoute::Handoffs => Handler::Get(get(handoffs::show)),
            DeskRoute::Ticket => Handler::Get(get(ticket::show)),
            DeskRoute::Take => Handler::Post(post(handoffs::take)),
            DeskRoute::Reply => Handler::Post(post(ticket::reply)),
            DeskRoute::SendAnswer => Handler::Post(post(ticket::send_answer)),
            DeskRoute::Note => Handler::Post(post(ticket::note)),
            DeskRoute::Transfer => Handler::Post(post(ticket::transfer)),
            DeskRoute::Close => Handler::Post(post(ticket::close)),
            DeskRoute::Events => Handler::Get(get(live::events)),
            DeskRoute::Language => Handler::Get(get(language::switch)),
            DeskRoute::SignOut => Handler::Post(post(sign_in::sign_out)),
        }
    }
}

/// A route's handler, by its method.
enum Handler {
    Get(MethodRouter<Arc<Desk>>),
    Post(MethodRouter<Arc<Desk>>),
}

/// The desk's routes on `engine`; `shutdown` ends the event streams.
pub(super) fn router(engine: Arc<Engine>, secure: bool, shutdown: CancellationToken) -> Router {
    let routes = DeskRoute::ALL.iter().fold(Router::new(), |router, route| {
        let (Handler::Get(handler) | Handler::Post(handler)) = route.handler();
        router.route(route.path(), handler)
    });
    sign_in::routes(routes).with_state(Arc::new(Desk {
        engine,
        secure,
        shutdown,
    }))
}

/// The language of a page for `headers`: the switch's, else the browser's, else Japanese.
fn lang(headers: &HeaderMap) -> Lang {
    language::of(headers)
}

/// A desk page: never cached, as each shows what only its agent may see.
fn page(status: StatusCode, html: Markup) -> Response {
    let mut response = (status, Html(html.into_string())).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
