//! SQLite serves one process: a second `pao-bot serve` on the same file is refused with a
//! message that points to PostgreSQL, and once the first is gone another may serve.

use std::process::Stdio;

use tempfile::TempDir;
use tokio::process::Command;

use crate::reload::serve::Server;
use crate::support::faq_dir;
use crate::telegram::fake::{FakeTelegram, PATIENCE, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_one_sqlite_file_is_refused_naming_postgresql() {
    let fake = FakeTelegram::start().await;
    let cwd = TempDir::new().expect("a temporary folder");
    let first = Server::start(&fake, &faq_dir(), cwd.path());
    fake.wait_for_count("getMe", 1).await;

    let url = format!("sqlite://{}", cwd.path().join("pao-bot.db").display());
    let second = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
        .args(["--database-url", &url, "serve", "--faq"])
        .arg(faq_dir())
        .current_dir(cwd.path())
        .env_remove("PAO_FAQ_DIR")
        .env_remove("DISCORD_TOKEN")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", fake.url())
        .env("PAO_METRICS_LISTEN", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let refused = tokio::time::timeout(PATIENCE, second.wait_with_output())
        .await
        .expect("the second serve stopped at once")
        .expect("its output read");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("another pao-bot serve is already running"),
        "{said}"
    );
    assert!(said.contains("PostgreSQL"), "{said}");

    // The first one killed, its lock goes with it.
    drop(first);
    let _next = Server::start(&fake, &faq_dir(), cwd.path());
    fake.wait_for_count("getMe", 2).await;
}
