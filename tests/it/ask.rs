//! `pao-bot ask`: one question, one reply, in text and in JSON.

use pao_bot::knowledge::EntryId;
use pao_bot::lang::Lang;
use serde_json::Value;

use crate::support::{bot, pao_bot};

fn ask_json(question: &str) -> Value {
    let run = pao_bot(&["ask", "--json", question]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("one JSON object")
}

fn answer_of(id: &str, lang: Lang) -> String {
    let kb = bot().knowledge();
    let entry = kb
        .entry(&EntryId::parse(id).unwrap())
        .expect("a shipped entry");
    entry.answer.get(lang).clone()
}

#[test]
fn answers_a_japanese_question_in_japanese_with_the_steps() {
    let run = pao_bot(&[
        "ask",
        "セルフ・ノミネーションの画面でサイト番号を入れろと言われた",
    ]);
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("7桁"), "{}", run.stdout);
    assert!(
        run.stdout.contains("\n1. "),
        "the procedure's numbered steps: {}",
        run.stdout
    );
}

#[test]
fn answers_an_english_question_in_english() {
    let run = pao_bot(&["ask", "I", "forgot", "my", "password"]);
    assert_eq!(run.code, Some(0));
    let expected = crate::support::first_line_of_answer("forgot-password", Lang::En);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

#[test]
fn json_names_the_entry_its_score_and_answer() {
    let object = ask_json("ログアウトの方法を教えてください");
    assert_eq!(object["lang"], "ja");
    assert_eq!(object["faq_id"], "logout");
    assert!(object["score"].as_f64().unwrap() > 0.0);
    assert_eq!(object["answer"], answer_of("logout", Lang::Ja));
    assert!(object["suggestions"].as_array().unwrap().is_empty());

    let object = ask_json("which browsers are supported?");
    assert_eq!(object["lang"], "en");
    assert_eq!(object["faq_id"], "browsers");
    assert_eq!(object["answer"], answer_of("browsers", Lang::En));
}

#[test]
fn full_width_and_half_width_katakana_are_understood() {
    assert_eq!(ask_json("ﾛｸﾞｱｳﾄのしかた")["faq_id"], "logout");
    assert_eq!(ask_json("ＬＯＧＯＵＴ　ＨＯＷ？")["faq_id"], "logout");
}

#[test]
fn small_typos_are_understood() {
    assert_eq!(ask_json("i forgot my pasword")["faq_id"], "forgot-password");
    assert_eq!(ask_json("recommended browswer")["faq_id"], "browsers");
}

#[test]
fn an_unrelated_question_gets_no_answer_and_the_help_desk() {
    let object = ask_json("今夜のサッカーの試合は何時から？");
    assert_eq!(object["faq_id"], Value::Null);
    assert_eq!(object["answer"], Value::Null);

    let run = pao_bot(&["ask", "how do I bake bread"]);
    assert!(run.stdout.contains("eCustomer Care"), "{}", run.stdout);
}

#[test]
fn a_question_with_nothing_to_match_asks_for_one() {
    let object = ask_json("？？？");
    assert_eq!(object["faq_id"], Value::Null);
    assert_eq!(object["score"], 0.0);
}
