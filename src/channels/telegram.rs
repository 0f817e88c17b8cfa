//! The Telegram channel, on teloxide: Telegram's updates become the engine's
//! [`Incoming`](crate::conversation::Incoming) messages and its [`Response`]s become Bot
//! API calls. Nothing here decides what to say.
//!
//! The parts, in the order an update travels:
//!
//! - Updates arrive by long polling (`polling`, which confirms a batch of updates only once
//!   it is handled; on PostgreSQL by the one replica holding the polling lease, [`leases`]),
//!   or through a webhook when `settings.webhook` is set (teloxide's axum webhook and a
//!   teloxide [`Dispatcher`] on SQLite, `replicated` on PostgreSQL). One chat's updates are
//!   handled in order, different chats' side by side. An update teloxide cannot parse is
//!   logged (its id only) and skipped (`listener`).
//! - `incoming` decides whether an update is for the bot (in private chats everything; in
//!   groups commands, mentions of `@username` and replies to the bot) and builds the
//!   message: the update id as its message id, so that a redelivered update acts once,
//!   and the sender's `language_code` as the language hint.
//! - `outgoing` makes the Bot API calls: replies as HTML with inline keyboards
//!   (`render`), callback queries answered at once so the button stops spinning, the
//!   pressed message edited to show the choice and lose its spent buttons, passcode
//!   messages deleted, and replies meant for the sender alone sent to their private chat.
//!   Messages go through teloxide's [`Throttle`](teloxide::adaptors::Throttle) (Telegram's
//!   limits), every call is retried after a 429's `retry_after`, and after network errors
//!   and server errors with backoff.
//! - Decisions on nominations wait in the outbox; they are delivered at start (so those
//!   made while the bot was down arrive after a restart) and then every
//!   [`Options::outbox_every`]. On PostgreSQL a turn's replies are queued there too, with
//!   the turn, and sent at once by the replica that claimed them (`Context::send_claimed`),
//!   so that they outlive it.
//!
//! Cancelling the shutdown token stops the listener; every update already received is
//! handled and answered before [`run`] returns.
//!
//! Logs carry chat, update and message ids, never the token or a message's text, which may
//! hold a passcode.

mod incoming;
mod listener;
mod outgoing;
mod polling;
mod render;
mod replicated;

use std::convert::Infallible;
use std::fmt::{self, Debug};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use teloxide::Bot;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::dptree;
use teloxide::error_handlers::ErrorHandler;
use teloxide::types::{
    CallbackQuery, Chat, ChatId, Me, Message, MessageId, Update, UpdateKind, UserId,
};
use teloxide::update_listeners::{UpdateListener, webhooks};
use tokio_util::sync::CancellationToken;

pub use outgoing::CallError;

use crate::channels::telegram::outgoing::Outgoing;
use crate::config::{TelegramSettings, Webhook};
use crate::conversation::{Button, Engine, Reply, ReplyRoute, Response};
use crate::database::Backend;
use crate::domain::{Channel, ChatIdentity};
use crate::replicas::leases::{self, Lease};
use crate::service::{OutboxEvent, OutboxMessage, SystemClock};

/// How the channel runs, beyond what the settings say. [`run`] uses the defaults.
#[derive(Debug, Clone)]
pub struct Options {
    /// Keep to Telegram's limits on outgoing messages (teloxide's `Throttle`: 30 messages a
    /// second overall, 1 a second and 20 a minute per chat). Off only for measurements
    /// against a local server, which has no limits.
    pub throttle: bool,
    /// How often the outbox is delivered.
    pub outbox_every: Duration,
    /// How long one `getUpdates` call may wait for updates.
    pub poll_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            throttle: true,
            outbox_every: Duration::from_secs(2),
            // teloxide's default, within its HTTP client's 17 s timeout.
            poll_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the Telegram channel stopped.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("the Bot API address (TELOXIDE_API_URL or telegram.api_url) is not a URL: {0}")]
    ApiUrl(String),
    #[error("the webhook address (telegram.webhook.url) is not a URL: {0}")]
    WebhookUrl(String),
    #[error("cannot start on Telegram: the Bot API refused or could not be reached")]
    Start(#[source] CallError),
    #[error("cannot listen for the webhook on {address}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set the webhook")]
    SetWebhook(#[source] CallError),
}

/// Runs the Telegram channel until `shutdown` is cancelled, with the default [`Options`].
pub async fn run(
    engine: Arc<Engine>,
    settings: TelegramSettings,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    run_with(engine, settings, Options::default(), shutdown).await
}

/// [`run`] with chosen [`Options`].
pub async fn run_with(
    engine: Arc<Engine>,
    settings: TelegramSettings,
    options: Options,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let bot = bot(&settings)?;
    let out = Outgoing::new(bot.clone(), options.throttle);
    let me = tokio::select! {
        me = out.get_me() => me.map_err(TelegramError::Start)?,
        () = shutdown.cancelled() => return Ok(()),
    };
    tracing::info!(
        username = me.user.username.as_deref().unwrap_or_default(),
        "connected to Telegram"
    );
    engine.connections().connected(Channel::Telegram);
    out.set_commands(engine.bot().knowledge().messages()).await;
    let context = Arc::new(Context { engine, out });

    // The outbox stops with the channel, whatever stopped it.
    let stop_outbox = shutdown.child_token();
    let outbox = tokio::spawn(deliver_outbox(
        context.clone(),
        options.outbox_every,
        stop_outbox.clone(),
    ));
    let result = match &settings.webhook {
        None => poll_as_one_replica(bot, context, me, &options, shutdown).await,
        Some(webhook) => serve_webhook(bot, context, me, webhook, shutdown).await,
    };
    stop_outbox.cancel();
    if let Err(error) = outbox.await {
        tracing::error!(%error, "the outbox delivery stopped abnormally");
    }
    tracing::info!("the Telegram channel stopped");
    result
}

/// The bot as teloxide's `Bot::from_env` would make it (the proxy of `TELOXIDE_PROXY` too),
/// from settings that may come from the file instead of the environment.
fn bot(settings: &TelegramSettings) -> Result<Bot, TelegramError> {
    let bot = Bot::with_client(
        settings.token.expose_secret(),
        teloxide::net::client_from_env(),
    );
    match &settings.api_url {
        None => Ok(bot),
        // Trimmed as `Bot::from_env` does: the method names are appended as path segments.
        Some(url) => {
            Ok(bot
                .set_api_url(parse_url(url.trim_end_matches('/')).map_err(TelegramError::ApiUrl)?))
        }
    }
}

/// `text` as a URL of the type the caller needs: teloxide takes `reqwest::Url`s (in
/// `set_api_url` and the webhook options) but re-exports neither `reqwest` nor `url`.
fn parse_url<U>(text: &str) -> Result<U, String>
where
    U: FromStr,
    U::Err: fmt::Display,
{
    text.parse::<U>().map_err(|e| format!("{text:?}: {e}"))
}

/// What every handler needs.
struct Context {
    engine: Arc<Engine>,
    out: Outgoing,
}

/// Long polling until `shutdown`; on PostgreSQL only while this replica holds the polling
/// lease, since Telegram refuses a second poller of one bot (409 Conflict).
async fn poll_as_one_replica(
    bot: Bot,
    context: Arc<Context>,
    me: Me,
    options: &Options,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let db = context.engine.store().database().clone();
    let wait = options.poll_timeout;
    if db.backend() == Backend::Sqlite {
        polling::poll(bot, context, me, wait, shutdown).await;
        return Ok(());
    }
    let lease = Lease::new(db, POLLING_LEASE, Arc::new(SystemClock));
    leases::run_while_held(&lease, shutdown, |holding| {
        let (bot, context, me) = (bot.clone(), context.clone(), me.clone());
        async move {
            polling::poll(bot, context, me, wait, holding).await;
            Ok::<(), TelegramError>(())
        }
    })
    .await
}

/// The lease of long polling.
const POLLING_LEASE: &str = "telegram_polling";

/// Webhook mode until `shutdown`: teloxide's axum listener, on a socket bound here so that an
/// address in use is an error rather than a panic in a background task. On PostgreSQL, as one
/// of several replicas ([`replicated`]).
async fn serve_webhook(
    bot: Bot,
    context: Arc<Context>,
    me: Me,
    webhook: &Webhook,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let url = webhook_options(webhook)?.url;
    let socket = tokio::net::TcpListener::bind(webhook.listen)
        .await
        .map_err(|source| TelegramError::Listen {
            address: webhook.listen,
            source,
        })?;
    if context.engine.store().database().backend() == Backend::Postgres {
        return replicated::serve(bot, context, me, webhook, socket, shutdown).await;
    }
    // `setWebhook` is called here, retried like every other call.
    let (listener, stopped, router) = context
        .out
        .retrying("setWebhook", || {
            let options = webhooks::Options::new(webhook.listen, url.clone());
            webhooks::axum_to_router(bot.clone(), options)
        })
        .await
        .map_err(TelegramError::SetWebhook)?;
    tracing::info!(address = %webhook.listen, "listening for the webhook");
    let server = tokio::spawn(async move {
        axum::serve(socket, router)
            .with_graceful_shutdown(stopped)
            .await
    });
    let errors = Arc::new(|error: Infallible| async move { match error {} });
    let result = dispatch(
        bot,
        context,
        listener::SkipMalformed::new(listener),
        errors,
        shutdown,
    )
    .await;
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "the webhook server failed"),
        Err(error) => tracing::error!(%error, "the webhook server stopped abnormally"),
    }
    result
}

/// teloxide's webhook options for `webhook`. `setWebhook` consumes them: each try needs new
/// ones.
fn webhook_options(webhook: &Webhook) -> Result<webhooks::Options, TelegramError> {
    let url = parse_url(&webhook.url).map_err(TelegramError::WebhookUrl)?;
    Ok(webhooks::Options::new(webhook.listen, url))
}

/// Feeds `listener`'s updates to a teloxide dispatcher until `shutdown`, then lets it finish
/// the updates it has.
async fn dispatch<L, E>(
    bot: Bot,
    context: Arc<Context>,
    mut listener: L,
    errors: Arc<E>,
    shutdown: CancellationToken,
) -> Result<(), TelegramError>
where
    L: UpdateListener + Send,
    L::Err: Debug,
    E: ErrorHandler<L::Err> + Send + Sync,
{
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher = Dispatcher::builder(bot, handler)
        .dependencies(dptree::deps![context])
        .default_handler(|update| async move {
            tracing::debug!(update = update.id.0, "an update of a kind the bot ignores");
        })
        .build();
    // Stopping the listener, rather than the dispatcher, works at any moment, even before
    // dispatching has started; the dispatcher then handles what it has received and returns.
    let stop = listener.stop_token();
    let stopper = tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown.cancelled().await;
            tracing::info!("stopping: no new updates; finishing those received");
            stop.stop();
        }
    });
    let result = dispatcher
        .try_dispatch_with_listener(listener, errors)
        .await
        .map_err(|error| TelegramError::Start(error.into()));
    // Also when dispatching could not start: the webhook's server stops with its listener.
    stop.stop();
    stopper.abort();
    result
}

/// One update, to its handler: a message or a pressed button; the others are skipped.
async fn handle_update(context: Arc<Context>, update: Update, me: Me) {
    match update.kind.clone() {
        UpdateKind::Message(message) => {
            let Ok(()) = on_message(context, update, message, me).await;
        }
        UpdateKind::CallbackQuery(query) => {
            let Ok(()) = on_callback(context, update, query).await;
        }
        UpdateKind::Error(_) => {
            tracing::warn!(
                update = update.id.0,
                "an update teloxide cannot read skipped"
            );
        }
        _ => tracing::debug!(update = update.id.0, "an update of a kind the bot ignores"),
    }
}

/// A message: a question, a command, a flow's answer.
async fn on_message(
    context: Arc<Context>,
    update: Update,
    message: Message,
    me: Me,
) -> Result<(), Infallible> {
    let Some(incoming) = incoming::from_message(&message, update.id, &me) else {
        return Ok(());
    };
    let Some(user) = message.from.as_ref().map(|from| from.id) else {
        return Ok(());
    };
    // In a group, the first reply answers the message, so that the thread reads right and
    // the asker can reply to it to go on.
    let answering = (!message.chat.is_private()).then_some(message.id);
    let route = context.route(&message.chat, answering);
    let handled = context.engine.handle_routed(incoming, route.as_ref()).await;
    let response = handled.response;
    if response.delete_incoming {
        context.out.delete(message.chat.id, message.id).await;
    }
    let reply_to = answering.filter(|_| !response.delete_incoming);
    context
        .send_replies(&message.chat, user, response, reply_to)
        .await;
    context.send_claimed(handled.claimed).await;
    Ok(())
}

/// A button pressed under one of the bot's messages.
async fn on_callback(
    context: Arc<Context>,
    update: Update,
    query: CallbackQuery,
) -> Result<(), Infallible> {
    // First, so that the button stops spinning while the engine works.
    context.out.answer_callback(query.id.clone()).await;
    let Some(incoming) = incoming::from_callback(&query, update.id) else {
        return Ok(());
    };
    let Some(chat) = query.message.as_ref().map(|m| m.chat().clone()) else {
        return Ok(());
    };
    let route = context.route(&chat, None);
    let handled = context.engine.handle_routed(incoming, route.as_ref()).await;
    // An empty response is a redelivered press (already shown) or one that no longer means
    // anything: the message stays as it is.
    if (!handled.response.replies.is_empty() || handled.queued > 0)
        && let (Some(message), Some(data)) = (query.regular_message(), query.data.as_deref())
    {
        context.out.show_pressed(message, data).await;
    }
    context
        .send_replies(&chat, query.from.id, handled.response, None)
        .await;
    context.send_claimed(handled.claimed).await;
    Ok(())
}

impl Context {
    /// Where a turn in `chat` queues its replies: on PostgreSQL, where replicas share the
    /// webhook or take over polling, the outbox, so that a reply outlives the replica that
    /// made it; on SQLite (one process) none, they are sent at once.
    fn route(&self, chat: &Chat, answering: Option<MessageId>) -> Option<ReplyRoute> {
        if self.engine.store().database().backend() != Backend::Postgres {
            return None;
        }
        let chat = ChatIdentity::parse(&format!("telegram:{}", chat.id.0)).ok()?;
        Some(ReplyRoute {
            chat,
            answering: answering.map(|id| i64::from(id.0)),
        })
    }

    /// Sends the replies a turn queued and claimed, in order, each marked delivered once sent
    /// (so that a replica dying between two leaves only the unsent to the others). After a
    /// failure the rest stay claimed: the delivery rounds send them after the failed one,
    /// once their lease has run out.
    async fn send_claimed(&self, claimed: Vec<OutboxMessage>) {
        let service = self.engine.service();
        for message in claimed {
            let OutboxEvent::Reply {
                text,
                buttons,
                answering,
            } = &message.event
            else {
                continue;
            };
            let reply =
                Reply::text(text.clone()).with_buttons(buttons.iter().map(Button::from).collect());
            let answering = answering
                .and_then(|id| i32::try_from(id).ok())
                .map(MessageId);
            if let Err(error) = self.deliver(&message.recipient, &reply, answering).await {
                tracing::warn!(message = message.id.0, %error, "a reply was not sent; tried again later");
                if let Err(error) = service.mark_failed(message.id).await {
                    tracing::warn!(%error, "a reply's failure not recorded");
                }
                return;
            }
            if let Err(error) = service.mark_all_delivered(&[message.id]).await {
                // Sent again by another replica once its lease runs out: at least once.
                tracing::warn!(message = message.id.0, %error, "a sent reply not marked delivered");
            }
        }
    }

    /// Sends a response's replies in order: to `chat`, or for a private reply in a group, to
    /// the sender's private chat.
    async fn send_replies(
        &self,
        chat: &Chat,
        user: UserId,
        response: Response,
        mut reply_to: Option<MessageId>,
    ) {
        for reply in &response.replies {
            let target = destination(chat, user, reply);
            let answering = if target == chat.id {
                reply_to.take()
            } else {
                None
            };
            if let Err(error) = self.out.send(target, reply, answering).await {
                tracing::warn!(chat = target.0, %error, "a reply was not sent");
            }
        }
    }

    /// One outbox message to its recipient's chat, answering a message when given.
    async fn deliver(
        &self,
        to: &ChatIdentity,
        reply: &Reply,
        answering: Option<MessageId>,
    ) -> Result<(), CallError> {
        let chat = to
            .id()
            .parse::<i64>()
            .map_err(|_| CallError::NotAChat(to.to_string()))?;
        self.out
            .send(ChatId(chat), reply, answering)
            .await
            .map(drop)
    }
}

/// Where a reply goes: its chat, unless it is for the sender alone and the chat is not
/// private; then the sender's private chat, whose id is the user's id.
fn destination(chat: &Chat, user: UserId, reply: &Reply) -> ChatId {
    if reply.private && !chat.is_private() {
        ChatId::from(user)
    } else {
        chat.id
    }
}

/// Delivers the outbox now, then every `every` or as soon as the service queues something in
/// this process, until `stop`; a round in progress finishes first. A round that delivered
/// something is followed at once by the next: a batch's worth may be left, or messages that
/// waited behind those it sent, and Telegram's limits already pace the rounds.
async fn deliver_outbox(context: Arc<Context>, every: Duration, stop: CancellationToken) {
    loop {
        // Enabled before the round, so that a write during it wakes the next one.
        let written = context.engine.outbox_written().notified();
        tokio::pin!(written);
        written.as_mut().enable();
        let delivered = context
            .engine
            .deliver_once(Channel::Telegram, |to, reply| {
                let context = &context;
                async move { context.deliver(&to, &reply, None).await }
            })
            .await;
        match delivered {
            Ok(0) => {}
            Ok(count) => {
                tracing::info!(count, "outbox messages delivered");
                if stop.is_cancelled() {
                    return;
                }
                continue;
            }
            Err(error) => tracing::warn!(%error, "the outbox could not be read"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
            () = written => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chat(json: serde_json::Value) -> Chat {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_private_reply_in_a_group_goes_to_the_senders_private_chat() {
        let private = chat(json!({"id": 100, "type": "private", "first_name": "Taro"}));
        let group = chat(json!({"id": -42, "type": "group", "title": "PAO users"}));
        let mut reply = Reply::text("new passcode");
        reply.private = true;
        assert_eq!(destination(&group, UserId(100), &reply), ChatId(100));
        assert_eq!(destination(&private, UserId(100), &reply), ChatId(100));
        let public = Reply::text("hello");
        assert_eq!(destination(&group, UserId(100), &public), ChatId(-42));
    }
}
