//! The web chat's routes: `GET /chat` (the page), `POST /chat` (a message or a button: a
//! redirect back to the page, or the added lines as JSON when the page's script asks),
//! `GET /chat/events` (outbox deliveries as server-sent events), the assets and `/widget.js`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::answer::too_long;
use crate::channels::web::history::{Line, Pages};
use crate::channels::web::identity::{self, Browser};
use crate::channels::web::rate_limit::{MessageLimit, PER_MINUTE};
use crate::channels::web::waiting::Waiting;
use crate::channels::web::{assets, desk, headers, language, pages};
use crate::conversation::{Content, Engine, Incoming, Reply};
use crate::domain::{Channel, ChatIdentity};
use crate::knowledge::Slot;
use crate::lang::Lang;
use crate::masking::mask_passcodes;

/// The largest form accepted: room for a message of 4,096 characters, each percent-encoded
/// in full, so that a long message is refused with a sentence rather than a bare 413.
const MAX_BODY: usize = 256 * 1024;

/// How many of a browser's outbox messages one read takes.
const OUTBOX_BATCH: u32 = 100;

/// The web chat's shared state.
struct Web {
    engine: Arc<Engine>,
    /// Whether cookies are marked Secure.
    secure: bool,
    pages: Pages,
    limit: MessageLimit,
    /// The browsers with outbox messages waiting.
    waiting: Arc<Waiting>,
    /// One delivery at a time, so that two open pages do not both show a message.
    delivering: Mutex<()>,
    shutdown: CancellationToken,
}

/// A message from the page's form: typed text, or a button's payload.
#[derive(Debug, Deserialize)]
struct Posted {
    text: Option<String>,
    button: Option<String>,
}

/// The web chat's routes on `engine`.
pub(super) fn router(engine: Arc<Engine>, secure: bool, shutdown: CancellationToken) -> Router {
    let web = Arc::new(Web {
        engine: engine.clone(),
        secure,
        pages: Pages::default(),
        limit: MessageLimit::default(),
        waiting: Waiting::start(engine.clone(), shutdown.clone()),
        delivering: Mutex::new(()),
        shutdown: shutdown.clone(),
    });
    Router::new()
        .route("/", get(|| async { Redirect::to(pages::SEND) }))
        .route(pages::SEND, get(page).post(send))
        .route("/chat/events", get(events))
        .route("/assets/chat.css", get(|| async { assets::chat_css() }))
        .route("/assets/chat.js", get(|| async { assets::chat_js() }))
        .route("/assets/desk.css", get(|| async { assets::desk_css() }))
        .route("/assets/desk.js", get(|| async { assets::desk_js() }))
        .route("/widget.js", get(widget))
        .with_state(web)
        .merge(desk::router(engine, secure, shutdown))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::map_response(headers::secured))
}

async fn page(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let browser = Browser::of(&headers);
    let identity = &browser.identity;
    let lang = web.lang(identity, &headers).await;
    if web.pages.page(identity).lines.is_empty() {
        let bot = web.engine.bot();
        let messages = bot.knowledge().messages();
        let greeting = messages.say(&messages.greeting, lang, &[]);
        web.pages
            .add(identity, None, &[Reply::text(greeting)], None);
    }
    // A page opened reads its outbox whatever the last look found: another process may have
    // queued its messages since.
    web.waiting.take(identity);
    web.read_outbox(identity).await;
    let bot = web.engine.bot();
    let html = pages::chat(bot.knowledge().messages(), lang, &web.pages.page(identity));
    fresh(&browser, web.secure, Html(html.into_string()))
}

async fn send(
    State(web): State<Arc<Web>>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(posted): Form<Posted>,
) -> Response {
    let browser = Browser::of(&headers);
    let identity = &browser.identity;
    let added = web.turn(identity, address, &headers, posted).await;
    let wants_json = headers
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if !wants_json {
        return fresh(&browser, web.secure, Redirect::to(pages::SEND));
    }
    let lang = web.lang(identity, &headers).await;
    let body = serde_json::json!({
        "html": pages::lines(&added).into_string(),
        "passcode": web.pages.awaiting_passcode(identity),
        "lang": lang.code(),
    });
    fresh(&browser, web.secure, Json(body))
}

async fn events(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let Some(identity) = identity::known(&headers) else {
        // A browser without its cookie has nothing waiting; 204 stops it asking again.
        return StatusCode::NO_CONTENT.into_response();
    };
    let looks = web.waiting.looks();
    let open = (web, identity, looks);
    let stream = futures::stream::unfold(open, |(web, identity, mut looks)| async move {
        loop {
            let added = web.deliver(&identity).await;
            if !added.is_empty() {
                let data = serde_json::json!({
                    "html": pages::lines(&added).into_string(),
                    "passcode": web.pages.awaiting_passcode(&identity),
                });
                let event = Event::default().data(data.to_string());
                return Some((Ok::<_, Infallible>(event), (web, identity, looks)));
            }
            tokio::select! {
                changed = looks.changed() => changed.ok()?,
                () = web.shutdown.cancelled() => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn widget(State(web): State<Arc<Web>>) -> Response {
    assets::widget_js(web.engine.bot().knowledge().messages())
}

/// `response` not to be cached (it shows a conversation), with the cookie of a new browser.
fn fresh<R: IntoResponse>(browser: &Browser, secure: bool, response: R) -> Response {
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = browser.set_cookie(secure)
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        headers.insert(SET_COOKIE, value);
    }
    response
}

impl Web {
    /// Handles one posted message from `identity` at `address`, and returns the lines it added
    /// to the page.
    async fn turn(
        &self,
        identity: &ChatIdentity,
        address: SocketAddr,
        headers: &HeaderMap,
        posted: Posted,
    ) -> Vec<Line> {
        let bot = self.engine.bot();
        let messages = bot.knowledge().messages();
        let person = identity.to_string();
        let address = address.ip().to_string();
        if !self.limit.allow(&[&person, &address], Instant::now()) {
            tracing::info!(%person, "a web message refused: over the rate limit");
            let lang = self.lang(identity, headers).await;
            let limit = PER_MINUTE.to_string();
            let text = messages.say(&messages.web_rate_limited, lang, &[("limit", &limit)]);
            return self.pages.add(identity, None, &[Reply::text(text)], None);
        }
        let content = match posted {
            Posted {
                button: Some(payload),
                ..
            } => Content::Button(payload),
            Posted {
                text: Some(text), ..
            } if !text.trim().is_empty() => Content::Text(text.trim().to_owned()),
            _ => return Vec::new(),
        };
        if let Content::Text(text) = &content
            && too_long(text)
        {
            // Refused unread, and not shown: it may hold anything.
            let lang = self.lang(identity, headers).await;
            let text = messages.say(&messages.too_long, lang, &[]);
            return self.pages.add(identity, None, &[Reply::text(text)], None);
        }
        let said = match &content {
            Content::Button(payload) => self.pages.label(identity, payload),
            Content::Text(text) => Some(text.clone()),
        };
        let response = self
            .engine
            .handle(Incoming {
                channel: Channel::Web,
                chat: identity.id().to_owned(),
                private: true,
                sender: identity.clone(),
                lang_hint: language::accepted(headers),
                content,
                message_id: None,
                replied_to: None,
            })
            .await;
        let said = match response.delete_incoming {
            // The message held a passcode: the page shows that one was sent, never what.
            true => {
                let lang = self.lang(identity, headers).await;
                said.map(|_| messages.say(&messages.web_passcode_sent, lang, &[]))
            }
            false => said.map(|text| mask_passcodes(&text)),
        };
        let awaiting_passcode = response.awaiting == Some(Slot::Passcode);
        let mut added = self
            .pages
            .add(identity, said, &response.replies, Some(awaiting_passcode));
        if let Some(lang) = response.lang {
            self.pages.answered_in(identity, lang);
        }
        added.extend(self.deliver(identity).await);
        added
    }

    /// The outbox's messages for `identity`, when the last look found some: added to its page
    /// and marked delivered. Those for other browsers stay queued until their pages look.
    async fn deliver(&self, identity: &ChatIdentity) -> Vec<Line> {
        if !self.waiting.take(identity) {
            return Vec::new();
        }
        self.read_outbox(identity).await
    }

    /// Reads `identity`'s outbox messages, adds them to its page and marks them delivered.
    async fn read_outbox(&self, identity: &ChatIdentity) -> Vec<Line> {
        let _one = self.delivering.lock().await;
        let service = self.engine.service();
        let mine = match service.pending_messages_to(identity, OUTBOX_BATCH).await {
            Ok(mine) => mine,
            Err(error) => {
                tracing::warn!(%error, "outbox not read");
                // Read again at the next message or wake-up.
                self.waiting.keep(identity);
                return Vec::new();
            }
        };
        if mine.is_empty() {
            return Vec::new();
        }
        // More than one read holds: the rest at the next message or wake-up.
        if mine.len() == OUTBOX_BATCH as usize {
            self.waiting.keep(identity);
        }
        let mut replies = Vec::with_capacity(mine.len());
        for message in &mine {
            replies.push(self.engine.outbox_reply(message).await);
        }
        let added = self.pages.add(identity, None, &replies, None);
        for message in mine {
            if let Err(error) = service.mark_delivered(message.id).await {
                tracing::warn!(%error, "outbox message shown but not marked delivered");
            }
        }
        added
    }

    /// The language `identity`'s page is in: the conversation's (as this process last answered
    /// it, else as stored), else the browser's.
    async fn lang(&self, identity: &ChatIdentity, headers: &HeaderMap) -> Lang {
        if let Some(lang) = self.pages.lang(identity) {
            return lang;
        }
        let browser = language::accepted(headers).unwrap_or(Lang::Ja);
        match self.engine.store().lang_of(&identity.to_string()).await {
            Ok(lang) => lang.unwrap_or(browser),
            Err(error) => {
                tracing::warn!(%error, "a web page's language unknown");
                browser
            }
        }
    }
}
