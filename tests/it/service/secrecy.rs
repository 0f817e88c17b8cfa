//! Passcodes stay secret: not in any table, not in the logs, not in errors or `Debug`.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use pao_bot::domain::Passcode;
use pao_bot::service::{AccountService, ServiceError};
use tracing_subscriber::EnvFilter;

use super::{first_access, new_site, operator, site};
use crate::databases::{Backend, TestDb, on_both_databases};

on_both_databases!(passcodes_appear_nowhere_in_the_database_or_the_logs);

/// Everything logged by this test binary, at every level of the service and the database
/// driver.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("pao_bot=trace,sqlx=trace"))
            .with_writer(move || Capture(writer.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        logs
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

async fn passcodes_appear_nowhere_in_the_database_or_the_logs(db: TestDb) {
    let logs = logs();
    let s = db.service.as_ref();
    let first = new_site(&db, "1234567").await;
    let guess = Passcode::parse("GUESS23456").unwrap();
    let refused = first_access(s, "telegram:1", "1234567", "taro@example.jp", &guess)
        .await
        .unwrap_err();
    first_access(s, "telegram:1", "1234567", "taro@example.jp", &first)
        .await
        .unwrap();
    let second = s
        .reissue_passcode(&operator(), &site("1234567"))
        .await
        .unwrap();
    let unused = new_site(&db, "7654321").await;

    let secrets = [
        first.expose_secret(),
        second.expose_secret(),
        unused.expose_secret(),
        guess.expose_secret(),
    ];
    let dump = db.dump().await;
    assert!(
        dump.contains("$argon2id$"),
        "the dump holds the hashes:\n{dump}"
    );
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("passcode check"), "the logs were captured");
    let mut raw_files = String::new();
    if db.backend == Backend::Sqlite {
        let dir = db.dir.as_ref().expect("the SQLite folder");
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            raw_files.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    let error: ServiceError = refused;
    let shown = format!("{error} {error:?} {first:?} {second:?}");
    for secret in secrets {
        assert!(
            !dump.contains(secret),
            "a passcode is stored in the database"
        );
        assert!(
            !raw_files.contains(secret),
            "a passcode is in the database files"
        );
        assert!(!logged.contains(secret), "a passcode is in the logs");
        assert!(
            !shown.contains(secret),
            "a passcode is in an error or Debug output"
        );
    }
}
