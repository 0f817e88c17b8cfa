//! `pao-bot check` on the shipped knowledge base and on copies broken on purpose: every
//! problem is reported with its file, line and column, and nothing half-loads.

use std::fs;
use std::path::Path;

use pao_bot::knowledge::FORM_TEXT_MAX_CHARS;
use pao_bot::lang::Lang;

use crate::support::{Run, edit, faq_copy, faq_dir, pao_bot};

fn check(dir: &Path) -> Run {
    pao_bot(&["check", "--faq", dir.to_str().expect("a UTF-8 path")])
}

/// A new entry file `entries/NAME.yaml` holding `yaml`.
fn write_entry(dir: &Path, name: &str, yaml: &str) {
    fs::write(dir.join("entries").join(format!("{name}.yaml")), yaml).expect("entry written");
}

const VALID_ENTRY: &str = "\
id: test-entry
category: signin
question:
  ja: テスト用の質問ですか
  en: Is this a test question?
answer:
  ja: テストです。
  en: It is a test.
examples:
  ja: [試験のための項目について]
  en: [a question about the testing item]
";

/// Asserts the check failed and reported `message` at `file:line:column`.
fn assert_reported(run: &Run, file: &str, line: usize, column: usize, message: &str) {
    assert_eq!(
        run.code,
        Some(1),
        "check must fail: {}{}",
        run.stdout,
        run.stderr
    );
    let place = format!("{file}:{line}:{column}: ");
    let found = run
        .stdout
        .lines()
        .any(|l| l.contains(&place) && l.contains(message));
    assert!(found, "expected `{place}...{message}` in:\n{}", run.stdout);
}

#[test]
fn the_shipped_knowledge_base_passes() {
    let run = check(&faq_dir());
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(run.stdout.starts_with("ok: 15 entries"), "{}", run.stdout);
    assert!(run.stdout.contains("\ngeneralisation: "), "{}", run.stdout);
}

#[test]
fn a_yaml_syntax_error_is_pinned() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("[試験のための項目について]", "[試験のための項目について"),
    );
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 11, 5, "did not find expected");
}

#[test]
fn an_unknown_field_is_pinned() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("category:", "categroy:"),
    );
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 2, 1, "unknown field `categroy`");
}

#[test]
fn a_missing_language_is_pinned() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("  en: It is a test.\n", ""),
    );
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 7, 3, "missing field `en`");
}

#[test]
fn a_duplicate_id_is_pinned() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("id: test-entry", "id: logout"),
    );
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 1, 1, "duplicate id `logout`");
    assert_reported(&run, "test-entry.yaml", 1, 1, "differs from its file name");
}

#[test]
fn a_dangling_reference_is_pinned() {
    let dir = faq_copy();
    let yaml = format!("{VALID_ENTRY}related: [logout, no-such-entry]\n");
    write_entry(dir.path(), "test-entry", &yaml);
    let run = check(dir.path());
    assert_reported(
        &run,
        "test-entry.yaml",
        12,
        19,
        "related entry `no-such-entry` does not exist",
    );
}

#[test]
fn an_unknown_category_is_pinned() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("category: signin", "category: billing"),
    );
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 2, 1, "unknown category `billing`");
}

#[test]
fn an_invalid_pattern_is_pinned() {
    let dir = faq_copy();
    let path = dir.path().join("procedures.yaml");
    let original = fs::read_to_string(&path).unwrap();
    let line = original.lines().count() + 5;
    let broken = "\
- id: test-procedure
  title: {ja: テスト, en: Test}
  steps:
    - text: {ja: 番号を入力, en: Enter the number}
      slot: site_number
      pattern: '^[0-9]{7$'
      retry: {ja: 7桁です, en: 7 digits}
";
    fs::write(&path, format!("{}\n{broken}", original.trim_end())).unwrap();
    let run = check(dir.path());
    assert_reported(&run, "procedures.yaml", line + 1, 17, "invalid pattern");
}

#[test]
fn an_action_missing_a_slot_is_reported() {
    let dir = faq_copy();
    let path = dir.path().join("procedures.yaml");
    let original = fs::read_to_string(&path).unwrap();
    let broken = "\
- id: test-procedure
  title: {ja: テスト, en: Test}
  action: passcode-check
  steps:
    - text: {ja: 番号を入力, en: Enter the number}
      slot: site_number
      pattern: '^[0-9]{7}$'
      retry: {ja: 7桁です, en: 7 digits}
";
    fs::write(&path, format!("{}\n{broken}", original.trim_end())).unwrap();
    let run = check(dir.path());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("never asks for `ibm_id`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("never asks for `passcode`"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_command_that_starts_no_procedure_or_two_is_reported() {
    let dir = faq_copy();
    edit(
        &dir.path().join("procedures.yaml"),
        "  command: passcode\n",
        "",
    );
    let run = check(dir.path());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("no procedure says `command: passcode`"),
        "{}",
        run.stdout
    );

    let dir = faq_copy();
    let path = dir.path().join("procedures.yaml");
    let original = fs::read_to_string(&path).unwrap();
    let second = "\
- id: test-procedure
  title: {ja: テスト, en: Test}
  command: passcode
  steps:
    - text: {ja: テストです, en: A test}
";
    fs::write(&path, format!("{}\n{second}", original.trim_end())).unwrap();
    let run = check(dir.path());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("more than one procedure says `command: passcode`"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_procedure_started_by_a_command_of_its_own_is_reported() {
    let dir = faq_copy();
    let path = dir.path().join("procedures.yaml");
    edit(&path, "  command: nominate\n", "  command: help\n");
    let run = check(dir.path());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("/help does not start a procedure"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("no procedure says `command: nominate`"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_sentence_whose_languages_name_different_values_is_pinned() {
    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    edit(&path, "あと{tries}回間違えると", "あと{try}回間違えると");
    let line = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("passcode_wrong:"))
        .expect("the sentence is there")
        + 1;
    let run = check(dir.path());
    assert_reported(
        &run,
        "messages.yaml",
        line,
        1,
        "`passcode_wrong` has placeholders [\"minutes\", \"try\"] in Japanese but [\"minutes\", \"tries\"] in English",
    );
}

#[test]
fn a_placeholder_the_bot_never_fills_is_pinned() {
    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    let text = fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("topic_questions:"))
        .expect("the sentence is there")
        + 2;
    let ja = text.lines().nth(line - 1).unwrap();
    let column = ja[..ja.find("{topic}").unwrap()].chars().count() + 1;
    edit(&path, "{topic}", "{topicx}");
    edit(&path, "{topic}", "{topicx}");
    let run = check(dir.path());
    assert_reported(
        &run,
        "messages.yaml",
        line,
        column,
        "`topic_questions` has the placeholder {topicx}, which the bot never fills",
    );
}

#[test]
fn an_example_another_entry_claims_is_a_conflict() {
    let dir = faq_copy();
    let yaml = VALID_ENTRY.replace(
        "ja: [試験のための項目について]",
        "ja: [試験のための項目について, パスワードを忘れてしまったのでリセットしたい]",
    );
    write_entry(dir.path(), "test-entry", &yaml);
    let run = check(dir.path());
    assert_reported(&run, "test-entry.yaml", 10, 22, "`forgot-password`");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("category:", "categroy:"),
    );
    edit(
        &dir.path().join("entries/logout.yaml"),
        "id: logout",
        "id: log_out",
    );
    fs::remove_file(dir.path().join("messages.yaml")).unwrap();
    let run = check(dir.path());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("unknown field `categroy`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"log_out\" is not a valid id"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("messages.yaml: cannot read"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("3 problem(s)"), "{}", run.stdout);
}

#[test]
fn a_broken_knowledge_base_is_never_half_loaded() {
    let dir = faq_copy();
    write_entry(
        dir.path(),
        "test-entry",
        &VALID_ENTRY.replace("category:", "categroy:"),
    );
    let run = pao_bot(&[
        "ask",
        "--faq",
        dir.path().to_str().unwrap(),
        "forgot password",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stdout.is_empty(),
        "no answer from half a knowledge base: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("unknown field `categroy`"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_sentence_writes_a_policy_number_itself() {
    let kb = pao_bot::knowledge::KnowledgeBase::load(&faq_dir()).expect("the shipped faq loads");
    let duration = regex::Regex::new(r"[0-9０-９]+\s*(minutes?|分|hours?|時間)").expect("a regex");
    for (key, text, _) in kb.messages().all() {
        for lang in [Lang::Ja, Lang::En] {
            let sentence = text.get(lang);
            assert!(
                !duration.is_match(sentence),
                "{key} ({lang}) states a duration instead of a placeholder from policy: {sentence}"
            );
        }
    }
}

#[test]
fn a_command_left_undescribed_or_too_long_for_the_menus_is_reported() {
    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    edit(&path, "  reissue:\n", "  reissued:\n");
    let run = check(dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("messages.yaml:") && run.stdout.contains("`reissue` is not described"),
        "{}",
        run.stdout
    );

    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    let long = "長".repeat(101);
    edit(&path, "ja: 7桁のサイト番号", &format!("ja: {long}"));
    let run = check(dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("`site` has a ja description of 101 characters: give 1 to 100"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_form_text_missing_or_too_long_for_discord_is_reported() {
    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    let long = "長".repeat(FORM_TEXT_MAX_CHARS + 1);
    edit(&path, "ja: サイト番号 (7桁)", &format!("ja: {long}"));
    let run = check(dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let said = format!(
        "a form text has {} characters in ja: give 1 to {FORM_TEXT_MAX_CHARS}",
        FORM_TEXT_MAX_CHARS + 1
    );
    assert!(run.stdout.contains(&said), "{}", run.stdout);

    let dir = faq_copy();
    let path = dir.path().join("messages.yaml");
    edit(
        &path,
        "  confirm:\n    ja: はい / いいえ\n    en: yes / no\n",
        "",
    );
    let run = check(dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("missing field `confirm`"),
        "{}",
        run.stdout
    );
}
