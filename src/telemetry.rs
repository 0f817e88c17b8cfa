//! The bot's metrics, in Prometheus' text format: each one's name in this one place, recorded
//! through the `metrics` crate into the recorder [`recorder`] installs once per process, and
//! served with the health checks by [`http`]. What `/readyz` looks at is [`readiness`].
//!
//! Labels never hold what a person typed: a channel, an FAQ entry's id, an outcome.

pub mod http;
pub mod readiness;

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::domain::Channel;

/// The histograms' buckets, in seconds: from a matcher's tens of microseconds to a turn held
/// up by a database that does not answer (the pool gives up after 2 s).
const SECONDS_BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    2.5,
];

/// The process's recorder, installed the first time it is asked for; what it renders is
/// `/metrics`.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&SECONDS_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed; /metrics stays empty");
        }
        handle
    })
}

/// A message came in on `channel`.
pub fn message_in(channel: Channel) {
    counter!("pao_messages_in_total", "channel" => channel.as_str()).increment(1);
}

/// `count` replies went out on `channel` for one message, which took `took` to handle.
pub fn turn(channel: Channel, count: usize, took: Duration) {
    counter!("pao_replies_out_total", "channel" => channel.as_str()).increment(count as u64);
    histogram!("pao_turn_seconds").record(took);
}

/// The matcher took `took` to rank and decide on a question.
pub fn matched(took: Duration) {
    histogram!("pao_match_seconds").record(took);
}

/// One round to the database (`round`: what it was for) took `took`.
pub fn database_round(round: &'static str, took: Duration) {
    histogram!("pao_database_round_seconds", "round" => round).record(took);
}

/// The FAQ entry `entry` answered a question.
pub fn answered(entry: &str) {
    counter!("pao_answers_total", "entry" => entry.to_owned()).increment(1);
}

/// No entry fitted a question.
pub fn no_answer() {
    counter!("pao_no_answers_total").increment(1);
}

/// Entries close to each other were offered ("did you mean").
pub fn did_you_mean() {
    counter!("pao_did_you_mean_total").increment(1);
}

/// An answer was marked as helpful or not.
pub fn feedback(helped: bool) {
    let helped = if helped { "yes" } else { "no" };
    counter!("pao_feedback_total", "helped" => helped).increment(1);
}

/// An outbox message to `channel` could not be delivered (it is tried again, or given up).
pub fn delivery_failed(channel: Channel) {
    counter!("pao_outbox_delivery_failures_total", "channel" => channel.as_str()).increment(1);
}

/// The outbox's undelivered messages, and the age of the oldest, in seconds.
pub fn outbox(depth: i64, oldest: Option<Duration>) {
    gauge!("pao_outbox_depth").set(depth as f64);
    gauge!("pao_outbox_oldest_undelivered_seconds")
        .set(oldest.map_or(0.0, |age| age.as_secs_f64()));
}

/// Passcode checks were locked: for one person (`person`) or for a whole site (`site`).
pub fn lockout(scope: &'static str) {
    counter!("pao_lockouts_total", "scope" => scope).increment(1);
}

/// A knowledge base folder was put in use (`version`), or refused.
pub fn reload(version: Option<u64>) {
    let outcome = if version.is_some() { "ok" } else { "refused" };
    counter!("pao_knowledge_reloads_total", "outcome" => outcome).increment(1);
    if let Some(version) = version {
        knowledge_version(version);
    }
}

/// Whether this replica holds the lease `name` (does the job only one replica may do).
pub fn lease_held(name: &str, held: bool) {
    gauge!("pao_lease_held", "lease" => name.to_owned()).set(if held { 1.0 } else { 0.0 });
}

/// The version of the knowledge base in use.
pub fn knowledge_version(version: u64) {
    gauge!("pao_knowledge_version").set(version as f64);
}
