//! The page's stylesheet and scripts, compiled into the binary: no build step, no CDN.
//! `widget.js` carries the panel's labels in both languages, filled in from the bot's
//! sentences when it is served.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::knowledge::Messages;
use crate::lang::Lang;

const CHAT_CSS: &str = include_str!("assets/chat.css");
const DESK_CSS: &str = include_str!("assets/desk.css");
const CHAT_JS: &str = include_str!("assets/chat.js");
const DESK_JS: &str = include_str!("assets/desk.js");
const WIDGET_JS: &str = include_str!("assets/widget.js");

/// Where `widget.js` takes its labels.
const LABELS_SLOT: &str = "/*LABELS*/{}";

/// Assets change only with the binary; an hour's caching spares the reloads.
const CACHED: &str = "public, max-age=3600";

pub(super) fn chat_css() -> Response {
    asset("text/css; charset=utf-8", CHAT_CSS.to_owned())
}

pub(super) fn desk_css() -> Response {
    asset("text/css; charset=utf-8", DESK_CSS.to_owned())
}

pub(super) fn chat_js() -> Response {
    asset("text/javascript; charset=utf-8", CHAT_JS.to_owned())
}

pub(super) fn desk_js() -> Response {
    asset("text/javascript; charset=utf-8", DESK_JS.to_owned())
}

/// `widget.js` with its labels in both languages.
pub(super) fn widget_js(messages: &Messages) -> Response {
    let labels = serde_json::json!({
        "ja": labels(messages, Lang::Ja),
        "en": labels(messages, Lang::En),
    });
    let script = WIDGET_JS.replacen(LABELS_SLOT, &labels.to_string(), 1);
    asset("text/javascript; charset=utf-8", script)
}

fn labels(messages: &Messages, lang: Lang) -> serde_json::Value {
    serde_json::json!({
        "open": messages.say(&messages.web_widget_open, lang, &[]),
        "close": messages.say(&messages.web_widget_close, lang, &[]),
        "title": messages.say(&messages.web_title, lang, &[]),
    })
}

fn asset(content_type: &'static str, body: String) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, CACHED)],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_has_a_place_for_its_labels() {
        assert_eq!(WIDGET_JS.matches(LABELS_SLOT).count(), 1);
    }
}
