//! A new database on the benchmarks' PostgreSQL server: the one `PAO_TEST_POSTGRES_URL`
//! names, else a throwaway cluster started here with its default (durable) settings.

// `cargo clippy --all-targets` builds this with `cfg(test)` but no test harness: the
// helper's own tests are left out here (they run in `tests/it`), and what only they use.
#[cfg_attr(test, allow(dead_code, unused_imports))]
#[path = "../../tests/it/databases/cluster.rs"]
mod cluster;

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

/// The URL of a new database on the server, named `{prefix}_{process}_{counter}`.
pub async fn database(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    sqlx::any::install_default_drivers();
    let server = cluster::server_url("-c max_connections=100");
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = AnyConnection::connect(server).await.expect("the server");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("a bench database");
    cluster::with_database(server, &name)
}
