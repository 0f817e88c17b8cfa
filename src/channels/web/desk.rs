//! The help desk's web page, signed in without passwords: `GET /desk/login/SECRET` (the page
//! of a link from `/web` or `pao-bot admin web-login`), `POST /desk/login` (uses the link once
//! and sets the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, for a working
//! day), `GET /desk` (a signed-in agent's page; 403 for anyone else) and
//! `POST /desk/sign-out`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::channels::web::desk_pages::{self, SIGN_IN, SIGN_OUT};
use crate::channels::web::language;
use crate::conversation::Engine;
use crate::lang::Lang;
use crate::policy::DESK_SESSION;

/// The session cookie's name.
const SESSION_COOKIE: &str = "pao_desk";

/// The desk's page.
const DESK: &str = "/desk";

struct Desk {
    engine: Arc<Engine>,
    secure: bool,
}

#[derive(Debug, Deserialize)]
struct SignIn {
    secret: String,
}

/// The desk's routes on `engine`.
pub(super) fn router(engine: Arc<Engine>, secure: bool) -> Router {
    Router::new()
        .route(DESK, get(desk))
        .route("/desk/login/{secret}", get(confirm))
        .route(SIGN_IN, post(sign_in))
        .route(SIGN_OUT, post(sign_out))
        .with_state(Arc::new(Desk { engine, secure }))
}

async fn confirm(
    State(desk): State<Arc<Desk>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Response {
    let bot = desk.engine.bot();
    let lang = lang(&headers);
    page(
        StatusCode::OK,
        desk_pages::confirm(bot.knowledge().messages(), lang, &secret),
    )
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
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path={DESK}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
                session.secret.expose_secret(),
                DESK_SESSION.as_secs()
            );
            let mut response = Redirect::to(DESK).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            response
        }
        Ok(None) => {
            let minutes = crate::policy::minutes(crate::policy::WEB_LINK_VALIDITY).to_string();
            let refused = messages.say(&messages.desk_link_refused, lang, &[("minutes", &minutes)]);
            page(
                StatusCode::GONE,
                desk_pages::notice(messages, lang, &refused),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "a web desk sign-in could not be checked");
            let unavailable = messages.say(&messages.unavailable, lang, &[]);
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                desk_pages::notice(messages, lang, &unavailable),
            )
        }
    }
}

async fn desk(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = lang(&headers);
    let agent = match session(&headers) {
        Some(secret) => desk.engine.service().web_agent(secret).await,
        None => Ok(None),
    };
    match agent {
        Ok(Some(agent)) => page(StatusCode::OK, desk_pages::desk(messages, lang, &agent)),
        Ok(None) => {
            let forbidden = messages.say(&messages.desk_forbidden, lang, &[]);
            page(
                StatusCode::FORBIDDEN,
                desk_pages::notice(messages, lang, &forbidden),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "a web desk session could not be checked");
            let unavailable = messages.say(&messages.unavailable, lang, &[]);
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                desk_pages::notice(messages, lang, &unavailable),
            )
        }
    }
}

async fn sign_out(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let lang = lang(&headers);
    if let Some(secret) = session(&headers)
        && let Err(error) = desk.engine.service().web_sign_out(secret).await
    {
        tracing::warn!(%error, "a web desk session could not be ended");
    }
    let signed_out = messages.say(&messages.desk_signed_out, lang, &[]);
    let mut response = page(
        StatusCode::OK,
        desk_pages::notice(messages, lang, &signed_out),
    );
    let cleared = format!("{SESSION_COOKIE}=; Path={DESK}; Max-Age=0; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cleared) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// The session cookie's secret, if the request has one.
fn session(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

fn lang(headers: &HeaderMap) -> Lang {
    language::accepted(headers).unwrap_or(Lang::Ja)
}

fn page(status: StatusCode, html: Markup) -> Response {
    let mut response = (status, Html(html.into_string())).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
