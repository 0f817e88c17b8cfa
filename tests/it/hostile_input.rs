//! Input meant to stall or end a session: a message longer than any chat platform allows is
//! refused unread with nothing kept, an unreadable console line is said so and the session
//! goes on, and the engine replies to any text at all without panicking.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pao_bot::answer::{Answerer, MAX_MESSAGE_CHARS};
use pao_bot::conversation::{Content, Engine, Incoming, Response};
use pao_bot::database::Database;
use pao_bot::domain::ChatIdentity;
use pao_bot::lang::Lang;
use proptest::prelude::*;
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::databases::{TestDb, on_both_databases};
use crate::support::{bot, first_line_of_answer, pao_bot_with_input_bytes};

on_both_databases!(a_message_over_the_limit_is_refused_and_nothing_is_kept);

fn shared_bot() -> Arc<Answerer> {
    static BOT: OnceLock<Arc<Answerer>> = OnceLock::new();
    BOT.get_or_init(|| {
        let faq = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        Arc::new(Answerer::load(&faq).expect("the shipped faq/ loads"))
    })
    .clone()
}

fn message(n: usize, text: String, lang_hint: Option<Lang>) -> Incoming {
    let sender = ChatIdentity::parse("telegram:100").expect("an identity");
    Incoming {
        channel: sender.channel(),
        chat: sender.id().to_owned(),
        private: true,
        sender,
        lang_hint,
        content: Content::Text(text),
        message_id: Some(format!("m{n}")),
        replied_to: None,
    }
}

fn texts(response: &Response) -> String {
    let texts: Vec<&str> = response.replies.iter().map(|r| r.text.as_str()).collect();
    texts.join("\n")
}

async fn a_message_over_the_limit_is_refused_and_nothing_is_kept(db: TestDb) {
    let engine = Engine::new(
        shared_bot(),
        db.service.clone(),
        db.service.database().clone(),
        db.clock.clone(),
    );
    let messages = bot().knowledge().messages();
    let before = db.dump().await;
    // An unanswerable English question, one character over the limit: one long word.
    let long = format!("zqx{}", "q".repeat(MAX_MESSAGE_CHARS - 2));
    let response = engine.handle(message(1, long, None)).await;
    assert_eq!(texts(&response), messages.too_long.en.trim());
    let japanese = "パスワードを忘れた".repeat(MAX_MESSAGE_CHARS / 9 + 1);
    let response = engine.handle(message(2, japanese, None)).await;
    assert_eq!(texts(&response), messages.too_long.ja.trim());
    assert_eq!(
        db.dump().await,
        before,
        "nothing is kept of a refused message"
    );

    // At the limit, the message is read and answered.
    let question = "I forgot my password ";
    let at_limit = format!(
        "{}{}",
        question.repeat(MAX_MESSAGE_CHARS / question.len()),
        "x".repeat(MAX_MESSAGE_CHARS % question.len())
    );
    assert_eq!(at_limit.chars().count(), MAX_MESSAGE_CHARS);
    let response = engine.handle(message(3, at_limit, None)).await;
    let answer = first_line_of_answer("forgot-password", Lang::En);
    assert!(texts(&response).contains(&answer), "{}", texts(&response));
}

#[test]
fn a_long_question_on_the_command_line_is_refused() {
    let question = "how do I log in ".repeat(MAX_MESSAGE_CHARS / 16 + 1);
    let run = crate::support::pao_bot(&["ask", &question]);
    let sentence = bot().knowledge().messages().too_long.en.trim().to_owned();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.trim(), sentence);
    let run = crate::support::pao_bot(&["ask", "--json", &question]);
    assert!(
        run.stdout.contains("\"refused\":\"too_long\""),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unreadable_console_line_is_said_so_and_the_session_goes_on() {
    let mut input = b"\xff\xfe broken\n".to_vec();
    input.extend_from_slice("forgot password\n".as_bytes());
    let run = pao_bot_with_input_bytes(&["chat"], &input);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let unreadable = bot()
        .knowledge()
        .messages()
        .unreadable_line
        .en
        .trim()
        .to_owned();
    assert!(run.stdout.contains(&unreadable), "{}", run.stdout);
    let expected = first_line_of_answer("forgot-password", Lang::En);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

/// The engine on a fresh SQLite database, with its runtime, for the property test.
struct Fixture {
    runtime: Runtime,
    engine: Engine,
    _dir: TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = TempDir::new().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("pao-bot.db").display());
        let db = runtime
            .block_on(Database::connect(&url))
            .expect("the database opens");
        Fixture {
            engine: Engine::on_database(shared_bot(), db),
            runtime,
            _dir: dir,
        }
    })
}

/// Text of the kinds that break naive code: control characters, replacement characters
/// (what invalid bytes decode to), right-to-left and bidi controls, emoji with joiners,
/// combining marks, Japanese and Latin; sometimes far over the limit.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[\\x00-\\x1f\\x7f]{1,8}",
        Just("\u{FFFD}".to_owned()),
        "[\u{0590}-\u{05FF}\u{0600}-\u{06FF}]{1,12}",
        "[\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}]{1,4}",
        Just("👩\u{200D}👩\u{200D}👧🏽🇯🇵".to_owned()),
        "[a\u{0300}-\u{036F}]{1,8}",
        "[ぁ-んァ-ヶ一-龠]{1,12}",
        "[a-zA-Z0-9 /@.-]{1,20}",
        any::<char>().prop_map(String::from),
    ];
    (prop::collection::vec(piece, 0..60), 1usize..4000).prop_map(|(pieces, repeat)| {
        let text: String = pieces.concat();
        // Now and then far over the limit.
        if repeat > 3900 {
            text.repeat(repeat)
        } else {
            text
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_engine_replies_to_any_text(text in hostile_text()) {
        let fixture = fixture();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let handled = fixture.runtime.block_on(async {
            // Only a guard against a hang: a message takes milliseconds.
            tokio::time::timeout(
                Duration::from_secs(5),
                fixture.engine.handle(message(n, text.clone(), None)),
            )
            .await
        });
        let response = handled.expect("the engine answers in time");
        prop_assert!(!response.replies.is_empty(), "no reply to {:?}", text);
        prop_assert!(response.replies.iter().all(|r| !r.text.trim().is_empty()));
    }
}
