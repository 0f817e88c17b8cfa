//! Conversation engine throughput: messages per second through `Engine::handle` with the
//! conversations' state on SQLite, messages driven one at a time and with 16 and 64 in
//! flight, beside the floor it is measured against in the same run.
//!
//! Run: `cargo bench --bench engine` (`benches/ratios.sh` runs it with the other benchmarks
//! and prints the ratios).
//!
//! 1,000 private Telegram chats (`telegram:1` to `telegram:1000`, one person each) take turns:
//! one round sends the next message of every chat's script, chat after chat, so that
//! consecutive messages always belong to different chats. Every message has a message id never
//! used before, so each one is looked up among the handled ids and then recorded. A chat's
//! script repeats every 10 messages, and each chat starts it at a different place, so every
//! round holds the same mix:
//!
//! - 5 FAQ questions, taken in turn from the examples of `faq/entries/` (3 Japanese, 2
//!   English): each gets an answer, which writes an `answers` row (counted at the end);
//! - 1 feedback button press on that chat's latest answer (an update of its row);
//! - 4 steps of the self-nomination flow: `/nominate`, a site number (each chat's own, which
//!   exists, so the flow goes on), an IBM ID, then "cancel" (or キャンセル) where the flow
//!   asks for confirmation.
//!
//! No passcode is checked (argon2 makes a check take tens of milliseconds on purpose) and no
//! nomination is requested: those are the account service's figures (`--bench service`).
//! What is measured is the engine's own cost per message: the matcher, the flow logic, and
//! the store's one read and one write per message (the writes of messages in flight at once
//! committed together).
//!
//! Each figure has its floor beside it, measured the same way on a database of its own:
//!
//! - `engine/store_floor_in_flight_N`: the same script with only what its messages cost the
//!   database: each message's turn of the conversation store (the read of the conversation
//!   and of the handled ids, the write of the state, the handled id, the answer row or the
//!   feedback), and the site number's check by the account service, through the same store
//!   and SQLite settings, with no matcher, no flow and no wording (the state written back is
//!   the one read, with the language, so without the flow's few bytes of JSON). The engine's
//!   share of it says what the engine's own work costs on top.
//! - `engine/in_memory_in_flight_N`: the engine alone, with the conversations in memory
//!   (`Engine::in_memory`): the matcher, the flow, the wording and the turn's bookkeeping;
//!   only the site number's check, one message in ten, still reads the database.
//!
//! One criterion iteration is one round, 1,000 messages, so criterion's throughput is
//! messages per second.
//!
//! `limits/*` time one message at the bounds of what the engine reads (`cargo bench --bench
//! engine -- limits`): a 1 MB message, refused unread, and one of 4,096 characters (the
//! limit), read and answered; each with its turn's read and write of the conversation.

#[path = "support/fresh.rs"]
mod fresh;

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pao_bot::answer::{Answerer, MAX_MESSAGE_CHARS};
use pao_bot::conversation::{ButtonAction, Content, Engine, Incoming, Period, Response};
use pao_bot::database::Database;
use pao_bot::domain::{Channel, ChatIdentity, SiteNumber};
use pao_bot::lang::Lang;
use pao_bot::service::{Clock, SystemClock};
use tempfile::TempDir;
use tokio::task::JoinSet;

const CHATS: u64 = 1_000;
/// Messages in flight at once in the concurrent runs; 1 is one at a time.
const IN_FLIGHT: [usize; 3] = [1, 16, 64];
/// A chat's script: what its n-th message is.
const SCRIPT: [Step; 10] = [
    Step::Faq(Lang::Ja),
    Step::Faq(Lang::En),
    Step::Feedback,
    Step::Faq(Lang::Ja),
    Step::Nominate,
    Step::SiteNumber,
    Step::IbmId,
    Step::Cancel,
    Step::Faq(Lang::En),
    Step::Faq(Lang::Ja),
];

/// What a benchmark sends its messages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Through {
    /// `Engine::handle`.
    Engine,
    /// Only the conversation store's turn and the account service's read: the floor.
    Store,
    /// `Engine::handle` with the conversations in memory ([`Engine::in_memory`]).
    Memory,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Faq(Lang),
    Feedback,
    Nominate,
    SiteNumber,
    IbmId,
    Cancel,
}

/// The engine on a fresh SQLite database, and what the messages are made of.
struct Bench {
    engine: Engine,
    through: Through,
    /// Per language, the examples of the FAQ with their entry's id.
    questions: [Vec<(String, String)>; 2],
    /// Per chat, the feedback payload of its latest answer.
    feedback: Vec<Mutex<Option<String>>>,
    /// The next message's number: its message id, and which chat and step it is.
    next: AtomicU64,
    /// The FAQ answers the engine gave (with feedback buttons).
    answered: AtomicU64,
    _dir: TempDir,
}

impl Bench {
    async fn new(through: Through) -> Bench {
        let (url, dir) = fresh::sqlite();
        let db = Database::connect(&url).await.expect("the database opens");
        add_sites(&db).await;
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let bot = Arc::new(Answerer::load(&faq).expect("the shipped FAQ loads"));
        let mut questions = [Vec::new(), Vec::new()];
        for entry in bot.knowledge().entries() {
            let id = entry.id.to_string();
            questions[0].extend(entry.examples.ja.iter().map(|q| (id.clone(), q.clone())));
            questions[1].extend(entry.examples.en.iter().map(|q| (id.clone(), q.clone())));
        }
        let engine = match through {
            Through::Memory => Engine::in_memory(bot, db),
            Through::Engine | Through::Store => Engine::on_database(bot, db),
        };
        Bench {
            engine,
            through,
            questions,
            feedback: (0..CHATS).map(|_| Mutex::new(None)).collect(),
            next: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            _dir: dir,
        }
    }

    /// Message number `n`'s step: the one after its chat's previous message.
    fn step(n: u64) -> Step {
        let (chat, round) = (n % CHATS, n / CHATS);
        SCRIPT[((round + chat) % SCRIPT.len() as u64) as usize]
    }

    /// The FAQ example message `n` asks in `lang`, and its entry's id.
    fn question(&self, n: u64, lang: Lang) -> &(String, String) {
        let (chat, round) = (n % CHATS, n / CHATS);
        let questions = &self.questions[usize::from(lang == Lang::En)];
        // Spread over the examples: chats on the same round ask different ones.
        let pick = (round.wrapping_mul(7) + chat.wrapping_mul(13)) as usize;
        &questions[pick % questions.len()]
    }

    /// Message number `n`: chat `n % CHATS`, the step after that chat's previous message.
    fn message(&self, n: u64) -> Incoming {
        let chat = n % CHATS;
        let round = n / CHATS;
        let content = match Bench::step(n) {
            Step::Faq(lang) => Content::Text(self.question(n, lang).1.clone()),
            Step::Feedback => {
                let latest = self.feedback[chat as usize]
                    .lock()
                    .expect("feedback")
                    .clone();
                // Only before the chat's first answer: a press on an unknown answer.
                Content::Button(latest.unwrap_or_else(|| "fb:1:y".to_owned()))
            }
            Step::Nominate => Content::Text("/nominate".to_owned()),
            Step::SiteNumber => Content::Text(site(chat).as_str().to_owned()),
            Step::IbmId => Content::Text(format!("user{chat}@example.co.jp")),
            Step::Cancel if round.is_multiple_of(2) => Content::Text("cancel".to_owned()),
            Step::Cancel => Content::Text("キャンセル".to_owned()),
        };
        let id = chat + 1;
        Incoming {
            channel: Channel::Telegram,
            chat: id.to_string(),
            private: true,
            sender: ChatIdentity::parse(&format!("telegram:{id}")).expect("a chat identity"),
            lang_hint: None,
            content,
            message_id: Some(n.to_string()),
            replied_to: None,
        }
    }

    /// Sends message `n` through the engine or the store alone.
    async fn send(&self, n: u64) {
        match self.through {
            Through::Engine | Through::Memory => {
                black_box(self.handle(n).await);
            }
            Through::Store => self.store_turn(n).await,
        }
    }

    /// Handles message `n` and keeps the feedback payload of an answer.
    async fn handle(&self, n: u64) -> Response {
        let response = self.engine.handle(self.message(n)).await;
        let helped = response
            .replies
            .iter()
            .flat_map(|r| &r.buttons)
            .find_map(|b| match &b.action {
                ButtonAction::Payload(p) if p.starts_with("fb:") && p.ends_with(":y") => Some(p),
                _ => None,
            });
        if let Some(payload) = helped {
            self.answered.fetch_add(1, Ordering::Relaxed);
            *self.feedback[(n % CHATS) as usize]
                .lock()
                .expect("feedback") = Some(payload.clone());
        }
        response
    }

    /// What message `n` costs the database, without the engine: the store's turn with the
    /// changes the engine makes for it, and the account service's check of a site number.
    async fn store_turn(&self, n: u64) {
        let incoming = self.message(n);
        let chat = format!("{}:{}", incoming.channel, incoming.chat);
        let person = incoming.sender.to_string();
        let message_id = incoming.message_id.as_deref();
        let store = self.engine.store();
        let (mut turn, loaded) = store
            .begin(&chat, &incoming.chat, &person, message_id)
            .await
            .expect("the conversation is read");
        assert!(!loaded.handled, "every message id is new");
        let mut state = loaded.state;
        let feedback = &self.feedback[(n % CHATS) as usize];
        match Bench::step(n) {
            Step::Faq(lang) => {
                let (entry, question) = self.question(n, lang);
                let answer = turn.answer(entry, lang, Some(question.clone()));
                *feedback.lock().expect("feedback") = Some(format!("fb:{answer}:y"));
                state.lang = Some(lang);
            }
            Step::Feedback => {
                let latest = feedback.lock().expect("feedback").clone();
                let answer = latest
                    .as_deref()
                    .and_then(|p| p.strip_prefix("fb:")?.strip_suffix(":y")?.parse().ok());
                if let Some(answer) = answer {
                    turn.feedback(answer, true);
                }
            }
            Step::SiteNumber => {
                self.engine
                    .service()
                    .check_nomination_site(&incoming.sender, &site(n % CHATS))
                    .await
                    .expect("the site exists");
            }
            Step::Nominate | Step::IbmId | Step::Cancel => {}
        }
        turn.finish(&state, message_id, SystemClock.now())
            .await
            .expect("the turn is written");
    }

    /// Sends the next `count` messages, `in_flight` at a time; returns the time taken.
    async fn run(self: &Arc<Self>, count: u64, in_flight: usize) -> Duration {
        let first = self.next.fetch_add(count, Ordering::Relaxed);
        let started = Instant::now();
        if in_flight == 1 {
            // In a task on the runtime's workers, where the channels run the engine.
            let bench = self.clone();
            tokio::spawn(async move {
                for n in first..first + count {
                    bench.send(n).await;
                }
            })
            .await
            .expect("no panic");
        } else {
            let mut tasks = JoinSet::new();
            for n in first..first + count {
                if tasks.len() == in_flight {
                    tasks.join_next().await.expect("a task").expect("no panic");
                }
                let bench = self.clone();
                tasks.spawn(async move { bench.send(n).await });
            }
            tasks.join_all().await;
        }
        started.elapsed()
    }

    /// Messages sent so far, and the FAQ answers and unanswered questions recorded (the
    /// answers given, and none unanswered, when the conversations are in memory).
    async fn counts(&self) -> Counts {
        let sent = self.next.load(Ordering::Relaxed);
        if self.through == Through::Memory {
            let answers = self.answered.load(Ordering::Relaxed);
            return Counts {
                sent,
                answers,
                unanswered: 0,
            };
        }
        let store = self.engine.store();
        let answers = store
            .entry_stats(Period::ALL)
            .await
            .expect("the answers are readable")
            .iter()
            .map(|e| e.answered)
            .sum::<i64>();
        let unanswered = store
            .unanswered_stats(i64::MAX, Period::ALL)
            .await
            .expect("the unanswered questions are readable")
            .iter()
            .map(|u| u.asked)
            .sum::<i64>();
        Counts {
            sent,
            answers: answers as u64,
            unanswered: unanswered as u64,
        }
    }
}

/// The site chat `chat` asks for.
fn site(chat: u64) -> SiteNumber {
    SiteNumber::parse(&format!("{}", 1_000_000 + chat * 7)).expect("a site number")
}

/// Every chat's site, so that the flow goes on to the IBM ID and the confirmation. Written
/// directly: the account service would hash a passcode for each, tens of milliseconds.
async fn add_sites(db: &Database) {
    let mut write = db.begin().await.expect("a write transaction");
    for chat in 0..CHATS {
        sqlx::query(
            "INSERT INTO sites (site_number, program, created_at, created_by) \
             VALUES ($1, 'pa', 0, 'bench')",
        )
        .bind(site(chat).as_str())
        .execute(&mut *write.tx)
        .await
        .expect("a site");
    }
    write
        .finish(Ok::<_, sqlx::Error>(()))
        .await
        .expect("the sites are added");
}

#[derive(Debug, Clone, Copy)]
struct Counts {
    sent: u64,
    answers: u64,
    unanswered: u64,
}

/// Checks that the messages since `before` went through the database: half of them are FAQ
/// questions, each answered and recorded. Prints what they got.
fn check(before: Counts, after: Counts) {
    let sent = after.sent - before.sent;
    // Left out by a filter on the command line.
    if sent == 0 {
        return;
    }
    let answers = after.answers - before.answers;
    let unanswered = after.unanswered - before.unanswered;
    assert!(
        answers * 10 >= sent * 4,
        "{answers} answers recorded for {sent} messages: is the state saved?"
    );
    println!(
        "{sent} messages measured: {answers} FAQ answers and {unanswered} unanswered recorded"
    );
}

fn engine(c: &mut Criterion) {
    let runtime = fresh::runtime();
    let mut group = c.benchmark_group("engine");
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(CHATS));
    for in_flight in IN_FLIGHT {
        let kinds = [
            ("sqlite", Through::Engine),
            ("store_floor", Through::Store),
            ("in_memory", Through::Memory),
        ];
        for (name, through) in kinds {
            let bench = Arc::new(runtime.block_on(Bench::new(through)));
            // The script once through first, not measured, so that every chat has its
            // conversation row and is in step with its script: a chat that starts it mid-flow
            // sends its site number and IBM ID with no flow to take them, as questions nobody
            // answers.
            runtime.block_on(bench.run(SCRIPT.len() as u64 * CHATS, in_flight));
            let before = runtime.block_on(bench.counts());
            // One iteration is one round: a message to each of the 1,000 chats.
            group.bench_function(format!("{name}_in_flight_{in_flight}"), |b| {
                b.iter_custom(|rounds| runtime.block_on(bench.run(rounds * CHATS, in_flight)));
            });
            check(before, runtime.block_on(bench.counts()));
        }
    }
    group.finish();
}

/// One message of `text` at a time, each from a new message id, on a fresh database.
fn limits(c: &mut Criterion) {
    let runtime = fresh::runtime();
    let bench = runtime.block_on(Bench::new(Through::Engine));
    let refused = "パスワードを忘れた forgot my password ".repeat(1_000_000 / 42);
    let question = "I forgot my password ";
    let answered = question.repeat(MAX_MESSAGE_CHARS / question.len() + 1);
    let answered: String = answered.chars().take(MAX_MESSAGE_CHARS).collect();
    let mut group = c.benchmark_group("limits");
    for (name, text) in [("refused_1mb", refused), ("answered_4096", answered)] {
        let first = runtime.block_on(bench.engine.handle(limit_message(&bench, &text)));
        let bot = bench.engine.bot();
        let too_long = &bot.knowledge().messages().too_long;
        let refused =
            [too_long.ja.trim(), too_long.en.trim()].contains(&first.replies[0].text.as_str());
        assert_eq!(refused, name == "refused_1mb", "{name}");
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(bench.engine.handle(limit_message(&bench, &text))));
        });
    }
    group.finish();
}

fn limit_message(bench: &Bench, text: &str) -> Incoming {
    let n = bench.next.fetch_add(1, Ordering::Relaxed);
    let sender = ChatIdentity::parse("telegram:5000").expect("a chat identity");
    Incoming {
        channel: Channel::Telegram,
        chat: sender.id().to_owned(),
        private: true,
        sender,
        lang_hint: None,
        content: Content::Text(text.to_owned()),
        message_id: Some(format!("limit-{n}")),
        replied_to: None,
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20));
    targets = engine
}
criterion_group! {
    name = bounds;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = limits
}
criterion_main!(benches, bounds);
