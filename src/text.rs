//! Text folding: the one place that decides which spellings count as the same, used both on
//! what the knowledge base says and on what customers type.
//!
//! Folding applies NFKC (full-width Latin and digits become half-width, half-width katakana
//! becomes full-width), lowercases, turns katakana into hiragana, drops the marks customers
//! use or leave out at will (・ ー 〜 and apostrophes) and reduces every other symbol or run
//! of spaces to one space; a space between two Japanese characters is dropped, since Japanese
//! is written without them.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::lang::is_japanese;

/// The folded form of `text`: see the module documentation.
pub fn fold(text: &str) -> String {
    // Most text is NFKC already, and its quick check costs far less than normalizing.
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => fold_normalized(text.chars(), text.len()),
        IsNormalized::No | IsNormalized::Maybe => fold_normalized(text.nfkc(), text.len()),
    }
}

/// [`fold`] of characters already in NFKC.
fn fold_normalized<I>(chars: I, capacity: usize) -> String
where
    I: Iterator<Item = char>,
{
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in chars.flat_map(char::to_lowercase) {
        let c = katakana_to_hiragana(c);
        if is_dropped(c) {
            continue;
        }
        if is_word_char(c) {
            if pending_space && !out.is_empty() {
                let joins_japanese =
                    out.chars().next_back().is_some_and(is_japanese) && is_japanese(c);
                if !joins_japanese {
                    out.push(' ');
                }
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Letters, digits, kana, kanji, and the private-use characters the matcher stands terms in with.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_japanese(c) || is_private_use(c)
}

/// Characters of Unicode's supplementary private use area A, which never come from a folded
/// text and so can stand for vocabulary terms.
pub fn is_private_use(c: char) -> bool {
    ('\u{F0000}'..='\u{FFFFD}').contains(&c)
}

fn is_dropped(c: char) -> bool {
    matches!(c, '・' | 'ー' | '〜' | '～' | '\'' | '’' | '‘' | '゙' | '゚') || is_private_use(c)
}

fn katakana_to_hiragana(c: char) -> char {
    match c {
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_kana() {
        assert_eq!(fold("ＰＡＯ　ﾛｸﾞｲﾝ"), "pao ろぐいん");
        assert_eq!(fold("ログイン"), fold("ろぐいん"));
        assert_eq!(fold("Sign-In"), "sign in");
    }

    #[test]
    fn drops_marks_customers_use_at_will() {
        assert_eq!(
            fold("パスポート・アドバンテージ"),
            fold("パスポトアドバンテジ")
        );
        assert_eq!(fold("ユーザー"), fold("ユーザ"));
        assert_eq!(fold("can't"), "cant");
    }

    #[test]
    fn symbols_become_single_spaces_and_japanese_spaces_go() {
        assert_eq!(fold("  how   do I...log in?? "), "how do i log in");
        assert_eq!(fold("サイン イン できない！"), "さいんいんできない");
        assert_eq!(fold("IBM ID を忘れた"), "ibm id を忘れた");
    }

    #[test]
    fn private_use_characters_never_survive_folding() {
        assert_eq!(fold("a\u{F0001}b"), "ab");
    }
}
