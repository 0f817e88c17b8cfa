//! `GET /desk`: the signed-in agent's first page, which names them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::channels::web::desk::session::Agent;
use crate::channels::web::desk::{Desk, DeskRoute, frame, page};

pub(super) async fn show(State(desk): State<Arc<Desk>>, agent: Agent) -> Response {
    let bot = desk.engine.bot();
    let messages = bot.knowledge().messages();
    let name = agent.identity.to_string();
    let signed_in = messages.say(&messages.desk_signed_in_as, agent.lang, &[("agent", &name)]);
    page(
        StatusCode::OK,
        frame::signed_in(
            messages,
            &agent,
            DeskRoute::Home,
            html! { p { (signed_in) } },
        ),
    )
}
