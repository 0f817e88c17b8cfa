//! The desk's language switch: `GET /desk/language/{lang}` keeps the agent's choice in a
//! cookie (`pao_desk_lang`, on the desk's paths only), which then wins over the browser's
//! Accept-Language on every desk page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute};
use crate::channels::web::language;
use crate::lang::Lang;

/// The cookie that keeps the choice.
const LANG_COOKIE: &str = "pao_desk_lang";

/// A year: the choice is the agent's until they change it.
const KEPT_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The language of a desk page for `headers`: the switch's, else the browser's, else Japanese.
pub(super) fn of(headers: &HeaderMap) -> Lang {
    let chosen = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| value.parse::<Lang>().ok());
    chosen
        .or_else(|| language::accepted(headers))
        .unwrap_or(Lang::Ja)
}

pub(super) async fn switch(
    State(desk): State<Arc<Desk>>,
    _agent: Agent,
    Path(lang): Path<String>,
) -> Response {
    let mut response = Redirect::to(DeskRoute::Home.path()).into_response();
    let Ok(lang) = lang.parse::<Lang>() else {
        return response;
    };
    let secure = if desk.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path={}; Max-Age={KEPT_SECONDS}; HttpOnly; SameSite=Strict{secure}",
        lang.code(),
        DeskRoute::Home.path()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}
