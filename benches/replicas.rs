//! Throughput of 1 and of 3 replicas on one PostgreSQL database: Telegram updates per second
//! answered through the webhook, the replicas behind one address as a load balancer would
//! spread the posts.
//!
//! Run: `cargo bench --bench replicas`. PostgreSQL is the server named by
//! `PAO_TEST_POSTGRES_URL`, else a throwaway cluster started here (as `benches/service.rs`
//! does); each measurement gets a fresh database.
//!
//! Each replica is what `pao-bot serve` runs on PostgreSQL in webhook mode: its own engine
//! and connection pool, its own webhook listener on loopback, the `telegram_webhook` lease
//! (one of them calls `setWebhook`), the handled `update_id`s recorded in the database, and
//! its own outbox delivery. They run in this process rather than as three `serve`
//! processes only so that Telegram's limits on outgoing messages (teloxide's `Throttle`, 30
//! a second overall) can be off, as in `benches/telegram.rs`: the Bot API server is the
//! tests' loopback one (`tests/it/telegram/fake.rs`). Replicas, server, load and PostgreSQL
//! share the machine's cores, whose number is printed.
//!
//! One iteration is one round: one question from each of 300 private chats, posted at once,
//! each post answered by its replica once the update has been handled and its reply sent; a
//! chat's posts go to the replicas in turn. Criterion's throughput is updates per second.

#[path = "../tests/it/telegram/fake.rs"]
mod fake;
#[path = "support/postgres.rs"]
mod postgres;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pao_bot::answer::Answerer;
use pao_bot::channels::telegram::{self, Options, TelegramError};
use pao_bot::config::{TelegramSettings, Webhook};
use pao_bot::conversation::Engine;
use pao_bot::database::Database;
use secrecy::SecretString;
use serde_json::json;
use tokio::runtime::Runtime;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use fake::{FakeTelegram, Person, post_update};

const CHATS: i64 = 300;

/// The replicas running against the loopback Bot API, and the round being asked.
struct Replicas {
    fake: FakeTelegram,
    addresses: Arc<Vec<SocketAddr>>,
    secret: Arc<String>,
    people: Arc<Vec<Person>>,
    questions: Arc<Vec<String>>,
    rounds: i64,
    shutdown: CancellationToken,
    running: Vec<JoinHandle<Result<(), TelegramError>>>,
}

impl Replicas {
    /// `count` replicas on a fresh database of the PostgreSQL server.
    async fn start(count: usize) -> Replicas {
        let url = postgres::database("pao_replicas").await;
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let bot = Arc::new(Answerer::load(&faq).expect("the shipped FAQ loads"));
        let questions = bot
            .knowledge()
            .entries()
            .iter()
            .flat_map(|entry| [entry.question.ja.clone(), entry.question.en.clone()])
            .collect();
        let fake = FakeTelegram::start().await;
        let shutdown = CancellationToken::new();
        let mut addresses = Vec::new();
        let mut running = Vec::new();
        for _ in 0..count {
            let db = Database::connect(&url).await.expect("the database opens");
            let engine = Arc::new(Engine::on_database(bot.clone(), db));
            let listen = free_address();
            let settings = TelegramSettings {
                token: SecretString::from(fake::TOKEN),
                api_url: Some(fake.url()),
                webhook: Some(Webhook {
                    listen,
                    url: "https://bot.example.com/telegram".to_owned(),
                }),
            };
            let options = Options {
                throttle: false,
                ..Options::default()
            };
            running.push(tokio::spawn(telegram::run_with(
                engine,
                settings,
                options,
                shutdown.clone(),
            )));
            addresses.push(listen);
        }
        // The call arrives before the server has kept its secret: look until it has.
        fake.wait_for_arrivals("setWebhook", 1).await;
        let secret = loop {
            if let Some((_, secret)) = fake.webhook() {
                break secret;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        fake.stop_recording();
        Replicas {
            fake,
            addresses: Arc::new(addresses),
            secret: Arc::new(secret.expect("a secret token")),
            people: Arc::new(people()),
            questions: Arc::new(questions),
            rounds: 0,
            shutdown,
            running,
        }
    }

    /// One question from every chat, posted at once; the time until every post is answered.
    async fn round(&mut self) -> Duration {
        let round = self.rounds;
        self.rounds += 1;
        let started = Instant::now();
        let mut posts = JoinSet::new();
        for (n, person) in self.people.iter().enumerate() {
            let chat = i64::try_from(n).expect("few chats");
            let pick =
                usize::try_from(round * 7 + chat * 13).expect("positive") % self.questions.len();
            let message =
                self.fake
                    .message(&person.private_chat(), person, &self.questions[pick], None);
            let update = json!({"update_id": 1 + round * CHATS + chat, "message": message});
            let replica = usize::try_from(round + chat).expect("positive") % self.addresses.len();
            let (addresses, secret) = (self.addresses.clone(), self.secret.clone());
            posts.spawn(async move { post_update(addresses[replica], &secret, &update).await });
        }
        for status in posts.join_all().await {
            assert_eq!(status, Some(200), "every replica takes its posts");
        }
        started.elapsed()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for replica in self.running {
            replica
                .await
                .expect("the replica does not panic")
                .expect("the replica stops cleanly");
        }
        let updates = u64::try_from(self.rounds * CHATS).expect("positive");
        assert_eq!(
            self.fake.count("sendMessage"),
            updates,
            "one reply per update"
        );
    }
}

/// A free port on 127.0.0.1 for a replica's webhook.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

fn people() -> Vec<Person> {
    (1..=CHATS)
        .map(|id| {
            let language = if id % 2 == 0 { "ja" } else { "en" };
            Person::new(id, &format!("Customer {id}"), Some(language))
        })
        .collect()
}

fn replicas(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a runtime");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "replicas: {cores} cores shared by the replicas, the Bot API server, the load and PostgreSQL"
    );
    let mut group = c.benchmark_group("replicas");
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(CHATS.unsigned_abs()));
    for count in [1, 3] {
        let mut replicas = runtime.block_on(Replicas::start(count));
        // Warm up: every chat has its conversation row.
        runtime.block_on(replicas.round());
        group.bench_function(format!("{count}_on_postgres"), |b| {
            b.iter_custom(|rounds| {
                let mut total = Duration::ZERO;
                for _ in 0..rounds {
                    total += runtime.block_on(replicas.round());
                }
                total
            });
        });
        runtime.block_on(replicas.stop());
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20));
    targets = replicas
}
criterion_main!(benches);
