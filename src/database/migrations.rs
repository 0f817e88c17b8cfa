//! Bringing the schema up to date, also when several processes open one database at once.
//!
//! sqlx's migrator lists the migrations applied, then applies the others, each in its own
//! transaction. On PostgreSQL it holds an advisory lock from before the listing to the end, so
//! a second process waits and then finds them applied. On SQLite it takes no lock: processes
//! opening a new file together all try the first migration, and all but one fail ("table
//! sites already exists"). There the migrator runs under an exclusive lock on a file beside
//! the database, `FILE-migrate.lock`, so that whoever waited for it lists the migrations
//! applied only once the one before has finished.

use std::fs::{File, OpenOptions};

use sqlx::AnyPool;
use sqlx::migrate::Migrator;

use super::key_lock::lock_file;
use super::{Backend, DatabaseError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Applies the migrations `pool`'s database lacks; `url` names it.
pub(super) async fn run(pool: &AnyPool, backend: Backend, url: &str) -> Result<(), DatabaseError> {
    let _lock = match backend {
        Backend::Sqlite => Some(sqlite_lock(url).await?),
        Backend::Postgres => None,
    };
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(pool).await.map_err(DatabaseError::Migrate)
}

/// Waits for the exclusive lock on the SQLite database's lock file; held until dropped. `None`
/// for a database that is no file (`sqlite::memory:`), which no other process can open.
async fn sqlite_lock(url: &str) -> Result<Option<File>, DatabaseError> {
    let Some(path) = lock_file(url, "-migrate.lock") else {
        return Ok(None);
    };
    let locking = tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    });
    match locking.await {
        Ok(Ok(file)) => Ok(Some(file)),
        Ok(Err(error)) => Err(DatabaseError::Lock(error)),
        Err(error) => Err(DatabaseError::Lock(std::io::Error::other(error))),
    }
}
