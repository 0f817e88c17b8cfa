//! `pao-bot report` over a period (`--since`, `--until`) and the clearing of old rows
//! (`--clear-before`), on both databases, through the binary.

use serde_json::Value;
use sqlx::Executor;

use crate::databases::{TestDb, on_both_databases};
use crate::support::{Run, pao_bot, pao_bot_with_env};

on_both_databases!(
    the_report_counts_only_its_period,
    old_rows_are_cleared_and_newer_ones_kept,
    the_report_counts_handoffs_waits_durations_ratings_and_questions,
);

/// One answer and one unanswered question at each of these moments, named by them.
const MOMENTS: [(&str, i64); 4] = [
    // 2025-03-31T23:00Z, 2025-04-01T12:00Z, 2025-04-02T00:00Z, 2025-04-03T10:00Z
    ("d0331", 1_743_462_000_000),
    ("d0401", 1_743_508_800_000),
    ("d0402", 1_743_552_000_000),
    ("d0403", 1_743_674_400_000),
];

async fn with_rows(db: &TestDb) {
    let mut conn = db.raw().await;
    for (n, (name, at)) in MOMENTS.iter().enumerate() {
        conn.execute(
            format!(
                "INSERT INTO answers (id, entry_id, lang, person, answered_at, helped) \
                 VALUES ({}, '{name}', 'en', 'console:guest', {at}, 1)",
                n + 1
            )
            .as_str(),
        )
        .await
        .expect("an answer stored");
        conn.execute(
            format!(
                "INSERT INTO unanswered (question, folded, lang, asked_at) \
                 VALUES ('question {name}', 'question {name}', 'en', {at})"
            )
            .as_str(),
        )
        .await
        .expect("an unanswered question stored");
    }
}

fn report(db: &TestDb, args: &[&str]) -> Run {
    let args = [&["report", "--database-url", &db.url], args].concat();
    pao_bot_with_env(&args, "", &[])
}

/// The moments a `report --json` saw, in the answers and in the unanswered questions.
fn seen(db: &TestDb, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let run = report(db, &[&["--json"], args].concat());
    assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
    let object: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let mut answered: Vec<String> = object["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["answered"].as_i64() > Some(0))
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect();
    answered.sort();
    let mut unanswered: Vec<String> = object["unanswered"]
        .as_array()
        .expect("unanswered")
        .iter()
        .map(|q| {
            q["question"]
                .as_str()
                .expect("a question")
                .replace("question ", "")
        })
        .collect();
    unanswered.sort();
    (answered, unanswered)
}

fn both(names: &[&str]) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    (names.clone(), names)
}

async fn the_report_counts_only_its_period(db: TestDb) {
    with_rows(&db).await;
    assert_eq!(seen(&db, &[]), both(&["d0331", "d0401", "d0402", "d0403"]));
    let one_day = ["--since", "2025-04-01", "--until", "2025-04-01"];
    assert_eq!(seen(&db, &one_day), both(&["d0401"]));
    assert_eq!(
        seen(&db, &["--since", "2025-04-02"]),
        both(&["d0402", "d0403"])
    );
    assert_eq!(seen(&db, &["--until", "2025-03-31"]), both(&["d0331"]));
    let text = report(&db, &one_day);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(text.stdout.contains("question d0401"), "{}", text.stdout);
    assert!(!text.stdout.contains("question d0402"), "{}", text.stdout);
}

async fn old_rows_are_cleared_and_newer_ones_kept(db: TestDb) {
    with_rows(&db).await;
    let cleared = report(&db, &["--clear-before", "2025-04-02"]);
    assert_eq!(cleared.code, Some(0), "{}", cleared.stderr);
    assert_eq!(
        cleared.stdout,
        "cleared from before 2025-04-02: 2 answers (with their feedback), 2 unanswered \
         questions\n"
    );
    assert_eq!(seen(&db, &[]), both(&["d0402", "d0403"]));
    let again = report(&db, &["--clear-before", "2025-04-02"]);
    assert!(again.stdout.contains(": 0 answers"), "{}", again.stdout);
}

#[test]
fn a_bad_date_or_an_empty_period_is_refused_with_what_to_write() {
    for args in [
        &["report", "--since", "2025-13-01"][..],
        &["report", "--until", "yesterday"],
        &["report", "--clear-before", "01/04/2025"],
    ] {
        let run = pao_bot(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("YYYY-MM-DD"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = pao_bot(&["report", "--since", "2025-04-02", "--until", "2025-04-01"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the report's period is empty: --since 2025-04-02 is after --until 2025-04-01"
        ),
        "{}",
        run.stderr
    );
    let run = pao_bot(&["report", "--json", "--clear-before", "2025-04-01"]);
    assert_eq!(
        run.code,
        Some(2),
        "clearing prints no report: {}",
        run.stderr
    );
}

async fn the_report_counts_handoffs_waits_durations_ratings_and_questions(db: TestDb) {
    use std::time::Duration;

    use pao_bot::lang::Lang;
    use pao_bot::service::{HelpDesk, NewTicket, Rating};

    let agent = crate::databases::registered_agent(&db, "telegram:900").await;
    // Three tickets on 2025-04-01: taken after 1, 2 and 9 minutes, closed 10 minutes after
    // asking, rated 5, 4 and 5; two asked the same question.
    for (n, (waited, rating, question)) in
        [(1, 5u8, "invoice"), (2, 4, "invoice"), (9, 5, "refund")]
            .into_iter()
            .enumerate()
    {
        let customer = pao_bot::domain::ChatIdentity::parse(&format!("telegram:{}", 100 + n))
            .expect("a chat identity");
        let queued = db
            .service
            .open_ticket(NewTicket {
                customer: &customer,
                chat: customer.id(),
                lang: Lang::En,
                question: Some(question),
                tried: &[],
                recent: &[],
            })
            .await
            .unwrap();
        db.clock.advance(Duration::from_secs(waited * 60));
        db.service.take(&agent, queued.ticket).await.unwrap();
        db.clock.advance(Duration::from_secs((10 - waited) * 60));
        db.service
            .close_ticket(&agent, queued.ticket)
            .await
            .unwrap();
        let rating = Rating::try_from(rating).unwrap();
        db.service
            .rate(&customer, queued.ticket, rating)
            .await
            .unwrap();
    }
    let run = report(&db, &["--json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let object: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let handoffs = &object["handoffs"];
    assert_eq!(handoffs["per_day"], serde_json::json!([["2025-04-01", 3]]));
    assert_eq!(handoffs["median_wait_secs"], 120);
    assert_eq!(handoffs["median_duration_secs"], 600);
    assert_eq!(handoffs["ratings"], serde_json::json!([0, 0, 0, 1, 2]));
    assert_eq!(
        handoffs["questions"],
        serde_json::json!([["invoice", 2], ["refund", 1]])
    );
    let text = report(&db, &[]);
    assert!(
        text.stdout
            .contains("median wait until taken: 2m00s; median duration: 10m00s"),
        "{}",
        text.stdout
    );
}
