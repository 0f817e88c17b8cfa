//! What a question is about, not only its words: questions about another subject that share
//! a keyword with an entry, Passport Advantage matters no entry covers, symptoms and casual
//! forms, greetings and single words, on the shipped `faq/`.

use pao_bot::lang::Lang;
use pao_bot::matcher::Decision;

use crate::support::{bot, edit, faq_copy, pao_bot};

/// The entry id that answers `question`, or what the bot does instead.
fn outcome(question: &str) -> String {
    let answer = bot().ask(question, Lang::Ja);
    match answer.decision {
        Decision::Answer(entry) => bot().knowledge().entries()[entry].id.to_string(),
        other => format!("{other:?}"),
    }
}

fn assert_outcomes(cases: &[(&str, &str)]) {
    let wrong: Vec<String> = cases
        .iter()
        .map(|(question, expected)| (question, expected, outcome(question)))
        .filter(|(_, expected, got)| got != *expected)
        .map(|(question, expected, got)| format!("{question:?}: expected {expected}, got {got}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_keyword_shared_with_another_subject_gets_no_answer() {
    assert_outcomes(&[
        ("Macからサインアウトしたい", "NoAnswer"),
        ("how to log out of my android phone", "NoAnswer"),
        ("スマホのロックを外したい", "NoAnswer"),
        ("my iphone screen is locked", "NoAnswer"),
        ("hotmailのパスワードを忘れました", "NoAnswer"),
        ("I forgot my gmail password", "NoAnswer"),
        ("Edgeの拡張機能を追加したい", "NoAnswer"),
        ("how do I add a chrome extension", "NoAnswer"),
        ("Chromeをインストールしたい", "NoAnswer"),
        ("download firefox for mac", "NoAnswer"),
        ("好きなロックバンドは？", "NoAnswer"),
        ("a good rock band to listen to", "NoAnswer"),
        ("30分で作れる料理を教えて", "NoAnswer"),
        ("a recipe that takes 30 minutes", "NoAnswer"),
        ("パスタを30分で作る", "NoAnswer"),
        ("bake a cake in 30 minutes", "NoAnswer"),
        ("日本語の勉強のコツ", "NoAnswer"),
        ("where can I learn japanese", "NoAnswer"),
        ("大阪の人口はどれくらい", "NoAnswer"),
        ("what is the population of Kyoto", "NoAnswer"),
    ]);
}

#[test]
fn passport_advantage_matters_no_entry_covers_get_no_answer() {
    assert_outcomes(&[
        ("PAの更新料を教えて", "NoAnswer"),
        ("what is the renewal price for our licences", "NoAnswer"),
        ("ライセンスを子会社に譲渡できますか", "NoAnswer"),
        ("how do I transfer a license to our subsidiary", "NoAnswer"),
        ("パスポート・アドバンテージを解約したい", "NoAnswer"),
        ("I want to cancel the contract", "NoAnswer"),
        ("can we move a licence to another division", "NoAnswer"),
        ("ライセンスを移すには", "NoAnswer"),
    ]);
}

#[test]
fn the_same_words_about_pao_are_still_answered() {
    assert_outcomes(&[
        ("PAOからサインアウトしたい", "logout"),
        ("how do I log out of PAO", "logout"),
        ("アカウントがロックされた", "lockout"),
        ("パスワードを忘れました", "forgot-password"),
        ("MacのSafariでPAOは使えますか", "browsers"),
        ("PAOでソフトをダウンロードできますか", "pao-features"),
        ("PAOは何人まで使えますか", "user-limits"),
        ("I want to learn how to use PAO", "pao-access"),
        ("I got locked out of PAO on my laptop", "lockout"),
        // An IBM ID is an e-mail address: its address and password are PAO's sign-in.
        (
            "メールアドレスとパスワードを入力してもサインインできません",
            "signin-credentials",
        ),
        (
            "I entered my email and password but cannot sign in",
            "signin-trouble",
        ),
    ]);
}

#[test]
fn symptoms_casual_forms_and_english_verbs_in_japanese_are_answered() {
    assert_outcomes(&[
        ("サインオフのやり方", "logout"),
        ("PW忘れてしまった", "forgot-password"),
        // "ID" as a word is the IBM ID: making one is not cooking.
        ("IDの作り方", "signin-credentials"),
        ("ハンバーグの作り方", "NoAnswer"),
        ("loginできないです", "signin-trouble"),
        // Two terms with no particle between them.
        ("pao入れない", "signin-trouble"),
        ("sign inできません", "signin-trouble"),
        ("サインインのとこが英語", "signin-language"),
        // After signing in, not the sign-in screen, though worded like the screen's entry.
        ("サインインしたあとに日本語で表示したい", "portal-language"),
        ("サインイン画面を日本語で表示したい", "signin-language"),
        (
            "keeps sending me back to the login screen",
            "signin-trouble",
        ),
        (
            "サインインボタンを押しても何も起こりません",
            "signin-trouble",
        ),
        ("clicking sign in does nothing", "signin-trouble"),
        ("PWは合ってるのに弾かれます", "signin-trouble"),
    ]);
}

#[test]
fn greetings_get_the_greeting_and_a_question_after_one_is_answered() {
    for greeting in [
        "hello",
        "hi",
        "Hi there!",
        "こんにちは",
        "おはようございます",
    ] {
        assert_eq!(outcome(greeting), "Greeting", "{greeting:?}");
    }
    assert_eq!(outcome("hello, I forgot my password"), "forgot-password");
    let run = pao_bot(&["ask", "hello"]);
    assert!(run.stdout.contains("support bot"), "{}", run.stdout);
}

#[test]
fn single_short_words_and_common_words_get_no_answer_not_an_entry() {
    for word in ["ok", "1", "the", "is it", "はい"] {
        assert_eq!(outcome(word), "NoAnswer", "{word:?}");
    }
    for term in ["PW", "ログアウト"] {
        assert!(
            !matches!(outcome(term).as_str(), "NoAnswer" | "Empty"),
            "{term:?}"
        );
    }
}

#[test]
fn check_reports_an_example_a_subject_turns_away_and_a_cue_of_common_words() {
    let dir = faq_copy();
    let out_of_scope = dir.path().join("out-of-scope.yaml");
    edit(
        &out_of_scope,
        "  - gmail\n",
        "  - gmail\n  - safari\n  - the + of\n",
    );
    let run = pao_bot(&["check", "--faq", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("it has \"safari\", a cue of another subject (`browsers`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("the cue \"the + of\" has a part of common words only"),
        "{}",
        run.stdout
    );
}
