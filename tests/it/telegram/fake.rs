//! A Bot API server on 127.0.0.1 for the Telegram channel's tests and benchmark: the methods
//! the bot calls (matched without regard to case), answering with Telegram's JSON shapes and
//! refusing what Telegram refuses (HTML it cannot parse, unknown chats, buttons without a
//! valid URL or with more than 64 bytes of data, edits that change nothing), and every call
//! recorded so that tests can see what the bot sent.
//!
//! The test queues updates ([`FakeTelegram::say`], [`FakeTelegram::press`]...) and the bot
//! collects them with long-polling `getUpdates`, as from Telegram: an update stays until a
//! later `offset` confirms it. [`FakeTelegram::redeliver`] hands one out again, as Telegram
//! does when it is not sure the bot got it. [`FakeTelegram::fail_next`] makes the next call of
//! a method fail (429, 500).
//!
//! The benchmark includes this file too (`#[path]`), so it depends on nothing of the tests.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The bot's token: the bot's id, a colon and 35 characters, like a real one.
pub const TOKEN: &str = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
pub const BOT_ID: i64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "pao_test_bot";

/// How long [`FakeTelegram::wait_for`] waits before failing the test: generous, as the
/// machine may be busy with other builds.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A Telegram user who talks to the bot.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub first_name: String,
    pub language_code: Option<String>,
}

impl Person {
    pub fn new(id: i64, first_name: &str, language_code: Option<&str>) -> Person {
        Person {
            id,
            first_name: first_name.to_owned(),
            language_code: language_code.map(str::to_owned),
        }
    }

    pub fn json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    /// The person's private chat with the bot, whose id is theirs.
    pub fn private_chat(&self) -> Value {
        json!({"id": self.id, "type": "private", "first_name": self.first_name})
    }
}

/// A group chat.
pub fn group(id: i64, title: &str) -> Value {
    json!({"id": id, "type": "group", "title": title})
}

/// One call the bot made, as the server answered it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name in lower case, e.g. `sendmessage`.
    pub method: String,
    pub params: Value,
    pub status: u16,
    /// `result` of a successful answer.
    pub result: Option<Value>,
    pub at: Instant,
    /// The first segment of the path before `/bot<token>`, when the bot was given an address
    /// of its own ([`FakeTelegram::url_for`]): which of several bots called.
    pub via: Option<String>,
}

impl Call {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// The `chat_id` the call was for.
    pub fn chat(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(as_i64)
    }

    /// The text sent, as given (HTML for the bot's messages).
    pub fn text(&self) -> &str {
        self.params
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The inline keyboard's buttons, row after row: label and callback data or URL.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self
            .params
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        rows.iter()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|button| {
                let label = button["text"].as_str().unwrap_or_default().to_owned();
                let target = button
                    .get("callback_data")
                    .or_else(|| button.get("url"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (label, target)
            })
            .collect()
    }

    /// The labels of the inline keyboard's buttons.
    pub fn labels(&self) -> Vec<String> {
        self.buttons().into_iter().map(|(label, _)| label).collect()
    }

    /// The message id of the message this call created (`sendMessage`).
    pub fn message_id(&self) -> Option<i64> {
        self.result
            .as_ref()
            .and_then(|r| r.get("message_id"))
            .and_then(Value::as_i64)
    }

    /// The id of the message this call answers (`reply_parameters`).
    pub fn replying_to(&self) -> Option<i64> {
        self.params
            .pointer("/reply_parameters/message_id")
            .and_then(as_i64)
    }

    /// The update ids a `getUpdates` call handed out.
    pub fn update_ids(&self) -> Vec<i64> {
        self.result
            .as_ref()
            .and_then(Value::as_array)
            .map(|updates| {
                updates
                    .iter()
                    .filter_map(|u| u["update_id"].as_i64())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Numbers come as JSON numbers from teloxide, and as text in multipart forms.
fn as_i64(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// How the next call of a method fails.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// 429 with `retry_after`.
    TooManyRequests { retry_after: u32 },
    /// 500 with Telegram's JSON.
    ServerError,
}

/// A queued update, and whether it goes out whatever the offset (a redelivery).
struct Queued {
    id: i64,
    update: Value,
    forced: bool,
}

#[derive(Default)]
struct Records {
    queue: VecDeque<Queued>,
    /// Every update ever queued, by id, for redelivery.
    history: HashMap<i64, Value>,
    next_update_id: i64,
    /// Per chat, the last message id given.
    last_message_id: HashMap<i64, i64>,
    /// Chats the server knows (someone wrote in them), by id.
    chats: HashMap<i64, Value>,
    /// Messages by chat and id, the bot's as last edited; only the bot's latest in each chat
    /// when not recording.
    messages: HashMap<(i64, i64), Value>,
    /// Per chat, the id of the bot's latest message.
    latest: HashMap<i64, i64>,
    callback_queries: HashSet<String>,
    answered_queries: HashSet<String>,
    calls: Vec<Call>,
    counts: HashMap<String, u64>,
    failures: HashMap<String, VecDeque<Failure>>,
    /// Methods whose calls wait until released.
    held: HashSet<String>,
    /// How many calls of each method arrived, answered or not.
    arrivals: HashMap<String, u64>,
    /// Callers' names (`url_for`) and methods whose calls are held at the gate for good.
    gated: HashSet<(String, String)>,
    /// How many calls the gate holds.
    at_gate: u64,
    webhook: Option<(String, Option<String>)>,
}

struct Shared {
    state: Mutex<Records>,
    /// Updates were queued.
    queued: Notify,
    /// A call arrived or was answered.
    answered: Notify,
    /// Held methods were released.
    released: Notify,
    /// Whether calls are kept (the benchmark only counts them).
    recording: AtomicBool,
    /// Whether every message is kept, rather than only the bot's latest in each chat.
    keep_messages: AtomicBool,
}

/// The server; it stops when dropped.
pub struct FakeTelegram {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            state: Mutex::new(Records {
                next_update_id: 100_000,
                ..Records::default()
            }),
            queued: Notify::new(),
            answered: Notify::new(),
            released: Notify::new(),
            recording: AtomicBool::new(true),
            keep_messages: AtomicBool::new(true),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let app = Router::new().fallback(api).with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the fake server runs");
        });
        FakeTelegram {
            address,
            shared,
            server,
        }
    }

    /// The address to give the bot as its Bot API server.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address to give one of several bots, whose calls are then told apart by their
    /// [`Call::via`], `name`.
    pub fn url_for(&self, name: &str) -> String {
        format!("http://{}/{name}", self.address)
    }

    fn state(&self) -> MutexGuard<'_, Records> {
        self.shared.state.lock().expect("the fake's state")
    }

    /// Stops keeping calls and messages (but the bot's latest in each chat), only counting
    /// calls: for the benchmark.
    pub fn stop_recording(&self) {
        self.shared.recording.store(false, Ordering::SeqCst);
        self.shared.keep_messages.store(false, Ordering::SeqCst);
    }

    /// Queues an update of `kind` (`message`, `callback_query`...) and returns its id.
    pub fn push(&self, kind: &str, payload: Value) -> i64 {
        let mut state = self.state();
        let id = state.next_update_id;
        state.next_update_id += 1;
        let mut update = json!({"update_id": id});
        update[kind] = payload;
        state.history.insert(id, update.clone());
        state.queue.push_back(Queued {
            id,
            update,
            forced: false,
        });
        drop(state);
        self.shared.queued.notify_waiters();
        id
    }

    /// Queues an update as given, with the next update id, whatever it holds.
    pub fn push_raw(&self, mut update: Value) -> i64 {
        let mut state = self.state();
        let id = state.next_update_id;
        state.next_update_id += 1;
        update["update_id"] = json!(id);
        state.history.insert(id, update.clone());
        state.queue.push_back(Queued {
            id,
            update,
            forced: false,
        });
        drop(state);
        self.shared.queued.notify_waiters();
        id
    }

    /// Hands out update `id` once more, whatever the bot confirmed.
    pub fn redeliver(&self, id: i64) {
        let mut state = self.state();
        let update = state
            .history
            .get(&id)
            .cloned()
            .expect("an update given before");
        state.queue.push_back(Queued {
            id,
            update,
            forced: true,
        });
        drop(state);
        self.shared.queued.notify_waiters();
    }

    /// `from` writes `text` in their private chat with the bot; returns the update id and
    /// the message id.
    pub fn say(&self, from: &Person, text: &str) -> (i64, i64) {
        self.say_in(&from.private_chat(), from, text, None)
    }

    /// `from` writes `text` in `chat`, replying to message `reply_to` of that chat if given;
    /// returns the update id and the message id.
    pub fn say_in(
        &self,
        chat: &Value,
        from: &Person,
        text: &str,
        reply_to: Option<i64>,
    ) -> (i64, i64) {
        let message = self.message(chat, from, text, reply_to);
        let message_id = message["message_id"].as_i64().unwrap_or_default();
        (self.push("message", message), message_id)
    }

    /// The message of `from` writing `text` in `chat` (replying to message `reply_to`), known
    /// to the server but not queued: for a webhook test to post.
    pub fn message(&self, chat: &Value, from: &Person, text: &str, reply_to: Option<i64>) -> Value {
        let chat_id = chat["id"].as_i64().expect("a chat id");
        let mut state = self.state();
        state.chats.insert(chat_id, chat.clone());
        let message_id = next_message_id(&mut state, chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": from.json(),
            "chat": chat,
            "date": now(),
            "text": text,
        });
        let entities = user_entities(text);
        if !entities.is_empty() {
            message["entities"] = Value::Array(entities);
        }
        if let Some(replied) = reply_to {
            let replied = state
                .messages
                .get(&(chat_id, replied))
                .cloned()
                .expect("the message replied to");
            message["reply_to_message"] = replied;
        }
        if self.shared.keep_messages.load(Ordering::SeqCst) {
            state
                .messages
                .insert((chat_id, message_id), message.clone());
        }
        message
    }

    /// Makes `chat` known, as if its person had started the bot long ago.
    pub fn know(&self, chat: &Value) {
        let chat_id = chat["id"].as_i64().expect("a chat id");
        self.state().chats.insert(chat_id, chat.clone());
    }

    /// `from` presses the button labelled `label` under the bot's message that `sent` made;
    /// returns the update id.
    pub fn press(&self, from: &Person, sent: &Call, label: &str) -> i64 {
        let chat_id = sent.chat().expect("a call for a chat");
        let message_id = sent.message_id().expect("a message the bot sent");
        let message = self
            .state()
            .messages
            .get(&(chat_id, message_id))
            .cloned()
            .expect("the bot's message is known");
        self.press_under(from, message, |text, _| text == label)
            .unwrap_or_else(|| panic!("no button {label:?} under the message {message_id}"))
    }

    /// `from` presses the first button whose callback data `chosen` accepts under the bot's
    /// latest message to `chat`; returns the update id, or `None` when there is none.
    pub fn press_latest(
        &self,
        from: &Person,
        chat: i64,
        chosen: impl Fn(&str) -> bool,
    ) -> Option<i64> {
        let message = {
            let state = self.state();
            let id = state.latest.get(&chat)?;
            state.messages.get(&(chat, *id)).cloned()?
        };
        self.press_under(from, message, |_, data| chosen(data))
    }

    fn press_under(
        &self,
        from: &Person,
        message: Value,
        chosen: impl Fn(&str, &str) -> bool,
    ) -> Option<i64> {
        let data = message
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .find_map(|button| {
                let label = button["text"].as_str()?;
                let data = button["callback_data"].as_str()?;
                chosen(label, data).then_some(data)
            })?
            .to_owned();
        let chat_id = message.pointer("/chat/id").and_then(Value::as_i64)?;
        let query_id = {
            let mut state = self.state();
            let query_id = format!("{}{}", from.id, state.callback_queries.len() + 1);
            state.callback_queries.insert(query_id.clone());
            query_id
        };
        Some(self.push(
            "callback_query",
            json!({
                "id": query_id,
                "from": from.json(),
                "message": message,
                "chat_instance": format!("instance{chat_id}"),
                "data": data,
            }),
        ))
    }

    /// Makes the next call of `method` fail as `failure` says.
    pub fn fail_next(&self, method: &str, failure: Failure) {
        self.state()
            .failures
            .entry(method.to_ascii_lowercase())
            .or_default()
            .push_back(failure);
    }

    /// Makes the calls of `method` wait, unanswered, until [`FakeTelegram::release`].
    pub fn hold(&self, method: &str) {
        self.state().held.insert(method.to_ascii_lowercase());
    }

    /// Holds every call of `method` made through `url_for(via)` from now on before it is
    /// recorded or acts, for good: the test kills their sender while they wait, and Telegram
    /// does not act on a request whose connection died before it was read whole. All of them,
    /// not only the next, so that none of the sender's is recorded between the first held
    /// and the kill.
    pub fn gate(&self, via: &str, method: &str) {
        let key = (via.to_owned(), method.to_ascii_lowercase());
        self.state().gated.insert(key);
    }

    /// How many calls the gate holds ([`FakeTelegram::gate`]).
    pub fn at_gate(&self) -> u64 {
        self.state().at_gate
    }

    /// Answers the held calls of `method`, and those to come.
    pub fn release(&self, method: &str) {
        self.state().held.remove(&method.to_ascii_lowercase());
        self.shared.released.notify_waiters();
    }

    /// How many calls of `method` arrived so far, answered or not yet.
    pub fn arrivals(&self, method: &str) -> u64 {
        self.state()
            .arrivals
            .get(&method.to_ascii_lowercase())
            .copied()
            .unwrap_or_default()
    }

    /// Waits until `count` calls of `method` arrived, answered or not yet (held, or a long
    /// poll waiting for updates).
    pub async fn wait_for_arrivals(&self, method: &str, count: u64) {
        self.wait_for_arrivals_of(&[method], count).await;
    }

    /// Waits until `count` calls of any of `methods` arrived.
    pub async fn wait_for_arrivals_of(&self, methods: &[&str], count: u64) {
        let methods: Vec<String> = methods.iter().map(|m| m.to_ascii_lowercase()).collect();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let answered = self.shared.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let arrived: u64 = {
                let state = self.state();
                methods
                    .iter()
                    .map(|m| state.arrivals.get(m).copied().unwrap_or_default())
                    .sum()
            };
            if arrived >= count {
                return;
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                panic!("timed out waiting for {count} calls of {methods:?} to arrive");
            }
        }
    }

    /// The webhook set by `setWebhook`: its URL and secret token.
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.state().webhook.clone()
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The calls of `method` so far (any case), successful or not.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|call| call.is(method))
            .cloned()
            .collect()
    }

    /// The bot's messages to `chat` that Telegram accepted, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|call| call.is("sendMessage") && call.ok() && call.chat() == Some(chat))
            .cloned()
            .collect()
    }

    /// How many calls of `method` were answered, whether recorded or not.
    pub fn count(&self, method: &str) -> u64 {
        self.state()
            .counts
            .get(&method.to_ascii_lowercase())
            .copied()
            .unwrap_or_default()
    }

    /// Waits until `found` finds what it looks for among the calls, and returns it; fails the
    /// test after [`PATIENCE`], saying what it waited for and what the bot did.
    pub async fn wait_for<T>(&self, what: &str, mut found: impl FnMut(&[Call]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let answered = self.shared.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            if let Some(result) = found(&self.state().calls) {
                return result;
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                let calls: Vec<String> = self
                    .calls()
                    .iter()
                    .filter(|call| !call.is("getUpdates"))
                    .map(|call| format!("{} {} {}", call.status, call.method, call.params))
                    .collect();
                panic!(
                    "timed out waiting for {what}; the calls:\n{}",
                    calls.join("\n")
                );
            }
        }
    }

    /// Waits until the bot sent `count` messages to `chat`, and returns them.
    pub async fn wait_for_messages(&self, chat: i64, count: usize) -> Vec<Call> {
        self.wait_for(&format!("{count} messages to chat {chat}"), |calls| {
            let sent: Vec<Call> = calls
                .iter()
                .filter(|c| c.is("sendMessage") && c.ok() && c.chat() == Some(chat))
                .cloned()
                .collect();
            (sent.len() >= count).then_some(sent)
        })
        .await
    }

    /// Waits until `count` calls of `method` were answered (counted even when not recorded).
    pub async fn wait_for_count(&self, method: &str, count: u64) {
        let method = method.to_ascii_lowercase();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let answered = self.shared.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            if self
                .state()
                .counts
                .get(&method)
                .copied()
                .unwrap_or_default()
                >= count
            {
                return;
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                panic!(
                    "timed out waiting for {count} calls of {method}: {} made",
                    self.count(&method)
                );
            }
        }
    }
}

fn next_message_id(state: &mut Records, chat: i64) -> i64 {
    let last = state.last_message_id.entry(chat).or_insert(0);
    *last += 1;
    *last
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The entities Telegram marks in a user's text: a leading command and `@mentions`.
fn user_entities(text: &str) -> Vec<Value> {
    let mut entities = Vec::new();
    let mut offset = 0;
    for word in text.split(' ') {
        let length = utf16_len(word);
        if word.starts_with('/') && offset == 0 {
            entities.push(json!({"type": "bot_command", "offset": 0, "length": length}));
        } else if word.starts_with('@') && length > 1 {
            let name_length =
                utf16_len(word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'));
            entities.push(json!({"type": "mention", "offset": offset, "length": name_length}));
        }
        offset += length + 1;
    }
    entities
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// An answer: `{"ok":true,"result":...}` or Telegram's error shape.
fn answer(status: StatusCode, outcome: Result<Value, String>) -> (StatusCode, Value) {
    match outcome {
        Ok(result) => (StatusCode::OK, json!({"ok": true, "result": result})),
        Err(description) => (
            status,
            json!({"ok": false, "error_code": status.as_u16(), "description": description}),
        ),
    }
}

fn bad_request(description: &str) -> (StatusCode, Value) {
    answer(StatusCode::BAD_REQUEST, Err(description.to_owned()))
}

/// Every request: `/bot<token>/<method>`.
async fn api(
    extract::State(shared): extract::State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (via, path) = match uri.path().strip_prefix('/').and_then(|p| p.split_once('/')) {
        Some((first, rest)) if !first.starts_with("bot") => (Some(first.to_owned()), rest),
        _ => (None, uri.path().trim_start_matches('/')),
    };
    let Some((token, method)) = path
        .strip_prefix("bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let method = method.to_ascii_lowercase();
    let params = parse_params(&headers, &body);
    *shared
        .state
        .lock()
        .expect("the fake's state")
        .arrivals
        .entry(method.clone())
        .or_default() += 1;
    let gated = via.as_ref().is_some_and(|via| {
        let mut state = shared.state.lock().expect("the fake's state");
        let gated = state.gated.contains(&(via.clone(), method.clone()));
        state.at_gate += u64::from(gated);
        gated
    });
    shared.answered.notify_waiters();
    if gated {
        return std::future::pending().await;
    }
    loop {
        let released = shared.released.notified();
        tokio::pin!(released);
        released.as_mut().enable();
        if !shared
            .state
            .lock()
            .expect("the fake's state")
            .held
            .contains(&method)
        {
            break;
        }
        released.await;
    }
    let (status, body) = if token != TOKEN {
        answer(StatusCode::UNAUTHORIZED, Err("Unauthorized".to_owned()))
    } else if let Some(failure) = take_failure(&shared, &method) {
        match failure {
            Failure::TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "ok": false,
                    "error_code": 429,
                    "description": format!("Too Many Requests: retry after {retry_after}"),
                    "parameters": {"retry_after": retry_after},
                }),
            ),
            Failure::ServerError => answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                Err("Internal Server Error".to_owned()),
            ),
        }
    } else if method == "getupdates" {
        get_updates(&shared, &params).await
    } else {
        let mut state = shared.state.lock().expect("the fake's state");
        let keep = shared.keep_messages.load(Ordering::SeqCst);
        method_call(&mut state, &method, &params, keep)
    };
    {
        let mut state = shared.state.lock().expect("the fake's state");
        *state.counts.entry(method.clone()).or_default() += 1;
        if shared.recording.load(Ordering::SeqCst) {
            let result = body.get("result").cloned();
            state.calls.push(Call {
                method,
                params,
                status: status.as_u16(),
                result,
                at: Instant::now(),
                via,
            });
        }
    }
    shared.answered.notify_waiters();
    (status, axum::Json(body)).into_response()
}

fn take_failure(shared: &Shared, method: &str) -> Option<Failure> {
    shared
        .state
        .lock()
        .expect("the fake's state")
        .failures
        .get_mut(method)?
        .pop_front()
}

/// The parameters of a call: a JSON body (what teloxide sends for most methods), or a
/// multipart form (`setWebhook`), whose fields are text or JSON.
fn parse_params(headers: &HeaderMap, body: &[u8]) -> Value {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
    {
        return parse_multipart(body, boundary.trim_matches('"'));
    }
    if body.is_empty() {
        return json!({});
    }
    serde_json::from_slice(body).unwrap_or_else(|_| json!({}))
}

fn parse_multipart(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        fields.insert(name.to_owned(), value);
    }
    Value::Object(fields)
}

/// `getUpdates`: what is queued from `offset` on (confirming what is below it), or after
/// waiting up to `timeout` seconds for something to be queued.
async fn get_updates(shared: &Shared, params: &Value) -> (StatusCode, Value) {
    let offset = params.get("offset").and_then(as_i64).unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(as_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let timeout = params.get("timeout").and_then(as_i64).unwrap_or(0).max(0) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let queued = shared.queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        {
            let mut state = shared.state.lock().expect("the fake's state");
            if offset > 0 {
                state.queue.retain(|q| q.forced || q.id >= offset);
            }
            let mut out = Vec::new();
            let mut index = 0;
            while index < state.queue.len() && out.len() < limit {
                if state.queue[index].forced {
                    let taken = state.queue.remove(index).expect("an index in range");
                    out.push(taken.update);
                } else {
                    out.push(state.queue[index].update.clone());
                    index += 1;
                }
            }
            if !out.is_empty() || tokio::time::Instant::now() >= deadline {
                return answer(StatusCode::OK, Ok(Value::Array(out)));
            }
        }
        if tokio::time::timeout_at(deadline, queued).await.is_err() {
            return answer(StatusCode::OK, Ok(json!([])));
        }
    }
}

/// Every method but `getUpdates`.
fn method_call(
    state: &mut Records,
    method: &str,
    params: &Value,
    keep: bool,
) -> (StatusCode, Value) {
    match method {
        "getme" => answer(
            StatusCode::OK,
            Ok(json!({
                "id": BOT_ID,
                "is_bot": true,
                "first_name": "PAO test bot",
                "username": BOT_USERNAME,
                "can_join_groups": true,
                "can_read_all_group_messages": false,
                "supports_inline_queries": false,
                "can_connect_to_business": false,
                "has_main_web_app": false,
            })),
        ),
        "getwebhookinfo" => {
            let url = state
                .webhook
                .as_ref()
                .map(|(url, _)| url.clone())
                .unwrap_or_default();
            let pending = state.queue.len();
            answer(
                StatusCode::OK,
                Ok(json!({
                    "url": url,
                    "has_custom_certificate": false,
                    "pending_update_count": pending,
                })),
            )
        }
        "setwebhook" => {
            let Some(url) = params.get("url").and_then(Value::as_str) else {
                return bad_request("Bad Request: bad webhook: URL must be provided");
            };
            let secret = params
                .get("secret_token")
                .and_then(Value::as_str)
                .map(str::to_owned);
            state.webhook = Some((url.to_owned(), secret));
            answer(StatusCode::OK, Ok(json!(true)))
        }
        "deletewebhook" => {
            state.webhook = None;
            answer(StatusCode::OK, Ok(json!(true)))
        }
        "setmycommands" => set_my_commands(params),
        "sendmessage" => send_message(state, params, keep),
        "editmessagetext" | "editmessagereplymarkup" => edit_message(state, method, params),
        "deletemessage" => {
            let key = (
                params.get("chat_id").and_then(as_i64).unwrap_or_default(),
                params
                    .get("message_id")
                    .and_then(as_i64)
                    .unwrap_or_default(),
            );
            match state.messages.remove(&key) {
                Some(_) => answer(StatusCode::OK, Ok(json!(true))),
                None => bad_request("Bad Request: message to delete not found"),
            }
        }
        "answercallbackquery" => {
            let id = params
                .get("callback_query_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if state.callback_queries.contains(&id) && state.answered_queries.insert(id) {
                answer(StatusCode::OK, Ok(json!(true)))
            } else {
                bad_request(
                    "Bad Request: query is too old and response timeout expired or query ID is \
                     invalid",
                )
            }
        }
        _ => answer(StatusCode::NOT_FOUND, Err("Not Found".to_owned())),
    }
}

fn set_my_commands(params: &Value) -> (StatusCode, Value) {
    let Some(commands) = params.get("commands").and_then(Value::as_array) else {
        return bad_request("Bad Request: parameter \"commands\" is required");
    };
    for command in commands {
        let name = command["command"].as_str().unwrap_or_default();
        let description = command["description"].as_str().unwrap_or_default();
        let name_ok = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok || !(1..=256).contains(&description.chars().count()) {
            return bad_request("Bad Request: BOT_COMMAND_INVALID");
        }
    }
    answer(StatusCode::OK, Ok(json!(true)))
}

/// The text of a message the bot sends or edits: plain text and entities, as Telegram
/// returns them, or the error Telegram gives.
fn message_text(params: &Value) -> Result<(String, Vec<Value>), (StatusCode, Value)> {
    let text = params
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let html = params.get("parse_mode").and_then(Value::as_str) == Some("HTML");
    let (plain, entities) = if html {
        parse_html(text).map_err(|reason| {
            bad_request(&format!("Bad Request: can't parse entities: {reason}"))
        })?
    } else {
        (text.to_owned(), Vec::new())
    };
    if plain.trim().is_empty() {
        return Err(bad_request("Bad Request: message text is empty"));
    }
    if utf16_len(&plain) > 4096 {
        return Err(bad_request("Bad Request: message is too long"));
    }
    Ok((plain, entities))
}

/// The inline keyboard as Telegram keeps it, or the error it gives.
fn keyboard(params: &Value) -> Result<Option<Value>, (StatusCode, Value)> {
    let Some(markup) = params.get("reply_markup") else {
        return Ok(None);
    };
    let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array) else {
        return Err(bad_request(
            "Bad Request: can't parse reply keyboard markup JSON object",
        ));
    };
    for button in rows
        .iter()
        .map(|row| {
            row.as_array()
                .ok_or_else(|| bad_request("Bad Request: bad row"))
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
    {
        if button["text"].as_str().is_none_or(str::is_empty) {
            return Err(bad_request(
                "Bad Request: text buttons are unallowed in the inline keyboard",
            ));
        }
        match (button.get("callback_data"), button.get("url")) {
            (Some(data), None) => {
                let data = data.as_str().unwrap_or_default();
                if data.is_empty() || data.len() > 64 {
                    return Err(bad_request("Bad Request: BUTTON_DATA_INVALID"));
                }
            }
            (None, Some(url)) => {
                let url = url.as_str().unwrap_or_default();
                let valid = ["http://", "https://", "tg://"]
                    .iter()
                    .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len());
                if !valid {
                    return Err(bad_request("Bad Request: BUTTON_URL_INVALID"));
                }
            }
            _ => return Err(bad_request("Bad Request: BUTTON_TYPE_INVALID")),
        }
    }
    let empty = rows
        .iter()
        .all(|row| row.as_array().is_some_and(Vec::is_empty));
    Ok((!empty).then(|| markup.clone()))
}

fn send_message(state: &mut Records, params: &Value, keep: bool) -> (StatusCode, Value) {
    let Some(chat_id) = params.get("chat_id").and_then(as_i64) else {
        return bad_request("Bad Request: chat_id is empty");
    };
    let Some(chat) = state.chats.get(&chat_id).cloned() else {
        return bad_request("Bad Request: chat not found");
    };
    let (text, entities) = match message_text(params) {
        Ok(text) => text,
        Err(refused) => return refused,
    };
    let markup = match keyboard(params) {
        Ok(markup) => markup,
        Err(refused) => return refused,
    };
    let replied = match params
        .pointer("/reply_parameters/message_id")
        .and_then(as_i64)
    {
        None => None,
        Some(id) => match state.messages.get(&(chat_id, id)) {
            Some(message) => Some(message.clone()),
            None if params.pointer("/reply_parameters/allow_sending_without_reply")
                == Some(&json!(true)) =>
            {
                None
            }
            None => return bad_request("Bad Request: message to be replied not found"),
        },
    };
    let message_id = next_message_id(state, chat_id);
    let mut message = json!({
        "message_id": message_id,
        "from": {"id": BOT_ID, "is_bot": true, "first_name": "PAO test bot", "username": BOT_USERNAME},
        "chat": chat,
        "date": now(),
        "text": text,
    });
    if !entities.is_empty() {
        message["entities"] = Value::Array(entities);
    }
    if let Some(markup) = markup {
        message["reply_markup"] = markup;
    }
    if let Some(replied) = replied {
        message["reply_to_message"] = replied;
    }
    let previous = state.latest.insert(chat_id, message_id);
    if let (false, Some(previous)) = (keep, previous) {
        state.messages.remove(&(chat_id, previous));
    }
    state
        .messages
        .insert((chat_id, message_id), message.clone());
    answer(StatusCode::OK, Ok(message))
}

fn edit_message(state: &mut Records, method: &str, params: &Value) -> (StatusCode, Value) {
    let key = (
        params.get("chat_id").and_then(as_i64).unwrap_or_default(),
        params
            .get("message_id")
            .and_then(as_i64)
            .unwrap_or_default(),
    );
    let Some(old) = state.messages.get(&key).cloned() else {
        return bad_request("Bad Request: message to edit not found");
    };
    if old.pointer("/from/id").and_then(Value::as_i64) != Some(BOT_ID) {
        return bad_request("Bad Request: message can't be edited");
    }
    let mut new = old.clone();
    if method == "editmessagetext" {
        let (text, entities) = match message_text(params) {
            Ok(text) => text,
            Err(refused) => return refused,
        };
        new["text"] = json!(text);
        match entities.is_empty() {
            true => {
                new.as_object_mut().map(|m| m.remove("entities"));
            }
            false => new["entities"] = Value::Array(entities),
        }
    }
    match keyboard(params) {
        Ok(Some(markup)) => new["reply_markup"] = markup,
        Ok(None) => {
            new.as_object_mut().map(|m| m.remove("reply_markup"));
        }
        Err(refused) => return refused,
    }
    if new == old {
        return bad_request(
            "Bad Request: message is not modified: specified new message content and reply \
             markup are exactly the same as a current content and reply markup of the message",
        );
    }
    new["edit_date"] = json!(now());
    state.messages.insert(key, new.clone());
    answer(StatusCode::OK, Ok(new))
}

/// POSTs `update` to the bot's webhook at `address` with `secret`, as Telegram does: the
/// answer's status, or `None` when nothing answers there (a replica that died).
pub async fn post_update(address: SocketAddr, secret: &str, update: &Value) -> Option<u16> {
    let body = update.to_string();
    let request = format!(
        "POST /telegram HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

/// Telegram's HTML: the text without tags, and the entities the tags make (offsets and
/// lengths in UTF-16 code units); an error for what Telegram refuses: unknown tags, tags
/// left open or closed out of order, `<`, `>` or `&` not escaped.
pub fn parse_html(html: &str) -> Result<(String, Vec<Value>), String> {
    const TAGS: [(&str, &str); 13] = [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("a", "text_link"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ];
    let mut text = String::new();
    let mut length = 0;
    let mut open: Vec<(String, usize, Option<String>)> = Vec::new();
    let mut entities = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let at = html.len() - rest.len();
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or(format!("Unclosed start tag at byte offset {at}"))?;
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    let (opened, start, url) = open
                        .pop()
                        .ok_or(format!("Unexpected end tag at byte offset {at}"))?;
                    if opened != name {
                        return Err(format!(
                            "Can't find end tag corresponding to start tag \"{opened}\""
                        ));
                    }
                    let kind = TAGS
                        .iter()
                        .find(|(tag, _)| *tag == name)
                        .map(|(_, kind)| *kind)
                        .unwrap_or_default();
                    if length > start {
                        let mut entity =
                            json!({"type": kind, "offset": start, "length": length - start});
                        if let Some(url) = url {
                            entity["url"] = json!(url);
                        }
                        entities.push(entity);
                    }
                } else {
                    let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
                    let name = name.to_ascii_lowercase();
                    if !TAGS.iter().any(|(tag, _)| *tag == name) {
                        return Err(format!(
                            "Unsupported start tag \"{name}\" at byte offset {at}"
                        ));
                    }
                    let url = if name == "a" {
                        let href = attributes
                            .trim()
                            .strip_prefix("href=\"")
                            .and_then(|v| v.strip_suffix('"'))
                            .ok_or(format!("Bad href at byte offset {at}"))?;
                        let (href, _) = parse_html(href)?;
                        Some(href)
                    } else {
                        None
                    };
                    open.push((name, length, url));
                }
            }
            '&' => {
                let end = rest
                    .find(';')
                    .ok_or(format!("Character entity expected at byte offset {at}"))?;
                let decoded = match &rest[1..end] {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    other => other
                        .strip_prefix('#')
                        .and_then(|n| n.parse::<u32>().ok())
                        .and_then(char::from_u32)
                        .ok_or(format!("Unsupported HTML entity \"&{other};\""))?,
                };
                text.push(decoded);
                length += decoded.len_utf16();
                rest = &rest[end + 1..];
            }
            '>' => return Err(format!("Unexpected \">\" at byte offset {at}")),
            c => {
                text.push(c);
                length += c.len_utf16();
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some((name, _, _)) = open.pop() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{name}\""
        ));
    }
    entities.sort_by_key(|e| e["offset"].as_u64());
    Ok((text, entities))
}
