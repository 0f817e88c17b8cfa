//! Reloading the knowledge base under a running bot: how long one reload of the shipped
//! `faq/` takes, and whether answering pauses meanwhile.
//!
//! Run: `cargo bench --bench reload`
//!
//! - `reload/shipped`: [`LiveKnowledge::reload`] of the shipped folder, what a file change,
//!   SIGHUP or `pao-bot admin reload` costs: loading, indexing and the self-test that
//!   `pao-bot check` enforces, then the swap.
//! - `reload/ask_idle` and `reload/ask_while_reloading`: one question answered from a
//!   [`snapshot`](LiveKnowledge::snapshot), as a turn does, with nothing else running and with
//!   another thread reloading the same folder over and over.
//!
//! At the end each question's time is printed for both, as median, 99th percentile and
//! maximum: a reload that paused answering would show in the maximum (the README's figures).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pao_bot::answer::Answerer;
use pao_bot::lang::Lang;
use pao_bot::live::LiveKnowledge;

/// Questions asked in turn, in both languages, as customers type them.
const QUESTIONS: [&str; 6] = [
    "パスワードを忘れました",
    "ロックされた",
    "表示言語を英語にしたい",
    "I forgot my password",
    "how do I add a user to my site",
    "サイト番号がわからない",
];

/// How long questions are timed one by one for the printed figures, in each of the two
/// conditions: long enough for tens of reloads.
const TIMED_FOR: Duration = Duration::from_secs(3);

fn shipped_faq() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
}

fn live() -> Arc<LiveKnowledge> {
    let bot = Answerer::load(&shipped_faq()).expect("the shipped FAQ loads");
    Arc::new(LiveKnowledge::new(Arc::new(bot)))
}

fn ask(live: &LiveKnowledge, n: usize) {
    let bot = live.snapshot();
    black_box(bot.ask(QUESTIONS[n % QUESTIONS.len()], Lang::Ja));
}

/// Another thread reloading `live` from the shipped folder until the guard is dropped.
struct Reloading {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Reloading {
    fn start(live: &Arc<LiveKnowledge>) -> Reloading {
        let stop = Arc::new(AtomicBool::new(false));
        let (live, stopped) = (live.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let dir = shipped_faq();
            let mut reloads = 0;
            while !stopped.load(Ordering::Relaxed) {
                live.reload(&dir).expect("the shipped FAQ reloads");
                reloads += 1;
            }
            reloads
        });
        Reloading {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread; returns how many reloads it made.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map(|thread| thread.join().expect("the reloading thread ends"))
            .unwrap_or(0)
    }
}

impl Drop for Reloading {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn reload(c: &mut Criterion) {
    let live = live();
    let dir = shipped_faq();
    let mut group = c.benchmark_group("reload");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("shipped", |b| {
        b.iter(|| live.reload(&dir).expect("the shipped FAQ reloads"))
    });
    let mut n = 0;
    group.bench_function("ask_idle", |b| {
        b.iter(|| {
            n += 1;
            ask(&live, n)
        })
    });
    let reloading = Reloading::start(&live);
    group.bench_function("ask_while_reloading", |b| {
        b.iter(|| {
            n += 1;
            ask(&live, n)
        })
    });
    reloading.stop();
    group.finish();

    let idle = timed(&live);
    let reloading = Reloading::start(&live);
    let during = timed(&live);
    let reloads = reloading.stop();
    println!(
        "reload: one question at a time for {TIMED_FOR:?}: idle {idle}; \
         while reloading {during} ({reloads} reloads meanwhile)"
    );
}

/// Questions timed one by one for [`TIMED_FOR`]: "N asked, median …, p99 …, max …".
fn timed(live: &LiveKnowledge) -> String {
    let mut times = Vec::new();
    let until = Instant::now() + TIMED_FOR;
    while Instant::now() < until {
        let start = Instant::now();
        ask(live, times.len());
        times.push(start.elapsed());
    }
    times.sort();
    let at = |share: f64| times[((times.len() - 1) as f64 * share) as usize];
    format!(
        "{} asked, median {:.1?}, p99 {:.1?}, max {:.1?}",
        times.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    )
}

criterion_group!(benches, reload);
criterion_main!(benches);
