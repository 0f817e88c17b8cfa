//! Decisions on nominations, from the outbox to their requesters by direct message. A round
//! runs at start (what was decided while the bot was down), every couple of seconds (what
//! another process decided), and as soon as a turn here may have queued something.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::UserId;
use serenity::http::Http;
use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::channels::discord::render;
use crate::conversation::{Engine, Reply};
use crate::domain::{Channel, ChatIdentity};

/// How often the outbox is looked at when nothing prompts it.
const EVERY: Duration = Duration::from_secs(2);

/// Why a direct message was not sent; the outbox keeps it for the next round.
#[derive(Debug, thiserror::Error)]
pub(super) enum DirectError {
    #[error("{0:?} is not a Discord user id")]
    NotAUser(String),
    #[error("Discord refused the direct message: {0}")]
    Discord(#[source] Box<serenity::Error>),
}

/// Delivers the outbox until `stop`, a round at start, every [`EVERY`], whenever `kick`
/// is notified and whenever the service queues something in this process.
pub(super) async fn deliver(
    engine: Arc<Engine>,
    http: Arc<Http>,
    kick: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut written = std::pin::pin!(engine.outbox_written().notified());
    written.as_mut().enable();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
            () = kick.notified() => {}
            () = written.as_mut() => {}
        }
        // Waiting again from before the round, so that a write during it wakes the next one.
        written.set(engine.outbox_written().notified());
        written.as_mut().enable();
        let send = |recipient: ChatIdentity, reply: Reply| {
            let http = http.clone();
            async move { direct(&http, recipient.id(), &reply).await }
        };
        match engine.deliver_once(Channel::Discord, send).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "outbox messages delivered on Discord"),
            Err(error) => tracing::warn!(%error, "the outbox could not be read"),
        }
    }
}

/// Sends `reply` to the user of Discord id `user` in their direct messages.
pub(super) async fn direct(http: &Http, user: &str, reply: &Reply) -> Result<(), DirectError> {
    let user = user
        .parse::<u64>()
        .ok()
        .filter(|&id| id != 0)
        .map(UserId::new)
        .ok_or_else(|| DirectError::NotAUser(user.to_owned()))?;
    let refused = |error| DirectError::Discord(Box::new(error));
    let channel = user.create_dm_channel(http).await.map_err(refused)?;
    for part in render::parts(reply) {
        channel
            .id
            .send_message(http, part.message())
            .await
            .map_err(refused)?;
    }
    Ok(())
}
