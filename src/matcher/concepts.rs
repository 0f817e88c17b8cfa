//! Reads every spelling of a vocabulary term as the term itself: each variant found in a
//! folded text is replaced by one private-use character that stands for its term.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::knowledge::Term;
use crate::text::fold;

/// The vocabulary, compiled for replacing variants in folded text.
#[derive(Debug, Clone)]
pub struct Concepts {
    /// All folded variants; where several start at the same place, the longest wins.
    pattern: Option<AhoCorasick>,
    /// The character standing for each variant's term, by the variant's number in `pattern`.
    symbols: Vec<char>,
}

/// The first character of the private-use area that stands for term number 0.
const FIRST_SYMBOL: u32 = 0xF0000;

impl Concepts {
    pub fn new(terms: &[Term]) -> Concepts {
        let mut symbols = HashMap::new();
        for (i, term) in terms.iter().enumerate() {
            let symbol = symbol(i);
            for variant in &term.variants {
                let folded = fold(variant);
                if !folded.is_empty() {
                    symbols.entry(folded).or_insert(symbol);
                }
            }
        }
        let (variants, symbols): (Vec<String>, Vec<char>) = symbols.into_iter().unzip();
        let pattern = (!variants.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&variants)
                .expect("the vocabulary's variants fit in an automaton")
        });
        Concepts { pattern, symbols }
    }

    /// `folded` with each variant replaced by its term's symbol. A variant that starts or ends
    /// with a Latin letter or digit only counts as a whole word ("pw" is not found in "pwd").
    pub fn replace(&self, folded: &str) -> String {
        let Some(pattern) = &self.pattern else {
            return folded.to_owned();
        };
        let mut out = String::with_capacity(folded.len());
        let mut at = 0;
        while let Some(m) = pattern.find(Input::new(folded).range(at..)) {
            if is_whole_word(folded, m.start(), m.end()) {
                out.push_str(&folded[at..m.start()]);
                out.push(self.symbols[m.pattern().as_usize()]);
                at = m.end();
            } else {
                let next = m.start() + folded[m.start()..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&folded[at..next]);
                at = next;
            }
        }
        out.push_str(&folded[at..]);
        out
    }
}

/// The character standing for term number `i`.
fn symbol(i: usize) -> char {
    char::from_u32(FIRST_SYMBOL + i as u32).expect("fewer terms than private-use characters")
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let matched = &text[start..end];
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let starts_latin = matched.chars().next().is_some_and(is_latin);
    let ends_latin = matched.chars().next_back().is_some_and(is_latin);
    !(starts_latin && before.is_some_and(is_latin) || ends_latin && after.is_some_and(is_latin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts() -> Concepts {
        let term = |term: &str, variants: &[&str]| Term {
            term: term.into(),
            variants: variants.iter().map(|v| v.to_string()).collect(),
        };
        Concepts::new(&[
            term("signin", &["ログイン", "サインイン", "sign in", "login"]),
            term("password", &["パスワード", "password", "pw"]),
        ])
    }

    #[test]
    fn every_spelling_becomes_the_same_symbol() {
        let c = concepts();
        let a = c.replace(&fold("ログインできない"));
        let b = c.replace(&fold("ｻｲﾝｲﾝできない"));
        let d = c.replace(&fold("Sign-In できない"));
        assert_eq!(a, b);
        assert_eq!(a.trim(), d.replace(' ', ""));
    }

    #[test]
    fn latin_variants_only_match_whole_words() {
        let c = concepts();
        assert_eq!(c.replace("pwd reset"), "pwd reset");
        assert_ne!(c.replace("pw reset"), "pw reset");
        assert_ne!(c.replace("pwを忘れた"), "pwを忘れた");
        assert_eq!(c.replace("logins"), "logins");
    }

    #[test]
    fn the_longest_spelling_starting_at_a_place_wins() {
        let term = |term: &str, variant: &str| Term {
            term: term.into(),
            variants: vec![variant.to_owned()],
        };
        let c = Concepts::new(&[term("site", "サイト"), term("site number", "サイト番号")]);
        assert_eq!(
            c.replace(&fold("サイト番号を忘れた")),
            format!("{}を忘れた", symbol(1))
        );
        assert_eq!(
            c.replace(&fold("サイトの番号")),
            format!("{}の番号", symbol(0))
        );
    }
}
