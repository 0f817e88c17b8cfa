//! The token every desk form carries, against cross-site request forgery: an HMAC-SHA256 of a
//! fixed purpose keyed by the session's secret. Only the session's browser knows the secret
//! (its cookie is HttpOnly and only its digest is stored), so no other site can make the
//! token; and every process derives the same one, so replicas need share nothing. A posted
//! form ([`Posted`]) is refused (403) unless its token matches, compared in constant time.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::channels::web::desk::session::{self, Agent};
use crate::channels::web::desk::{Desk, frame, page};

/// What the token is for, so that the same key could sign something else without the two
/// being mistaken for each other.
const PURPOSE: &[u8] = b"pao-bot desk form";

/// The form field the token is posted in.
pub(super) const FIELD: &str = "csrf";

/// The token of the session of `secret`.
pub(super) fn token(secret: &str) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(PURPOSE);
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A form with its token.
pub(super) trait Tokened {
    /// The posted token; empty when there was none.
    fn csrf(&self) -> &str;
}

/// A form posted by a signed-in agent with their session's token: the agent, and the form.
pub(super) struct Posted<T> {
    pub(super) agent: Agent,
    pub(super) form: T,
}

impl<T> FromRequest<Arc<Desk>> for Posted<T>
where
    T: DeserializeOwned + Tokened + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, desk: &Arc<Desk>) -> Result<Posted<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let agent = Agent::from_request_parts(&mut parts, desk).await?;
        let expected = session::secret(&parts.headers)
            .map(token)
            .unwrap_or_default();
        let request = Request::from_parts(parts, body);
        let Ok(Form(form)) = Form::<T>::from_request(request, desk).await else {
            return Err(refused(desk, &agent, StatusCode::BAD_REQUEST));
        };
        let offered = form.csrf().as_bytes();
        let matches = !offered.is_empty() && bool::from(offered.ct_eq(expected.as_bytes()));
        if !matches {
            tracing::info!(agent = %agent.identity, "a desk form refused: its token was missing or wrong");
            return Err(refused(desk, &agent, StatusCode::FORBIDDEN));
        }
        Ok(Posted { agent, form })
    }
}

/// The page refusing a form: unreadable (400) or without its session's token (403).
fn refused(desk: &Desk, agent: &Agent, status: StatusCode) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let sentence = match status {
        StatusCode::BAD_REQUEST => &messages.desk_bad_form,
        _ => &messages.desk_csrf_refused,
    };
    let said = messages.say(sentence, agent.lang, &[]);
    page(status, frame::refusal(messages, agent.lang, &said))
}
