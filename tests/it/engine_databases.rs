//! The conversation engine on a real database: conversations that outlive the process, two
//! processes sharing one person's conversation, redelivered messages, the database going
//! away, and conversations left alone too long. Each test runs on SQLite and on PostgreSQL
//! where the behaviour is promised on both; those about several processes at once run on
//! PostgreSQL, the database for several processes.

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use pao_bot::answer::Answerer;
use pao_bot::conversation::{
    Content, Engine, Incoming, Period, Reply, ReplyRoute, Response, Store,
};
use pao_bot::database::Database;
use pao_bot::domain::{Channel, ChatIdentity, Timestamp};
use pao_bot::knowledge::{EntryId, Messages, ProcedureId};
use pao_bot::lang::{Lang, Localized};
use pao_bot::policy::{self, CONVERSATION_TIMEOUT};
use pao_bot::report::{Report, Suggestion};
use pao_bot::service::{AccountService, ManualClock, NominationStatus, OutboxEvent, SqlService};
use sqlx::Connection;
use tempfile::TempDir;
use tokio::task::JoinSet;

use crate::databases::{START, TestDb, on_both_databases, registered_agent};
use crate::service::{ibm, identity, new_site, operator, site};
use crate::support::payload_ending;
use crate::support::relay::Relay;

on_both_databases!(
    a_restart_loses_no_conversation,
    a_redelivered_confirmation_requests_once,
    faq_answers_and_refusals_survive_a_closed_database,
    a_flow_left_for_more_than_fifteen_minutes_starts_over,
    a_stored_flow_that_no_longer_parses_is_dropped,
    the_report_groups_unanswered_questions_worded_alike_with_a_suggestion,
    the_report_groups_questions_whose_answer_did_not_help_and_suggests_another_entry,
);

/// Instantiates each named `async fn(TestDb)` as a `postgres` test only: what several bot
/// processes do at once, which only PostgreSQL promises, and what only a server does. A test
/// may carry attributes, such as `#[ignore = "..."]` while the bug it shows is not fixed.
macro_rules! on_postgres {
    ($($(#[$attr:meta])* $test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attr])*
            async fn postgres() {
                $crate::databases::run($crate::databases::Backend::Postgres, super::$test).await;
            }
        }
    )+};
}

/// `on_both_databases!` for tests with attributes, such as `#[ignore = "..."]` while the bug
/// they show is not fixed.
macro_rules! on_both_databases_with {
    ($($(#[$attr:meta])* $test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attr])*
            async fn sqlite() {
                $crate::databases::run($crate::databases::Backend::Sqlite, super::$test).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attr])*
            async fn postgres() {
                $crate::databases::run($crate::databases::Backend::Postgres, super::$test).await;
            }
        }
    )+};
}

on_both_databases_with!(a_flow_cut_off_by_the_database_says_it_is_unavailable,);

on_postgres!(
    two_processes_handle_one_persons_messages_one_at_a_time,
    a_message_redelivered_to_two_processes_at_once_acts_once,
    faq_answers_come_quickly_when_the_server_goes_away,
    a_turns_queued_replies_are_its_to_send_unless_an_earlier_one_to_the_chat_is_unsent,
);

/// The shipped knowledge base, loaded once.
fn bot() -> Arc<Answerer> {
    static BOT: OnceLock<Arc<Answerer>> = OnceLock::new();
    BOT.get_or_init(|| {
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        Arc::new(Answerer::load(&faq).expect("the shipped faq/ loads"))
    })
    .clone()
}

/// An engine on `service`'s database.
fn engine_on(db: &TestDb, service: Arc<SqlService>) -> Engine {
    let database = service.database().clone();
    Engine::new(bot(), service, database, db.clock.clone())
}

/// The engine of the test's own service.
fn engine(db: &TestDb) -> Engine {
    engine_on(db, db.service.clone())
}

/// An engine with its own connections to the same database, as a restarted or a second bot
/// process has.
async fn other_process(db: &TestDb) -> Engine {
    engine_on(db, db.second_service().await)
}

/// Someone writing to the bot in a private Telegram chat.
#[derive(Debug, Clone)]
struct Person {
    sender: ChatIdentity,
    lang_hint: Option<Lang>,
}

impl Person {
    fn telegram(id: &str) -> Person {
        Person {
            sender: identity(&format!("telegram:{id}")),
            lang_hint: None,
        }
    }

    /// A message with a message id no other message of the test binary has.
    fn says(&self, text: &str) -> Incoming {
        self.sends(Content::Text(text.to_owned()))
    }

    fn presses(&self, payload: &str) -> Incoming {
        self.sends(Content::Button(payload.to_owned()))
    }

    fn sends(&self, content: Content) -> Incoming {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        Incoming {
            channel: self.sender.channel(),
            chat: self.sender.id().to_owned(),
            private: true,
            sender: self.sender.clone(),
            lang_hint: self.lang_hint,
            content,
            message_id: Some(format!("m{}", NEXT.fetch_add(1, Ordering::SeqCst))),
            replied_to: None,
        }
    }
}

/// Every reply's text, one after the other.
fn text(response: &Response) -> String {
    let texts: Vec<&str> = response.replies.iter().map(|r| r.text.as_str()).collect();
    texts.join("\n---\n")
}

/// One of the bot's sentences, as the engine says it.
fn sentence(pick: fn(&Messages) -> &Localized, lang: Lang, values: &[(&str, &str)]) -> String {
    let bot = bot();
    let messages = bot.knowledge().messages();
    messages.say(pick(messages), lang, values)
}

/// The question of step `step` of the self-nomination procedure.
fn nomination_step(step: usize, lang: Lang) -> String {
    let bot = bot();
    let id = ProcedureId::parse("self-nomination").expect("a procedure id");
    let procedure = bot
        .knowledge()
        .procedure(&id)
        .expect("the shipped self-nomination procedure");
    procedure.steps[step].text.get(lang).trim().to_owned()
}

/// What step `step` of the self-nomination procedure says to an answer it cannot take.
fn nomination_retry(step: usize, lang: Lang) -> String {
    let bot = bot();
    let id = ProcedureId::parse("self-nomination").expect("a procedure id");
    let procedure = bot
        .knowledge()
        .procedure(&id)
        .expect("the shipped self-nomination procedure");
    let retry = procedure.steps[step]
        .retry
        .as_ref()
        .expect("a retry sentence");
    retry.get(lang).trim().to_owned()
}

const SITE_STEP: usize = 1;
const IBM_ID_STEP: usize = 2;

/// The first line of an FAQ entry's answer, as the engine writes it (links as markup).
fn answer_line(id: &str, lang: Lang) -> String {
    let bot = bot();
    let entry = bot
        .knowledge()
        .entry(&EntryId::parse(id).expect("an entry id"))
        .expect("a shipped entry");
    let answer = entry.answer.get(lang).trim();
    answer.lines().next().unwrap_or_default().trim().to_owned()
}

/// Takes `person` through `/nominate`, the site number and the IBM ID on `engine`, checking
/// each prompt; the flow then waits for the confirmation.
async fn up_to_confirmation(engine: &Engine, person: &Person, number: &str, ibm_id: &str) {
    let lang = person.lang_hint.unwrap_or(Lang::Ja);
    let started = text(&engine.handle(person.says("/nominate")).await);
    assert!(
        started.contains(&nomination_step(SITE_STEP, lang)),
        "{started}"
    );
    let asked = text(&engine.handle(person.says(number)).await);
    assert!(
        asked.contains(&nomination_step(IBM_ID_STEP, lang)),
        "{asked}"
    );
    let summary = text(&engine.handle(person.says(ibm_id)).await);
    let expected = sentence(
        |m| &m.confirm_summary,
        lang,
        &[("site", number), ("ibm_id", ibm_id)],
    );
    assert!(summary.contains(&expected), "{summary}");
}

async fn nomination_rows(db: &TestDb) -> i64 {
    let mut conn = db.raw().await;
    sqlx::query_scalar("SELECT count(*) FROM nominations")
        .fetch_one(&mut conn)
        .await
        .expect("nominations counted")
}

/// An SQLite database from before migration 0004, which rebuilt the tables of handled
/// message ids and answers, keeps what it remembered: a message handled then is still dropped
/// when delivered again, and its answer and feedback still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_database_from_before_the_rebuilt_tables_keeps_its_memory() {
    sqlx::any::install_default_drivers();
    let dir = TempDir::new().expect("a temporary folder");
    let older = dir.path().join("migrations");
    std::fs::create_dir(&older).expect("a folder for the older migrations");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for name in [
        "0001_accounts.sql",
        "0002_conversations.sql",
        "0003_outbox_retries.sql",
    ] {
        std::fs::copy(shipped.join(name), older.join(name)).expect("a migration copied");
    }
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pao-bot.db").display()
    );
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .expect("a new database file");
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .expect("the older migrations read")
        .run(&mut conn)
        .await
        .expect("the older schema made");
    let customer = Person::telegram("1301");
    let handled = customer.says("パスワードを忘れました");
    let answer_id: i64 = 0x2345_6789_abcd_ef01;
    sqlx::query("INSERT INTO handled_messages (chat, message_id, handled_at) VALUES ($1, $2, $3)")
        .bind("telegram:1301")
        .bind(handled.message_id.clone())
        .bind(START)
        .execute(&mut conn)
        .await
        .expect("a handled message recorded");
    sqlx::query(
        "INSERT INTO answers (id, entry_id, lang, person, answered_at, helped) \
         VALUES ($1, 'forgot-password', 'ja', 'telegram:1301', $2, 1)",
    )
    .bind(answer_id)
    .bind(START)
    .execute(&mut conn)
    .await
    .expect("an answer recorded");
    conn.close().await.expect("closed");

    let database = Database::connect(&url)
        .await
        .expect("the database is brought up to date");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(START)));
    let service = Arc::new(SqlService::new(database.clone(), clock.clone()));
    let engine = Engine::new(bot(), service, database, clock);
    let again = engine.handle(handled).await;
    assert!(again.replies.is_empty(), "{again:?}");
    let answered = text(&engine.handle(customer.says("パスワードを忘れました")).await);
    assert!(
        answered.contains(&answer_line("forgot-password", Lang::Ja)),
        "{answered}"
    );
    let stats = engine
        .store()
        .entry_stats(Period::ALL)
        .await
        .expect("the report");
    assert_eq!(stats.len(), 1, "{stats:?}");
    let forgot = &stats[0];
    assert_eq!(forgot.entry_id, "forgot-password");
    assert_eq!((forgot.answered, forgot.helped), (2, 1));
    let rated = engine
        .handle(customer.presses(&format!("fb:{answer_id}:n")))
        .await;
    assert!(!rated.replies.is_empty());
    let stats = engine
        .store()
        .entry_stats(Period::ALL)
        .await
        .expect("the report");
    assert_eq!((stats[0].helped, stats[0].not_helped), (0, 1));
}

async fn a_restart_loses_no_conversation(db: TestDb) {
    new_site(&db, "1234567").await;
    let hanako = Person::telegram("501");
    // John chooses English once; the choice must outlive the process too.
    let john = Person::telegram("502");
    let before = engine(&db);
    before.handle(john.says("/lang en")).await;
    for (person, lang) in [(&hanako, Lang::Ja), (&john, Lang::En)] {
        let started = text(&before.handle(person.says("/nominate")).await);
        assert!(
            started.contains(&nomination_step(SITE_STEP, lang)),
            "{started}"
        );
        let asked = text(&before.handle(person.says("1234567")).await);
        assert!(
            asked.contains(&nomination_step(IBM_ID_STEP, lang)),
            "{asked}"
        );
    }
    drop(before);

    let after = other_process(&db).await;
    let mut said = Vec::new();
    for (person, ibm_id, yes, lang) in [
        (&hanako, "hanako@example.co.jp", "はい", Lang::Ja),
        (&john, "john@example.com", "yes", Lang::En),
    ] {
        let summary = text(&after.handle(person.says(ibm_id)).await);
        let expected = sentence(
            |m| &m.confirm_summary,
            lang,
            &[("site", "1234567"), ("ibm_id", ibm_id)],
        );
        assert!(summary.contains(&expected), "{summary}");
        said.push(text(&after.handle(person.says(yes)).await));
    }

    let pending = db
        .service
        .list_nominations(&operator(), None)
        .await
        .unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");
    for ((nomination, (person, ibm_id, lang)), said) in pending
        .iter()
        .zip([
            (&hanako, "hanako@example.co.jp", Lang::Ja),
            (&john, "john@example.com", Lang::En),
        ])
        .zip(&said)
    {
        assert_eq!(nomination.site, site("1234567"));
        assert_eq!(nomination.ibm_id, ibm(ibm_id));
        assert_eq!(nomination.requested_by, person.sender);
        assert_eq!(nomination.status, NominationStatus::Pending);
        let sent = sentence(
            |m| &m.nomination_sent,
            lang,
            &[("id", &nomination.id.to_string())],
        );
        assert!(said.contains(&sent), "{said}");
    }
}

async fn a_redelivered_confirmation_requests_once(db: TestDb) {
    new_site(&db, "1234567").await;
    let first = Arc::new(engine(&db));
    let second = Arc::new(other_process(&db).await);
    let hanako = Person::telegram("601");
    up_to_confirmation(&first, &hanako, "1234567", "hanako@example.co.jp").await;
    let yes = hanako.says("はい");

    let done = first.handle(yes.clone()).await;
    let again_elsewhere = second.handle(yes.clone()).await;
    let again_here = first.handle(yes.clone()).await;

    let pending = db
        .service
        .list_nominations(&operator(), None)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(nomination_rows(&db).await, 1);
    let sent = sentence(
        |m| &m.nomination_sent,
        Lang::Ja,
        &[("id", &pending[0].id.to_string())],
    );
    assert!(text(&done).contains(&sent), "{done:?}");
    assert_eq!(again_elsewhere, Response::default());
    assert_eq!(again_here, Response::default());

    // The same again, with the copies arriving at one process at once.
    let taro = Person::telegram("602");
    up_to_confirmation(&first, &taro, "1234567", "taro@example.co.jp").await;
    let yes = taro.says("yes");
    let mut deliveries = JoinSet::new();
    for _ in 0..4 {
        let (engine, yes) = (first.clone(), yes.clone());
        deliveries.spawn(async move { engine.handle(yes).await });
    }
    let responses = deliveries.join_all().await;

    assert_eq!(nomination_rows(&db).await, 2);
    let handled: Vec<&Response> = responses
        .iter()
        .filter(|r| **r != Response::default())
        .collect();
    assert_eq!(handled.len(), 1, "{responses:?}");
    let pending = db
        .service
        .list_nominations(&operator(), None)
        .await
        .unwrap();
    let taros = pending
        .iter()
        .find(|n| n.ibm_id == ibm("taro@example.co.jp"))
        .expect("taro's nomination is pending");
    let sent = sentence(
        |m| &m.nomination_sent,
        Lang::Ja,
        &[("id", &taros.id.to_string())],
    );
    assert!(text(handled[0]).contains(&sent), "{handled:?}");
}

async fn a_message_redelivered_to_two_processes_at_once_acts_once(db: TestDb) {
    new_site(&db, "1234567").await;
    let engines = [Arc::new(engine(&db)), Arc::new(other_process(&db).await)];
    let mut expected_rows = 0;
    for round in 0..10 {
        let person = Person::telegram(&format!("70{round}"));
        let ibm_id = format!("r{round}@example.co.jp");
        up_to_confirmation(&engines[round % 2], &person, "1234567", &ibm_id).await;
        let yes = person.says("はい");
        let mut deliveries = JoinSet::new();
        for copy in 0..6 {
            let (engine, yes) = (engines[copy % 2].clone(), yes.clone());
            deliveries.spawn(async move { engine.handle(yes).await });
        }
        let responses = deliveries.join_all().await;
        expected_rows += 1;

        assert_eq!(nomination_rows(&db).await, expected_rows, "round {round}");
        let handled: Vec<&Response> = responses
            .iter()
            .filter(|r| **r != Response::default())
            .collect();
        assert_eq!(handled.len(), 1, "round {round}: {responses:?}");
        let pending = db
            .service
            .list_nominations(&operator(), None)
            .await
            .unwrap();
        let nomination = pending
            .iter()
            .find(|n| n.ibm_id == ibm(&ibm_id))
            .expect("the nomination is pending");
        let sent = sentence(
            |m| &m.nomination_sent,
            Lang::Ja,
            &[("id", &nomination.id.to_string())],
        );
        assert!(
            text(handled[0]).contains(&sent),
            "round {round}: {handled:?}"
        );
    }
}

/// One person, two processes. Each round starts a nomination, then sends the same site
/// number eight times at once, four copies (as different messages) to each process. Handled
/// one at a time, exactly one copy finds the flow waiting for the site number and moves it on;
/// the seven others find it waiting for the IBM ID and are told what an IBM ID looks like.
/// Interleaved turns would both read "waiting for the site number" and both accept it.
async fn two_processes_handle_one_persons_messages_one_at_a_time(db: TestDb) {
    new_site(&db, "1234567").await;
    let engines = [Arc::new(engine(&db)), Arc::new(other_process(&db).await)];
    let person = Person::telegram("801");
    let accepted = nomination_step(IBM_ID_STEP, Lang::Ja);
    let not_an_ibm_id = nomination_retry(IBM_ID_STEP, Lang::Ja);
    const ROUNDS: usize = 12;
    const COPIES: usize = 8;
    for round in 0..ROUNDS {
        let started = text(&engines[round % 2].handle(person.says("/nominate")).await);
        assert!(
            started.contains(&nomination_step(SITE_STEP, Lang::Ja)),
            "{started}"
        );

        let mut racing = JoinSet::new();
        for copy in 0..COPIES {
            let (engine, message) = (engines[copy % 2].clone(), person.says("1234567"));
            racing.spawn(async move { text(&engine.handle(message).await) });
        }
        let replies = racing.join_all().await;

        let took_it = replies.iter().filter(|r| r.contains(&accepted)).count();
        let waited_for_ibm_id = replies
            .iter()
            .filter(|r| r.contains(&not_an_ibm_id))
            .count();
        assert_eq!(
            (took_it, waited_for_ibm_id),
            (1, COPIES - 1),
            "round {round}: {replies:#?}"
        );
        // The flow went on from the one accepted copy, whichever process reads it next.
        let ibm_id = format!("r{round}@example.co.jp");
        let summary = text(&engines[(round + 1) % 2].handle(person.says(&ibm_id)).await);
        let expected = sentence(
            |m| &m.confirm_summary,
            Lang::Ja,
            &[("site", "1234567"), ("ibm_id", &ibm_id)],
        );
        assert!(summary.contains(&expected), "round {round}: {summary}");
        engines[round % 2].handle(person.says("はい")).await;
    }

    let pending = db
        .service
        .list_nominations(&operator(), None)
        .await
        .unwrap();
    assert_eq!(pending.len(), ROUNDS, "{pending:?}");
    assert_eq!(nomination_rows(&db).await, ROUNDS as i64);
    let mut conn = db.raw().await;
    let conversations: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT person, flow FROM conversations")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        conversations,
        vec![("telegram:801".to_owned(), None)],
        "one conversation, its flow finished"
    );
    conn.close().await.unwrap();
}

async fn faq_answers_and_refusals_survive_a_closed_database(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let engine = engine(&db);
    let agent_ja = Person {
        sender: agent.clone(),
        lang_hint: None,
    };
    let agent_en = Person {
        sender: agent,
        lang_hint: Some(Lang::En),
    };
    let customer = Person::telegram("901");
    let listed = text(&engine.handle(agent_ja.says("/pending")).await);
    assert_eq!(listed, sentence(|m| &m.pending_none, Lang::Ja, &[]));

    db.service.database().close().await;

    let ja = text(&engine.handle(customer.says("パスワードを忘れました")).await);
    let en = text(
        &engine
            .handle(customer.says("which browsers are supported?"))
            .await,
    );
    let pending_ja = text(&engine.handle(agent_ja.says("/pending")).await);
    let pending_en = text(&engine.handle(agent_en.says("/pending")).await);

    assert!(
        ja.contains(&answer_line("forgot-password", Lang::Ja)),
        "{ja}"
    );
    assert!(en.contains(&answer_line("browsers", Lang::En)), "{en}");
    assert_eq!(pending_ja, sentence(|m| &m.unavailable, Lang::Ja, &[]));
    assert_eq!(pending_en, sentence(|m| &m.unavailable, Lang::En, &[]));
}

/// The database goes away while a nomination waits for its confirmation: the confirmation,
/// typed or pressed, and a new `/nominate` are told that account actions are unavailable
/// rather than taken for questions or silently dropped.
async fn a_flow_cut_off_by_the_database_says_it_is_unavailable(db: TestDb) {
    new_site(&db, "1234567").await;
    let engine = engine(&db);
    let hanako = Person::telegram("951");
    let john = Person {
        lang_hint: Some(Lang::En),
        ..Person::telegram("952")
    };
    up_to_confirmation(&engine, &hanako, "1234567", "hanako@example.co.jp").await;
    up_to_confirmation(&engine, &john, "1234567", "john@example.com").await;

    db.service.database().close().await;

    let typed = text(&engine.handle(hanako.says("はい")).await);
    let pressed = text(&engine.handle(john.presses("yes")).await);
    let started = text(
        &engine
            .handle(Person::telegram("953").says("/nominate"))
            .await,
    );

    let unavailable = sentence(|m| &m.unavailable, Lang::Ja, &[]);
    assert!(typed.contains(&unavailable), "{typed}");
    let unavailable_en = sentence(|m| &m.unavailable, Lang::En, &[]);
    assert!(pressed.contains(&unavailable_en), "{pressed:?}");
    assert!(started.contains(&unavailable), "{started}");
    // A flow that could not be remembered is not started.
    assert!(
        !started.contains(&nomination_step(SITE_STEP, Lang::Ja)),
        "{started}"
    );
}

async fn a_flow_left_for_more_than_fifteen_minutes_starts_over(db: TestDb) {
    new_site(&db, "1234567").await;
    let prompt = engine(&db);
    let slow = Person::telegram("1001");
    let slower = Person::telegram("1002");
    let english = Person {
        lang_hint: Some(Lang::En),
        ..Person::telegram("1003")
    };
    for person in [&slow, &slower, &english] {
        prompt.handle(person.says("/nominate")).await;
    }
    drop(prompt);

    // Exactly fifteen minutes is not too long; the other process sees the same.
    db.clock.advance(CONVERSATION_TIMEOUT);
    let later = other_process(&db).await;
    let in_time = text(&later.handle(slow.says("1234567")).await);
    db.clock.advance(Duration::from_secs(1));
    let too_late = later.handle(slower.says("1234567")).await;
    let too_late_en = later.handle(english.says("1234567")).await;
    // The IBM ID after it is no flow answer either, so nothing is requested.
    let then = text(&later.handle(slower.says("hanako@example.co.jp")).await);
    let yes = text(&later.handle(slower.says("はい")).await);

    assert!(
        in_time.contains(&nomination_step(IBM_ID_STEP, Lang::Ja)),
        "{in_time}"
    );
    let minutes = policy::minutes(CONVERSATION_TIMEOUT).to_string();
    let minutes = [("minutes", minutes.as_str())];
    let timed_out = sentence(|m| &m.timed_out, Lang::Ja, &minutes);
    assert_eq!(too_late.replies[0].text, timed_out, "{too_late:?}");
    let timed_out_en = sentence(|m| &m.timed_out, Lang::En, &minutes);
    assert_eq!(too_late_en.replies[0].text, timed_out_en, "{too_late_en:?}");
    for response in [&too_late, &too_late_en] {
        let all = text(response);
        assert!(
            !all.contains(&nomination_step(IBM_ID_STEP, Lang::Ja)),
            "{all}"
        );
        assert!(
            !all.contains(&nomination_step(IBM_ID_STEP, Lang::En)),
            "{all}"
        );
    }
    assert!(!then.contains(&timed_out), "said once: {then}");
    let summary = sentence(
        |m| &m.confirm_summary,
        Lang::Ja,
        &[("site", "1234567"), ("ibm_id", "hanako@example.co.jp")],
    );
    assert!(!then.contains(&summary), "{then}");
    assert!(!yes.contains("1234567"), "{yes}");
    assert_eq!(nomination_rows(&db).await, 0);
    let mut conn = db.raw().await;
    let flow: Option<String> =
        sqlx::query_scalar("SELECT flow FROM conversations WHERE person = 'telegram:1002'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(flow, None);
    conn.close().await.unwrap();
}

/// A stored flow holding a value this version no longer accepts (here a 6-digit site number)
/// is dropped where it is read: the conversation starts over and nothing is requested.
async fn a_stored_flow_that_no_longer_parses_is_dropped(db: TestDb) {
    new_site(&db, "1234567").await;
    let engine = engine(&db);
    let person = Person::telegram("1401");
    engine.handle(person.says("/nominate")).await;
    let asked = text(&engine.handle(person.says("1234567")).await);
    assert!(
        asked.contains(&nomination_step(IBM_ID_STEP, Lang::Ja)),
        "{asked}"
    );
    let mut conn = db.raw().await;
    let flow: String =
        sqlx::query_scalar("SELECT flow FROM conversations WHERE person = 'telegram:1401'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(flow.contains("\"1234567\""), "{flow}");
    sqlx::query("UPDATE conversations SET flow = $1 WHERE person = 'telegram:1401'")
        .bind(flow.replace("\"1234567\"", "\"123456\""))
        .execute(&mut conn)
        .await
        .unwrap();

    let then = text(&engine.handle(person.says("hanako@example.co.jp")).await);
    let yes = text(&engine.handle(person.says("はい")).await);

    assert!(
        !then.contains("123456"),
        "no summary of the old flow: {then}"
    );
    assert!(!yes.contains("123456"), "{yes}");
    assert_eq!(nomination_rows(&db).await, 0);
    let flow: Option<String> =
        sqlx::query_scalar("SELECT flow FROM conversations WHERE person = 'telegram:1401'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(flow, None);
    conn.close().await.unwrap();
}

/// A bot started while its PostgreSQL server is down still answers questions, and says that
/// account actions are unavailable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_server_at_start_still_answers_questions() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("postgres://pao@127.0.0.1:{port}/pao");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(START)));

    let opening = Instant::now();
    let database = Database::open(&url)
        .await
        .expect("an unreachable database still opens");
    let opened_in = opening.elapsed();
    let service = Arc::new(SqlService::new(database.clone(), clock.clone()));
    let engine = Engine::new(bot(), service, database, clock);
    let customer = Person::telegram("1101");
    let local = Person {
        sender: operator(),
        lang_hint: Some(Lang::En),
    };
    eprintln!("opened in {opened_in:?}");
    answered_and_refused(&engine, &customer, &local, Lang::En).await;
}

/// With the database out of reach, `customer` still gets the FAQ's answer to a question, and
/// the agent command of `local` (who speaks `lang`) is refused as unavailable for now. Each
/// comes well before a chat platform would give up: the pool does not wait for the database
/// for its default 30 s.
async fn answered_and_refused(engine: &Engine, customer: &Person, local: &Person, lang: Lang) {
    let asking = Instant::now();
    let answer = text(&engine.handle(customer.says("パスワードを忘れました")).await);
    let answered_in = asking.elapsed();
    let refusing = Instant::now();
    let pending = text(&engine.handle(local.says("/pending")).await);
    let refused_in = refusing.elapsed();

    eprintln!("answered in {answered_in:?}, refused in {refused_in:?}");
    assert!(
        answer.contains(&answer_line("forgot-password", Lang::Ja)),
        "{answer}"
    );
    assert_eq!(pending, sentence(|m| &m.unavailable, lang, &[]));
    assert!(
        answered_in < Duration::from_secs(5),
        "answered in {answered_in:?}"
    );
    assert!(
        refused_in < Duration::from_secs(10),
        "refused in {refused_in:?}"
    );
}

/// The database server goes away under a running bot (no `close()`: its connections break and
/// new ones are refused). Questions are still answered, and soon: a customer does not wait
/// for the pool to give up on the database for the length of a chat platform's patience.
async fn faq_answers_come_quickly_when_the_server_goes_away(db: TestDb) {
    let (relay, url) = Relay::in_front_of(&db.url);
    let service = Arc::new(
        SqlService::connect(&url, db.clock.clone())
            .await
            .expect("the database opens through the relay"),
    );
    let engine = engine_on(&db, service);
    let customer = Person::telegram("1201");
    let local = Person {
        sender: operator(),
        lang_hint: None,
    };
    let before = text(&engine.handle(customer.says("パスワードを忘れました")).await);
    assert!(
        before.contains(&answer_line("forgot-password", Lang::Ja)),
        "{before}"
    );

    relay.stop();
    answered_and_refused(&engine, &customer, &local, Lang::Ja).await;
}

async fn the_report_groups_questions_whose_answer_did_not_help_and_suggests_another_entry(
    db: TestDb,
) {
    let engine = engine(&db);
    let customer = Person::telegram("951");
    // Two wordings of one question, answered and marked "did not help"; a third helped.
    for (question, helped) in [
        ("I forgot my password", ":n"),
        ("I forgot my password", ":n"),
        ("i forgot my password again", ":n"),
        ("how do I log out", ":y"),
    ] {
        let answered = engine.handle(customer.says(question)).await;
        let feedback = payload_ending(&answered, helped);
        engine.handle(customer.presses(&feedback)).await;
    }
    let store = Store::new(db.service.database().clone());
    let report = Report::read(&store, &bot(), Period::ALL).await.unwrap();
    assert_eq!(report.did_not_help.len(), 1, "{:?}", report.did_not_help);
    let group = &report.did_not_help[0];
    assert_eq!(
        group.questions,
        ["I forgot my password", "i forgot my password again"]
    );
    assert_eq!(group.asked, 3);
    assert_eq!(group.answered_by.as_deref(), Some("forgot-password"));
    // The entry that did not help is not suggested again.
    assert!(
        !matches!(&group.suggestion, Suggestion::Entry { id, .. } if id == "forgot-password"),
        "{:?}",
        group.suggestion
    );
    assert!(
        report
            .to_string()
            .contains("answered by forgot-password, which did not help")
    );
}

/// `report` on what customers could not get answered: questions worded alike form one group
/// (counted together, the most asked wording first), each group with the entry it comes
/// closest to, "new entry" when none is near, or the cue that already takes it elsewhere.
async fn the_report_groups_unanswered_questions_worded_alike_with_a_suggestion(db: TestDb) {
    let engine = engine(&db);
    let customer = Person::telegram("950");
    for question in [
        "how do I knit a scarf",
        "how do I knit a scarf",
        "how can I knit a scarf",
        "who do I call about PAO invoices",
        "how do I log out of windows 11",
    ] {
        engine.handle(customer.says(question)).await;
    }
    let store = Store::new(db.service.database().clone());
    let report = Report::read(&store, &bot(), Period::ALL).await.unwrap();
    let groups: Vec<(Vec<&str>, i64, &Suggestion)> = report
        .groups
        .iter()
        .map(|g| {
            let questions = g.questions.iter().map(String::as_str).collect();
            (questions, g.asked, &g.suggestion)
        })
        .collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
    let (questions, asked, suggestion) = &groups[0];
    assert_eq!(
        questions,
        &["how do I knit a scarf", "how can I knit a scarf"]
    );
    assert_eq!(*asked, 3);
    assert!(
        matches!(suggestion, Suggestion::NewEntry { .. }),
        "{suggestion:?}"
    );
    let invoices = groups
        .iter()
        .find(|(q, _, _)| q == &["who do I call about PAO invoices"])
        .expect("the invoices question alone");
    assert!(
        matches!(invoices.2, Suggestion::Entry { score, .. } if *score >= 0.15),
        "{:?}",
        invoices.2
    );
    let windows = groups
        .iter()
        .find(|(q, _, _)| q == &["how do I log out of windows 11"])
        .expect("the Windows question alone");
    assert_eq!(
        windows.2,
        &Suggestion::Elsewhere {
            cue: "windows 11".into()
        }
    );
    let text = report.to_string();
    assert!(text.contains("-> new entry"), "{text}");
    assert!(text.contains("-> closest entry: "), "{text}");
}

/// The texts of queued replies.
fn queued_texts(claimed: &[pao_bot::service::OutboxMessage]) -> Vec<String> {
    claimed
        .iter()
        .map(|message| match &message.event {
            OutboxEvent::Reply { text, .. } => text.clone(),
            other => panic!("not a queued reply: {other:?}"),
        })
        .collect()
}

/// A turn routed to the outbox queues its replies with its write and claims them for its
/// replica to send; the next turn in the chat, while they are unsent, leaves its own to the
/// delivery rounds, which send them only after the first ones.
async fn a_turns_queued_replies_are_its_to_send_unless_an_earlier_one_to_the_chat_is_unsent(
    db: TestDb,
) {
    let engine = engine(&db);
    let customer = Person::telegram("1201");
    let route = ReplyRoute {
        chat: customer.sender.clone(),
        answering: Some(7),
    };
    let first = engine
        .handle_routed(customer.says("I forgot my password"), Some(&route))
        .await;
    assert!(first.response.replies.is_empty(), "{:?}", first.response);
    assert_eq!(first.claimed.len(), first.queued);
    let texts = queued_texts(&first.claimed);
    assert!(
        texts[0].contains(&answer_line("forgot-password", Lang::En)),
        "{texts:?}"
    );
    let OutboxEvent::Reply { answering, .. } = &first.claimed[0].event else {
        unreachable!("checked above");
    };
    assert_eq!(*answering, Some(7), "the first reply answers the message");

    // While the first turn's replies are claimed and unsent, the next turn's wait.
    let second = engine
        .handle_routed(
            customer.says("which browsers does PAO support"),
            Some(&route),
        )
        .await;
    assert!(second.response.replies.is_empty());
    assert!(second.queued > 0);
    assert!(second.claimed.is_empty(), "{:?}", second.claimed);
    let sent = std::sync::Mutex::new(Vec::<Reply>::new());
    let deliver = || {
        engine.deliver_once(Channel::Telegram, |_, reply| {
            sent.lock().unwrap().push(reply);
            async { Ok::<(), String>(()) }
        })
    };
    assert_eq!(
        deliver().await.unwrap(),
        0,
        "sent before the earlier replies"
    );

    let ids: Vec<_> = first.claimed.iter().map(|message| message.id).collect();
    db.service.mark_all_delivered(&ids).await.unwrap();
    assert_eq!(deliver().await.unwrap(), second.queued);
    let sent = sent.into_inner().unwrap();
    assert!(
        sent[0].text.contains(&answer_line("browsers", Lang::En)),
        "{sent:?}"
    );
    assert!(!sent.iter().any(|reply| texts.contains(&reply.text)));
}
