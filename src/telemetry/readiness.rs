//! Whether the bot can do its work, for `/readyz`: its database answers, a knowledge base is
//! in use, and each configured chat platform is connected. Channels say when they connect.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::database::Database;
use crate::domain::Channel;
use crate::live::LiveKnowledge;
use crate::service::{Clock, SystemClock};
use crate::telemetry;

/// How long `/readyz` waits for the database before saying it does not answer.
const DATABASE_PATIENCE: Duration = Duration::from_secs(2);

/// The configured channels, and whether each is connected now.
#[derive(Debug, Default)]
pub struct ChannelStatus(Mutex<BTreeMap<Channel, bool>>);

impl ChannelStatus {
    /// `channel` is configured, not connected yet.
    pub fn expect(&self, channel: Channel) {
        self.set(channel, false);
    }

    /// `channel` is connected to its platform.
    pub fn connected(&self, channel: Channel) {
        self.set(channel, true);
    }

    fn set(&self, channel: Channel, connected: bool) {
        let mut all = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        all.insert(channel, connected);
    }

    /// The configured channels not connected now.
    pub fn missing(&self) -> Vec<Channel> {
        let all = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        all.iter()
            .filter(|(_, connected)| !**connected)
            .map(|(channel, _)| *channel)
            .collect()
    }
}

/// What `/readyz` and `/metrics` look at.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub db: Database,
    pub knowledge: Arc<LiveKnowledge>,
    pub connections: Arc<ChannelStatus>,
}

impl Readiness {
    /// `Ok` with what is ready, or every reason it is not, one a line.
    pub async fn check(&self) -> Result<String, String> {
        let mut reasons = Vec::new();
        match tokio::time::timeout(DATABASE_PATIENCE, ping(&self.db)).await {
            Err(_) => reasons.push("the database does not answer".to_owned()),
            Ok(Err(error)) => reasons.push(format!("the database cannot be reached: {error}")),
            Ok(Ok(())) => {}
        }
        for channel in self.connections.missing() {
            reasons.push(format!("{channel} is not connected"));
        }
        if !reasons.is_empty() {
            return Err(reasons.join("\n"));
        }
        Ok(format!(
            "ready: database reachable, knowledge base version {}",
            self.knowledge.version()
        ))
    }

    /// Sets the gauges read from the database: the outbox's depth and oldest message. Left as
    /// they were when the database cannot be read.
    pub async fn sample(&self) {
        telemetry::knowledge_version(self.knowledge.version());
        let read = async {
            let mut conn = self.db.acquire().await?;
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT count(*), min(created_at) FROM outbox \
                 WHERE delivered_at IS NULL AND abandoned_at IS NULL",
            )
            .fetch_one(&mut *conn)
            .await
        };
        match tokio::time::timeout(DATABASE_PATIENCE, read).await {
            Ok(Ok((depth, oldest))) => {
                let now = SystemClock.now().as_millis();
                let age = oldest
                    .map(|at| Duration::from_millis(u64::try_from(now - at).unwrap_or_default()));
                telemetry::outbox(depth, age);
            }
            Ok(Err(error)) => tracing::debug!(%error, "outbox not sampled"),
            Err(_) => tracing::debug!("outbox not sampled: the database does not answer"),
        }
    }
}

async fn ping(db: &Database) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    sqlx::query("SELECT 1").execute(&mut *conn).await?;
    Ok(())
}
