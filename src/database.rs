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
//! Opening migrates the schema, one process at a time ([`migrations`]).

mod migrations;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::MigrateError;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, MutexGuard};

/// WAL lets readers proceed while one connection writes; NORMAL synchronisation is safe with
/// WAL (no corruption on power loss, at worst the last commits are lost) and spares an fsync
/// per commit. The WAL is copied back into the database file (a checkpoint, run by the commit
/// that fills it) every 4,000 pages, 16 MiB, rather than SQLite's 1,000: each page the
/// conversations change often is then copied once for four times as many messages, which
/// made the engine about a tenth faster (`benches/engine.rs`), and a WAL that grows much
/// longer slows every read. A 16 MiB page cache per connection keeps the indexes of the
/// handled message ids in memory.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                              PRAGMA wal_autocheckpoint = 4000; PRAGMA cache_size = -16384; \
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

/// A connection pool with its schema up to date. Cloning shares the pool and, on SQLite,
/// the writers' queue.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// `None` on PostgreSQL, where rows are locked instead.
    writer: Option<Arc<Mutex<()>>>,
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
        Ok(Database::over(pool, backend))
    }

    /// Opens the database at `url`; when it cannot be reached, goes on with a pool that tries
    /// again at every use, so that what needs no database (FAQ answers) still works. Only a
    /// URL of no supported database is an error.
    pub async fn open(url: &str) -> Result<Database, DatabaseError> {
        let error = match Database::connect(url).await {
            Ok(db) => return Ok(db),
            Err(DatabaseError::UnsupportedUrl) => return Err(DatabaseError::UnsupportedUrl),
            Err(error) => error,
        };
        tracing::error!(error = %error, "database unreachable: account actions will fail until it is back");
        let backend = Backend::of(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(url)
            .map_err(DatabaseError::Connect)?;
        Ok(Database::over(pool, backend))
    }

    fn over(pool: AnyPool, backend: Backend) -> Database {
        Database {
            pool,
            backend,
            writer: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
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
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Write { tx, _turn: turn })
    }

    /// Closes the connections; every later query fails as the database being unreachable.
    pub async fn close(&self) {
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
    let checked = async {
        let mut conn = AnyConnection::connect(&connection_url(backend, url)).await?;
        if backend == Backend::Sqlite {
            conn.execute(SQLITE_PRAGMAS).await?;
        }
        conn.close().await
    };
    match tokio::time::timeout(ACQUIRE_TIMEOUT, checked).await {
        Err(_) => Err(DatabaseError::NoAnswer),
        Ok(Err(error)) if is_damaged(&error) => Err(DatabaseError::Damaged(error)),
        Ok(Err(error)) => Err(DatabaseError::Connect(error)),
        Ok(Ok(())) => Ok(()),
    }
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

/// The URL the driver is given: `sqlite://FILE` opens FILE only when it exists, and the bot
/// creates its database.
fn connection_url(backend: Backend, url: &str) -> String {
    if backend == Backend::Postgres || url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}
