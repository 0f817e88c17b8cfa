//! The web chat under load on SQLite: 1,000 browsers at once, each with its page's event
//! stream open and a message a second, timed from a message's first byte sent to the last
//! byte of its answer, which carries the turn's replies (the page's script posts each
//! message and shows the lines of the answer; the event stream brings only the outbox's
//! messages). Issue 18's target: replies within 100 ms at p99.
//!
//! Run: `cargo bench --bench web_chat`
//!
//! The load generator is this file's own: a task per browser speaking HTTP/1.1 on loopback
//! (`support/http.rs`). Each browser opens the page (which gives it its cookie, a person of
//! its own), opens `/chat/events` with that cookie and keeps it open, then posts [`MESSAGES`]
//! questions from the shipped FAQ, a second apart, on a kept-alive connection, in Japanese
//! or English by its browser's language; the browsers' first messages are spread over one
//! second, so that a thousand messages arrive each second, evenly.
//!
//! The chat's limits stay as shipped, 20 messages a minute per browser and per address, and
//! the load is shaped to them rather than them to the load: every browser comes from an
//! address of its own (127.1.0.1, 127.1.0.2, ...: Linux answers on all of 127.0.0.0/8), as a
//! thousand customers would, and sends 20 messages, a second apart, the most one browser may
//! send in a minute. A refused message would be answered with the limit's sentence: the run
//! counts them, and there should be none.
//!
//! Two thousand connections are held by the browsers and as many by the server: the soft
//! limit of open files is raised towards the hard one when it is lower than that needs.
//!
//! The server and the load generator share the process and the machine's cores, on
//! runtimes of their own (the server's with a thread per core, the generator's with one), as
//! the server and a load generator in another process would.

#[path = "support/http.rs"]
mod http;
#[path = "support/latencies.rs"]
mod latencies;
#[path = "support/machine.rs"]
mod machine;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pao_bot::answer::Answerer;
use pao_bot::channels::web;
use pao_bot::config::WebSettings;
use pao_bot::conversation::Engine;
use pao_bot::database::Database;
use pao_bot::lang::Lang;
use tempfile::TempDir;
use tokio::sync::Barrier;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use http::Connection;
use latencies::Latencies;

const BROWSERS: usize = 1_000;
/// Messages per browser: the most the chat takes from one browser in a minute.
const MESSAGES: usize = 20;
const EVERY: Duration = Duration::from_secs(1);
/// Files the process holds beyond its connections: the database, the runtime's.
const OTHER_FILES: u64 = 256;
/// How long an answer may take before the run is taken for a hang.
const HANG: Duration = Duration::from_secs(30);

const TARGET: Duration = Duration::from_millis(100);

/// What one browser saw.
#[derive(Default)]
struct Seen {
    times: Vec<Duration>,
    /// Messages answered with the rate limit's sentence.
    limited: usize,
}

fn main() {
    raise_open_files(u64::try_from(BROWSERS).expect("few") * 4 + OTHER_FILES);
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the server's runtime");
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the load's runtime");
    let dir = TempDir::new().expect("a temporary folder");
    let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let bot = Arc::new(Answerer::load(&faq).expect("the shipped FAQ loads"));
    let questions = Arc::new(questions(&bot));
    let shutdown = CancellationToken::new();
    let (address, serving) = server.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("web.db").display());
        let db = Database::connect(&url).await.expect("the database opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let engine = Arc::new(Engine::on_database(bot, db));
        let stop = shutdown.clone();
        let serving = tokio::spawn(async move {
            web::serve(engine, &WebSettings::on(address), listener, stop).await
        });
        (address, serving)
    });
    let events = Arc::new(AtomicUsize::new(0));
    let (seen, sending) = load.block_on(run(address, questions, events.clone()));
    shutdown.cancel();
    server
        .block_on(serving)
        .expect("the server does not panic")
        .expect("the server stops cleanly");

    let sent: usize = seen.iter().map(|s| s.times.len()).sum();
    let limited: usize = seen.iter().map(|s| s.limited).sum();
    let latencies = Latencies::of(seen.into_iter().flat_map(|s| s.times).collect());
    println!(
        "web chat: {BROWSERS} browsers, each its event stream open and {MESSAGES} messages a \
         second apart; {sent} messages in {sending:.1?} ({:.0}/s); {}",
        sent as f64 / sending.as_secs_f64(),
        machine::described()
    );
    let verdict = if latencies.p99 <= TARGET {
        "within"
    } else {
        "OVER"
    };
    println!("  reply: {latencies}  ({verdict} 100 ms)");
    println!(
        "  refused by the rate limit: {limited}; events pushed: {}",
        events.load(Ordering::Relaxed)
    );
}

/// Every browser connected, then their messages; what each saw and how long the sending took.
async fn run(
    server: SocketAddr,
    questions: Arc<[Vec<String>; 2]>,
    events: Arc<AtomicUsize>,
) -> (Vec<Seen>, Duration) {
    let ready = Arc::new(Barrier::new(BROWSERS + 1));
    let mut browsers = Vec::with_capacity(BROWSERS);
    for n in 0..BROWSERS {
        let (ready, questions, events) = (ready.clone(), questions.clone(), events.clone());
        browsers.push(tokio::spawn(async move {
            browse(n, server, questions, events, ready).await
        }));
    }
    ready.wait().await;
    let started = Instant::now();
    let mut seen = Vec::with_capacity(BROWSERS);
    for browser in browsers {
        seen.push(browser.await.expect("the browser does not panic"));
    }
    (seen, started.elapsed())
}

/// Browser `n`: its page, its event stream, then its messages.
async fn browse(
    n: usize,
    server: SocketAddr,
    questions: Arc<[Vec<String>; 2]>,
    events: Arc<AtomicUsize>,
    ready: Arc<Barrier>,
) -> Seen {
    let from = Some(address(n));
    let lang = if n.is_multiple_of(2) {
        Lang::Ja
    } else {
        Lang::En
    };
    let accept_language = match lang {
        Lang::Ja => "ja-JP,ja;q=0.9",
        Lang::En => "en-US,en;q=0.9",
    };
    let mut page = Connection::open(server, from)
        .await
        .expect("the server accepts");
    let plain = format!("Accept: text/html\r\nAccept-Language: {accept_language}\r\n");
    let first = page.get("/chat", &plain).await.expect("the page");
    assert_eq!(first.status, 200);
    let cookie = first.cookie.expect("a new browser's cookie");
    let mut stream = Connection::open(server, from)
        .await
        .expect("the server accepts");
    let with_cookie = format!("{plain}Cookie: {cookie}\r\n");
    let status = stream
        .open_stream("/chat/events", &with_cookie)
        .await
        .expect("the event stream");
    assert_eq!(status, 200);
    tokio::spawn(async move {
        while let Ok(Some(line)) = stream.line().await {
            if line.starts_with("data:") {
                events.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let script = format!(
        "Accept: application/json\r\nAccept-Language: {accept_language}\r\nCookie: {cookie}\r\n"
    );
    let questions = &questions[usize::from(lang == Lang::En)];
    ready.wait().await;

    let offset = EVERY * u32::try_from(n).expect("few") / u32::try_from(BROWSERS).expect("few");
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + offset, EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut seen = Seen::default();
    for k in 0..MESSAGES {
        ticks.tick().await;
        let question = &questions[(n * 7 + k * 13) % questions.len()];
        let body = http::form(&[("text", question)]);
        let sent = Instant::now();
        let answer = tokio::time::timeout(HANG, page.post("/chat", &script, &body))
            .await
            .expect("answered before the hang bound")
            .expect("the message is answered");
        seen.times.push(sent.elapsed());
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let body = String::from_utf8_lossy(&answer.body);
        if body.contains("速すぎます") || body.contains("too fast") {
            seen.limited += 1;
        }
    }
    seen
}

/// Browser `n`'s loopback address: 127.1.0.1 and on, 200 to a third number.
fn address(n: usize) -> IpAddr {
    let third = u8::try_from(n / 200).expect("fewer than 51,200 browsers");
    let fourth = u8::try_from(n % 200 + 1).expect("at most 200");
    IpAddr::V4(Ipv4Addr::new(127, 1, third, fourth))
}

/// The shipped FAQ's questions and examples, in Japanese and in English.
fn questions(bot: &Answerer) -> [Vec<String>; 2] {
    let entries = bot.knowledge().entries();
    [Lang::Ja, Lang::En].map(|lang| {
        entries
            .iter()
            .flat_map(|entry| {
                std::iter::once(entry.question.get(lang).clone())
                    .chain(entry.examples.get(lang).iter().cloned())
            })
            .collect()
    })
}

/// Raises the soft limit of open files to `wanted`, or to the hard limit if that is lower.
fn raise_open_files(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct they are given.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(got, 0, "the limit of open files is known");
    if limit.rlim_cur >= wanted {
        println!("web chat: open files allowed {}", limit.rlim_cur);
        return;
    }
    let was = limit.rlim_cur;
    limit.rlim_cur = wanted.min(limit.rlim_max);
    // SAFETY: as above.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "the soft limit of open files is raised");
    println!(
        "web chat: open files allowed raised from {was} to {}",
        limit.rlim_cur
    );
}
