//! The webhook served by several replicas behind one address: every replica accepts the
//! same secret, derived from the bot's token (so that the replicas agree on it without
//! being told, and it tells nothing to whoever lacks the token), and one replica, the
//! holder of the `telegram_webhook` lease, calls `setWebhook`. No replica deletes the
//! webhook when it stops: the others still serve it.
//!
//! Unlike teloxide's listener, which answers Telegram before the update is handled, a post
//! is answered once its update has been handled (its turn committed and its replies sent):
//! an update whose replica dies before that is posted again by Telegram, to another replica,
//! and one handled already acts no more (the handled ids in the database); the replies of a
//! turn that committed are in the outbox, claimed by the dead replica, and another sends
//! them once the claim has run out (see [`crate::conversation::ReplyRoute`]). A chat's updates
//! stay in order when the sender waits for each answer before posting the chat's next one;
//! different chats are handled side by side, each post in its own task.

use std::fmt::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use sha2::{Digest, Sha256};
use teloxide::Bot;
use teloxide::prelude::Requester;
use teloxide::requests::{HasPayload, Request};
use teloxide::types::{Me, Update};
use tokio_util::sync::CancellationToken;

use crate::channels::telegram::outgoing::Outgoing;
use crate::channels::telegram::{Context, TelegramError, handle_update, webhook_options};
use crate::config::Webhook;
use crate::database::Database;
use crate::replicas::leases::{self, Lease};
use crate::service::SystemClock;

/// The lease of calling `setWebhook`.
const WEBHOOK_LEASE: &str = "telegram_webhook";

/// What each post's handler needs.
struct Hook {
    context: Arc<Context>,
    me: Me,
    secret: String,
}

/// Serves the webhook on `socket` until `shutdown`, then finishes the posts in progress;
/// meanwhile, while this replica holds the lease, keeps the webhook set.
pub(super) async fn serve(
    bot: Bot,
    context: Arc<Context>,
    me: Me,
    webhook: &Webhook,
    socket: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let url = webhook_options(webhook)?.url;
    let secret = shared_secret(bot.token());
    let db = context.engine.store().database().clone();
    let hook = Arc::new(Hook {
        context: context.clone(),
        me,
        secret,
    });
    let router = axum::Router::new()
        .route(url.path(), post(receive))
        .with_state(hook);
    tracing::info!(address = %webhook.listen, "listening for the webhook, as one replica");
    let served = async {
        axum::serve(socket, router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await
    };
    let setting = set_while_holding(db, bot, &context.out, webhook, shutdown.clone());
    let (set, served) = tokio::join!(setting, served);
    if let Err(error) = served {
        tracing::error!(%error, "the webhook server failed");
    }
    set
}

/// One post of Telegram's: answered once its update is handled. A post without the secret is
/// refused; one that is no update is answered (and logged, without its content), since
/// Telegram would post it again and again.
async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|value| value.as_bytes());
    if secret != Some(hook.secret.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    // Its error is not logged: it may quote the text, which may hold a passcode.
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        tracing::warn!("a webhook post that is no update skipped");
        return StatusCode::OK;
    };
    handle_update(hook.context.clone(), update, hook.me.clone()).await;
    StatusCode::OK
}

/// The secret every replica of the bot with `token` accepts: 64 hexadecimal digits, within
/// Telegram's `secret_token` alphabet.
pub(super) fn shared_secret(token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"pao-bot webhook secret\0")
        .chain_update(token.as_bytes())
        .finalize();
    digest.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Until `stop`: while this replica holds the webhook's lease, the webhook is set to `url`
/// with the shared secret (once per holding: a new holder sets it again, so that the newest
/// replica's settings win).
async fn set_while_holding(
    db: Database,
    bot: Bot,
    out: &Outgoing,
    webhook: &Webhook,
    stop: CancellationToken,
) -> Result<(), TelegramError> {
    let url = webhook_options(webhook)?.url;
    let lease = Lease::new(db, WEBHOOK_LEASE, std::sync::Arc::new(SystemClock));
    let secret = shared_secret(bot.token());
    leases::run_while_held(&lease, stop, |holding| {
        let (bot, url, secret) = (bot.clone(), url.clone(), secret.clone());
        async move {
            out.retrying("setWebhook", || {
                let mut request = bot.set_webhook(url.clone());
                request.payload_mut().secret_token = Some(secret.clone());
                request.send()
            })
            .await
            .map_err(TelegramError::SetWebhook)?;
            tracing::info!("webhook set by this replica");
            holding.cancelled().await;
            Ok(())
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_the_same_for_one_token_and_differs_between_tokens() {
        let secret = shared_secret("123:abc");
        assert_eq!(secret, shared_secret("123:abc"));
        assert_ne!(secret, shared_secret("123:abd"));
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!secret.contains("abc"));
    }
}
