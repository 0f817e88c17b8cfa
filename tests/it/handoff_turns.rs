//! What a turn reads and writes of the help desk. The turn's one read of the conversation
//! says whether the sender is in a handoff, so that a turn in none asks for no tickets, a
//! handed-over customer's message is relayed without asking either, and only an agent holding
//! tickets (who may have taken them anywhere: the web desk, another process) is asked which;
//! counted by the engine's own metric of that read, recorded on the test's thread alone. A
//! customer's relayed message is written with the turn's one write, or not at all.

use std::path::Path;
use std::sync::{Arc, Mutex};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, Engine, Incoming};
use pao_bot::domain::{Channel, ChatIdentity};
use pao_bot::lang::Lang;
use pao_bot::service::{HelpDesk, SqlService};
use sqlx::{Connection, Executor};

use crate::databases::{Backend, TestDb, on_both_databases, registered_agent};
use crate::service::identity;

on_both_databases!(
    only_an_agent_holding_tickets_is_asked_for_them,
    a_relayed_message_is_written_with_its_turn_or_not_at_all,
);

fn says(sender: &ChatIdentity, n: usize, text: &str) -> Incoming {
    Incoming {
        channel: sender.channel(),
        chat: sender.id().to_owned(),
        private: true,
        sender: sender.clone(),
        lang_hint: None,
        content: Content::Text(text.to_owned()),
        message_id: Some(format!("reads-{n}")),
        replied_to: None,
    }
}

/// How many times the engine asked the help desk for a sender's tickets.
fn tickets_read(metrics: &PrometheusHandle) -> u64 {
    metrics
        .render()
        .lines()
        .find_map(|line| {
            line.strip_prefix(r#"pao_database_round_seconds_count{round="read_tickets"} "#)
        })
        .map_or(0, |count| count.trim().parse().expect("a count"))
}

async fn only_an_agent_holding_tickets_is_asked_for_them(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let customer = identity("telegram:1");
    let (url, clock) = (db.url.clone(), db.clock.clone());
    let recorder = PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    // A runtime of its own on a thread of its own, so that the recorder, local to that
    // thread, counts this test's turns and no other test's.
    let scenario = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
                let bot = Arc::new(Answerer::load(&faq).expect("the shipped faq/ loads"));
                let service = Arc::new(SqlService::connect(&url, clock.clone()).await.unwrap());
                let database = service.database().clone();
                let engine = Engine::new(bot, service.clone(), database, clock);
                let mut counts = Vec::new();

                engine
                    .handle(says(&customer, 1, "パスコードを忘れました"))
                    .await;
                engine.handle(says(&agent, 2, "how do I add a site?")).await;
                engine.handle(says(&customer, 3, "/human")).await;
                counts.push(tickets_read(&metrics));

                let ticket = service.open_tickets_of(&customer, "1").await.unwrap()[0].id;
                // Taken elsewhere (as on the web desk): the agent's chat saw nothing of it.
                service.take(&agent, ticket).await.unwrap();
                engine.handle(says(&customer, 4, "the page is blank")).await;
                counts.push(tickets_read(&metrics));
                engine.handle(says(&agent, 5, "which page?")).await;
                counts.push(tickets_read(&metrics));

                let delivered = Mutex::new(Vec::new());
                while engine
                    .deliver_once(Channel::Telegram, |to, reply| {
                        delivered.lock().unwrap().push((to, reply.text));
                        async { Ok::<(), String>(()) }
                    })
                    .await
                    .unwrap()
                    > 0
                {}
                (counts, delivered.into_inner().unwrap())
            })
        })
    });
    let (counts, delivered) = scenario.join().expect("the scenario ran");
    assert_eq!(counts, [0, 0, 1], "tickets read after each step");
    let got = |who: &str, what: &str| {
        delivered
            .iter()
            .any(|(to, text)| to.to_string() == who && text.contains(what))
    };
    assert!(got("telegram:900", "the page is blank"), "{delivered:?}");
    assert!(got("telegram:1", "which page?"), "{delivered:?}");
}

/// Makes saving `person`'s conversations fail, or succeed again when `fail` is false.
async fn conversations_refused(db: &TestDb, person: &str, fail: bool) {
    let statements: Vec<String> = match (db.backend, fail) {
        (Backend::Sqlite, true) => ["INSERT", "UPDATE"]
            .iter()
            .map(|on| {
                format!(
                    "CREATE TRIGGER refused_{on} BEFORE {on} ON conversations \
                     WHEN NEW.person = '{person}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            })
            .collect(),
        (Backend::Sqlite, false) => vec![
            "DROP TRIGGER refused_INSERT".to_owned(),
            "DROP TRIGGER refused_UPDATE".to_owned(),
        ],
        (Backend::Postgres, true) => vec![
            "CREATE FUNCTION refused() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER refused BEFORE INSERT OR UPDATE ON conversations FOR EACH ROW \
                 WHEN (NEW.person = '{person}') EXECUTE FUNCTION refused()"
            ),
        ],
        (Backend::Postgres, false) => vec!["DROP TRIGGER refused ON conversations".to_owned()],
    };
    let mut conn = db.raw().await;
    for statement in statements {
        conn.execute(statement.as_str())
            .await
            .expect("the trigger changes");
    }
    conn.close().await.expect("closed");
}

/// What the outbox holds for `recipient`, delivered or not, and the ticket's transcript.
async fn relayed(db: &TestDb, recipient: &str) -> (Vec<String>, Vec<String>) {
    let mut conn = db.raw().await;
    let outbox = sqlx::query_scalar("SELECT payload FROM outbox WHERE recipient = $1 ORDER BY id")
        .bind(recipient)
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let lines = sqlx::query_scalar("SELECT text FROM handoff_messages ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    (outbox, lines)
}

async fn a_relayed_message_is_written_with_its_turn_or_not_at_all(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let customer = identity("telegram:1");
    let service = db.service.clone();
    let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let bot = Arc::new(Answerer::load(&faq).expect("the shipped faq/ loads"));
    let messages = bot.knowledge().messages();
    let unavailable =
        [Lang::Ja, Lang::En].map(|lang| messages.say(&messages.unavailable, lang, &[]));
    let engine = Engine::new(
        bot.clone(),
        service.clone(),
        service.database().clone(),
        db.clock.clone(),
    );
    engine.handle(says(&customer, 10, "/human")).await;
    let ticket = service.open_tickets_of(&customer, "1").await.unwrap()[0].id;
    service.take(&agent, ticket).await.unwrap();
    let (announced, _) = relayed(&db, "telegram:900").await;

    conversations_refused(&db, "telegram:1", true).await;
    let refused = engine
        .handle(says(&customer, 11, "the page is blank"))
        .await;
    let (outbox, lines) = relayed(&db, "telegram:900").await;
    assert_eq!(outbox, announced, "nothing more for the agent");
    assert!(lines.is_empty(), "{lines:?}");
    let told: Vec<&String> = refused.replies.iter().map(|r| &r.text).collect();
    assert!(
        told.iter().any(|t| unavailable.contains(t)),
        "the customer is told: {told:?}"
    );

    // The platform delivers the message again, and this time the turn is saved.
    conversations_refused(&db, "telegram:1", false).await;
    engine
        .handle(says(&customer, 11, "the page is blank"))
        .await;
    engine
        .handle(says(&customer, 11, "the page is blank"))
        .await;
    let (outbox, lines) = relayed(&db, "telegram:900").await;
    let blank = |texts: &[String]| {
        texts
            .iter()
            .filter(|t| t.contains("the page is blank"))
            .count()
    };
    assert_eq!(blank(&outbox), 1, "{outbox:?}");
    assert_eq!(blank(&lines), 1, "{lines:?}");
}
