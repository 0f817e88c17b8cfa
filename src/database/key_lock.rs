//! Locks that every process on the database shares, one per number: PostgreSQL's advisory
//! locks, and on SQLite byte-range locks on the file `FILE-lock` beside the database, one byte
//! per number. Those are open-file-description locks (Linux), held by the file opened for the
//! lock alone: tasks of one process exclude each other as processes do, and closing one such
//! file leaves every other lock alone.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, Transaction};

/// PostgreSQL advisory locks taken with two keys, this one first, never meet the conversations'
/// (one key) nor other applications' that use another first key.
const POSTGRES_CLASS: i32 = 0x7061_6f00;

/// A held lock, released when dropped: with the transaction whose advisory lock it is, or the
/// file the byte is locked through. Neither for an SQLite database that is no file.
pub struct KeyLock {
    _tx: Option<Transaction<'static, Any>>,
    _file: Option<File>,
}

/// Waits for the advisory lock `key` in `tx`, held until it ends.
pub(super) async fn postgres(
    mut tx: Transaction<'static, Any>,
    key: u32,
) -> Result<KeyLock, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(POSTGRES_CLASS)
        .bind(key as i32)
        .execute(&mut *tx)
        .await?;
    Ok(KeyLock {
        _tx: Some(tx),
        _file: None,
    })
}

/// Waits for byte `key` of the lock file of the SQLite database at `url`.
pub(super) async fn sqlite(url: &str, key: u32) -> Result<KeyLock, sqlx::Error> {
    let Some(path) = lock_file(url, "-lock") else {
        return Ok(KeyLock {
            _tx: None,
            _file: None,
        });
    };
    let locking = tokio::task::spawn_blocking(move || lock_byte(&path, key));
    let file = locking.await.map_err(io::Error::other)??;
    Ok(KeyLock {
        _tx: None,
        _file: Some(file),
    })
}

fn lock_byte(path: &Path, key: u32) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    // SAFETY: an all-zero flock is a valid value of a plain C struct.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = libc::off_t::from(key);
    lock.l_len = 1;
    loop {
        // SAFETY: the descriptor is open for the call, and `lock` outlives it.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLKW, &lock) } == 0 {
            return Ok(file);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// `FILE` + `suffix` beside the SQLite database file the URL names, once that file exists:
/// `None` for a database that is no file (`sqlite::memory:`), which no other process can open.
/// Lock files stay: deleting one would let a process that opens it anew lock another file
/// than one still waiting on the old.
pub(super) fn lock_file(url: &str, suffix: &str) -> Option<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let database = options.get_filename();
    if !database.is_file() {
        return None;
    }
    let mut name = database.file_name()?.to_owned();
    name.push(suffix);
    Some(database.parent().unwrap_or(Path::new("")).join(name))
}
