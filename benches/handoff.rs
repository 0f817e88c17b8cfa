//! The help desk's relay: 100 handoffs in progress at once on SQLite, each customer sending a
//! message at the same moment, timed from `Engine::handle` being called to the agent's
//! delivery loop handing the relayed message to its platform.
//!
//! Run: `cargo bench --bench handoff`
//!
//! 100 Telegram customers (`telegram:1` to `telegram:100`) have each asked for a person with
//! `/human`; 10 registered agents hold 10 tickets each. One delivery loop runs as the Telegram
//! channel's does: a round at once when the service says it wrote to the outbox, otherwise
//! every 2 seconds. One criterion iteration is one burst: every customer's message handled
//! concurrently, and the burst ends when all 100 have been delivered. Criterion's throughput is
//! relayed messages per second; at the end the per-message latencies of every burst are
//! printed as their median and 99th percentile (the README's figure).

#[path = "support/fresh.rs"]
mod fresh;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, Engine, Incoming};
use pao_bot::database::Database;
use pao_bot::domain::{Channel, ChatIdentity};
use pao_bot::service::TicketId;
use tokio::sync::Notify;
use tokio::task::JoinSet;

const CUSTOMERS: u64 = 100;
const AGENTS: u64 = 10;

/// When each relayed message (by its text) was handed to the platform, and a wake-up for
/// whoever waits for a burst's last.
#[derive(Default)]
struct Delivered {
    at: Mutex<HashMap<String, Instant>>,
    more: Notify,
}

impl Delivered {
    fn record(&self, text: String) {
        self.at.lock().unwrap().insert(text, Instant::now());
        self.more.notify_one();
    }

    fn count(&self) -> usize {
        self.at.lock().unwrap().len()
    }

    fn clear(&self) {
        self.at.lock().unwrap().clear();
    }
}

fn identity(text: &str) -> ChatIdentity {
    ChatIdentity::parse(text).expect("a chat identity")
}

fn incoming(customer: u64, text: String) -> Incoming {
    let sender = identity(&format!("telegram:{customer}"));
    Incoming {
        channel: Channel::Telegram,
        chat: customer.to_string(),
        private: true,
        sender,
        lang_hint: None,
        content: Content::Text(text),
        message_id: None,
        replied_to: None,
    }
}

/// 100 customers handed over, each ticket taken by one of 10 agents, the outbox drained.
async fn handed_over(url: &str) -> Arc<Engine> {
    let db = Database::connect(url).await.expect("the database opens");
    let bot = Arc::new(Answerer::load(std::path::Path::new("faq")).expect("faq/ loads"));
    let engine = Arc::new(Engine::on_database(bot, db));
    let service = engine.service();
    let operator = ChatIdentity::local_operator();
    for agent in 1..=AGENTS {
        let agent = identity(&format!("telegram:{}", 9000 + agent));
        service
            .add_agent(&operator, &agent)
            .await
            .expect("an agent");
    }
    for customer in 1..=CUSTOMERS {
        engine.handle(incoming(customer, "/human".to_owned())).await;
    }
    for ticket in 1..=CUSTOMERS {
        let agent = identity(&format!("telegram:{}", 9000 + 1 + ticket % AGENTS));
        service
            .take(&agent, TicketId(i64::try_from(ticket).expect("small")))
            .await
            .expect("the ticket is taken");
    }
    while engine
        .deliver_once(Channel::Telegram, |_, _| async { Ok::<(), String>(()) })
        .await
        .expect("the outbox drains")
        > 0
    {}
    engine
}

/// The Telegram delivery loop: a round when woken by the service, else every 2 seconds.
async fn deliver(engine: Arc<Engine>, delivered: Arc<Delivered>, stop: Arc<Notify>) {
    loop {
        let written = engine.outbox_written().notified();
        tokio::pin!(written);
        written.as_mut().enable();
        let record = |_: ChatIdentity, reply: pao_bot::conversation::Reply| {
            let delivered = delivered.clone();
            async move {
                delivered.record(reply.text);
                Ok::<(), String>(())
            }
        };
        engine
            .deliver_once(Channel::Telegram, record)
            .await
            .expect("a delivery round");
        tokio::select! {
            () = stop.notified() => return,
            () = &mut written => {}
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

fn relay(c: &mut Criterion) {
    let runtime = fresh::runtime();
    let (url, _dir) = fresh::sqlite();
    let engine = runtime.block_on(handed_over(&url));
    let delivered: Arc<Delivered> = Arc::default();
    let stop = Arc::new(Notify::new());
    let loop_task = runtime.spawn(deliver(engine.clone(), delivered.clone(), stop.clone()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut burst = 0u64;
    let mut group = c.benchmark_group("handoff");
    group.throughput(Throughput::Elements(CUSTOMERS));
    group.sample_size(20);
    group.bench_function("relay_100_concurrent", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                burst += 1;
                let started = Instant::now();
                let sent = runtime.block_on(async {
                    let mut sending = JoinSet::new();
                    for customer in 1..=CUSTOMERS {
                        let engine = engine.clone();
                        let text = format!("burst {burst} from {customer}");
                        sending.spawn(async move {
                            let at = Instant::now();
                            engine.handle(incoming(customer, text.clone())).await;
                            (text, at)
                        });
                    }
                    sending.join_all().await
                });
                // Waits without polling: a loop scanning the deliveries took one of the
                // machine's two cores from what it measured.
                runtime.block_on(async {
                    loop {
                        let more = delivered.more.notified();
                        if delivered.count() >= sent.len() {
                            break;
                        }
                        more.await;
                    }
                });
                total += started.elapsed();
                let at = delivered.at.lock().unwrap();
                let found = sent.iter().filter_map(|(text, sent_at)| {
                    at.iter()
                        .find(|(relayed, _)| relayed.ends_with(text.as_str()))
                        .map(|(_, when)| when.duration_since(*sent_at))
                });
                latencies.lock().unwrap().extend(found);
                drop(at);
                delivered.clear();
            }
            total
        });
    });
    group.finish();
    stop.notify_one();
    runtime.block_on(loop_task).expect("the delivery loop ends");
    let mut all = latencies.lock().unwrap().clone();
    all.sort_unstable();
    if let (Some(median), Some(p99)) = (
        all.get(all.len() / 2),
        all.get((all.len() * 99 / 100).min(all.len().saturating_sub(1))),
    ) {
        println!(
            "handoff relay, {} messages: median {median:.1?}, p99 {p99:.1?}",
            all.len()
        );
    }
}

criterion_group!(benches, relay);
criterion_main!(benches);
