//! The knowledge base reloaded while the bot runs: a folder that fails `check` refused while
//! the one in use goes on answering, a conversation in a procedure that changed, and
//! `pao-bot admin reload` reaching a running server through either database. The whole of it
//! under a running `pao-bot serve` is in [`serve`].

pub mod serve;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pao_bot::answer::Answerer;
use pao_bot::conversation::{Content, Engine, Incoming, Response};
use pao_bot::database::Database;
use pao_bot::domain::ChatIdentity;
use pao_bot::knowledge::{Messages, ProcedureId};
use pao_bot::lang::{Lang, Localized};
use pao_bot::live::{LiveKnowledge, triggers};
use tokio_util::sync::CancellationToken;

use crate::databases::{TestDb, on_both_databases};
use crate::support::{edit, faq_copy, pao_bot};
use crate::telegram::fake::PATIENCE;

on_both_databases!(
    a_procedure_whose_step_is_gone_starts_over_and_one_whose_step_remains_goes_on,
    admin_reload_reloads_a_running_server,
);

/// A question the shipped folder does not answer with `browsers`, added as an example of it by
/// the tests.
pub const NEW_QUESTION: &str = "can the kiosk tablets in our lobby open the portal";

/// The knowledge base of `dir`, in use.
fn live(dir: &Path) -> Arc<LiveKnowledge> {
    let bot = Answerer::load(dir).expect("the folder loads");
    Arc::new(LiveKnowledge::new(Arc::new(bot)))
}

/// The entry `bot` answers `question` with, if any.
fn answered_by(bot: &Answerer, question: &str) -> Option<String> {
    let entry = bot.ask(question, Lang::En).entry()?;
    Some(bot.knowledge().entries()[entry].id.to_string())
}

/// Adds `example` to the English examples of entry `id` in `dir`.
pub fn add_example(dir: &Path, id: &str, example: &str) {
    let path = dir.join("entries").join(format!("{id}.yaml"));
    edit(
        &path,
        "  en:\n    - ",
        &format!("  en:\n    - {example}\n    - "),
    );
}

#[test]
fn a_folder_that_fails_check_is_refused_and_the_one_in_use_goes_on_answering() {
    let copy = faq_copy();
    let live = live(copy.path());
    let before = live.snapshot();
    assert_ne!(
        answered_by(&before, NEW_QUESTION).as_deref(),
        Some("browsers")
    );

    // A file that does not parse, with a new example beside it that must not be used.
    add_example(copy.path(), "browsers", NEW_QUESTION);
    let broken = copy.path().join("entries").join("logout.yaml");
    edit(&broken, "answer:", "answer: [");
    let refused = live
        .reload(copy.path())
        .expect_err("a broken folder is refused");
    let said = refused.to_string();
    let pinned = format!("{}:", broken.display());
    assert!(said.contains(&pinned), "{said}");
    let position = said[said.find(&pinned).unwrap() + pinned.len()..]
        .split(':')
        .take(2)
        .all(|number| number.parse::<usize>().is_ok_and(|n| n > 0));
    assert!(position, "no line and column: {said}");
    assert!(Arc::ptr_eq(&live.snapshot(), &before));
    assert_eq!(live.version(), 1);

    // A folder that loads but fails the self-test: an example another entry wins.
    edit(&broken, "answer: [", "answer:");
    add_example(copy.path(), "logout", "which browsers are supported by PAO");
    let refused = live.reload(copy.path()).expect_err("a conflict is refused");
    assert!(refused.to_string().contains("logout.yaml:"), "{refused}");
    assert!(Arc::ptr_eq(&live.snapshot(), &before));

    edit(&broken, "    - which browsers are supported by PAO\n", "");
    assert_eq!(live.reload(copy.path()).expect("the fixed folder loads"), 2);
    assert_eq!(
        answered_by(&live.snapshot(), NEW_QUESTION).as_deref(),
        Some("browsers")
    );
    // A turn that took its snapshot before still answers from it to its end.
    assert_ne!(
        answered_by(&before, NEW_QUESTION).as_deref(),
        Some("browsers")
    );
}

/// Someone in a private Telegram chat.
fn says(person: &str, text: &str) -> Incoming {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let sender = ChatIdentity::parse(&format!("telegram:{person}")).expect("an identity");
    Incoming {
        channel: sender.channel(),
        chat: sender.id().to_owned(),
        private: true,
        sender,
        lang_hint: Some(Lang::En),
        content: Content::Text(text.to_owned()),
        message_id: Some(format!("r{}", NEXT.fetch_add(1, Ordering::SeqCst))),
        replied_to: None,
    }
}

fn text(response: &Response) -> String {
    let texts: Vec<&str> = response.replies.iter().map(|r| r.text.as_str()).collect();
    texts.join("\n---\n")
}

fn sentence(bot: &Answerer, pick: fn(&Messages) -> &Localized) -> String {
    let messages = bot.knowledge().messages();
    messages.say(pick(messages), Lang::En, &[])
}

/// The English text of step `step` of the first-access procedure in `bot`.
fn first_access_step(bot: &Answerer, step: usize) -> String {
    let id = ProcedureId::parse("first-access").expect("a procedure id");
    let procedure = bot.knowledge().procedure(&id).expect("first-access");
    procedure.steps[step].text.get(Lang::En).trim().to_owned()
}

/// The step of first-access that asks for the site number, in the shipped folder.
const SITE_STEP: usize = 2;

async fn a_procedure_whose_step_is_gone_starts_over_and_one_whose_step_remains_goes_on(db: TestDb) {
    let copy = faq_copy();
    let live = live(copy.path());
    let engine = Engine::live(
        live.clone(),
        db.service.clone(),
        db.service.database().clone(),
        db.clock.clone(),
    );
    let shipped = live.snapshot();
    let site_question = first_access_step(&shipped, SITE_STEP);
    for person in ["501", "502"] {
        let asked = text(&engine.handle(says(person, "/passcode")).await);
        assert!(asked.contains(&site_question), "{asked}");
    }

    // The site number's question reworded: the step is still there, and goes on.
    let procedures = copy.path().join("procedures.yaml");
    let reworded = "Type the 7 digits of your site number, leaving out a leading \"0\".";
    edit(
        &procedures,
        "        en: Enter the 7 digits of your Passport Advantage site number or Passport Advantage Express site number. If it starts with a \"0\", leave that \"0\" out.",
        &format!("        en: {reworded}"),
    );
    live.reload(copy.path()).expect("the reworded folder loads");
    let retried = text(&engine.handle(says("501", "12")).await);
    assert!(
        retried.contains("A site number is 7 digits"),
        "still on the site number's step: {retried}"
    );
    assert!(
        !retried.contains(&sentence(&shipped, |m| &m.procedure_changed)),
        "{retried}"
    );

    // A step put before it: the conversation's step is now an instruction, and it starts over.
    edit(
        &procedures,
        "    - text:\n        ja: パスポート・アドバンテージ・サイト番号、または",
        "    - text:\n        ja: お手元に「パスポート・アドバンテージご契約内容のお知らせ」をご用意ください。\n        en: Have the notice with your Passport Advantage contract details at hand.\n    - text:\n        ja: パスポート・アドバンテージ・サイト番号、または",
    );
    live.reload(copy.path())
        .expect("the longer procedure loads");
    let restarted = engine.handle(says("502", "1234567")).await;
    let now = live.snapshot();
    assert_eq!(
        restarted.replies[0].text,
        sentence(&now, |m| &m.procedure_changed),
        "{restarted:?}"
    );
    let again = text(&restarted);
    assert!(
        again.contains("Have the notice with your Passport Advantage contract details at hand."),
        "{again}"
    );
    assert!(
        again.contains(reworded),
        "asked the site number again: {again}"
    );
    // And the restarted conversation goes on from the site number.
    let next = text(&engine.handle(says("502", "1234567")).await);
    assert!(
        next.contains(&first_access_step(&now, SITE_STEP + 2)),
        "{next}"
    );
}

async fn admin_reload_reloads_a_running_server(db: TestDb) {
    let copy = faq_copy();
    let live = live(copy.path());
    let mut versions = live.versions();
    let database: Database = db.service.database().clone();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(triggers::keep_current(
        live.clone(),
        copy.path().to_owned(),
        database,
        shutdown.clone(),
    ));
    let url = db.url.clone();
    let run =
        tokio::task::spawn_blocking(move || pao_bot(&["admin", "reload", "--database-url", &url]))
            .await
            .expect("the command ran");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.starts_with("reload asked"), "{}", run.stdout);
    tokio::time::timeout(PATIENCE, versions.changed())
        .await
        .expect("reloaded before the deadline")
        .expect("the knowledge base is still there");
    assert_eq!(live.version(), 2);
    shutdown.cancel();
    server.await.expect("the reloading stopped");
}
