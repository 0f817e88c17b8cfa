//! `pao-bot eval`: accuracy on a question file, its misses and its summary line.

use std::fs;

use regex::Regex;
use tempfile::TempDir;

use crate::support::pao_bot;

const SUMMARY: &str = r"^overall: (\d\.\d{4}) \((\d+)/(\d+)\) in_scope: (\d+)/(\d+) out_of_scope_rejected: (\d+)/(\d+) p50_us: (\d+) p99_us: (\d+)$";

#[test]
fn prints_misses_then_the_summary_line() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("questions.yaml");
    fs::write(
        &file,
        "- {q: \"ログアウトのやり方\", expect: logout}\n\
         - {q: \"how do I log out\", expect: forgot-password}\n\
         - {q: \"東京タワーの高さ\", expect: none}\n",
    )
    .unwrap();
    let run = pao_bot(&["eval", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let summary = Regex::new(SUMMARY).unwrap();
    let caps = summary.captures(run.last_line()).expect(&run.stdout);
    assert_eq!(&caps[1], "0.6667");
    assert_eq!((&caps[2], &caps[3]), ("2", "3"));
    assert_eq!((&caps[4], &caps[5]), ("1", "2"));
    assert_eq!((&caps[6], &caps[7]), ("1", "1"));
    assert!(
        run.stdout
            .contains("miss: \"how do I log out\" expected forgot-password got logout"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unknown_expected_entry_is_refused() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("questions.yaml");
    fs::write(&file, "- {q: \"x\", expect: no-such-entry}\n").unwrap();
    let run = pao_bot(&["eval", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("no-such-entry"), "{}", run.stderr);
}

/// The development questions, kept in the repository (a copy of the set CI also runs from
/// `../shared` when it is there): the bar the matcher must keep.
#[test]
fn the_development_questions_score_at_least_95_percent() {
    let dev = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/dev.yaml");
    let run = pao_bot(&["eval", "--json", dev.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let overall = report["overall"].as_f64().unwrap();
    assert!(
        overall >= 0.95,
        "overall {overall}: misses {}",
        report["misses"]
    );
}

/// The score of an eval file of `tests/eval/`, with its misses.
fn overall(set: &str) -> (f64, serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/eval")
        .join(set);
    let run = pao_bot(&["eval", "--json", path.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    (
        report["overall"].as_f64().unwrap(),
        report["misses"].clone(),
    )
}

/// The customers' questions written before the matcher was tuned on them
/// (`tests/eval/customers.yaml`): symptoms, casual and mixed-language forms, and questions
/// about other subjects.
#[test]
fn the_customers_questions_score_at_least_95_percent() {
    let (overall, misses) = overall("customers.yaml");
    assert!(overall >= 0.95, "overall {overall}: misses {misses}");
}

/// The held-out questions, never tuned on: a floor below their figure when the tuning ended
/// (0.925), so that later tuning that generalises worse is noticed.
#[test]
fn the_held_out_questions_score_at_least_90_percent() {
    let (overall, misses) = overall("holdout.yaml");
    assert!(overall >= 0.90, "overall {overall}: misses {misses}");
}

/// The questions written in stop 22 before that stop's tuning and run once after it
/// (`tests/eval/unseen.yaml`, 0.92): a floor, as for the held-out set.
#[test]
fn the_unseen_questions_score_at_least_90_percent() {
    let (overall, misses) = overall("unseen.yaml");
    assert!(overall >= 0.90, "overall {overall}: misses {misses}");
}
