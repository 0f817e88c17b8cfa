//! Account service throughput on SQLite and on PostgreSQL: self-nomination requests per
//! second and passcode checks per second, with 1 and with 16 concurrent callers.
//!
//! Beside the nomination requests, their floor on the same kind of database, a fresh one with
//! the same sites: the raw inserts of the same rows (a request's `nominations` row and its
//! `audit_log` row, in one write transaction each, as the service writes them) without the
//! service's checks and reads, the same number of them from as many callers.
//!
//! Run: `cargo bench --bench service` (add `sqlite` or `postgres` to run one database:
//! `cargo bench --bench service -- postgres`; `benches/ratios.sh` runs it with the other
//! benchmarks and prints the ratios). PostgreSQL is the server named by
//! `PAO_TEST_POSTGRES_URL`, else a throwaway cluster started here with its default (durable)
//! settings. A custom harness rather than criterion: what matters is throughput under N
//! concurrent callers, not the latency of one call.

#[path = "support/fresh.rs"]
mod fresh;
#[path = "support/postgres.rs"]
mod postgres;

use std::env;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pao_bot::database::Database;
use pao_bot::domain::{ChatIdentity, IbmId, Passcode, Program, SiteNumber};
use pao_bot::service::{
    AccountService, Action, Clock, FirstAccess, HASH_COST, SqlService, SystemClock,
};
use tempfile::TempDir;
use tokio::task::JoinSet;

const CALLERS: [usize; 2] = [1, 16];
/// Requests per run: enough for a second or more at the target rate.
const NOMINATIONS: usize = 4_000;
/// Sites the requests are spread over, as customers are.
const SITES: usize = 50;
/// Passcode checks per caller count: each costs one argon2 verification.
const CHECKS: [usize; 2] = [40, 96];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn main() {
    let wanted: Vec<String> = env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let backends = [("sqlite", Backend::Sqlite), ("postgres", Backend::Postgres)];
    let runtime = fresh::runtime();
    println!(
        "argon2id cost: {} KiB, {} passes, {} lane",
        HASH_COST.memory_kib, HASH_COST.passes, HASH_COST.lanes
    );
    for (name, backend) in backends {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        runtime.block_on(bench(name, backend));
    }
}

async fn bench(name: &str, backend: Backend) {
    for (callers, checks) in CALLERS.into_iter().zip(CHECKS) {
        let (service, _keep) = fresh(backend).await;
        let rate = nominations(&service, callers).await;
        println!("{name:<8}  nomination requests  {callers:>2} callers  {rate:>8.0}/s");
        // On a database of its own, so that it starts where the requests started.
        let (floor, _keep_floor) = fresh(backend).await;
        add_sites(&floor).await;
        let rate = raw_inserts(floor.database(), callers).await;
        println!("{name:<8}  raw inserts          {callers:>2} callers  {rate:>8.0}/s");
        floor.close().await;
        let rate = passcode_checks(&service, callers, checks).await;
        println!("{name:<8}  passcode checks      {callers:>2} callers  {rate:>8.1}/s");
        service.close().await;
    }
}

/// A fresh database; the returned folder (SQLite) must outlive the service.
async fn fresh(backend: Backend) -> (Arc<SqlService>, Option<TempDir>) {
    let (url, dir) = match backend {
        Backend::Sqlite => {
            let (url, dir) = fresh::sqlite();
            (url, Some(dir))
        }
        Backend::Postgres => (postgres::database("pao_bench").await, None),
    };
    let service = SqlService::connect(&url, Arc::new(SystemClock))
        .await
        .expect("the service opens");
    (Arc::new(service), dir)
}

fn site(n: usize) -> SiteNumber {
    SiteNumber::parse(&format!("{:07}", 1_000_000 + n)).expect("a site number")
}

/// The `SITES` sites the requests are spread over.
async fn add_sites(service: &SqlService) {
    let operator = ChatIdentity::local_operator();
    for n in 0..SITES {
        service
            .add_site(&operator, &site(n), Program::Pa)
            .await
            .expect("a site");
    }
}

/// Requests per second, `NOMINATIONS` of them from `callers` concurrent callers.
async fn nominations(service: &Arc<SqlService>, callers: usize) -> f64 {
    add_sites(service).await;
    let per_caller = NOMINATIONS / callers;
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for caller in 0..callers {
        let service = service.clone();
        tasks.spawn(async move {
            let who = ChatIdentity::parse(&format!("telegram:{}", 1000 + caller)).expect("id");
            for n in 0..per_caller {
                let ibm = IbmId::parse(&format!("c{caller}n{n}@example.jp")).expect("an IBM ID");
                service
                    .request_nomination(&who, &site(n % SITES), &ibm)
                    .await
                    .expect("the request is recorded");
            }
        });
    }
    tasks.join_all().await;
    rate(per_caller * callers, started.elapsed())
}

/// Transactions per second of the rows a nomination request writes, `NOMINATIONS` of them
/// from `callers` concurrent callers, on the sites [`add_sites`] added.
async fn raw_inserts(db: &Database, callers: usize) -> f64 {
    let per_caller = NOMINATIONS / callers;
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for caller in 0..callers {
        let db = db.clone();
        tasks.spawn(async move {
            let who = format!("telegram:{}", 3000 + caller);
            for n in 0..per_caller {
                let ibm = format!("r{caller}n{n}@example.jp");
                let site = site(n % SITES);
                let mut write = db.begin().await.expect("a write transaction");
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO nominations (site_number, ibm_id, requested_by, requested_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(site.as_str())
                .bind(&ibm)
                .bind(&who)
                .bind(SystemClock.now().as_millis())
                .fetch_one(&mut *write.tx)
                .await
                .expect("the nomination row");
                sqlx::query(
                    "INSERT INTO audit_log (at, actor, action, site_number, ibm_id, outcome, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(SystemClock.now().as_millis())
                .bind(&who)
                .bind(Action::NominationRequest.as_str())
                .bind(site.as_str())
                .bind(&ibm)
                .bind("ok")
                .bind(format!("nomination {id}"))
                .execute(&mut *write.tx)
                .await
                .expect("the audit row");
                write.finish(Ok::<_, sqlx::Error>(())).await.expect("committed");
            }
        });
    }
    tasks.join_all().await;
    rate(per_caller * callers, started.elapsed())
}

/// Accepted checks per second: each of `checks` sites' contact uses its passcode.
async fn passcode_checks(service: &Arc<SqlService>, callers: usize, checks: usize) -> f64 {
    let operator = ChatIdentity::local_operator();
    let mut sites = Vec::new();
    for n in 0..checks {
        let number = site(SITES + n);
        let passcode = service
            .add_site(&operator, &number, Program::Pa)
            .await
            .expect("a site");
        sites.push((number, passcode));
    }
    let queue = Arc::new(std::sync::Mutex::new(sites));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for caller in 0..callers {
        let (service, queue) = (service.clone(), queue.clone());
        tasks.spawn(async move {
            let who = ChatIdentity::parse(&format!("telegram:{}", 2000 + caller)).expect("id");
            let ibm = IbmId::parse(&format!("contact{caller}@example.jp")).expect("an IBM ID");
            loop {
                let next: Option<(SiteNumber, Passcode)> = queue.lock().expect("queue").pop();
                let Some((number, passcode)) = next else {
                    break;
                };
                service
                    .check_passcode(
                        &who,
                        FirstAccess {
                            site: &number,
                            ibm_id: &ibm,
                            passcode: &passcode,
                        },
                    )
                    .await
                    .expect("the passcode is accepted");
            }
        });
    }
    tasks.join_all().await;
    rate(checks, started.elapsed())
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}
