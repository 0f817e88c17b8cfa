//! `pao-bot learn` end to end on a temporary copy of `faq/`: questions the bot could not
//! answer in a chat, walked with piped choices, written into the YAML files as new lines
//! (everything else of the files as it was), then checked.

use std::fs;
use std::path::Path;

use pao_bot::lang::Lang;
use tempfile::TempDir;

use crate::support::{Run, faq_copy, faq_dir, first_line_of_answer, pao_bot_with_input};

fn on(faq: &Path, db: &Path, args: &[&str], stdin: &str) -> Run {
    let url = format!("sqlite://{}", db.display());
    let mut all = vec![
        "--faq",
        faq.to_str().unwrap(),
        "--database-url",
        url.as_str(),
    ];
    all.extend_from_slice(args);
    pao_bot_with_input(&all, stdin)
}

/// The lines of `after` that are not in `before`, when `after` is `before` with lines
/// inserted and nothing else changed.
fn inserted(before: &str, after: &str) -> Vec<String> {
    let mut old = before.lines().peekable();
    let mut new = Vec::new();
    for line in after.lines() {
        if old.peek() == Some(&line) {
            old.next();
        } else {
            new.push(line.to_owned());
        }
    }
    assert_eq!(
        old.next(),
        None,
        "a line of the file was changed or removed"
    );
    new
}

#[test]
fn accepted_questions_become_new_lines_of_the_faq_files_and_the_folder_is_checked() {
    let faq = faq_copy();
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("pao-bot.db");
    let chat = on(
        faq.path(),
        &db,
        &["chat"],
        "how do I knit a scarf\nhow can I knit a scarf\nwho do I call about PAO invoices\n",
    );
    assert_eq!(chat.code, Some(0), "{}", chat.stderr);

    // The scarf group (asked twice) first: out of scope; the invoices: into the closest entry.
    let learn = on(faq.path(), &db, &["learn"], "o\na\n");
    assert_eq!(learn.code, Some(0), "{}\n{}", learn.stdout, learn.stderr);
    assert!(
        learn
            .stdout
            .contains("  how can I knit a scarf\n  how do I knit a scarf\n"),
        "{}",
        learn.stdout
    );
    assert!(
        learn.stdout.contains("closest entry: pao-features"),
        "{}",
        learn.stdout
    );
    assert!(
        learn
            .stdout
            .contains("1 example(s) added to entries, 2 to out-of-scope"),
        "{}",
        learn.stdout
    );
    assert!(
        learn.stdout.contains("\nok: 15 entries"),
        "check ran and passed: {}",
        learn.stdout
    );

    let read = |dir: &Path, file: &str| fs::read_to_string(dir.join(file)).unwrap();
    let out_of_scope = read(faq.path(), "out-of-scope.yaml");
    assert_eq!(
        inserted(&read(&faq_dir(), "out-of-scope.yaml"), &out_of_scope),
        [
            "    - how can I knit a scarf",
            "    - how do I knit a scarf"
        ]
    );
    let last_en = "    - best laptop for programming\n";
    assert!(
        out_of_scope.contains(&format!("{last_en}    - how can I knit a scarf\n")),
        "after the last English example: {out_of_scope}"
    );
    assert_eq!(
        inserted(
            &read(&faq_dir(), "entries/pao-features.yaml"),
            &read(faq.path(), "entries/pao-features.yaml")
        ),
        ["    - who do I call about PAO invoices"]
    );

    let ask = on(
        faq.path(),
        &db,
        &["ask", "--json", "how can I knit a scarf"],
        "",
    );
    let object: serde_json::Value = serde_json::from_str(&ask.stdout).unwrap();
    assert_eq!(object["faq_id"], serde_json::Value::Null);
}

#[test]
fn skipped_groups_change_nothing() {
    let faq = faq_copy();
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("pao-bot.db");
    on(faq.path(), &db, &["chat"], "how do I knit a scarf\n");
    let learn = on(faq.path(), &db, &["learn"], "s\n");
    assert_eq!(learn.code, Some(0), "{}", learn.stderr);
    assert!(
        learn
            .stdout
            .contains("0 example(s) added to entries, 0 to out-of-scope")
    );
    let before = fs::read_to_string(faq_dir().join("out-of-scope.yaml")).unwrap();
    let after = fs::read_to_string(faq.path().join("out-of-scope.yaml")).unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_question_whose_answer_did_not_help_is_walked_and_can_be_put_out_of_scope() {
    let faq = faq_copy();
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("pao-bot.db");
    // Answered by forgot-password, then "No" (button 2) to "Did this help?".
    let asked = "how to reset the password of my company laptop";
    let chat = on(faq.path(), &db, &["chat"], &format!("{asked}\n2\n"));
    assert_eq!(chat.code, Some(0), "{}", chat.stderr);

    let path = faq.path().join("out-of-scope.yaml");
    let before = fs::read_to_string(&path).unwrap();
    let learn = on(faq.path(), &db, &["learn"], "o\n");
    assert_eq!(learn.code, Some(0), "{}\n{}", learn.stdout, learn.stderr);
    assert!(
        learn
            .stdout
            .contains("answered by forgot-password, which did not help"),
        "{}",
        learn.stdout
    );
    let added = inserted(&before, &fs::read_to_string(&path).unwrap());
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].contains(asked), "{added:?}");
    let answered = on(faq.path(), &db, &["ask", asked], "");
    assert!(
        !answered
            .stdout
            .contains(&first_line_of_answer("forgot-password", Lang::En)),
        "{}",
        answered.stdout
    );
}
