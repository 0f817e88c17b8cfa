//! Telegram channel throughput: updates per second through the whole Telegram path, with
//! throttling off, against the tests' Bot API server on loopback
//! (`tests/it/telegram/fake.rs`).
//!
//! Run: `cargo bench --bench telegram` (`benches/ratios.sh` runs it with the other
//! benchmarks and prints the ratios).
//!
//! What one update goes through is what it goes through in production: the bot's long poll
//! (`getUpdates`, up to 100 updates an answer) and teloxide's parsing and dispatching, the
//! channel's translation, the engine's turn with its state on SQLite, the HTML rendering,
//! and the reply's `sendMessage` with its answer parsed; a button press adds
//! `answerCallbackQuery` and the `editMessageText` of the pressed message. The server and the
//! bot share the machine's two cores.
//!
//! 500 private chats take turns: one round is one update from every chat. A chat's updates
//! repeat every 5 rounds: 4 FAQ questions (the entries' own questions, in Japanese or English,
//! so most get an answer with feedback buttons) and then a press of the feedback or "did you
//! mean" button of the bot's latest message in that chat (a question when it has none). Each
//! update gets exactly one reply, so a round is done when the server has answered one
//! `sendMessage` per update; the count is checked at the end.
//!
//! Its floor, `telegram/server_round_trips`, is measured the same way on a server of its own:
//! what the loopback server alone serves to teloxide's client, with no dispatcher and no
//! engine. The same 500 chats' updates are fetched with `getUpdates` (100 an answer, as the
//! bot's long poll does), and each gets one `sendMessage` at once, an FAQ answer in HTML with
//! two buttons, all of a round's in flight together: one update and its reply is one round
//! trip of each kind, the most the server can serve the bot.

#[path = "../tests/it/telegram/fake.rs"]
mod fake;
#[path = "support/fresh.rs"]
mod fresh;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pao_bot::answer::Answerer;
use pao_bot::channels::telegram::{self, Options};
use pao_bot::config::TelegramSettings;
use pao_bot::conversation::Engine;
use pao_bot::database::Database;
use pao_bot::lang::Lang;
use secrecy::SecretString;
use teloxide::Bot;
use teloxide::payloads::{GetUpdatesSetters, SendMessageSetters};
use teloxide::requests::{Request, Requester};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ParseMode};
use tempfile::TempDir;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use fake::{FakeTelegram, Person};

const CHATS: i64 = 500;
/// Every this many rounds, a chat presses a button instead of asking.
const PRESS_EVERY: u64 = 5;

/// The bot running against the server, and what it is asked.
struct Bench {
    fake: FakeTelegram,
    people: Vec<Person>,
    questions: Vec<String>,
    rounds: u64,
    /// The replies expected so far.
    expected: u64,
    shutdown: CancellationToken,
    channel: JoinHandle<Result<(), telegram::TelegramError>>,
    _dir: TempDir,
}

impl Bench {
    async fn start() -> Bench {
        let (url, dir) = fresh::sqlite();
        let db = Database::connect(&url).await.expect("the database opens");
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let bot = Arc::new(Answerer::load(&faq).expect("the shipped FAQ loads"));
        let questions = bot
            .knowledge()
            .entries()
            .iter()
            .flat_map(|entry| [entry.question.ja.clone(), entry.question.en.clone()])
            .collect();
        let engine = Arc::new(Engine::on_database(bot, db));

        let fake = FakeTelegram::start().await;
        fake.stop_recording();
        let settings = TelegramSettings {
            token: SecretString::from(fake::TOKEN),
            api_url: Some(fake.url()),
            webhook: None,
        };
        let options = Options {
            throttle: false,
            ..Options::default()
        };
        let shutdown = CancellationToken::new();
        let channel = tokio::spawn(telegram::run_with(
            engine,
            settings,
            options,
            shutdown.clone(),
        ));
        fake.wait_for_arrivals("getUpdates", 1).await;
        Bench {
            fake,
            people: people(),
            questions,
            rounds: 0,
            expected: 0,
            shutdown,
            channel,
            _dir: dir,
        }
    }

    /// Queues one update from every chat, then waits for every reply; returns the time
    /// from the first update queued to the last reply.
    async fn round(&mut self) -> Duration {
        let round = self.rounds;
        self.rounds += 1;
        let started = Instant::now();
        for (n, person) in self.people.iter().enumerate() {
            let chat_round = round + n as u64;
            let pressed = chat_round % PRESS_EVERY == PRESS_EVERY - 1
                && self
                    .fake
                    .press_latest(person, person.id, one_reply_press)
                    .is_some();
            if !pressed {
                let pick = (chat_round as usize * 7 + n * 13) % self.questions.len();
                self.fake.say(person, &self.questions[pick]);
            }
        }
        self.expected += self.people.len() as u64;
        self.fake.wait_for_count("sendMessage", self.expected).await;
        started.elapsed()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.channel
            .await
            .expect("the channel does not panic")
            .expect("the channel stops cleanly");
        let presses = self.fake.count("answerCallbackQuery");
        let edits = self.fake.count("editMessageText");
        println!(
            "{} updates: {} replies, {presses} presses answered, {edits} messages edited",
            self.expected,
            self.fake.count("sendMessage")
        );
        assert_eq!(
            self.fake.count("sendMessage"),
            self.expected,
            "one reply per update"
        );
        assert_eq!(edits, presses, "every press edits its message");
    }
}

/// The loopback server with teloxide's client alone: the floor of the bot's rate.
struct Server {
    fake: FakeTelegram,
    client: Bot,
    people: Vec<Person>,
    questions: Vec<String>,
    /// An FAQ answer as the bot sends it: HTML.
    answer: String,
    rounds: u64,
    /// The next update id to fetch.
    offset: i32,
}

impl Server {
    async fn start() -> Server {
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let bot = Answerer::load(&faq).expect("the shipped FAQ loads");
        let entries = bot.knowledge().entries();
        let questions = entries
            .iter()
            .flat_map(|entry| [entry.question.ja.clone(), entry.question.en.clone()])
            .collect();
        let answer = bot
            .entry_text(&entries[0], Lang::Ja)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let fake = FakeTelegram::start().await;
        fake.stop_recording();
        let url = fake.url().parse().expect("the server's URL");
        Server {
            client: Bot::new(fake::TOKEN).set_api_url(url),
            people: people(),
            questions,
            answer,
            rounds: 0,
            offset: 0,
            fake,
        }
    }

    /// Queues one update from every chat, fetches them and replies to each; returns the time
    /// from the first update queued to the last reply.
    async fn round(&mut self) -> Duration {
        let round = self.rounds;
        self.rounds += 1;
        let started = Instant::now();
        for (n, person) in self.people.iter().enumerate() {
            let pick = ((round + n as u64) as usize * 7 + n * 13) % self.questions.len();
            self.fake.say(person, &self.questions[pick]);
        }
        let keyboard = InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback("👍", "fb:1:y"),
            InlineKeyboardButton::callback("👎", "fb:1:n"),
        ]]);
        let mut replies = JoinSet::new();
        let mut fetched = 0;
        while fetched < self.people.len() {
            let updates = self
                .client
                .get_updates()
                .offset(self.offset)
                .timeout(10)
                .send()
                .await
                .expect("the updates");
            for update in updates {
                self.offset = update.id.0 as i32 + 1;
                fetched += 1;
                let chat = update.chat().expect("a message's chat").id;
                let reply = self
                    .client
                    .send_message(chat, self.answer.clone())
                    .parse_mode(ParseMode::Html)
                    .reply_markup(keyboard.clone());
                replies.spawn(async move { reply.send().await.map(|_| ()) });
            }
        }
        for sent in replies.join_all().await {
            sent.expect("the reply is sent");
        }
        started.elapsed()
    }
}

fn people() -> Vec<Person> {
    (1..=CHATS)
        .map(|id| {
            let language = if id % 2 == 0 { "ja" } else { "en" };
            Person::new(id, &format!("Customer {id}"), Some(language))
        })
        .collect()
}

/// Presses that get exactly one reply: feedback, and a "did you mean" pick. (Starting a
/// procedure would make the next questions get two: the answer, and the step asked again.)
fn one_reply_press(data: &str) -> bool {
    data.starts_with("fb:") || data.starts_with("entry:")
}

fn telegram(c: &mut Criterion) {
    let runtime = fresh::runtime();
    let mut group = c.benchmark_group("telegram");
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(CHATS as u64));
    let mut server = runtime.block_on(Server::start());
    runtime.block_on(server.round());
    // One iteration is one round: an update from each of the 500 chats, and its reply.
    group.bench_function("server_round_trips", |b| {
        b.iter_custom(|rounds| {
            let mut total = Duration::ZERO;
            for _ in 0..rounds {
                total += runtime.block_on(server.round());
            }
            total
        });
    });
    assert_eq!(
        server.fake.count("sendMessage"),
        server.rounds * CHATS as u64,
        "one reply per update"
    );
    drop(server);

    let mut bench = runtime.block_on(Bench::start());
    // Warm up: every chat has its conversation row, and presses have answers to press.
    for _ in 0..PRESS_EVERY {
        runtime.block_on(bench.round());
    }
    group.bench_function("updates_unthrottled", |b| {
        b.iter_custom(|rounds| {
            let mut total = Duration::ZERO;
            for _ in 0..rounds {
                total += runtime.block_on(bench.round());
            }
            total
        });
    });
    group.finish();
    runtime.block_on(bench.stop());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20));
    targets = telegram
}
criterion_main!(benches);
