//! The help desk's pages on a full SQLite database: each page's time, from the request's
//! first byte to its last byte back, over HTTP on loopback through the real router, as an
//! agent's browser asks for it. Issue 18's target: every page within 20 ms at p99.
//!
//! Run: `cargo bench --bench desk`
//!
//! The database holds 10,000 pending nominations over 500 sites (one of them with 1,000
//! members and the nominations approved to make them), 100,000 unanswered questions and
//! 100,000 answers over the last 90 days, 2,000 closed handoffs, and the audit rows all that
//! would have written. It is filled in one transaction of prepared inserts, straight into
//! the tables: the service would take minutes for what a year of customers does. The agent
//! signs in by a link from the service, as the tests do, and keeps its session cookie on one
//! kept-alive connection.
//!
//! One round asks for every page once, in turn, so that a moment of load on the shared
//! machine falls on every page alike; [`ROUNDS`] rounds are timed after [`WARM_UP`]. The
//! nominations, the site and the audit log each write an audit row as they are read (a read
//! of the lists or of a site is audited as the chat's `/pending` is; the home and insight
//! pages write none): what one such write costs is measured on its own at the end, written
//! as the service writes it.
//!
//! A custom harness rather than criterion: the figure is a percentile per page.

// The event stream's reading is the web chat's benchmark's, not this one's.
#[allow(dead_code)]
#[path = "support/http.rs"]
mod http;
#[path = "support/latencies.rs"]
mod latencies;
#[path = "support/machine.rs"]
mod machine;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, TimeZone};
use pao_bot::answer::Answerer;
use pao_bot::channels::web;
use pao_bot::config::WebSettings;
use pao_bot::conversation::Engine;
use pao_bot::database::Database;
use pao_bot::domain::ChatIdentity;
use pao_bot::service::Action;
use pao_bot::text::fold;
use secrecy::ExposeSecret;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use http::Connection;
use latencies::Latencies;

const PENDING: i64 = 10_000;
const SITES: i64 = 500;
/// The site with many members: its number is the first.
const MEMBERS: i64 = 1_000;
const UNANSWERED: i64 = 100_000;
const ANSWERS: i64 = 100_000;
const HANDOFFS: i64 = 2_000;
/// The period the questions, answers and handoffs are spread over, in days.
const DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Distinct wordings among the unanswered questions.
const WORDINGS: i64 = 3_000;

const WARM_UP: usize = 10;
const ROUNDS: usize = 300;
/// Audit rows written on their own, to time one.
const AUDIT_WRITES: usize = 1_000;

const TARGET: Duration = Duration::from_millis(20);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let dir = TempDir::new().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let db = Database::connect(&url).await.expect("the database opens");
    let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let bot = Arc::new(Answerer::load(&faq).expect("the shipped FAQ loads"));
    let now = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    fill(&db, &bot, now).await;
    println!(
        "desk: filled in {:.1?}: {PENDING} pending nominations over {SITES} sites ({MEMBERS} \
         members in one), {UNANSWERED} unanswered questions and {ANSWERS} answers over \
         {DAYS} days, {HANDOFFS} handoffs",
        started.elapsed()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("the bound address");
    let engine = Arc::new(
        Engine::on_database(bot, db.clone()).with_web_url(Some(format!("http://{address}"))),
    );
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn({
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        async move { web::serve(engine, &WebSettings::on(address), listener, shutdown).await }
    });

    let (mut browser, headers) = signed_in(&engine, address).await;
    let pages = pages(now);
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); pages.len()];
    let mut sizes = vec![0; pages.len()];
    for round in 0..WARM_UP + ROUNDS {
        for (((name, path), times), size) in pages.iter().zip(&mut times).zip(&mut sizes) {
            let asked = Instant::now();
            let answer = browser
                .get(path, &headers)
                .await
                .expect("the page is served");
            let took = asked.elapsed();
            assert_eq!(answer.status, 200, "{name}: {path}");
            *size = answer.body.len();
            if round >= WARM_UP {
                times.push(took);
            }
        }
    }
    println!("desk: {ROUNDS} requests a page; {}", machine::described());
    for (((name, path), times), size) in pages.iter().zip(times).zip(sizes) {
        let latencies = Latencies::of(times);
        let verdict = if latencies.p99 <= TARGET {
            "within"
        } else {
            "OVER"
        };
        println!("  {name:<36} {latencies}  ({verdict} 20 ms)  {size:>7} bytes  {path}");
    }
    println!(
        "desk: one audit row written as a page's read writes it: {}",
        audit_writes(&db, now).await
    );
    shutdown.cancel();
    serving
        .await
        .expect("the server does not panic")
        .expect("the server stops cleanly");
}

/// The pages, by name, with their paths.
fn pages(now: i64) -> Vec<(&'static str, String)> {
    let jst = FixedOffset::east_opt(9 * 60 * 60).expect("JST");
    let month_ago = jst
        .timestamp_millis_opt(now - 30 * DAY_MS)
        .single()
        .expect("a time")
        .format("%Y-%m-%d");
    vec![
        ("home", "/desk".to_owned()),
        ("nominations, first page", "/desk/nominations".to_owned()),
        (
            "nominations, after 9,000",
            "/desk/nominations?after=9000".to_owned(),
        ),
        (
            "site with 1,000 members",
            format!("/desk/sites/{}", site(0)),
        ),
        ("audit, unfiltered", "/desk/audit".to_owned()),
        ("audit, one site", format!("/desk/audit?site={}", site(7))),
        (
            "audit, requests of the last 30 days",
            format!("/desk/audit?action=nomination_request&since={month_ago}"),
        ),
        ("insight, 7 days", "/desk/insight?days=7".to_owned()),
        ("insight, 30 days", "/desk/insight?days=30".to_owned()),
        ("insight, 90 days", "/desk/insight?days=90".to_owned()),
    ]
}

fn site(n: i64) -> String {
    format!("{}", 1_000_000 + n)
}

/// A browser signed in to the desk as a registered agent, by a link from the service, and
/// the headers of its requests (its session's cookie among them).
async fn signed_in(engine: &Engine, address: SocketAddr) -> (Connection, String) {
    let operator = ChatIdentity::local_operator();
    let agent = ChatIdentity::parse("telegram:900").expect("an agent's identity");
    let service = engine.service();
    service
        .add_agent(&operator, &agent)
        .await
        .expect("the agent is registered");
    let link = service.web_link(&agent, &agent).await.expect("a link");
    let mut browser = Connection::open(address, None)
        .await
        .expect("the server accepts");
    let body = http::form(&[("secret", link.secret.expose_secret())]);
    let answer = browser
        .post("/desk/login", HEADERS, &body)
        .await
        .expect("signed in");
    assert_eq!(answer.status, 303, "the link signs the agent in");
    let cookie = answer.cookie.expect("a session cookie");
    (browser, format!("{HEADERS}Cookie: {cookie}\r\n"))
}

/// What the agent's browser says of itself.
const HEADERS: &str = "Accept: text/html\r\nAccept-Language: ja-JP,ja;q=0.9\r\n";

/// Everything the desk's pages read, written in one transaction of prepared inserts.
async fn fill(db: &Database, bot: &Answerer, now: i64) {
    let write = db.begin().await.expect("a write transaction");
    let mut tx = write.tx;
    let operator = "local:operator";
    let audit = "INSERT INTO audit_log (at, actor, action, site_number, ibm_id, outcome, detail) \
                 VALUES ($1, $2, $3, $4, $5, 'ok', $6)";
    let year_ago = now - 365 * DAY_MS;
    for n in 0..SITES {
        let at = year_ago + n * 1000;
        sqlx::query(
            "INSERT INTO sites (site_number, program, created_at, created_by) \
             VALUES ($1, 'pa', $2, $3)",
        )
        .bind(site(n))
        .bind(at)
        .bind(operator)
        .execute(&mut *tx)
        .await
        .expect("a site");
        sqlx::query(audit)
            .bind(at)
            .bind(operator)
            .bind(Action::SiteAdd.as_str())
            .bind(site(n))
            .bind(None::<String>)
            .bind("program pa")
            .execute(&mut *tx)
            .await
            .expect("its audit row");
    }
    // The big site: a primary by the passcode, 4 secondaries and the rest users, each added by
    // an approved nomination.
    for n in 0..MEMBERS {
        let at = year_ago + DAY_MS + n * 60_000;
        let ibm_id = format!("member{n}@example.co.jp");
        let customer = format!("telegram:{}", 10_000 + n);
        let role = match n {
            0 => "primary",
            1..=4 => "secondary",
            _ => "user",
        };
        sqlx::query(
            "INSERT INTO members (site_number, ibm_id, role, chat_identity, added_at, added_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(site(0))
        .bind(&ibm_id)
        .bind(role)
        .bind(&customer)
        .bind(at)
        .bind(if n == 0 {
            customer.as_str()
        } else {
            "telegram:900"
        })
        .execute(&mut *tx)
        .await
        .expect("a member");
        if n == 0 {
            sqlx::query(audit)
                .bind(at)
                .bind(&customer)
                .bind(Action::PasscodeCheck.as_str())
                .bind(site(0))
                .bind(&ibm_id)
                .bind(None::<String>)
                .execute(&mut *tx)
                .await
                .expect("its audit row");
            continue;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at, status, \
               granted_role, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, 'approved', $5, 'telegram:900', $6) RETURNING id",
        )
        .bind(site(0))
        .bind(&ibm_id)
        .bind(&customer)
        .bind(at - 60_000)
        .bind(role)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("an approved nomination");
        for (actor, action, when) in [
            (customer.as_str(), Action::NominationRequest, at - 60_000),
            ("telegram:900", Action::NominationApprove, at),
        ] {
            sqlx::query(audit)
                .bind(when)
                .bind(actor)
                .bind(action.as_str())
                .bind(site(0))
                .bind(&ibm_id)
                .bind(format!("nomination {id}"))
                .execute(&mut *tx)
                .await
                .expect("its audit rows");
        }
    }
    // The pending requests, over the last 30 days, oldest first.
    for n in 0..PENDING {
        let at = now - 30 * DAY_MS + n * (30 * DAY_MS / PENDING);
        let ibm_id = format!("request{n}@example.co.jp");
        let customer = format!("telegram:{}", 20_000 + n);
        let number = site(n % SITES);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&number)
        .bind(&ibm_id)
        .bind(&customer)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("a pending nomination");
        sqlx::query(audit)
            .bind(at)
            .bind(&customer)
            .bind(Action::NominationRequest.as_str())
            .bind(&number)
            .bind(&ibm_id)
            .bind(format!("nomination {id}"))
            .execute(&mut *tx)
            .await
            .expect("its audit row");
    }
    let spread = |n: i64, of: i64| now - DAYS * DAY_MS + n * (DAYS * DAY_MS / of);
    for n in 0..UNANSWERED {
        let wording = (n * 7919) % WORDINGS;
        let (question, lang) = match wording % 2 {
            0 => (format!("サイト番号{wording}の請求書の宛名を変えたい"), "ja"),
            _ => (
                format!("how do I change the invoice address of order {wording}"),
                "en",
            ),
        };
        sqlx::query(
            "INSERT INTO unanswered (question, folded, lang, asked_at, person) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&question)
        .bind(fold(&question))
        .bind(lang)
        .bind(spread(n, UNANSWERED))
        .bind(format!("web:{n:032x}"))
        .execute(&mut *tx)
        .await
        .expect("an unanswered question");
    }
    let entries = bot.knowledge().entries();
    for n in 0..ANSWERS {
        let entry = &entries[usize::try_from(n).expect("positive") % entries.len()];
        let helped = match n % 5 {
            0 => Some(0),
            1 | 2 => Some(1),
            _ => None,
        };
        sqlx::query(
            "INSERT INTO answers (id, entry_id, lang, person, answered_at, helped, question) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(n + 1)
        .bind(entry.id.as_str())
        .bind(if n % 2 == 0 { "ja" } else { "en" })
        .bind(format!("telegram:{}", 40_000 + n % 5_000))
        .bind(spread(n, ANSWERS))
        .bind(helped)
        .bind(&entry.question.en)
        .execute(&mut *tx)
        .await
        .expect("an answer");
    }
    for n in 0..HANDOFFS {
        let at = spread(n, HANDOFFS);
        sqlx::query(
            "INSERT INTO handoffs (state, customer, chat, lang, agent, question, created_at, \
               taken_at, closed_at) \
             VALUES ('closed', $1, $2, 'ja', 'telegram:900', $3, $4, $5, $6)",
        )
        .bind(format!("telegram:{}", 60_000 + n))
        .bind(format!("{}", 60_000 + n))
        .bind("担当者と話したい")
        .bind(at)
        .bind(at + 60_000)
        .bind(at + 600_000)
        .execute(&mut *tx)
        .await
        .expect("a handoff");
    }
    tx.commit().await.expect("the rows are committed");
}

/// What one audit row costs, written as a page's read writes it: on its own, after waiting
/// for SQLite's writer.
async fn audit_writes(db: &Database, now: i64) -> Latencies {
    let mut times = Vec::with_capacity(AUDIT_WRITES);
    for n in 0..AUDIT_WRITES {
        let started = Instant::now();
        let _turn = db.writer_turn().await;
        let mut conn = db.acquire().await.expect("a connection");
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, site_number, ibm_id, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now + i64::try_from(n).expect("few"))
        .bind("telegram:900")
        .bind(Action::NominationList.as_str())
        .bind(None::<String>)
        .bind(None::<String>)
        .bind("ok")
        .bind(None::<String>)
        .execute(&mut *conn)
        .await
        .expect("an audit row");
        times.push(started.elapsed());
    }
    Latencies::of(times)
}
