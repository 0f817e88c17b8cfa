//! No passcode typed in a chat, and no e-mail address typed outside a procedure, is kept or
//! logged: a live passcode is typed in every form customers use, in and out of procedures,
//! in a private chat and a group, through the real program (`pao-bot chat`, and `pao-bot
//! serve` on Telegram and on Discord, all at `RUST_LOG=trace`); then every table, the SQLite
//! files, `report`, `report --json` and the trace logs are searched for it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::http::Method;
use pao_bot::domain::{ChatIdentity, Program, SiteNumber};
use pao_bot::service::AccountService;
use tempfile::TempDir;

use crate::databases::{Backend, TestDb, on_both_databases};
use crate::discord;
use crate::discord::events::{self, CHANNEL, GUILD, Person as DiscordPerson, Place};
use crate::discord::fake::{FakeDiscord, dm_channel};
use crate::support::{Run, pao_bot, pao_bot_with_env};
use crate::telegram::fake::{self, BOT_USERNAME, FakeTelegram, Person, TOKEN};

on_both_databases!(a_typed_passcode_is_kept_nowhere);

/// An e-mail address typed only outside procedures.
const EMAIL: &str = "taro.yamada@example.co.jp";

/// The forms a passcode `code` is typed in.
fn forms(code: &str) -> Vec<String> {
    let lower = code.to_lowercase();
    let full_width: String = code
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
        .collect();
    let (head, tail) = code.split_at(5);
    vec![
        code.to_owned(),
        format!("{code}."),
        format!("「{code}」"),
        format!("\"{code}\""),
        format!("the code is {code}"),
        format!("コードは{full_width}です"),
        format!("{head}-{tail} と {lower}"),
        format!("my ID is {EMAIL}, the code {head} {tail}"),
    ]
}

async fn a_typed_passcode_is_kept_nowhere(db: TestDb) {
    let operator = ChatIdentity::local_operator();
    let live = db
        .service
        .add_site(
            &operator,
            &SiteNumber::parse("1234567").unwrap(),
            Program::Pa,
        )
        .await
        .expect("a site");
    let code = live.expose_secret().to_owned();
    db.service
        .add_site(
            &operator,
            &SiteNumber::parse("7654321").unwrap(),
            Program::Pa,
        )
        .await
        .expect("another site");
    let forms = forms(&code);

    // The console: out of a procedure, then at every step of two procedures.
    let mut lines = forms.clone();
    lines.extend(
        [
            "/passcode",
            "7654321",
            &code,
            "taro@example.co.jp",
            &format!("the code is 「{code}」."),
            "/cancel",
            "/nominate",
            "1234567",
            &forms[2],
            "taro@example.co.jp",
            &forms[4],
            "yes",
        ]
        .map(str::to_owned),
    );
    let customer = traced(&db.url, &["chat"], &lines.join("\n"));
    assert_eq!(customer.code, Some(0), "{}", customer.stderr);
    let nominations = db
        .service
        .list_nominations(&operator, None)
        .await
        .expect("nominations listed");
    let [nomination] = nominations.as_slice() else {
        panic!("one nomination: {nominations:?}\n{}", customer.stdout);
    };
    let deny = format!("/deny {} {}", nomination.id, forms[4]);
    let agent = traced(&db.url, &["chat", "--agent"], &deny);
    assert_eq!(agent.code, Some(0), "{}", agent.stderr);

    // Telegram: a private chat, a procedure there, and a group.
    let telegram = telegram_session(&db.url, &forms, &code).await;
    // Discord: direct messages and the guild's channel.
    let discord = discord_session(&db.url, &forms).await;

    let dump = db.dump().await;
    assert!(
        dump.contains("[passcode]"),
        "questions were kept, masked:\n{dump}"
    );
    let files = match db.backend {
        Backend::Sqlite => sqlite_files(db.dir.as_ref().expect("the SQLite folder").path()),
        Backend::Postgres => String::new(),
    };
    let url = ["--database-url", db.url.as_str()];
    let report = pao_bot(&[&url[..], &["report"]].concat());
    let json = pao_bot(&[&url[..], &["report", "--json"]].concat());
    assert!(report.stdout.contains("[passcode]"), "{}", report.stdout);
    let logs = [&customer.stderr, &agent.stderr, &telegram, &discord].map(|l| l.as_str());
    for log in logs {
        assert!(
            log.contains(" DEBUG sqlx::query"),
            "the log was captured:\n{log}"
        );
    }
    assert!(
        telegram.contains(" TRACE "),
        "the log is at trace level:\n{telegram}"
    );

    let wanted = [code.clone(), code.to_lowercase()];
    let places = [
        ("a table", dump.as_str()),
        ("the SQLite files", files.as_str()),
        ("report", report.stdout.as_str()),
        ("report --json", json.stdout.as_str()),
        ("the console's log", logs[0]),
        ("the agent's log", logs[1]),
        ("the Telegram channel's log", logs[2]),
        ("the Discord channel's log", logs[3]),
    ];
    for (place, text) in places {
        for secret in &wanted {
            assert!(
                !text.contains(secret.as_str()),
                "the passcode is in {place}"
            );
        }
    }
    for (place, text) in &places[..4] {
        assert!(!text.contains(EMAIL), "an e-mail address is in {place}");
    }
}

#[test]
fn help_shows_no_database_password() {
    let url = [("DATABASE_URL", "postgres://pao:S3cretPw@db.invalid/pao")];
    for args in [
        &["--help"][..],
        &["chat", "--help"],
        &["admin", "site", "add", "--help"],
    ] {
        let run = pao_bot_with_env(args, "", &url);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.contains("DATABASE_URL"), "{}", run.stdout);
        assert!(
            !run.stdout.contains("S3cretPw"),
            "{args:?} shows the password"
        );
    }
}

/// `pao-bot ARGS` on `url` with `stdin`, logging everything at trace.
fn traced(url: &str, args: &[&str], stdin: &str) -> Run {
    let mut all = vec!["--database-url", url];
    all.extend_from_slice(args);
    pao_bot_with_env(&all, stdin, &[("RUST_LOG", "trace")])
}

/// Every file of the SQLite folder (the database, its -wal and -shm), as text.
fn sqlite_files(dir: &Path) -> String {
    let mut text = String::new();
    for file in std::fs::read_dir(dir).expect("the folder listed") {
        let bytes = std::fs::read(file.expect("a file").path()).expect("a file read");
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    text
}

/// Runs `pao-bot serve` on a fake Telegram with `RUST_LOG=trace`, types `forms` of `code`
/// in a private chat, in a procedure there and in a group, and returns its log.
async fn telegram_session(url: &str, forms: &[String], code: &str) -> String {
    let fake = FakeTelegram::start().await;
    let cwd = TempDir::new().expect("a temporary folder");
    let platform = [("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", &fake.url())];
    let (child, log_path) = serve_at_trace(url, cwd.path(), &platform);
    let taro = Person::new(100, "Taro", Some("ja"));
    let private = forms.iter().cloned().chain([
        "/passcode".to_owned(),
        "7654321".to_owned(),
        "taro@example.co.jp".to_owned(),
        format!("the code is 「{code}」."),
    ]);
    for text in private {
        let before = fake.sent_to(taro.id).len();
        fake.say(&taro, &text);
        fake.wait_for_messages(taro.id, before + 1).await;
    }
    let group = fake::group(-1001, "PAO users");
    for form in forms.iter().take(3) {
        let before = fake.sent_to(-1001).len();
        fake.say_in(&group, &taro, &format!("@{BOT_USERNAME} {form}"), None);
        fake.wait_for_messages(-1001, before + 1).await;
    }
    drop(child);
    std::fs::read_to_string(&log_path).expect("the log read")
}

/// Starts `pao-bot serve` in `cwd` at `RUST_LOG=trace` with only the platform of `platform`'s
/// variables; returns the running bot and the file its log goes to.
fn serve_at_trace(url: &str, cwd: &Path, platform: &[(&str, &str)]) -> (Killed, PathBuf) {
    let log_path = cwd.join("trace.log");
    let log = File::create(&log_path).expect("a log file");
    let child = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
        .args(["--database-url", url, "serve"])
        .current_dir(cwd)
        .env_remove("PAO_FAQ_DIR")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .envs(platform.iter().copied())
        .env("RUST_LOG", "trace")
        .env("PAO_METRICS_LISTEN", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    (Killed(child), log_path)
}

/// Runs `pao-bot serve` on a fake Discord with `RUST_LOG=trace`, types `forms` in direct
/// messages and, mentioning the bot, in the guild's channel, and returns its log.
async fn discord_session(url: &str, forms: &[String]) -> String {
    let fake = FakeDiscord::start().await;
    let cwd = TempDir::new().expect("a temporary folder");
    let settings = format!("discord:\n  guild: {GUILD}\n");
    std::fs::write(cwd.path().join("pao-bot.yaml"), settings).expect("settings written");
    let platform = [
        ("DISCORD_TOKEN", discord::fake::TOKEN),
        ("DISCORD_API_URL", &fake.api_url()),
    ];
    let (child, log_path) = serve_at_trace(url, cwd.path(), &platform);
    let commands = format!(
        "/applications/{}/guilds/{GUILD}/commands",
        discord::fake::APP_ID
    );
    fake.wait_call(Method::PUT, &commands, |_| true).await;
    let hanako = DiscordPerson {
        id: 1_400_000_000_000_000_001,
        name: "hanako",
        locale: "ja",
    };
    for (place, channel) in [(Place::Dm, dm_channel(hanako.id)), (Place::Guild, CHANNEL)] {
        let path = format!("/channels/{channel}/messages");
        for form in forms {
            let before = fake.calls_to(Method::POST, &path).len();
            let id = fake.next_id();
            fake.dispatch(
                "MESSAGE_CREATE",
                events::message(id, &hanako, place, form, true),
            );
            fake.wait_for("a reply", |record| {
                let replies = record
                    .calls
                    .iter()
                    .filter(|c| c.method == Method::POST && c.path == path)
                    .count();
                (replies > before).then_some(())
            })
            .await;
        }
    }
    drop(child);
    std::fs::read_to_string(&log_path).expect("the log read")
}

/// A child process killed when the test is done with it, or fails.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
