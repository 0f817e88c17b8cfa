//! The signed-in agent, as an extractor: every desk page takes an [`Agent`], so that a
//! request without a live session of a registered agent is refused (403, a page in the
//! browser's language) before the page's handler runs.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::channels::web::desk::{Desk, csrf, frame, lang, page};
use crate::domain::ChatIdentity;
use crate::lang::Lang;

/// The session cookie's name.
pub(super) const SESSION_COOKIE: &str = "pao_desk";

/// The agent a request's session belongs to.
pub(super) struct Agent {
    pub(super) identity: ChatIdentity,
    pub(super) lang: Lang,
    /// The token the session's forms carry.
    pub(super) csrf: String,
}

impl FromRequestParts<Arc<Desk>> for Agent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, desk: &Arc<Desk>) -> Result<Agent, Response> {
        let lang = lang(&parts.headers);
        let Some(secret) = secret(&parts.headers) else {
            return Err(forbidden(desk, lang));
        };
        match desk.engine.service().web_agent(secret).await {
            Ok(Some(identity)) => Ok(Agent {
                identity,
                lang,
                csrf: csrf::token(secret),
            }),
            Ok(None) => Err(forbidden(desk, lang)),
            Err(error) => {
                tracing::warn!(%error, "a web desk session could not be checked");
                Err(frame::unavailable(desk, lang))
            }
        }
    }
}

/// The session cookie's secret, if the request has one.
pub(super) fn secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// The page refusing someone not signed in as an agent.
fn forbidden(desk: &Desk, lang: Lang) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let forbidden = messages.say(&messages.desk_forbidden, lang, &[]);
    page(
        StatusCode::FORBIDDEN,
        frame::refusal(messages, lang, &forbidden),
    )
}
