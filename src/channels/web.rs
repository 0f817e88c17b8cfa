//! The web chat: `/chat`, a page with the conversation, its buttons and a text box, served by
//! the binary on axum beside (or instead of) the chat platforms, and `/widget.js`, which opens
//! that page in a corner panel of any page that includes it.
//!
//! The page works as a plain form (each message a POST answered by a redirect to the page)
//! and its own script makes it live: messages sent by `fetch`, and outbox deliveries (such as
//! a decision on a nomination) pushed by server-sent events. Each browser is a person of the
//! `web` channel, known by a random secret in a cookie (`identity`); its conversation is kept
//! in this process's memory (`history`), with a passcode never among it.
//!
//! `/desk` holds the help desk's pages, which agents sign in to by a one-time link (`desk`).
//!
//! The parts: `routes` (the chat's handlers), `desk` (the desk's routes and pages), `pages`
//! (the chat's HTML, by maud), `layout` (the `<head>` every page shares), `assets` (the CSS
//! and scripts), `identity` (the cookie), `language` (Accept-Language), `history`,
//! `rate_limit`, `headers` (the security headers every response carries) and `waiting` (which
//! browsers have outbox messages waiting).

mod assets;
mod desk;
mod headers;
mod history;
mod identity;
mod language;
mod layout;
mod pages;
mod rate_limit;
mod routes;
mod waiting;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::WebSettings;
use crate::conversation::Engine;
use crate::domain::Channel;

pub use desk::DeskRoute;

/// Serves the web chat on `listener` until `shutdown` is cancelled; the server-sent event
/// streams end then too, so that the shutdown does not wait on them.
pub async fn serve(
    engine: Arc<Engine>,
    settings: &WebSettings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    engine.connections().connected(Channel::Web);
    let app = routes::router(engine, settings.secure(), shutdown.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
}
