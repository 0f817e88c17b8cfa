//! Signing in and out: `GET /desk/login/SECRET` (the page of a link from `/web` or `pao-bot
//! admin web-login`: one button, so that a chat app's link preview does not use the link),
//! `POST /desk/login` (uses the link once and sets the session cookie) and
//! `POST /desk/sign-out` (a form of the desk's, with its token).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::channels::web::desk::csrf::{Posted, Tokened};
use crate::channels::web::desk::session::{self, SESSION_COOKIE};
use crate::channels::web::desk::{Desk, DeskRoute, frame, lang, page};
use crate::policy::{DESK_SESSION, WEB_LINK_VALIDITY, minutes};

/// Where a sign-in link's secret is posted.
const SIGN_IN: &str = "/desk/login";

#[derive(Debug, Deserialize)]
struct SignIn {
    secret: String,
}

/// The sign-out form: its token alone.
#[derive(Debug, Deserialize)]
pub(super) struct SignOut {
    #[serde(default)]
    csrf: String,
}

impl Tokened for SignOut {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `routes` with the sign-in routes, which are open to anyone holding a link.
pub(super) fn routes(routes: Router<Arc<Desk>>) -> Router<Arc<Desk>> {
    routes
        .route("/desk/login/{secret}", get(confirm))
        .route(SIGN_IN, post(sign_in))
}

async fn confirm(
    State(desk): State<Arc<Desk>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = lang(&headers);
    let say = |sentence| messages.say(sentence, lang, &[]);
    let body = html! {
        p { (say(&messages.desk_sign_in_intro)) }
        form method="post" action=(SIGN_IN) {
            input type="hidden" name="secret" value=(secret);
            button type="submit" { (say(&messages.desk_sign_in_button)) }
        }
    };
    page(StatusCode::OK, frame::bare(messages, lang, body))
}

async fn sign_in(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = lang(&headers);
    match desk.engine.service().web_sign_in(&form.secret).await {
        Ok(Some(session)) => {
            tracing::info!(agent = %session.agent, "an agent signed in to the web desk");
            let secure = if desk.secure { "; Secure" } else { "" };
            let home = DeskRoute::Home.path();
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path={home}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
                session.secret.expose_secret(),
                DESK_SESSION.as_secs()
            );
            let mut response = Redirect::to(home).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            response
        }
        Ok(None) => {
            let minutes = minutes(WEB_LINK_VALIDITY).to_string();
            let refused = messages.say(&messages.desk_link_refused, lang, &[("minutes", &minutes)]);
            page(StatusCode::GONE, frame::refusal(messages, lang, &refused))
        }
        Err(error) => {
            tracing::warn!(%error, "a web desk sign-in could not be checked");
            frame::unavailable(&desk, lang)
        }
    }
}

pub(super) async fn sign_out(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    posted: Posted<SignOut>,
) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = posted.agent.lang;
    if let Some(secret) = session::secret(&headers)
        && let Err(error) = desk.engine.service().web_sign_out(secret).await
    {
        tracing::warn!(%error, "a web desk session could not be ended");
    }
    let signed_out = messages.say(&messages.desk_signed_out, lang, &[]);
    let mut response = page(StatusCode::OK, frame::notice(messages, lang, &signed_out));
    let home = DeskRoute::Home.path();
    let cleared = format!("{SESSION_COOKIE}=; Path={home}; Max-Age=0; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cleared) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}
