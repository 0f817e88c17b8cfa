//! Splits a prepared text (folded, typos corrected, terms replaced) into the features the
//! index compares: English words, vocabulary terms, and pairs of neighbouring Japanese
//! characters (Japanese has no spaces, and character pairs need no dictionary).

use crate::text::is_private_use;

/// What a feature is; each kind weighs differently in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Term,
    Bigram,
    Unigram,
}

impl Kind {
    /// How much one occurrence weighs before rarity is taken into account. Terms weigh most:
    /// the vocabulary names what customers ask about. A lone kanji weighs least: it is only
    /// emitted when it stands alone.
    pub fn weight(self) -> f32 {
        match self {
            Kind::Term => 1.5,
            Kind::Word | Kind::Bigram => 1.0,
            Kind::Unigram => 0.7,
        }
    }
}

/// One feature: `key` identifies it across texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub key: u64,
    pub kind: Kind,
}

/// English words that say nothing about the topic.
const STOPWORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "could",
    "did", "do", "does", "for", "from", "get", "got", "had", "has", "have", "hello", "hi", "how",
    "i", "im", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please",
    "should", "so", "that", "the", "there", "this", "to", "us", "was", "we", "what", "will",
    "with", "would", "you", "your",
];

/// Appends the features of `text` to `out`.
pub fn extract(text: &str, out: &mut Vec<Feature>) {
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_private_use(c) {
            out.push(Feature {
                key: tagged(TAG_TERM, c as u64),
                kind: Kind::Term,
            });
        }
        if is_run_char(c) {
            flush_word(&mut word, out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, out);
            word.push(c);
        } else {
            flush_word(&mut word, out);
            flush_run(&mut run, out);
        }
    }
}

const TAG_WORD: u64 = 0;
const TAG_TERM: u64 = 1;
const TAG_BIGRAM: u64 = 2;
const TAG_UNIGRAM: u64 = 3;

fn tagged(tag: u64, value: u64) -> u64 {
    tag << 62 | (value & ((1 << 62) - 1))
}

/// Japanese characters and term symbols: a run of them yields character pairs.
fn is_run_char(c: char) -> bool {
    crate::lang::is_japanese(c) || is_private_use(c)
}

fn flush_word(word: &mut String, out: &mut Vec<Feature>) {
    if word.is_empty() {
        return;
    }
    let is_long_number = word.len() > 3 && word.chars().all(|c| c.is_ascii_digit());
    if !is_long_number && !STOPWORDS.contains(&word.as_str()) {
        out.push(Feature {
            key: tagged(TAG_WORD, fnv1a(stem(word).as_bytes())),
            kind: Kind::Word,
        });
    }
    word.clear();
}

fn flush_run(run: &mut Vec<char>, out: &mut Vec<Feature>) {
    match run.as_slice() {
        [] => {}
        [single] => {
            if !is_private_use(*single) && !is_kana(*single) {
                out.push(Feature {
                    key: tagged(TAG_UNIGRAM, *single as u64),
                    kind: Kind::Unigram,
                });
            }
        }
        chars => out.extend(chars.windows(2).map(|pair| Feature {
            key: tagged(TAG_BIGRAM, (pair[0] as u64) << 21 | pair[1] as u64),
            kind: Kind::Bigram,
        })),
    }
    run.clear();
}

fn is_kana(c: char) -> bool {
    ('\u{3040}'..='\u{30ff}').contains(&c)
}

/// English plurals to their singular, the one inflection that changes no meaning here.
fn stem(word: &str) -> &str {
    let plural = word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is");
    if plural {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// FNV-1a: a fixed hash, so feature keys are the same in every process.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        let mut out = Vec::new();
        extract(text, &mut out);
        out.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn english_words_without_stopwords_and_plurals_folded() {
        assert_eq!(kinds("how do i add users"), [Kind::Word, Kind::Word]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        extract("users", &mut a);
        extract("user", &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn japanese_runs_become_character_pairs() {
        assert_eq!(kinds("ぶらうざ"), [Kind::Bigram; 3]);
        assert_eq!(kinds("英"), [Kind::Unigram]);
        assert_eq!(kinds("を"), []);
    }

    #[test]
    fn terms_count_alone_and_join_their_japanese_neighbours() {
        assert_eq!(kinds("\u{F0000}"), [Kind::Term]);
        assert_eq!(kinds("\u{F0000}後"), [Kind::Term, Kind::Bigram]);
        assert_eq!(kinds("\u{F0000} error"), [Kind::Term, Kind::Word]);
    }

    #[test]
    fn long_numbers_are_not_features() {
        assert_eq!(kinds("1234567"), []);
        assert_eq!(kinds("30"), [Kind::Word]);
    }
}
