//! Long polling that confirms an update only once it is handled. Telegram forgets the updates
//! below a `getUpdates` call's `offset` and never hands them out again; teloxide's polling
//! asks for the next batch (confirming the last) while the handlers are still at work, so a
//! poller killed then loses the updates it had not handled. Here the next batch is asked for
//! only once every update of the last one is handled (its turn committed, its replies sent
//! or queued): a poller killed mid-batch leaves the whole batch to the next poller, which
//! gets it again, and the updates already handled act no more (their ids are recorded as
//! handled in their turn's transaction).
//!
//! Within a batch one chat's updates are handled in order and different chats' side by side.
//! The price is that a batch takes as long as its slowest chat before the next is asked for.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use teloxide::Bot;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::requests::{Request, Requester};
use teloxide::types::{AllowedUpdate, ChatId, Me, Update};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::channels::telegram::outgoing::CallError;
use crate::channels::telegram::{Context, handle_update};

/// The kinds of update the bot handles; Telegram keeps the others.
const ALLOWED: [AllowedUpdate; 2] = [AllowedUpdate::Message, AllowedUpdate::CallbackQuery];
/// The pause after `getUpdates` failed beyond the retries every call gets.
const AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Long polling until `stop`, with each call waiting up to `wait` for updates; the batch in
/// hand is handled whole before it returns, and then confirmed.
pub(super) async fn poll(
    bot: Bot,
    context: Arc<Context>,
    me: Me,
    wait: Duration,
    stop: CancellationToken,
) {
    // Telegram refuses `getUpdates` while a webhook is set.
    if let Err(error) = context
        .out
        .retrying("deleteWebhook", || bot.delete_webhook().send())
        .await
    {
        tracing::warn!(%error, "the webhook could not be deleted; getting updates may fail");
    }
    let wait = u32::try_from(wait.as_secs()).unwrap_or(u32::MAX);
    let mut offset = None;
    loop {
        let fetched = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            fetched = fetch(&bot, &context, offset, wait) => fetched,
        };
        let updates = match fetched {
            Ok(updates) => updates,
            Err(error) => {
                tracing::warn!(%error, "getting updates failed; trying again");
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(AFTER_FAILURE) => continue,
                }
            }
        };
        let Some(highest) = updates.iter().map(|update| update.id).max() else {
            continue;
        };
        handle_batch(&context, &me, updates).await;
        // Never back: an update handed out again may be older than those confirmed.
        offset = offset.max(Some(highest.as_offset()));
    }
    if let Some(offset) = offset {
        confirm(&bot, offset).await;
    }
}

/// The updates from `offset` on (all the unconfirmed ones without it), after waiting up to
/// `wait` seconds for one.
async fn fetch(
    bot: &Bot,
    context: &Context,
    offset: Option<i32>,
    wait: u32,
) -> Result<Vec<Update>, CallError> {
    context
        .out
        .retrying("getUpdates", || {
            let mut request = bot.get_updates().timeout(wait).allowed_updates(ALLOWED);
            if let Some(offset) = offset {
                request = request.offset(offset);
            }
            request.send()
        })
        .await
}

/// Handles `updates`, one chat's in order and different chats' side by side, and returns
/// once all are handled.
async fn handle_batch(context: &Arc<Context>, me: &Me, updates: Vec<Update>) {
    let mut chats: Vec<Vec<Update>> = Vec::new();
    let mut by_chat: HashMap<ChatId, usize> = HashMap::new();
    for update in updates {
        let chat = update.chat().map(|chat| chat.id);
        if let Some(&index) = chat.and_then(|chat| by_chat.get(&chat)) {
            chats[index].push(update);
            continue;
        }
        if let Some(chat) = chat {
            by_chat.insert(chat, chats.len());
        }
        chats.push(vec![update]);
    }
    let mut handling = JoinSet::new();
    for updates in chats {
        let (context, me) = (context.clone(), me.clone());
        handling.spawn(async move {
            for update in updates {
                handle_update(context.clone(), update, me.clone()).await;
            }
        });
    }
    while let Some(done) = handling.join_next().await {
        if let Err(error) = done {
            tracing::error!(%error, "the handling of a chat's updates stopped abnormally");
        }
    }
}

/// Confirms the updates below `offset`, as teloxide's polling does when it stops: asks for
/// one update at most, without waiting, and leaves it to the next poller. Unconfirmed, they
/// are handed out again to the next poller, which skips those recorded as handled.
async fn confirm(bot: &Bot, offset: i32) {
    let confirmed = bot
        .get_updates()
        .offset(offset)
        .limit(1)
        .timeout(0)
        .send()
        .await;
    if let Err(error) = confirmed {
        tracing::info!(error = %CallError::from(error), "the handled updates could not be confirmed");
    }
}
