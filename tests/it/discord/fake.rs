//! A small fake Discord on 127.0.0.1 for the Discord channel's tests: HTTP routes that record
//! every call the bot makes and answer in Discord's shapes, and a websocket gateway that says
//! Hello, accepts Identify (or Resume), sends READY, acknowledges heartbeats, and delivers
//! the events a test hands it. An event handed over while no connection is up is kept and
//! replayed when the bot resumes, as Discord does.
//!
//! Sharded as Discord is: Identify says `"shard": [id, total]`, READY repeats it, and an
//! event goes to the connection of its shard, `(guild_id >> 22) % total` for a guild's and
//! shard 0 for the rest (direct messages); each shard has its session and sequence numbers.
//!
//! Tests never sleep: they wait on [`FakeDiscord::wait_for`], which looks at the record
//! each time it changes, until a deadline.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

/// The bot's user id and its application's.
pub const BOT_ID: u64 = 1_100_000_000_000_000_001;
pub const APP_ID: u64 = 1_100_000_000_000_000_002;
/// Shard 0's session; shard n's is this with `-shard-n` after it.
pub const SESSION: &str = "fake-session-1";
/// The only token the fake accepts.
pub const TOKEN: &str = "fake-token";
/// Short, so that a test sees heartbeats within a second.
const HEARTBEAT_MS: u64 = 500;
/// How long a test waits for what it expects before failing.
const DEADLINE: Duration = Duration::from_secs(15);

/// One HTTP call the bot made, its path without the `/api/v10` prefix.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Value,
    /// The name in [`FakeDiscord::api_url_for`] the call came through, if any.
    pub via: Option<String>,
}

/// What the fake saw and what it holds for the bot.
#[derive(Debug, Default)]
pub struct Record {
    pub calls: Vec<Call>,
    /// The `d` of every Identify and Resume, in order.
    pub identifies: Vec<Value>,
    pub resumes: Vec<Value>,
    pub heartbeats: usize,
    /// The close codes of the closing handshakes the bot started.
    pub closes: Vec<u16>,
    /// Every dispatch with its shard and sequence number, for replaying on resume.
    dispatched: Vec<(u64, u64, Value)>,
    /// The last sequence number of each shard.
    seqs: BTreeMap<u64, u64>,
    /// How many shards the bot said it has in its last Identify.
    total: u64,
    next_id: u64,
    /// The connection up for each shard.
    connections: BTreeMap<u64, mpsc::UnboundedSender<Control>>,
}

impl Record {
    /// The next sequence number of `shard`.
    fn next_seq(&mut self, shard: u64) -> u64 {
        let seq = self.seqs.entry(shard).or_default();
        *seq += 1;
        *seq
    }

    /// The shard Discord sends an event to: its guild's, or shard 0 without a guild.
    fn shard_of(&self, d: &Value) -> u64 {
        let guild = d["guild_id"].as_str().and_then(|id| id.parse::<u64>().ok());
        guild.map_or(0, |guild| (guild >> 22) % self.total.max(1))
    }
}

/// The session id the fake gives `shard`.
fn session(shard: u64) -> String {
    match shard {
        0 => SESSION.to_owned(),
        shard => format!("{SESSION}-shard-{shard}"),
    }
}

/// A guild id on `shard` of `total`, as Discord assigns them (the `n`th of them).
pub fn guild_on_shard(shard: u64, total: u64, n: u64) -> u64 {
    ((1_000 + n * total + shard) << 22) | n
}

#[derive(Debug)]
enum Control {
    Send(Value),
    /// Drop the TCP connection without a closing handshake.
    Drop,
}

struct Shared {
    record: Mutex<Record>,
    changed: watch::Sender<u64>,
    gateway_url: String,
}

impl Shared {
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn touch(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

/// The fake Discord; its servers stop when it is dropped.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    api_url: String,
    _servers: JoinSet<()>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let api = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the API");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the gateway");
        let api_url = format!("http://{}", api.local_addr().expect("bound"));
        let gateway_url = format!("ws://{}", gateway.local_addr().expect("bound"));
        let shared = Arc::new(Shared {
            record: Mutex::new(Record {
                next_id: 1_200_000_000_000_000_000,
                ..Record::default()
            }),
            changed: watch::Sender::new(0),
            gateway_url,
        });
        let mut servers = JoinSet::new();
        let app = Router::new().fallback(http).with_state(shared.clone());
        servers.spawn(async move {
            axum::serve(api, app).await.expect("the fake API serves");
        });
        let gateway_shared = shared.clone();
        servers.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = gateway.accept().await {
                connections.spawn(connection(stream, gateway_shared.clone()));
            }
        });
        FakeDiscord {
            shared,
            api_url,
            _servers: servers,
        }
    }

    /// What replaces `https://discord.com` for the bot.
    pub fn api_url(&self) -> String {
        self.api_url.clone()
    }

    /// The same API, with calls through it told apart by `name` (in [`Call::via`]): for
    /// several bots on one fake.
    pub fn api_url_for(&self, name: &str) -> String {
        format!("{}/{name}", self.api_url)
    }

    /// A fresh snowflake, for interactions and messages.
    pub fn next_id(&self) -> u64 {
        let mut record = self.shared.record();
        record.next_id += 1;
        record.next_id
    }

    /// Hands the bot a gateway event of type `t` on its shard's connection; kept for replay
    /// when that connection is not up.
    pub fn dispatch(&self, t: &str, d: Value) {
        let mut record = self.shared.record();
        let shard = record.shard_of(&d);
        let seq = record.next_seq(shard);
        let payload = json!({"op": 0, "s": seq, "t": t, "d": d});
        record.dispatched.push((shard, seq, payload.clone()));
        if let Some(connection) = record.connections.get(&shard) {
            let _ = connection.send(Control::Send(payload));
        }
    }

    /// Sends the bot a text frame as is on shard 0, for events Discord would never send.
    pub fn send_raw(&self, payload: Value) {
        if let Some(connection) = self.shared.record().connections.get(&0) {
            let _ = connection.send(Control::Send(payload));
        }
    }

    /// Drops shard 0's gateway connection as a network failure would: no closing handshake.
    pub fn drop_connection(&self) {
        if let Some(connection) = self.shared.record().connections.remove(&0) {
            let _ = connection.send(Control::Drop);
        }
    }

    /// The last sequence number dispatched on shard 0.
    pub fn seq(&self) -> u64 {
        self.shared.record().seqs.get(&0).copied().unwrap_or(0)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.record().calls.clone()
    }

    /// Waits until `find` finds something in the record, and returns it; fails the test at
    /// the deadline, showing the calls so far.
    pub async fn wait_for<T>(&self, what: &str, mut find: impl FnMut(&Record) -> Option<T>) -> T {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(found) = find(&self.shared.record()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!("no {what} within {DEADLINE:?}; calls: {:#?}", self.calls());
            }
        }
    }

    /// Waits for a call matching `method` and `path` (a suffix of it when `path` starts
    /// with `…`) for which `matches` holds.
    pub async fn wait_call(
        &self,
        method: Method,
        path: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Call {
        let what = format!("{method} {path}");
        self.wait_for(&what, |record| {
            record
                .calls
                .iter()
                .find(|call| {
                    call.method == method && path_matches(&call.path, path) && matches(&call.body)
                })
                .cloned()
        })
        .await
    }

    /// The bot's answer to interaction `id` (its callback's body).
    pub async fn answer_to(&self, id: u64) -> Value {
        let path = format!("/interactions/{id}/{}/callback", token(id));
        self.wait_call(Method::POST, &path, |_| true).await.body
    }

    /// Every call to `path`, at the moment.
    pub fn calls_to(&self, method: Method, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|call| call.method == method && path_matches(&call.path, path))
            .collect()
    }
}

fn path_matches(actual: &str, wanted: &str) -> bool {
    match wanted.strip_prefix('…') {
        Some(suffix) => actual.ends_with(suffix),
        None => actual == wanted,
    }
}

/// The token the fake gives interaction `id`.
pub fn token(id: u64) -> String {
    format!("token-{id}")
}

/// The direct-message channel the fake opens with user `user`.
pub fn dm_channel(user: u64) -> u64 {
    user + 7
}

pub fn bot_user() -> Value {
    json!({
        "id": BOT_ID.to_string(), "username": "pao-bot", "discriminator": "0",
        "global_name": null, "avatar": null, "bot": true
    })
}

/// A message as Discord returns it when one is created.
fn created_message(id: u64, channel: u64, body: &Value) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": bot_user(),
        "content": body["content"].as_str().unwrap_or_default(),
        "timestamp": "2025-04-01T00:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0,
        "flags": body["flags"].as_u64().unwrap_or(0), "components": []
    })
}

/// The fake's HTTP API: records the call, then answers it as Discord would.
async fn http(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (via, path) = match uri.path().split_once("/api/v10") {
        Some(("", path)) => (None, path.to_owned()),
        Some((via, path)) => (
            Some(via.trim_start_matches('/').to_owned()),
            path.to_owned(),
        ),
        None => (None, uri.path().to_owned()),
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = {
        let mut record = shared.record();
        record.calls.push(Call {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            via,
        });
        record.next_id += 1;
        record.next_id
    };
    shared.touch();
    let authorised = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == format!("Bot {TOKEN}").as_bytes());
    if !authorised {
        let refusal = json!({"message": "401: Unauthorized", "code": 0});
        return (StatusCode::UNAUTHORIZED, axum::Json(refusal)).into_response();
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |value: Value| (StatusCode::OK, axum::Json(value)).into_response();
    let no_content = || StatusCode::NO_CONTENT.into_response();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": shared.gateway_url})),
        ("GET", ["users", "@me"]) => ok(bot_user()),
        ("PUT", ["applications", _, "commands"] | ["applications", _, "guilds", _, "commands"]) => {
            let commands = body.as_array().cloned().unwrap_or_default();
            let registered: Vec<Value> = commands
                .into_iter()
                .enumerate()
                .map(|(n, mut command)| {
                    command["id"] = json!((id + n as u64).to_string());
                    command["application_id"] = json!(APP_ID.to_string());
                    command["version"] = json!("1");
                    command["type"] = json!(command["type"].as_u64().unwrap_or(1));
                    command["default_member_permissions"] = Value::Null;
                    command
                })
                .collect();
            ok(Value::Array(registered))
        }
        ("POST", ["interactions", _, _, "callback"]) => no_content(),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => ok(created_message(id, 1, &body)),
        ("DELETE", ["webhooks", _, _, "messages", "@original"]) => no_content(),
        ("POST", ["webhooks", _, _]) => ok(created_message(id, 1, &body)),
        ("POST", ["users", "@me", "channels"]) => {
            let user: u64 = body["recipient_id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .or_else(|| body["recipient_id"].as_u64())
                .unwrap_or(1);
            ok(json!({
                "id": dm_channel(user).to_string(), "type": 1, "last_message_id": null,
                "recipients": [{"id": user.to_string(), "username": "someone", "avatar": null}]
            }))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel = channel.parse().unwrap_or(1);
            ok(created_message(id, channel, &body))
        }
        ("DELETE", ["channels", _, "messages", _]) => no_content(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "404: Not Found", "code": 0})),
        )
            .into_response(),
    }
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn send(socket: &mut Socket, payload: &Value) -> bool {
    socket
        .send(Message::Text(payload.to_string()))
        .await
        .is_ok()
}

/// The next JSON text frame.
async fn next_json(socket: &mut Socket) -> Option<Value> {
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).ok();
        }
    }
    None
}

/// One gateway connection: Hello, then Identify (READY) or Resume (the missed events, then
/// RESUMED), then events and heartbeats until either side drops it.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    if !send(
        &mut socket,
        &json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}}),
    )
    .await
    {
        return;
    }
    let Some(first) = next_json(&mut socket).await else {
        return;
    };
    let (control, mut controls) = mpsc::unbounded_channel();
    let opening: Vec<Value> = {
        let mut record = shared.record();
        let (shard, opening) = match first["op"].as_u64() {
            Some(2) => {
                record.identifies.push(first["d"].clone());
                let shard = first["d"]["shard"][0].as_u64().unwrap_or(0);
                let total = first["d"]["shard"][1].as_u64().unwrap_or(1);
                record.total = total;
                let seq = record.next_seq(shard);
                let ready = json!({"op": 0, "s": seq, "t": "READY", "d": {
                    "v": 10, "user": bot_user(), "guilds": [], "session_id": session(shard),
                    "resume_gateway_url": shared.gateway_url, "shard": [shard, total],
                    "application": {"id": APP_ID.to_string(), "flags": 0}
                }});
                (shard, vec![ready])
            }
            Some(6) => {
                record.resumes.push(first["d"].clone());
                let Some(shard) = record
                    .seqs
                    .keys()
                    .copied()
                    .find(|shard| first["d"]["session_id"] == session(*shard))
                else {
                    return;
                };
                let from = first["d"]["seq"].as_u64().unwrap_or(0);
                let mut missed: Vec<Value> = record
                    .dispatched
                    .iter()
                    .filter(|(on, seq, _)| *on == shard && *seq > from)
                    .map(|(_, _, payload)| payload.clone())
                    .collect();
                let seq = record.next_seq(shard);
                missed.push(json!({"op": 0, "s": seq, "t": "RESUMED", "d": {}}));
                (shard, missed)
            }
            _ => return,
        };
        // Registered under the same lock as the replay, so that no event falls between.
        record.connections.insert(shard, control);
        opening
    };
    shared.touch();
    for payload in &opening {
        if !send(&mut socket, payload).await {
            return;
        }
    }
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let payload: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if payload["op"] == 1 {
                        shared.record().heartbeats += 1;
                        shared.touch();
                        if !send(&mut socket, &json!({"op": 11})).await {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |frame| u16::from(frame.code));
                    shared.record().closes.push(code);
                    shared.touch();
                    // Reading on lets the websocket send the closing handshake's reply.
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
            control = controls.recv() => match control {
                Some(Control::Send(payload)) => {
                    if !send(&mut socket, &payload).await {
                        return;
                    }
                }
                Some(Control::Drop) | None => return,
            },
        }
    }
}
