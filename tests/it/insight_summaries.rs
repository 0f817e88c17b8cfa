//! The insight page's figures from the summaries of ended days and today's rows, on both
//! databases, with the engine writing the rows as customers' turns do and the test's clock:
//! the figures equal a live count of the rows, today's rows appear at the next view, late
//! feedback is counted again, a day is counted once, and clearing old rows leaves no summary.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, DayCounts, Engine, Figures, Incoming, Period, Store};
use pao_bot::domain::Timestamp;
use pao_bot::service::Clock;

use crate::databases::{TestDb, on_both_databases};
use crate::service::identity;
use crate::support::{faq_dir, payload_ending};

on_both_databases!(
    the_figures_equal_a_live_count_of_the_rows,
    a_day_is_counted_once,
    clearing_old_rows_leaves_no_summary_behind,
);

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The shipped knowledge base, loaded once.
fn bot() -> Arc<Answerer> {
    static BOT: OnceLock<Arc<Answerer>> = OnceLock::new();
    BOT.get_or_init(|| Arc::new(Answerer::load(&faq_dir()).expect("the shipped faq/ loads")))
        .clone()
}

/// A customer in a private Telegram chat.
fn says(id: &str, content: Content) -> Incoming {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let sender = identity(&format!("telegram:{id}"));
    Incoming {
        channel: sender.channel(),
        chat: sender.id().to_owned(),
        private: true,
        sender,
        lang_hint: None,
        content,
        message_id: Some(format!("i{}", NEXT.fetch_add(1, Ordering::SeqCst))),
        replied_to: None,
    }
}

/// A day's questions from one customer: `answered` answered (the first rated "helped", the
/// second "did not help"), `unanswered` unanswered, and one ticket handed off; returns the
/// payload of a "did not help" button of its last answer, left unpressed.
async fn a_days_questions(
    db: &TestDb,
    engine: &Engine,
    customer: &str,
    answered: usize,
    unanswered: usize,
) -> String {
    let mut unpressed = String::new();
    for n in 0..answered {
        let response = engine
            .handle(says(customer, Content::Text("How do I log out?".into())))
            .await;
        let pressed = match n {
            0 => payload_ending(&response, ":y"),
            1 => payload_ending(&response, ":n"),
            _ => {
                unpressed = payload_ending(&response, ":n");
                continue;
            }
        };
        engine
            .handle(says(customer, Content::Button(pressed)))
            .await;
    }
    for _ in 0..unanswered {
        engine
            .handle(says(
                customer,
                Content::Text("how do I knit a scarf".into()),
            ))
            .await;
    }
    let mut raw = db.raw().await;
    sqlx::query(
        "INSERT INTO handoffs (state, customer, chat, lang, created_at, closed_at) \
         VALUES ('closed', $1, $2, 'en', $3, $3)",
    )
    .bind(format!("telegram:{customer}"))
    .bind(customer)
    .bind(db.clock.now().as_millis())
    .execute(&mut raw)
    .await
    .expect("a handed-off ticket");
    unpressed
}

/// The figures counted live from the rows since `first` (JST), as the page counted them
/// before the summaries.
async fn live(store: &Store, first: i64) -> Figures {
    let period = Period {
        from: Timestamp::from_millis(DayCounts::start(first)),
        to: Timestamp::from_millis(i64::MAX),
    };
    Figures {
        days: store.per_day(period).await.expect("the rows per day"),
        entries: store.entry_stats(period).await.expect("the rows per entry"),
    }
}

fn engine(db: &TestDb) -> Engine {
    let service = db.service.clone();
    let database = service.database().clone();
    Engine::new(bot(), service, database, db.clock.clone())
}

fn today(db: &TestDb) -> i64 {
    DayCounts::of(db.clock.now().as_millis())
}

async fn the_figures_equal_a_live_count_of_the_rows(db: TestDb) {
    let engine = engine(&db);
    let store = Store::new(db.service.database().clone());
    let first = today(&db);
    let mut late = Vec::new();
    for (n, (answered, unanswered)) in [(3, 1), (4, 2), (2, 0), (3, 3)].into_iter().enumerate() {
        late.push(a_days_questions(&db, &engine, &format!("70{n}"), answered, unanswered).await);
        db.clock.advance(DAY);
    }
    let now = db.clock.now();
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(figures, live(&store, first).await);
    assert_eq!(figures.days.len(), 4, "{figures:?}");
    assert_eq!(
        figures.days[1],
        DayCounts {
            day: first + 1,
            answered: 4,
            unanswered: 2,
            handed_off: 1
        }
    );

    // Today's rows, written after the view, are in the next one.
    a_days_questions(&db, &engine, "710", 3, 2).await;
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(figures, live(&store, first).await);
    assert_eq!(figures.days.len(), 5, "{figures:?}");
    assert_eq!(figures.entries[0].answered, 15, "{figures:?}");

    // Feedback given today on an answer of the first day is counted in that day's figures.
    engine
        .handle(says("700", Content::Button(late[0].clone())))
        .await;
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(figures, live(&store, first).await);
    assert_eq!(figures.entries[0].not_helped, 6, "{figures:?}");
}

async fn a_day_is_counted_once(db: TestDb) {
    let engine = engine(&db);
    let store = Store::new(db.service.database().clone());
    let first = today(&db);
    a_days_questions(&db, &engine, "720", 3, 2).await;
    // Just after midnight (JST) the day that ended is still counted live: turns that read the
    // clock before midnight may still be committing.
    let midnight = DayCounts::start(first + 1);
    let before = db.clock.now().as_millis();
    db.clock
        .advance(Duration::from_millis((midnight - before + 60_000) as u64));
    assert_eq!(store.summarise(first, db.clock.now()).await.unwrap(), 0);
    db.clock.advance(DAY);
    let now = db.clock.now();
    // A day later, the first day is counted; the second ended only a minute ago.
    assert_eq!(store.summarise(first, now).await.unwrap(), 1);
    assert_eq!(store.summarise(first, now).await.unwrap(), 0);

    // Rows deleted behind the summary's back: the view still counts them, from the summary.
    let mut raw = db.raw().await;
    for table in ["answers", "unanswered", "handoffs"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut raw)
            .await
            .expect("the rows deleted");
    }
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(
        figures.days,
        [DayCounts {
            day: first,
            answered: 3,
            unanswered: 2,
            handed_off: 1
        }]
    );
    assert_eq!(figures.entries[0].answered, 3, "{figures:?}");
    assert_eq!(live(&store, first).await.days, []);
}

async fn clearing_old_rows_leaves_no_summary_behind(db: TestDb) {
    let engine = engine(&db);
    let store = Store::new(db.service.database().clone());
    let first = today(&db);
    for n in 0..3 {
        a_days_questions(&db, &engine, &format!("73{n}"), 2, 1).await;
        db.clock.advance(DAY);
    }
    let now = db.clock.now();
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(figures.days.len(), 3, "{figures:?}");

    // Cleared up to the middle of the second day: the summaries of the first two days go,
    // and their remaining rows (the tickets, which the clearing leaves) are counted again.
    let noon = Timestamp::from_millis(DayCounts::start(first + 1) + 12 * 60 * 60 * 1000);
    store
        .clear_before(noon)
        .await
        .expect("the old rows cleared");
    let figures = store.insight(first, now).await.expect("the figures");
    assert_eq!(figures, live(&store, first).await);
    let tickets_only = |day| DayCounts {
        day,
        answered: 0,
        unanswered: 0,
        handed_off: 1,
    };
    assert_eq!(
        figures.days[..2],
        [tickets_only(first), tickets_only(first + 1)],
        "{figures:?}"
    );
    assert_eq!(figures.days[2].answered, 2, "{figures:?}");
}
