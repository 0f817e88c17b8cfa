//! Connecting the gateway's shards: the ones the settings name (one serenity client per run
//! of consecutive ids), shard 0 of 1 without the setting, or, with a total but no ids on
//! PostgreSQL, each shard by whichever replica holds its lease (`discord_shard_ID_of_TOTAL`),
//! so that every shard is connected by exactly one replica and another takes over within
//! seconds of its holder dying. The first replica up takes every free shard; the others
//! stand by.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serenity::client::{Client, ClientBuilder};
use tokio_util::sync::CancellationToken;

use crate::channels::discord::handler::{Handler, Unreadable};
use crate::channels::discord::{DiscordError, http, intents};
use crate::config::DiscordSettings;
use crate::conversation::Engine;
use crate::database::Backend;
use crate::replicas::leases::{self, Lease};
use crate::service::SystemClock;

/// How often a stopping client is asked again to shut its shards down: a shard still being
/// started when the first request came is not stopped by it.
const SHUTDOWN_RETRY: Duration = Duration::from_millis(500);

/// Shards `first` to `last` (included) of `total`.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: u32,
    last: u32,
    total: u32,
}

type Connection<'a> = Pin<Box<dyn Future<Output = Result<(), DiscordError>> + Send + 'a>>;

/// Connects this process's shards until `stop`, or until one fails, which stops the others.
pub(super) async fn connect_all(
    engine: &Engine,
    settings: &DiscordSettings,
    handler: Arc<Handler>,
    stop: CancellationToken,
) -> Result<(), DiscordError> {
    let db = engine.store().database();
    let connections: Vec<Connection<'_>> = match &settings.shards {
        Some(shards) if shards.claimed() && db.backend() == Backend::Postgres => {
            tracing::info!(
                total = shards.total(),
                "claiming Discord shards through leases"
            );
            (0..shards.total())
                .map(|id| {
                    let name = format!("discord_shard_{id}_of_{}", shards.total());
                    let lease = Lease::new(db.clone(), name, Arc::new(SystemClock));
                    let run = Run {
                        first: id,
                        last: id,
                        total: shards.total(),
                    };
                    let claimed = claim(lease, run, settings, handler.clone(), stop.clone());
                    Box::pin(claimed) as Connection<'_>
                })
                .collect()
        }
        Some(shards) => {
            tracing::info!(%shards, "connecting these Discord shards");
            shards
                .runs()
                .into_iter()
                .map(|(first, last)| {
                    let run = Some(Run {
                        first,
                        last,
                        total: shards.total(),
                    });
                    Box::pin(connect(settings, handler.clone(), run, stop.clone()))
                        as Connection<'_>
                })
                .collect()
        }
        None => vec![Box::pin(connect(settings, handler, None, stop.clone()))],
    };
    join_all(connections).await.into_iter().collect()
}

/// Connects `run` whenever this replica holds `lease`, until `stop` or a failure, which
/// stops the channel.
async fn claim(
    lease: Lease,
    run: Run,
    settings: &DiscordSettings,
    handler: Arc<Handler>,
    stop: CancellationToken,
) -> Result<(), DiscordError> {
    let outcome = leases::run_while_held(&lease, stop.clone(), |holding| {
        connect(settings, handler.clone(), Some(run), holding)
    })
    .await;
    stop.cancel();
    outcome
}

/// Connects a new client's shards (`run`, or shard 0 of 1 when `None`) until they fail or
/// `stop` is cancelled; cancels `stop` when they stop either way, which stops the channel's
/// other clients.
async fn connect(
    settings: &DiscordSettings,
    handler: Arc<Handler>,
    run: Option<Run>,
    stop: CancellationToken,
) -> Result<(), DiscordError> {
    let mut client = client(settings, handler).await?;
    let shards = client.shard_manager.clone();
    let start = async move {
        match run {
            // The range's end is included (`start_connection` takes the last id).
            Some(run) => {
                client
                    .start_shard_range(run.first..run.last, run.total)
                    .await
            }
            None => client.start().await,
        }
    };
    tokio::pin!(start);
    let outcome = tokio::select! {
        outcome = &mut start => outcome,
        () = stop.cancelled() => loop {
            shards.shutdown_all().await;
            if let Ok(outcome) = tokio::time::timeout(SHUTDOWN_RETRY, &mut start).await {
                break outcome;
            }
        },
    };
    stop.cancel();
    outcome.map_err(|error| DiscordError::Gateway(Box::new(error)))
}

/// A gateway client that hands its events to `handler`.
async fn client(settings: &DiscordSettings, handler: Arc<Handler>) -> Result<Client, DiscordError> {
    ClientBuilder::new_with_http(http(settings)?, intents(settings.message_content))
        .event_handler_arc(handler)
        .raw_event_handler(Unreadable)
        .await
        .map_err(|error| DiscordError::Gateway(Box::new(error)))
}
