//! A newcomer's first runs of the binary, from a temporary folder: `--help` that lists only
//! the options a command uses, a knowledge base or a database that cannot be used, each named
//! (a database without its password) with the cause and what to do.

use std::fs;
use std::net::TcpListener;

use tempfile::TempDir;

use crate::support::{pao_bot, pao_bot_with_env, pao_bot_with_input};

#[test]
fn admin_help_lists_only_the_options_admin_uses() {
    for args in [
        &["admin", "--help"][..],
        &["admin", "agent", "add", "--help"],
        &["admin", "site", "show", "--help"],
    ] {
        let run = pao_bot(args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(
            run.stdout.contains("--database-url"),
            "{args:?}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("--faq"), "{args:?}: {}", run.stdout);
        assert!(!run.stdout.contains("--config"), "{args:?}: {}", run.stdout);
    }
    let ask = pao_bot(&["ask", "--help"]);
    assert!(ask.stdout.contains("--faq"), "{}", ask.stdout);
    assert!(!ask.stdout.contains("--database-url"), "{}", ask.stdout);
    assert!(!ask.stdout.contains("--config"), "{}", ask.stdout);
    let bare = pao_bot(&["--help"]);
    for option in ["--faq", "--database-url", "--config"] {
        assert!(bare.stdout.contains(option), "{option}: {}", bare.stdout);
    }
}

#[test]
fn options_given_before_the_command_still_count() {
    let dir = TempDir::new().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("before.db").display());
    let run = pao_bot(&["--database-url", &url, "admin", "agent", "list"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(dir.path().join("before.db").is_file());
    let after = format!("sqlite://{}", dir.path().join("after.db").display());
    let run = pao_bot(&["admin", "agent", "list", "--database-url", &after]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(dir.path().join("after.db").is_file());
}

#[test]
fn a_folder_without_a_knowledge_base_is_named_with_how_to_name_another() {
    let dir = TempDir::new().expect("a temporary folder");
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).expect("a folder");
    let missing = dir.path().join("missing");
    let runs = [
        (
            empty.clone(),
            pao_bot(&["--faq", empty.to_str().expect("UTF-8"), "ask", "hello"]),
        ),
        (
            empty.clone(),
            pao_bot(&["check", "--faq", empty.to_str().expect("UTF-8")]),
        ),
        (
            missing.clone(),
            pao_bot_with_env(
                &["chat"],
                "hello\n",
                &[("PAO_FAQ_DIR", missing.to_str().expect("UTF-8"))],
            ),
        ),
    ];
    for (folder, run) in runs {
        assert_eq!(run.code, Some(2), "{}", run.stderr);
        let said = run.stderr.trim_end();
        assert_eq!(
            said.lines().count(),
            1,
            "one line, not one per file: {said}"
        );
        assert!(said.contains(&folder.display().to_string()), "{said}");
        assert!(said.contains("--faq DIR"), "{said}");
        assert!(!said.contains("cannot read"), "{said}");
    }
}

#[test]
fn from_another_folder_the_bot_answers_from_the_source_trees_knowledge_base() {
    // The tests run the binary from an empty temporary folder: no ./faq there.
    let run = pao_bot_with_input(&["ask", "I forgot my password"], "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.trim().is_empty());
}

/// A port of 127.0.0.1 nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `report`, `admin` and `chat` on `url`, which cannot be opened: each names `shown` and
/// `cause`, never `password`.
fn unreachable_is_named(url: &str, shown: &str, cause: &str, password: &str) {
    for args in [&["report"][..], &["admin", "agent", "list"]] {
        let args = [args, &["--database-url", url]].concat();
        let run = pao_bot(&args);
        assert_eq!(run.code, Some(3), "{args:?}: {}", run.stderr);
        let expected = format!("error: database {shown}: cannot open the database: ");
        assert!(
            run.stderr.starts_with(&expected),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(cause), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(password), "{args:?}: {}", run.stderr);
    }
    // The chat starts without it, and the log says which database is out of reach and why,
    // in plain text.
    let chat = pao_bot_with_input(&["chat", "--database-url", url], "I forgot my password\n");
    assert_eq!(chat.code, Some(0), "{}", chat.stderr);
    assert!(
        chat.stderr
            .contains(&format!("{shown}: cannot open the database: ")),
        "{}",
        chat.stderr
    );
    assert!(chat.stderr.contains(cause), "{}", chat.stderr);
    assert!(!chat.stderr.contains(password), "{}", chat.stderr);
    assert!(
        !chat.stderr.contains('\u{1b}'),
        "no colour codes when standard error is no terminal: {:?}",
        chat.stderr
    );
}

#[test]
fn an_unreachable_postgresql_database_is_named_without_its_password_with_the_cause() {
    let port = closed_port();
    let url = format!("postgres://pao:Sekr1tPw@127.0.0.1:{port}/pao");
    let shown = format!("postgres://pao:***@127.0.0.1:{port}/pao");
    unreachable_is_named(&url, &shown, "Connection refused", "Sekr1tPw");
}

#[test]
fn an_sqlite_database_that_cannot_be_opened_is_named_with_the_cause() {
    let dir = TempDir::new().expect("a temporary folder");
    let url = format!(
        "sqlite://{}",
        dir.path().join("no-such-folder/pao-bot.db").display()
    );
    unreachable_is_named(&url, &url, "unable to open database file", "Sekr1tPw");
}
