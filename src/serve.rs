//! `pao-bot serve`: the configured chat platforms and the web chat side by side in one
//! process, sharing one [`Engine`] (and so one account service and one database), until a
//! shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::channels::{discord, telegram, web};
use crate::config::Settings;
use crate::conversation::Engine;
use crate::domain::Channel;
use crate::replicas::wakeups;

/// Why serving stopped other than by a shutdown signal.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "no chat platform is configured: set TELOXIDE_TOKEN or DISCORD_TOKEN, or give them in \
         the settings file; or serve the web chat alone with --web ADDRESS or PAO_WEB_LISTEN"
    )]
    NoChannel,
    #[error("cannot listen for the web chat on {address} (--web, PAO_WEB_LISTEN or web.listen)")]
    WebListen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the web chat stopped")]
    Web(#[source] std::io::Error),
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
    if let Some(settings) = settings.web {
        engine.connections().expect(Channel::Web);
        let address = settings.listen;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ServeError::WebListen { address, source })?;
        tracing::info!(address = %listener.local_addr().unwrap_or(address), "web chat listening");
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        channels.spawn(async move {
            web::serve(engine, &settings, listener, shutdown)
                .await
                .map_err(ServeError::Web)
        });
    }
    if channels.is_empty() {
        return Err(ServeError::NoChannel);
    }
    let upkeep = tokio::spawn(help_desk_upkeep(engine.clone(), shutdown.clone()));
    // Other replicas' outbox writes wake this one's delivery too (PostgreSQL).
    let woken = engine.clone();
    tokio::spawn(wakeups::relay(
        engine.store().database().clone(),
        move || woken.outbox_written().notify_waiters(),
        shutdown.clone(),
    ));
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
    shutdown.cancel();
    if let Err(error) = upkeep.await {
        tracing::error!(%error, "the help desk's upkeep panicked");
    }
    outcome
}

/// How often the waiting limit and the transcripts' retention are looked at.
const UPKEEP_EVERY: Duration = Duration::from_secs(30);

/// Until `stop`: the waiting limit's reminders, and the deletion of transcripts older than
/// the retention. Each round is one step of [`Engine`]'s, which tests call directly.
async fn help_desk_upkeep(engine: Arc<Engine>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(UPKEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match engine.remind_waiting_once().await {
            Ok(0) => {}
            Ok(reminded) => tracing::info!(reminded, "tickets past the waiting limit told"),
            Err(error) => tracing::warn!(%error, "the waiting limit could not be checked"),
        }
        match engine.purge_transcripts_once().await {
            Ok(0) => {}
            Ok(lines) => tracing::info!(lines, "transcripts past their retention deleted"),
            Err(error) => tracing::warn!(%error, "old transcripts could not be deleted"),
        }
    }
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
