//! Whatever a customer sends, up to 100 KB of any Unicode, the bot replies or says it does
//! not know; it never panics.

use pao_bot::lang::Lang;
use pao_bot::matcher::Decision;
use proptest::prelude::*;

use crate::support::bot;

const MAX_BYTES: usize = 100 * 1024;

/// Any characters, cut to at most 100 KB.
fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..40_000).prop_map(|chars| {
        let mut text = String::new();
        for c in chars {
            if text.len() + c.len_utf8() > MAX_BYTES {
                break;
            }
            text.push(c);
        }
        text
    })
}

/// Text made of what the matcher looks at: kana, kanji, Latin, digits, symbols, spaces.
fn chat_like_text() -> impl Strategy<Value = String> {
    "[ぁ-んァ-ヶｦ-ﾟ一-龠a-zA-Zａ-ｚ0-9０-９ 　・ー？！?!.,@-]{0,2000}"
}

fn assert_replies(text: &str) {
    let answer = bot().ask(text, Lang::Ja);
    let rendered = bot().render(&answer);
    assert!(!rendered.trim().is_empty(), "an empty reply to {text:?}");
    if let Decision::Answer(entry) = answer.decision {
        assert!(entry < bot().knowledge().entries().len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_unicode_gets_a_reply(text in any_text()) {
        assert_replies(&text);
    }

    #[test]
    fn chat_like_noise_gets_a_reply(text in chat_like_text()) {
        assert_replies(&text);
    }
}

#[test]
fn the_largest_message_gets_a_reply() {
    let text = "パスワードを忘れた forgot my password ".repeat(MAX_BYTES / 50);
    assert!(text.len() <= MAX_BYTES);
    assert_replies(&text);
}
