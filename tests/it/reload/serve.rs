//! `pao-bot serve` on the fake Telegram while its knowledge base folder is edited: a new
//! example, then a broken file, then the fix, with questions arriving all along. No reply is
//! an error, the new answer appears, and the broken folder is never used.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pao_bot::lang::Lang;
use tempfile::TempDir;
use tokio::sync::mpsc;

use crate::reload::{NEW_QUESTION, add_example};
use crate::support::{edit, faq_copy, first_line_of_answer};
use crate::telegram::fake::{FakeTelegram, PATIENCE, Person, TOKEN};

/// Another question like no shipped text, for the broken folder's example.
const OTHER_NEW_QUESTION: &str = "will the conference room smartboard show the portal";
/// What customers keep asking meanwhile.
const ASKED_ALL_ALONG: &str = "which browsers does PAO support";

/// The running `pao-bot serve`, killed when dropped, and its log's lines as they come.
pub struct Server {
    pub child: Child,
    log: mpsc::UnboundedReceiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `pao-bot serve` on `fake`, with the knowledge base `faq` and the SQLite database
    /// `pao-bot.db` of `cwd`.
    pub fn start(fake: &FakeTelegram, faq: &std::path::Path, cwd: &std::path::Path) -> Server {
        let url = format!("sqlite://{}", cwd.join("pao-bot.db").display());
        Server::start_on(&fake.url(), &url, faq, cwd)
    }

    /// `pao-bot serve` on the Bot API at `api` and the database at `url`.
    pub fn start_on(api: &str, url: &str, faq: &std::path::Path, cwd: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pao-bot"))
            .args(["--database-url", url, "serve", "--faq"])
            .arg(faq)
            .current_dir(cwd)
            .env_remove("PAO_FAQ_DIR")
            .env_remove("DISCORD_TOKEN")
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api)
            .env("RUST_LOG", "warn,pao_bot::live=info,pao_bot::replicas=info")
            .env("PAO_METRICS_LISTEN", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("piped standard error");
        let (line, log) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for read in BufReader::new(stderr).lines() {
                let Ok(text) = read else { return };
                if line.send(text).is_err() {
                    return;
                }
            }
        });
        Server { child, log }
    }

    /// Waits for the next log line holding `needle`, skipping the others.
    pub async fn wait_for_log(&mut self, needle: &str) -> String {
        let found = async {
            while let Some(line) = self.log.recv().await {
                if line.contains(needle) {
                    return line;
                }
            }
            panic!("the server stopped before logging {needle:?}");
        };
        tokio::time::timeout(PATIENCE, found)
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in the log before the deadline"))
    }
}

/// `person` asks `question`; the bot's reply.
async fn ask(fake: &FakeTelegram, person: &Person, question: &str) -> String {
    let before = fake.sent_to(person.id).len();
    fake.say(person, question);
    let sent = fake.wait_for_messages(person.id, before + 1).await;
    sent[before].text().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reloads_an_edited_folder_while_questions_keep_arriving() {
    let fake = Arc::new(FakeTelegram::start().await);
    let copy = faq_copy();
    let cwd = TempDir::new().expect("a temporary folder");
    let mut server = Server::start(&fake, copy.path(), cwd.path());
    let browsers = first_line_of_answer("browsers", Lang::En);
    let editor = Person::new(300, "Emi", Some("en"));
    assert!(!ask(&fake, &editor, NEW_QUESTION).await.contains(&browsers));

    let stop = Arc::new(AtomicBool::new(false));
    let asking = tokio::spawn({
        let (fake, stop, browsers) = (fake.clone(), stop.clone(), browsers.clone());
        async move {
            let customer = Person::new(200, "Alice", Some("en"));
            let mut asked = 0;
            while !stop.load(Ordering::SeqCst) {
                let reply = ask(&fake, &customer, ASKED_ALL_ALONG).await;
                assert!(reply.contains(&browsers), "reply {asked}: {reply}");
                asked += 1;
            }
            asked
        }
    });

    add_example(copy.path(), "browsers", NEW_QUESTION);
    server.wait_for_log("knowledge base reloaded").await;
    assert!(ask(&fake, &editor, NEW_QUESTION).await.contains(&browsers));

    // The file broken first, so that no reload sees the new example without it.
    let broken = copy.path().join("entries").join("logout.yaml");
    edit(&broken, "answer:", "answer: [");
    add_example(copy.path(), "browsers", OTHER_NEW_QUESTION);
    let refused = server.wait_for_log("is refused").await;
    server.wait_for_log("logout.yaml:").await;
    assert!(refused.contains("ERROR"), "{refused}");
    let unused = ask(&fake, &editor, OTHER_NEW_QUESTION).await;
    assert!(
        !unused.contains(&browsers),
        "the broken folder answered: {unused}"
    );

    edit(&broken, "answer: [", "answer:");
    server.wait_for_log("knowledge base reloaded").await;
    assert!(
        ask(&fake, &editor, OTHER_NEW_QUESTION)
            .await
            .contains(&browsers)
    );

    // SIGHUP reloads too, the folder unchanged.
    let hup = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(hup.success());
    let hangup = server.wait_for_log("knowledge base reloaded").await;
    assert!(hangup.contains("SIGHUP"), "{hangup}");
    assert!(
        ask(&fake, &editor, OTHER_NEW_QUESTION)
            .await
            .contains(&browsers)
    );

    stop.store(true, Ordering::SeqCst);
    let asked = asking
        .await
        .expect("every reply along the way was the answer");
    assert!(asked > 0);
}
