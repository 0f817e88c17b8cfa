//! What a benchmark starts from: a runtime like the bot's, and a new SQLite database in a
//! temporary folder, so that no run reads what another left.

use tempfile::TempDir;
use tokio::runtime::Runtime;

/// A multi-threaded runtime with its I/O and time drivers, as `pao-bot serve` runs on.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The URL of a new SQLite database, and its folder, which must outlive every use of it.
pub fn sqlite() -> (String, TempDir) {
    let dir = TempDir::new().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    (url, dir)
}
