//! Faults that must not mislead: several processes opening one new database at once, a
//! database out of reach or damaged (exit 3, with the reason), and a reader that closes the
//! output early (a quiet end, never a panic).

use std::fs;
use std::net::TcpListener;
use std::process::{Child, Command};

use tempfile::TempDir;

use crate::databases::{TestDb, on_both_databases};
use crate::support::{Run, bot, faq_dir, spawn_with_input};

on_both_databases!(
    processes_opening_a_new_database_together_all_succeed,
    admin_into_a_closed_pipe_ends_quietly,
);

/// `pao-bot --database-url URL ARGS`, started with `stdin` to read.
fn start(url: &str, args: &[&str], stdin: &str) -> Child {
    spawn_with_input(
        Command::new(env!("CARGO_BIN_EXE_pao-bot"))
            .arg("--database-url")
            .arg(url)
            .arg("--faq")
            .arg(faq_dir())
            .args(args)
            .env_remove("DATABASE_URL"),
        stdin.as_bytes(),
    )
}

fn finish(child: Child) -> Run {
    let output = child.wait_with_output().expect("the binary ends");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

fn run(url: &str, args: &[&str]) -> Run {
    finish(start(url, args, ""))
}

/// Eight `admin site add` and eight `chat` started together on a database nobody has opened
/// yet: each migrates it or waits for the one that does, and then works.
async fn processes_opening_a_new_database_together_all_succeed(db: TestDb) {
    let url = db.empty_database().await;
    let unavailable = bot()
        .knowledge()
        .messages()
        .unavailable
        .ja
        .trim()
        .to_owned();
    let admins: Vec<Child> = (1..=8)
        .map(|n| start(&url, &["admin", "site", "add", &format!("100000{n}")], ""))
        .collect();
    let chats: Vec<Child> = (1..=8)
        .map(|_| start(&url, &["chat"], "/nominate\n1000001\n"))
        .collect();

    for (n, admin) in (1..=8).zip(admins) {
        let added = finish(admin);
        assert_eq!(added.code, Some(0), "admin {n}: {}", added.stderr);
        assert!(
            added.stdout.contains(&format!("site 100000{n} added")),
            "{}",
            added.stdout
        );
    }
    for chat in chats {
        let chatted = finish(chat);
        assert_eq!(chatted.code, Some(0), "{}", chatted.stderr);
        assert!(!chatted.stdout.contains(&unavailable), "{}", chatted.stdout);
        assert!(
            !chatted.stderr.contains("out of reach"),
            "{}",
            chatted.stderr
        );
    }
    let shown = run(&url, &["admin", "site", "show", "1000008"]);
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
}

/// `pao-bot admin ... 2>&1 | head -0`: standard output and error both go to a pipe whose reader
/// has gone. The command ends as a program stopped by SIGPIPE would, saying nothing.
async fn admin_into_a_closed_pipe_ends_quietly(db: TestDb) {
    crate::service::new_site(&db, "1234567").await;
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
        .arg("--database-url")
        .arg(&db.url)
        .args(["admin", "site", "show", "1234567"])
        .env_remove("DATABASE_URL")
        .stdout(writer.try_clone().expect("the pipe's writer, twice"))
        .stderr(writer)
        .status()
        .expect("the binary runs");

    assert!(
        matches!(status.code(), Some(0 | 141)),
        "ended with {status:?}"
    );
}

/// A file that is not a database is named as such, not as a timeout, and its exit code is the
/// database's (3), for `admin` and for `report`.
#[test]
fn a_damaged_sqlite_file_says_so_and_exits_3() {
    let dir = TempDir::new().expect("a temporary folder");
    let file = dir.path().join("pao-bot.db");
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend((0..8192u32).map(|n| (n * 7 % 251) as u8));
    fs::write(&file, junk).expect("the damaged file is written");
    let url = format!("sqlite://{}", file.display());

    for args in [&["admin", "site", "show", "1234567"][..], &["report"]] {
        let run = run(&url, args);
        assert_eq!(run.code, Some(3), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("damaged or is not a SQLite database"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("timed out"), "{}", run.stderr);
    }
}

/// A database that cannot be opened exits 3 with the reason, never 2 (bad input): a PostgreSQL
/// server that refuses connections, an SQLite file in a folder that does not exist. A URL of
/// no supported database is bad input.
#[test]
fn a_database_out_of_reach_exits_3_with_the_reason() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let closed = format!("postgres://pao@127.0.0.1:{port}/pao");
    let dir = TempDir::new().expect("a temporary folder");
    let nowhere = format!(
        "sqlite://{}",
        dir.path().join("missing").join("pao-bot.db").display()
    );

    for (url, reason) in [
        (&closed, "Connection refused"),
        (&nowhere, "unable to open"),
    ] {
        for args in [&["admin", "site", "show", "1234567"][..], &["report"]] {
            let run = run(url, args);
            assert_eq!(run.code, Some(3), "{url} {args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains(reason),
                "{url} {args:?}: {}",
                run.stderr
            );
        }
    }
    let unsupported = run(
        "mysql://pao@127.0.0.1/pao",
        &["admin", "site", "show", "1234567"],
    );
    assert_eq!(unsupported.code, Some(2), "{}", unsupported.stderr);
}
