//! `pao-bot serve`: the configured chat platforms side by side in one process, sharing one
//! [`Engine`] (and so one account service and one database), until a shutdown signal.

use std::sync::Arc;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::channels::{discord, telegram};
use crate::config::Settings;
use crate::conversation::Engine;
use crate::domain::Channel;

/// Why serving stopped other than by a shutdown signal.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "no chat platform is configured: set TELOXIDE_TOKEN or DISCORD_TOKEN, or give them in \
         the settings file"
    )]
    NoChannel,
    #[error("the Telegram channel stopped")]
    Telegram(#[source] telegram::TelegramError),
    #[error("the Discord channel stopped")]
    Discord(#[source] discord::DiscordError),
}

/// Runs every configured channel until `shutdown` is cancelled, or until one fails, which
/// stops the others too.
pub async fn serve(
    engine: Arc<Engine>,
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let mut channels = JoinSet::new();
    if let Some(settings) = settings.telegram {
        engine.connections().expect(Channel::Telegram);
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        channels.spawn(async move {
            telegram::run(engine, settings, shutdown)
                .await
                .map_err(ServeError::Telegram)
        });
    }
    if let Some(settings) = settings.discord {
        engine.connections().expect(Channel::Discord);
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        channels.spawn(async move {
            discord::run(engine, settings, shutdown)
                .await
                .map_err(ServeError::Discord)
        });
    }
    if channels.is_empty() {
        return Err(ServeError::NoChannel);
    }
    let mut outcome = Ok(());
    while let Some(joined) = channels.join_next().await {
        let result = joined.unwrap_or_else(|panic| {
            tracing::error!(error = %panic, "a channel panicked");
            Ok(())
        });
        if let Err(error) = result {
            tracing::error!(error = %error, "a channel failed; stopping the others");
            shutdown.cancel();
            if outcome.is_ok() {
                outcome = Err(error);
            }
        }
    }
    outcome
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
pub async fn cancel_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be caught");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
        () = shutdown.cancelled() => return,
    }
    tracing::info!("shutting down: finishing the messages in flight");
    shutdown.cancel();
}
