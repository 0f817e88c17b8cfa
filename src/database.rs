//! The one database the bot keeps everything in: accounts (the [`service`](crate::service))
//! and conversations (the [`conversation`](crate::conversation) engine's state, feedback and
//! unanswered questions). SQLite is the embedded default; PostgreSQL lets several bot
//! processes share one database. Both are reached through sqlx's `Any` driver, so the SQL is
//! shared: both accept `$1` placeholders, `RETURNING` and partial indexes.
//!
//! Writers: SQLite has a single writer per database. Writers of this process queue on one
//! mutex rather than in SQLite's busy handler, which sleeps and retries; then
//! `BEGIN IMMEDIATE` takes the database's write lock, which also serialises writers in other
//! processes. PostgreSQL writers lock the rows they change instead.
//!
//! Opening migrates the schema, one process at a time ([`migrations`]). Once the database is
//! found out of reach, uses fail at once until a retry in the background reaches it again
//! ([`breaker`]), so that nothing waits for a database that is not there.

mod breaker;
mod checkpoints;
mod key_lock;
mod migrations;
pub mod serving;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::MigrateError;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::causes::with_causes;
use crate::policy::OUTBOX_LEASE;

use breaker::{Breaker, Probe};
use checkpoints::Checkpoints;

pub use key_lock::KeyLock;

/// WAL lets readers proceed while one connection writes; NORMAL synchronisation is safe with
/// WAL (no corruption on power loss, at worst the last commits are lost) and spares an fsync
/// per commit. No commit copies the WAL back into the database file (a checkpoint): that is
/// done in the background ([`checkpoints`]), so that no writer waits for its fsyncs. A 16 MiB
/// page cache per connection keeps the indexes of the handled message ids in memory.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                              PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -16384; \
                              PRAGMA foreign_keys = ON;";
const SQLITE_CONNECTIONS: u32 = 4;
/// Enough for 16 concurrent callers plus readers, well under PostgreSQL's default 100.
const POSTGRES_CONNECTIONS: u32 = 20;
/// How long a query waits for a connection. sqlx's default, 30 s, would hold every message
/// that long while the database is down; FAQ answers must not wait for it.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("unsupported database URL: use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl,
    #[error("cannot open the database")]
    Connect(#[source] sqlx::Error),
    #[error("the database server did not answer within {} s", ACQUIRE_TIMEOUT.as_secs())]
    NoAnswer,
    #[error("the database file is damaged or is not a SQLite database")]
    Damaged(#[source] sqlx::Error),
    #[error("cannot lock the database's migrations")]
    Lock(#[source] std::io::Error),
    #[error("cannot bring the database's schema up to date")]
    Migrate(#[source] MigrateError),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, DatabaseError> {
        if url.starts_with("sqlite:") {
            return Ok(Backend::Sqlite);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        Err(DatabaseError::UnsupportedUrl)
    }
}

/// A connection pool with its schema up to date. Cloning shares the pool, the circuit
/// breaker and, on SQLite, the writers' queue.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    url: Arc<str>,
    /// `None` on PostgreSQL, where rows are locked instead.
    writer: Option<Arc<Mutex<()>>>,
    breaker: Arc<Breaker>,
    /// `None` on PostgreSQL; stopped with the last clone.
    checkpoints: Option<Arc<Checkpoints>>,
    /// How long this process's claims on outbox messages last ([`OUTBOX_LEASE`] unless set):
    /// the engine's turns and the service's delivery rounds both claim.
    outbox_lease: Duration,
}

/// A write transaction, holding the SQLite writer's turn until it ends.
pub struct Write<'a> {
    pub tx: Transaction<'static, Any>,
    _turn: Option<MutexGuard<'a, ()>>,
}

impl Write<'_> {
    /// Commits when `result` is a success, rolls back otherwise.
    pub async fn finish<T, E>(self, result: Result<T, E>) -> Result<T, E>
    where
        E: From<sqlx::Error>,
    {
        match result {
            Ok(value) => {
                self.tx.commit().await?;
                Ok(value)
            }
            Err(error) => {
                // Rolled back now rather than when the connection is next used, so that the
                // next writer does not wait for it.
                if let Err(rollback) = self.tx.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

impl Database {
    /// Opens the database at `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://...`) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Database, DatabaseError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        check_reachable(backend, url).await?;
        let pool = pool_options(backend)
            .connect(&connection_url(backend, url))
            .await
            .map_err(DatabaseError::Connect)?;
        migrations::run(&pool, backend, url).await?;
        Ok(Database::over(pool, backend, url))
    }

    /// Opens the database at `url`; when it cannot be reached, goes on without it, so that
    /// what needs no database (FAQ answers) still works: every use fails at once while it is
    /// tried again in the background, and its schema is brought up to date once it is back.
    /// Only a URL of no supported database is an error.
    pub async fn open(url: &str) -> Result<Database, DatabaseError> {
        let error = match Database::connect(url).await {
            Ok(db) => return Ok(db),
            Err(DatabaseError::UnsupportedUrl) => return Err(DatabaseError::UnsupportedUrl),
            Err(error) => error,
        };
        let backend = Backend::of(url)?;
        let pool = pool_options(backend)
            .connect_lazy(&connection_url(backend, url))
            .map_err(DatabaseError::Connect)?;
        let db = Database::over(pool, backend, url);
        db.trip(&format!("{}: {}", shown_url(url), with_causes(&error)));
        Ok(db)
    }

    fn over(pool: AnyPool, backend: Backend, url: &str) -> Database {
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let checkpoints = writer
            .as_ref()
            .map(|writer| Arc::new(Checkpoints::start(url.to_owned(), Arc::clone(writer))));
        Database {
            pool,
            backend,
            url: url.into(),
            writer,
            breaker: Arc::default(),
            checkpoints,
            outbox_lease: OUTBOX_LEASE,
        }
    }

    /// The database with this process's claims on outbox messages lasting `lease`.
    pub fn with_outbox_lease(self, lease: Duration) -> Database {
        Database {
            outbox_lease: lease,
            ..self
        }
    }

    /// How long this process's claims on outbox messages last.
    pub fn outbox_lease(&self) -> Duration {
        self.outbox_lease
    }

    /// Opens the circuit breaker after `cause`: until a retry in the background reaches the
    /// database (and brings its schema up to date), every use fails at once.
    fn trip(&self, cause: &dyn std::fmt::Display) {
        let (pool, backend, url) = (self.pool.clone(), self.backend, Arc::clone(&self.url));
        self.breaker.trip(cause, move || {
            let (pool, url) = (pool.clone(), Arc::clone(&url));
            async move {
                if pool.is_closed() {
                    return Probe::Closed;
                }
                match migrations::run(&pool, backend, &url).await {
                    Ok(()) => Probe::Reachable,
                    Err(error) => Probe::Unreachable(error.to_string()),
                }
            }
        });
    }

    /// Runs `operation` on the database unless it is known to be out of reach; when it finds
    /// the database out of reach, so is it known from then on.
    async fn guarded<T, F>(&self, operation: F) -> Result<T, sqlx::Error>
    where
        F: Future<Output = Result<T, sqlx::Error>>,
    {
        self.breaker.check()?;
        let result = operation.await;
        if let Err(error) = &result
            && Breaker::is_out_of_reach(error)
        {
            self.trip(error);
        }
        result
    }

    /// Waits until the database is in reach: at once unless it was found out of reach and no
    /// retry in the background has reached it since.
    pub async fn reachable(&self) {
        self.breaker.closed().await;
    }

    /// A connection from the pool; fails at once while the database is out of reach.
    pub async fn acquire(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.guarded(self.pool.acquire()).await
    }

    /// A transaction on a connection from the pool, for reads that lock (PostgreSQL); fails at
    /// once while the database is out of reach.
    pub async fn transaction(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.guarded(self.pool.begin()).await
    }

    /// Whether [`close`](Database::close) was called: every use then fails.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the database was opened with, for connections of other kinds than the pool's
    /// (a PostgreSQL listener). It may hold a password: never logged.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the lock `key`, which every process on this database shares (and every task
    /// of this one), held until the returned guard is dropped. PostgreSQL holds a connection
    /// meanwhile; SQLite none.
    pub async fn lock_key(&self, key: u32) -> Result<KeyLock, sqlx::Error> {
        match self.backend {
            Backend::Postgres => key_lock::postgres(self.transaction().await?, key).await,
            Backend::Sqlite => key_lock::sqlite(&self.url, key).await,
        }
    }

    /// Waits for this process's earlier SQLite writers, for a single write outside a
    /// transaction; `None` on PostgreSQL.
    pub async fn writer_turn(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.writer {
            Some(writer) => Some(writer.lock().await),
            None => None,
        }
    }

    /// Starts a write transaction, after this process's earlier SQLite writers.
    pub async fn begin(&self) -> Result<Write<'_>, sqlx::Error> {
        let turn = self.writer_turn().await;
        let tx = match self.backend {
            Backend::Sqlite => {
                self.guarded(self.pool.begin_with("BEGIN IMMEDIATE"))
                    .await?
            }
            Backend::Postgres => self.guarded(self.pool.begin()).await?,
        };
        Ok(Write { tx, _turn: turn })
    }

    /// Closes the connections; every later query fails as the database being unreachable.
    pub async fn close(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.stop();
        }
        self.pool.close().await;
    }
}

/// The pool's settings on `backend`.
fn pool_options(backend: Backend) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    match backend {
        Backend::Sqlite => options
            .max_connections(SQLITE_CONNECTIONS)
            .after_connect(|conn, _| {
                Box::pin(async move { conn.execute(SQLITE_PRAGMAS).await.map(|_| ()) })
            }),
        Backend::Postgres => options.max_connections(POSTGRES_CONNECTIONS),
    }
}

/// Opens one connection first, to say why the database cannot be used: the pool takes a
/// refused connection, a server that does not answer and a file that is not a database alike,
/// retries until its acquire timeout, and then says only that it timed out.
async fn check_reachable(backend: Backend, url: &str) -> Result<(), DatabaseError> {
    let checked = async { connection(backend, url).await?.close().await };
    match tokio::time::timeout(ACQUIRE_TIMEOUT, checked).await {
        Err(_) => Err(DatabaseError::NoAnswer),
        Ok(Err(error)) if is_damaged(&error) => Err(DatabaseError::Damaged(error)),
        Ok(Err(error)) => Err(DatabaseError::Connect(error)),
        Ok(Ok(())) => Ok(()),
    }
}

/// One connection of its own to the database at `url`, with the pool's settings on SQLite.
async fn connection(backend: Backend, url: &str) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect(&connection_url(backend, url)).await?;
    if backend == Backend::Sqlite {
        conn.execute(SQLITE_PRAGMAS).await?;
    }
    Ok(conn)
}

/// SQLite's "file is not a database" (26) and "database disk image is malformed" (11), in
/// any of their extended codes.
fn is_damaged(error: &sqlx::Error) -> bool {
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok());
    matches!(code.map(|code| code & 0xff), Some(11 | 26))
}

/// `url` as it may be shown or logged: its password, in the user part or as a `password`
/// parameter, replaced by `***`.
pub fn shown_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut shown = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let authority = match authority.rsplit_once('@') {
                Some((user, host)) => match user.split_once(':') {
                    Some((name, _)) => format!("{name}:***@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                    format!("{name}=***")
                }
                _ => parameter.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&parameters.join("&"));
    }
    shown
}

/// The URL the driver is given: `sqlite://FILE` opens FILE only when it exists, and the bot
/// creates its database.
fn connection_url(backend: Backend, url: &str) -> String {
    if backend == Backend::Postgres || url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_keeps_everything_but_the_password() {
        let cases = [
            (
                "postgres://pao:s3cret@db.example:5432/pao?sslmode=require",
                "postgres://pao:***@db.example:5432/pao?sslmode=require",
            ),
            (
                "postgres://pao@db.example/pao?password=s3cret&application_name=bot",
                "postgres://pao@db.example/pao?password=***&application_name=bot",
            ),
            ("postgres://pao:p@ss@db/pao", "postgres://pao:***@db/pao"),
            ("postgresql://db.example/pao", "postgresql://db.example/pao"),
            ("sqlite://pao-bot.db", "sqlite://pao-bot.db"),
            (
                "sqlite:///var/lib/pao/bot.db?mode=rwc",
                "sqlite:///var/lib/pao/bot.db?mode=rwc",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(shown_url(url), shown, "{url}");
        }
    }
}
