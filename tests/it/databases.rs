//! Fresh account databases for the service tests, on SQLite and on PostgreSQL, and the macro
//! that runs one test on both.

pub mod cluster;
mod schema;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pao_bot::domain::{ChatIdentity, Program, SiteNumber, Timestamp};
use pao_bot::service::{AccountService, ManualClock, SqlService};
use sqlx::{AnyConnection, Connection, Executor, Row};
use tempfile::TempDir;

/// Test clusters need no durability; this makes them several times faster.
const TEST_SETTINGS: &str = "-c fsync=off -c synchronous_commit=off -c max_connections=200";

/// 2025-04-01T00:00:00Z, where every test's clock starts.
pub const START: i64 = 1_743_465_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database with a service on it whose clock the test moves.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub clock: Arc<ManualClock>,
    pub service: Arc<SqlService>,
    /// For SQLite: the folder of the database file.
    pub dir: Option<TempDir>,
}

/// Runs `test` on a fresh database of `backend`, dropping a PostgreSQL one afterwards.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    sqlx::any::install_default_drivers();
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new().expect("a temporary folder");
            let url = format!("sqlite://{}", dir.path().join("pao-bot.db").display());
            test(TestDb::open(backend, url, Some(dir)).await).await;
        }
        Backend::Postgres => {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let server = cluster::server_url(TEST_SETTINGS);
            let name = format!(
                "pao_test_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            );
            let mut admin = AnyConnection::connect(server)
                .await
                .expect("the PostgreSQL test server accepts connections");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("a test database is created");
            let url = cluster::with_database(server, &name);
            test(TestDb::open(backend, url, None).await).await;
            // The test's own, and the empty ones it asked for (`TestDb::empty_database`).
            let databases: Vec<String> = sqlx::query_scalar(
                "SELECT datname::text FROM pg_database WHERE datname = $1 OR datname LIKE $2",
            )
            .bind(&name)
            .bind(format!("{name}\\_empty%"))
            .fetch_all(&mut admin)
            .await
            .expect("the test's databases are listed");
            for database in databases {
                admin
                    .execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str())
                    .await
                    .expect("a test database is dropped");
            }
        }
    }
}

impl TestDb {
    async fn open(backend: Backend, url: String, dir: Option<TempDir>) -> TestDb {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(START)));
        let service = SqlService::connect(&url, clock.clone())
            .await
            .expect("the service opens a fresh database");
        let service = Arc::new(service);
        TestDb {
            backend,
            url,
            clock,
            service,
            dir,
        }
    }

    /// Another service on the same database, as a second bot process would have.
    pub async fn second_service(&self) -> Arc<SqlService> {
        let service = SqlService::connect(&self.url, self.clock.clone())
            .await
            .expect("a second service opens the database");
        Arc::new(service)
    }

    /// The URL of another database of the same kind, empty (no schema yet), dropped with the
    /// test's own.
    pub async fn empty_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        match self.backend {
            Backend::Sqlite => {
                let dir = self.dir.as_ref().expect("an SQLite test's folder");
                format!(
                    "sqlite://{}",
                    dir.path().join(format!("empty{n}.db")).display()
                )
            }
            Backend::Postgres => {
                let name = self.url.rsplit('/').next().expect("a database name");
                let empty = format!("{name}_empty{n}");
                self.raw()
                    .await
                    .execute(format!("CREATE DATABASE {empty}").as_str())
                    .await
                    .expect("an empty database is created");
                cluster::with_database(&self.url, &empty)
            }
        }
    }

    /// A raw connection, to look at or change the tables behind the service's back.
    pub async fn raw(&self) -> AnyConnection {
        AnyConnection::connect(&self.url)
            .await
            .expect("the test database accepts connections")
    }

    /// Every row of every table, as text, one row a line.
    pub async fn dump(&self) -> String {
        let mut conn = self.raw().await;
        let tables_sql = match self.backend {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'"
            }
        };
        let tables: Vec<String> = sqlx::query_scalar(tables_sql)
            .fetch_all(&mut conn)
            .await
            .expect("tables listed");
        assert!(tables.len() >= 7, "{tables:?}");
        let mut dump = String::new();
        for table in tables {
            let rows_sql = match self.backend {
                Backend::Sqlite => {
                    let columns: Vec<String> = sqlx::query_scalar(&format!(
                        "SELECT name FROM pragma_table_info('{table}')"
                    ))
                    .fetch_all(&mut conn)
                    .await
                    .expect("columns listed");
                    let cells: Vec<String> = columns
                        .iter()
                        .map(|c| {
                            format!(
                                "CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") \
                                 ELSE coalesce(CAST(\"{c}\" AS TEXT), '') END"
                            )
                        })
                        .collect();
                    format!("SELECT {} FROM \"{table}\"", cells.join(" || '|' || "))
                }
                Backend::Postgres => format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"),
            };
            for row in sqlx::query(&rows_sql)
                .fetch_all(&mut conn)
                .await
                .expect("rows read")
            {
                let text: String = row.get(0);
                dump.push_str(&format!("{table}: {text}\n"));
            }
        }
        dump
    }
}

/// A help-desk agent registered by the local operator.
pub async fn registered_agent(db: &TestDb, identity: &str) -> ChatIdentity {
    let agent = ChatIdentity::parse(identity).expect("a chat identity");
    db.service
        .add_agent(&ChatIdentity::local_operator(), &agent)
        .await
        .expect("the local operator registers agents");
    agent
}

/// Site `number` (Passport Advantage) made by the local operator, and its first passcode.
pub async fn made_site(db: &TestDb, number: &str) -> String {
    let site = SiteNumber::parse(number).expect("a site number");
    let passcode = db
        .service
        .add_site(&ChatIdentity::local_operator(), &site, Program::Pa)
        .await
        .expect("the site is made");
    passcode.expose_secret().to_owned()
}

/// Instantiates each named `async fn(TestDb)` as a `sqlite` and a `postgres` test.
macro_rules! on_both_databases {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::databases::run($crate::databases::Backend::Sqlite, super::$test).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::databases::run($crate::databases::Backend::Postgres, super::$test).await;
            }
        }
    )+};
}

pub(crate) use on_both_databases;
