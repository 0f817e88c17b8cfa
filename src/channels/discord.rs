//! The Discord channel: the engine's conversations on Discord, through serenity's gateway
//! client. It only translates: Discord's events become [`Incoming`](crate::conversation::Incoming)
//! messages, and the engine's [`Response`](crate::conversation::Response)s become Discord
//! calls. What comes in:
//!
//! - Slash commands (`commands`), registered in the configured guild (at once, for
//!   development) or globally, named and described in English and Japanese. Each becomes the
//!   engine's text command (`/approve id:12 role:secondary` is `/approve 12 secondary`), with
//!   the interaction's locale as the language hint. `/passcode` and `/nominate` open a form
//!   instead (`form`), whose answers the engine takes as if typed one by one in a private
//!   chat: the passcode never appears in a channel's history.
//! - Button presses: a button's custom id is the engine's payload.
//! - Direct messages, answered as plain messages; in guild channels, only messages that
//!   mention the bot, which Discord delivers with their text even without the privileged
//!   Message Content intent (asked for only when `message_content` is set).
//!
//! Who sees the replies (`interaction::Visibility`): everyone in a guild channel for
//! questions, only the sender (ephemeral replies) for the forms and the help-desk commands,
//! and the two of them in a direct message. Interactions are answered within Discord's
//! three seconds, or deferred and filled in when the engine is done. Decisions on
//! nominations reach their requesters by direct message from the outbox (`outbox`).
//!
//! The gateway's shards (`shards`): the ones the settings name, or claimed through leases,
//! so that replicas split them and each event reaches one replica; shard 0 of 1 otherwise.
//!
//! Serenity does the rest: rate limits (its ratelimiter), and reconnecting and resuming the
//! gateway session. It also skips an event it cannot read, with a warning for a frame that is
//! not an event at all; one whose content does not fit its type comes as an unknown event,
//! which `handler::Unreadable` logs by kind.
//!
//! With `api_url` set, every HTTP call goes to that server instead of `https://discord.com`
//! (serenity's `HttpBuilder::proxy`), and the gateway address is the one that server's
//! `GET /api/v10/gateway` gives. Serenity's ratelimiter ignores the proxy setting (it always
//! calls discord.com), so with a proxy the ratelimiter is off, as serenity documents: the
//! proxy (such as twilight-http-proxy) or the test server is then in charge of rate limits.

mod commands;
mod form;
mod handler;
mod interaction;
mod outbox;
mod render;
mod shards;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use secrecy::ExposeSecret;
use serenity::all::{GatewayIntents, GuildId};
use serenity::http::{Http, HttpBuilder};
use tokio::sync::{Notify, RwLock};
use tokio_util::sync::CancellationToken;

use crate::channels::discord::handler::Handler;
use crate::config::DiscordSettings;
use crate::conversation::Engine;

/// Why the Discord channel stopped.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error("the Discord API address must start with http:// or https://, not {0:?}")]
    ApiUrl(String),
    #[error("the Discord guild for the slash commands cannot be 0")]
    Guild,
    #[error("cannot sign in to Discord: check DISCORD_TOKEN (and DISCORD_API_URL when set)")]
    SignIn(#[source] Box<serenity::Error>),
    #[error("the Discord gateway connection failed")]
    Gateway(#[source] Box<serenity::Error>),
}

/// Runs the Discord channel until `shutdown` is cancelled, then stops the gateway client,
/// lets the messages in flight finish and returns; or returns the error that keeps the
/// channel from running (a token Discord refuses, for one).
pub async fn run(
    engine: Arc<Engine>,
    settings: DiscordSettings,
    shutdown: CancellationToken,
) -> Result<(), DiscordError> {
    // This one signs in, then delivers the outbox; each gateway client makes its own.
    let signing_in = http(&settings)?;
    let guild = match settings.guild {
        Some(0) => return Err(DiscordError::Guild),
        Some(id) => Some(GuildId::new(id)),
        None => None,
    };
    // Checking the token first fails fast, where the gateway client would keep reconnecting.
    let me = signing_in
        .get_current_user()
        .await
        .map_err(|error| DiscordError::SignIn(Box::new(error)))?;
    tracing::info!(bot = %me.name, "signed in to Discord");

    // Only this channel's own tasks stop with `stop`; `shutdown` is the whole process's.
    let stop = shutdown.child_token();
    let kick = Arc::new(Notify::new());
    let in_flight = Arc::new(RwLock::new(()));
    let handler = Arc::new(Handler {
        engine: engine.clone(),
        me: me.id,
        guild,
        kick: kick.clone(),
        in_flight: in_flight.clone(),
        stop: stop.clone(),
        registered: AtomicBool::new(false),
    });
    let outbox = tokio::spawn(outbox::deliver(
        engine.clone(),
        Arc::new(signing_in),
        kick,
        stop.clone(),
    ));
    let outcome = shards::connect_all(&engine, &settings, handler, stop.clone()).await;
    stop.cancel();
    // New events are turned away from now on; the write lock waits for those being handled.
    drop(in_flight.write().await);
    if let Err(error) = outbox.await {
        tracing::error!(%error, "the Discord outbox delivery stopped abnormally");
    }
    tracing::info!("the Discord channel has stopped");
    outcome
}

/// Serenity's HTTP client, pointed at `api_url` when one is set.
fn http(settings: &DiscordSettings) -> Result<Http, DiscordError> {
    let builder = HttpBuilder::new(settings.token.expose_secret());
    let builder = match &settings.api_url {
        None => builder,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            // The ratelimiter would send every call to discord.com regardless of the proxy.
            builder
                .proxy(url.trim_end_matches('/'))
                .ratelimiter_disabled(true)
        }
        Some(url) => return Err(DiscordError::ApiUrl(url.clone())),
    };
    Ok(builder.build())
}

/// Messages in guilds and in direct messages; slash commands and buttons need no intent.
/// Message Content is privileged (it must be switched on in the developer portal), and
/// without it Discord still sends the text of direct messages and of messages that mention
/// the bot, which is all the bot answers.
fn intents(message_content: bool) -> GatewayIntents {
    let intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if message_content {
        intents | GatewayIntents::MESSAGE_CONTENT
    } else {
        intents
    }
}
