//! Splits a prepared text (folded, typos corrected, terms replaced) into the features the
//! index compares: English words, vocabulary terms, and pairs of neighbouring Japanese
//! characters (Japanese has no spaces, and character pairs need no dictionary).

use crate::text::is_private_use;

/// What a feature is; each kind weighs differently in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Word,
    Term,
    Bigram,
    Unigram,
    /// Two neighbouring English words or terms, stopwords included: "what can", "sign-in
    /// screen" say more than their words apart.
    Phrase,
}

impl FeatureKind {
    /// How much one occurrence weighs before rarity is taken into account. Terms weigh most:
    /// the vocabulary names what customers ask about. A lone kanji weighs least: it is only
    /// emitted when it stands alone.
    pub fn weight(self) -> f32 {
        match self {
            FeatureKind::Term => 1.5,
            FeatureKind::Word | FeatureKind::Bigram => 1.0,
            FeatureKind::Unigram | FeatureKind::Phrase => 0.7,
        }
    }

    /// How much a feature of this kind that no text has lengthens a question's vector,
    /// relative to a known one. An unknown English word most likely means another topic; an
    /// unknown character pair is often only where two Japanese words meet, and an unknown
    /// phrase only a new order of known words.
    pub fn unknown_factor(self) -> f32 {
        match self {
            FeatureKind::Word | FeatureKind::Term | FeatureKind::Unigram => 1.0,
            FeatureKind::Bigram => 0.5,
            FeatureKind::Phrase => 0.0,
        }
    }
}

/// One feature: `key` identifies it across texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub key: u64,
    pub kind: FeatureKind,
}

/// English words that say nothing about the topic.
const STOPWORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "could",
    "did", "do", "does", "for", "from", "get", "got", "had", "has", "have", "hello", "hi", "how",
    "i", "im", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please",
    "should", "so", "that", "the", "there", "this", "to", "us", "was", "we", "what", "will",
    "with", "would", "you", "your",
];

/// Whether `word` (folded) is a common word that says nothing about the topic.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Appends the features of `text` to `out`.
pub fn extract(text: &str, out: &mut Vec<Feature>) {
    let mut state = State::default();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_run_char(c) {
            state.flush_word(out);
            if is_private_use(c) {
                let key = tagged(TAG_TERM, c as u64);
                out.push(Feature {
                    key,
                    kind: FeatureKind::Term,
                });
                state.follow(key, out);
            } else {
                state.previous = None;
            }
            state.run.push(c);
        } else if c.is_alphanumeric() {
            state.flush_run(out);
            state.word.push(c);
        } else {
            state.flush_word(out);
            state.flush_run(out);
        }
    }
}

const TAG_WORD: u64 = 0;
const TAG_TERM: u64 = 1;
const TAG_BIGRAM: u64 = 2;
const TAG_UNIGRAM: u64 = 3;
const TAG_PHRASE: u64 = 4;

fn tagged(tag: u64, value: u64) -> u64 {
    tag << 61 | (value & ((1 << 61) - 1))
}

/// What [`extract`] is in the middle of.
#[derive(Default)]
struct State {
    /// The English word being read.
    word: String,
    /// The Japanese run being read.
    run: Vec<char>,
    /// The last English word or term, for phrases; Japanese text in between breaks them.
    previous: Option<u64>,
}

impl State {
    fn flush_word(&mut self, out: &mut Vec<Feature>) {
        if self.word.is_empty() {
            return;
        }
        let word = stem(&self.word);
        let key = tagged(TAG_WORD, fnv1a(word.as_bytes()));
        let is_long_number = word.len() > 3 && word.chars().all(|c| c.is_ascii_digit());
        if !is_long_number && !STOPWORDS.contains(&word) {
            out.push(Feature {
                key,
                kind: FeatureKind::Word,
            });
        }
        if is_long_number {
            self.previous = None;
        } else {
            self.follow(key, out);
        }
        self.word.clear();
    }

    /// Records `key` as the latest English token, with the phrase it ends.
    fn follow(&mut self, key: u64, out: &mut Vec<Feature>) {
        if let Some(previous) = self.previous.replace(key) {
            let pair = fnv1a(&[previous.to_le_bytes(), key.to_le_bytes()].concat());
            out.push(Feature {
                key: tagged(TAG_PHRASE, pair),
                kind: FeatureKind::Phrase,
            });
        }
    }

    fn flush_run(&mut self, out: &mut Vec<Feature>) {
        match self.run.as_slice() {
            [] => {}
            [single] => {
                if !is_private_use(*single) && !is_kana(*single) {
                    out.push(Feature {
                        key: tagged(TAG_UNIGRAM, *single as u64),
                        kind: FeatureKind::Unigram,
                    });
                }
            }
            chars => out.extend(chars.windows(2).map(|pair| Feature {
                key: tagged(TAG_BIGRAM, (pair[0] as u64) << 21 | pair[1] as u64),
                // Two terms side by side ("PAO入れない") are a phrase: a pair no text has is
                // only a new order of known terms, not another subject.
                kind: if is_private_use(pair[0]) && is_private_use(pair[1]) {
                    FeatureKind::Phrase
                } else {
                    FeatureKind::Bigram
                },
            })),
        }
        self.run.clear();
    }
}

/// Japanese characters and term symbols: a run of them yields character pairs.
fn is_run_char(c: char) -> bool {
    crate::lang::is_japanese(c) || is_private_use(c)
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

    fn kinds(text: &str) -> Vec<FeatureKind> {
        let mut out = Vec::new();
        extract(text, &mut out);
        out.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn english_words_without_stopwords_and_plurals_folded() {
        let words = |text: &str| -> Vec<FeatureKind> {
            kinds(text)
                .into_iter()
                .filter(|k| *k == FeatureKind::Word)
                .collect()
        };
        assert_eq!(
            words("how do i add users"),
            [FeatureKind::Word, FeatureKind::Word]
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        extract("users", &mut a);
        extract("user", &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn neighbouring_english_tokens_make_phrases_stopwords_included() {
        assert_eq!(kinds("what can"), [FeatureKind::Word, FeatureKind::Phrase]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        extract("can do", &mut a);
        extract("do can", &mut b);
        assert_ne!(a, b, "phrases keep the order of their words");
        assert_eq!(
            kinds("what 日本 can"),
            [FeatureKind::Bigram, FeatureKind::Word],
            "Japanese breaks phrases"
        );
    }

    #[test]
    fn japanese_runs_become_character_pairs() {
        assert_eq!(kinds("ぶらうざ"), [FeatureKind::Bigram; 3]);
        assert_eq!(kinds("英"), [FeatureKind::Unigram]);
        assert_eq!(kinds("を"), []);
    }

    #[test]
    fn terms_count_alone_and_join_their_japanese_neighbours() {
        assert_eq!(kinds("\u{F0000}"), [FeatureKind::Term]);
        assert_eq!(
            kinds("\u{F0000}後"),
            [FeatureKind::Term, FeatureKind::Bigram]
        );
        assert_eq!(
            kinds("\u{F0000} error"),
            [FeatureKind::Term, FeatureKind::Word, FeatureKind::Phrase]
        );
    }

    #[test]
    fn two_terms_side_by_side_are_a_phrase_not_a_character_pair() {
        assert_eq!(
            kinds("\u{F0000}\u{F0001}"),
            [
                FeatureKind::Term,
                FeatureKind::Term,
                FeatureKind::Phrase,
                FeatureKind::Phrase
            ]
        );
    }

    #[test]
    fn long_numbers_are_not_features() {
        assert_eq!(kinds("1234567"), []);
        assert_eq!(kinds("30"), [FeatureKind::Word]);
    }
}
