//! The health and metrics HTTP server on `127.0.0.1:0`: `/readyz` says 503 with the reason
//! while the database is out of reach or a configured channel is not connected, and 200 again
//! once they are back; `/metrics` counts a message handled, in Prometheus' text format.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, Engine, Incoming};
use pao_bot::database::Database;
use pao_bot::domain::{Channel, ChatIdentity};
use pao_bot::lang::Lang;
use pao_bot::live::LiveKnowledge;
use pao_bot::telemetry::http;
use pao_bot::telemetry::readiness::{ChannelStatus, Readiness};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::databases::{TestDb, on_both_databases};
use crate::support::faq_dir;
use crate::support::relay::Relay;

on_both_databases!(
    readyz_names_a_channel_not_connected,
    metrics_count_a_message_and_its_answer,
);

mod readyz_follows_the_database_server_going_away_and_back {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::databases::run(
            crate::databases::Backend::Postgres,
            super::readyz_follows_the_database_server_going_away_and_back,
        )
        .await;
    }
}

/// How long a test may wait for what it waits for before it is taken for a hang.
const HANG: Duration = Duration::from_secs(20);

/// The server running on a port of its own until dropped.
struct Running {
    address: SocketAddr,
    shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start(readiness: Readiness) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("the bound address");
    let shutdown = CancellationToken::new();
    tokio::spawn(http::serve(
        listener,
        readiness,
        shutdown.clone().cancelled_owned(),
    ));
    Running { address, shutdown }
}

fn readiness(db: Database, connections: Arc<ChannelStatus>) -> Readiness {
    let bot = Answerer::load(&faq_dir()).expect("the shipped faq/ loads");
    Readiness {
        db,
        knowledge: Arc::new(LiveKnowledge::new(Arc::new(bot))),
        connections,
    }
}

/// `GET path`: the status code and the body.
async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("the server accepts");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut response = String::new();
    tokio::time::timeout(HANG, stream.read_to_string(&mut response))
        .await
        .expect("answered before the deadline")
        .expect("response read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn readyz_names_a_channel_not_connected(db: TestDb) {
    let connections = Arc::new(ChannelStatus::default());
    let running = start(readiness(
        db.service.database().clone(),
        connections.clone(),
    ))
    .await;
    assert_eq!(get(running.address, "/healthz").await.0, 200);
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("knowledge base version 1"), "{body}");

    connections.expect(Channel::Telegram);
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body.trim(), "telegram is not connected");
    connections.connected(Channel::Telegram);
    assert_eq!(get(running.address, "/readyz").await.0, 200);
}

/// The value of the sample `name` (with its labels) in a `/metrics` text; 0 when absent.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

async fn metrics_count_a_message_and_its_answer(db: TestDb) {
    let database = db.service.database().clone();
    let running = start(readiness(database.clone(), Arc::default())).await;
    let bot = Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads"));
    let engine = Engine::new(bot, db.service.clone(), database, db.clock.clone());
    let messages_in = r#"pao_messages_in_total{channel="discord"}"#;
    let answers = r#"pao_answers_total{entry="forgot-password"}"#;
    let (_, before) = get(running.address, "/metrics").await;

    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let sender = ChatIdentity::parse("discord:1500000000000000001").expect("an identity");
    engine
        .handle(Incoming {
            channel: sender.channel(),
            chat: sender.id().to_owned(),
            private: true,
            sender,
            lang_hint: Some(Lang::En),
            content: Content::Text("I forgot my password".to_owned()),
            message_id: Some(format!("h{}", NEXT.fetch_add(1, Ordering::SeqCst))),
            replied_to: None,
        })
        .await;

    let (status, after) = get(running.address, "/metrics").await;
    assert_eq!(status, 200);
    // Other tests of this binary may count messages too, never fewer.
    assert!(
        sample(&after, messages_in) >= sample(&before, messages_in) + 1.0,
        "{after}"
    );
    assert!(
        sample(&after, answers) >= sample(&before, answers) + 1.0,
        "{after}"
    );
    assert!(
        after.contains("# TYPE pao_turn_seconds histogram"),
        "{after}"
    );
    assert!(after.contains("pao_match_seconds_bucket"), "{after}");
    assert!(
        after.contains("pao_database_round_seconds_bucket{round=\"read_state\""),
        "{after}"
    );
    assert!(after.contains("pao_outbox_depth 0"), "{after}");
    assert!(after.contains("pao_knowledge_version 1"), "{after}");
}

async fn readyz_follows_the_database_server_going_away_and_back(db: TestDb) {
    let (relay, url) = Relay::in_front_of(&db.url);
    let database = Database::connect(&url)
        .await
        .expect("the database opens through the relay");
    let running = start(readiness(database.clone(), Arc::default())).await;
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 200, "{body}");

    relay.stop();
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("the database"), "{body}");
    // Still alive, only not ready.
    assert_eq!(get(running.address, "/healthz").await.0, 200);

    relay.start();
    tokio::time::timeout(HANG, database.reachable())
        .await
        .expect("a retry in the background reaches the server");
    let (status, body) = get(running.address, "/readyz").await;
    assert_eq!(status, 200, "{body}");
}
