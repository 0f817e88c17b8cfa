//! One `serve` per SQLite database: SQLite has one writer, and two processes would each run
//! the channels and the outbox on their own (two Telegram pollers fight over `getUpdates`).
//! The first `serve` holds an exclusive lock on `FILE-serve.lock` beside the database until
//! it ends (the operating system lets go of it even when the process is killed); a second is
//! refused with a message that points to PostgreSQL, which several processes can share.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use super::key_lock::lock_file;
use super::shown_url;

/// Why `serve` cannot run on this SQLite database.
#[derive(Debug, thiserror::Error)]
pub enum ServingError {
    #[error(
        "another pao-bot serve is already running on the SQLite database {database}: SQLite \
         serves one process at a time. To run several, use PostgreSQL (--database-url \
         postgres://...)"
    )]
    Busy { database: String },
    #[error("cannot lock {} to serve the SQLite database", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The lock that makes this process the one serving the SQLite database at `url`, held until
/// dropped; `None` for a database that is no file.
pub fn serve_alone(url: &str) -> Result<Option<File>, ServingError> {
    let Some(path) = lock_file(url, "-serve.lock") else {
        return Ok(None);
    };
    let lock_error = |source| ServingError::Lock {
        path: path.clone(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(lock_error)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Err(ServingError::Busy {
            database: shown_url(url),
        }),
        Err(TryLockError::Error(error)) => Err(lock_error(error)),
    }
}
