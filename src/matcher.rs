//! The matcher: which FAQ entry answers a customer's question, and how sure it is.
//!
//! # How it works
//!
//! 1. **Folding** ([`crate::text::fold`]): width, case, katakana/hiragana, and the marks
//!    customers use at will (・ ー) are folded away, symbols become spaces.
//! 2. **Typos**: an English word the knowledge base never uses is replaced by the most used
//!    known word one edit away ([`spelling`]).
//! 3. **Vocabulary**: every spelling of a term in `faq/vocabulary.yaml` (ログイン, サインイン,
//!    sign in...) becomes one symbol for the term ([`concepts`]), so the entries need not
//!    list every spelling.
//! 4. **Features** ([`features`]): English words (stopwords out, plurals folded), terms, and
//!    pairs of neighbouring Japanese characters; character pairs need no dictionary and
//!    tolerate the word boundaries and inflections Japanese leaves unmarked.
//! 5. **Scoring** ([`index`]): every question and example of every entry, and every clause
//!    of its answers (they name what the entry covers, in the words customers echo), is a
//!    TF-IDF vector, rarity counted over entries; an entry's score is the mean cosine
//!    similarity of its three closest texts to the question. Features no entry has still
//!    lengthen the question's vector (English words fully, Japanese character pairs by
//!    half, since many only straddle two words), so a question mostly about something else
//!    scores low. The examples of `faq/out-of-scope.yaml` form a class of their own: when it
//!    wins, the bot does not answer.
//! 6. **Subjects** ([`cues`]): a question with a cue of `faq/out-of-scope.yaml`'s
//!    `subjects` (another product, a matter no entry answers) gets no entry; an entry whose
//!    `not_about` cue is in the question is left out, and when it was the best the question
//!    is taken as about something else. A greeting alone gets the greeting; a single short
//!    word that is no vocabulary term means nothing to answer.
//! 7. **Deciding** ([`Thresholds`]): a clear winner above the answer threshold answers; close
//!    runners-up turn the answer into "did you mean"; below the suggestion threshold the bot
//!    says it does not know.
//!
//! Everything the matcher learns is data: adding an entry or examples needs no code, and
//! `pao-bot check` asks each example with itself left out, so a conflict between entries is
//! found before customers meet it. Scoring walks only the texts that share a feature with the
//! question, so it grows with the matches, not with the size of the FAQ.

pub mod concepts;
pub mod cues;
pub mod features;
pub mod index;
pub mod spelling;

use crate::knowledge::{Class, KnowledgeBase, Term};
use crate::lang::Lang;
use crate::text::{fold, is_private_use};
use concepts::Concepts;
use cues::Cue;
use features::Feature;
use index::Index;
use spelling::Spelling;

/// How many of an entry's closest texts its score averages: one odd example cannot win alone.
const CLOSEST_TEXTS: usize = 3;

/// How many entries a [`Ranking`] keeps.
const RANKED: usize = 5;

/// A message with no vocabulary term and at most this many letters and digits beyond common
/// words ("ok", "1", "はい") has no FAQ meaning, whatever it happens to share with an entry.
const TRIVIAL_CHARS: usize = 3;

/// The scores that turn a ranking into a decision.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// The least score that answers.
    pub answer: f32,
    /// The least score an entry needs to be offered under "did you mean".
    pub suggest: f32,
    /// How far ahead of the second the first must be to answer alone.
    pub margin: f32,
}

impl Thresholds {
    /// What to do with a ranking: answer, offer, or say "I don't know".
    pub fn decide(&self, ranking: &Ranking) -> Decision {
        let t = self;
        if ranking.empty {
            return Decision::Empty;
        }
        if ranking.greeting {
            return Decision::Greeting;
        }
        if ranking.trivial || ranking.elsewhere.is_some() {
            return Decision::NoAnswer;
        }
        let top = ranking.top_score();
        if top < t.suggest || ranking.out_of_scope >= top {
            return Decision::NoAnswer;
        }
        let runner_up = ranking.entries.get(1).map_or(0.0, |s| s.score);
        if top >= t.answer && top - runner_up >= t.margin {
            return Decision::Answer(ranking.entries[0].entry);
        }
        let close: Vec<usize> = ranking
            .entries
            .iter()
            .take(3)
            .filter(|s| s.score >= t.suggest && top - s.score < 2.0 * t.margin.max(0.05))
            .map(|s| s.entry)
            .collect();
        match close.as_slice() {
            [] => Decision::NoAnswer,
            [only] if top >= t.answer => Decision::Answer(*only),
            _ => Decision::DidYouMean(close),
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.22,
            suggest: 0.15,
            margin: 0.03,
        }
    }
}

/// An entry and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The entry's index in [`KnowledgeBase::entries`].
    pub entry: usize,
    pub score: f32,
}

/// The entries closest to a question, best first.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// The language of the question, when it has letters.
    pub lang: Option<Lang>,
    pub entries: Vec<Scored>,
    /// The score of the out-of-scope examples.
    pub out_of_scope: f32,
    /// The question had nothing to match: no words, no Japanese.
    pub empty: bool,
    /// The message is only greetings (and common words).
    pub greeting: bool,
    /// The message is a single short word with no FAQ meaning, or common words only.
    pub trivial: bool,
    /// The cue that tells the question is about another subject, when one is in it.
    pub elsewhere: Option<String>,
}

impl Ranking {
    /// The best entry's score, 0 when none shares anything with the question.
    pub fn top_score(&self) -> f32 {
        self.entries.first().map_or(0.0, |s| s.score)
    }
}

/// What the bot does with a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answers with this entry.
    Answer(usize),
    /// Offers these entries, best first.
    DidYouMean(Vec<usize>),
    /// Says it does not know, and points to the help desk.
    NoAnswer,
    /// Greets back, with the help line.
    Greeting,
    /// Asks for a question: there was nothing to match.
    Empty,
}

/// The knowledge base's questions and examples, indexed for ranking.
#[derive(Debug, Clone)]
pub struct Matcher {
    analyzer: Analyzer,
    index: Index,
    thresholds: Thresholds,
    /// The out-of-scope subjects.
    subjects: Vec<Cue>,
    /// Each entry's `not_about`, by entry index.
    not_about: Vec<Vec<Cue>>,
    /// Cues of `faq/` that read as common words only, and so are never found, with the
    /// class they belong to.
    unreadable: Vec<(Class, String)>,
    /// Each text of [`KnowledgeBase::texts`] as read for the index, kept so that the check
    /// can ask them all without reading them again (a reload checks every text).
    known: Vec<Reading>,
}

/// A text as the matcher reads it: its features and what a ranking says of it besides its
/// scores.
#[derive(Debug, Clone)]
struct Reading {
    features: Vec<Feature>,
    lang: Option<Lang>,
    empty: bool,
    greeting: bool,
    trivial: bool,
}

impl Matcher {
    /// Indexes every text of `kb`.
    pub fn new(kb: &KnowledgeBase) -> Matcher {
        Matcher::with_thresholds(kb, Thresholds::default())
    }

    pub fn with_thresholds(kb: &KnowledgeBase, thresholds: Thresholds) -> Matcher {
        let answers = kb.entries().iter().enumerate().flat_map(|(i, entry)| {
            entry
                .answer
                .iter()
                .flat_map(|(_, answer)| sentences(answer))
                .map(move |sentence| (Class::Entry(i), sentence))
        });
        // The answers' sentences come after the questions and examples, so that a text's
        // number is the same as in `KnowledgeBase::texts`.
        let texts: Vec<(Class, &str)> = kb.texts().map(|(class, _, text)| (class, text)).collect();
        let answers: Vec<(Class, String)> = answers.collect();
        let folded: Vec<(Class, String)> = texts
            .iter()
            .copied()
            .chain(answers.iter().map(|(class, text)| (*class, text.as_str())))
            .map(|(class, text)| (class, fold(text)))
            .collect();
        let variants: Vec<String> = kb
            .vocabulary()
            .iter()
            .flat_map(|term| &term.variants)
            .map(|variant| fold(variant))
            .collect();
        let out_of_scope = kb.out_of_scope();
        let cue_texts: Vec<String> = kb
            .entries()
            .iter()
            .flat_map(|entry| &entry.not_about)
            .chain(&out_of_scope.subjects)
            .chain(&out_of_scope.greetings)
            .map(|cue| fold(cue))
            .collect();
        // A cue's words are known words: "rock" must not be corrected into "lock".
        let known_words = folded
            .iter()
            .map(|(_, text)| text.as_str())
            .chain(variants.iter().map(String::as_str))
            .chain(cue_texts.iter().map(String::as_str))
            .flat_map(latin_words);
        let greetings = Term {
            term: "greeting".to_owned(),
            variants: out_of_scope.greetings.clone(),
        };
        let analyzer = Analyzer {
            concepts: Concepts::new(kb.vocabulary()),
            spelling: Spelling::new(known_words),
            greetings: Concepts::new(std::slice::from_ref(&greetings)),
        };
        let mut unreadable = Vec::new();
        let mut cues = |class: Class, texts: &[String]| -> Vec<Cue> {
            texts
                .iter()
                .filter_map(|text| {
                    let cue = Cue::new(text, |part| analyzer.read(&fold(part)));
                    if cue.is_none() {
                        unreadable.push((class, text.clone()));
                    }
                    cue
                })
                .collect()
        };
        let subjects = cues(Class::OutOfScope, &out_of_scope.subjects);
        let not_about: Vec<Vec<Cue>> = kb
            .entries()
            .iter()
            .enumerate()
            .map(|(i, e)| cues(Class::Entry(i), &e.not_about))
            .collect();
        let known: Vec<Reading> = texts
            .iter()
            .zip(&folded)
            .map(|(&(_, text), (_, folded))| analyzer.reading(text, folded))
            .collect();
        let sentences: Vec<Vec<Feature>> = folded[known.len()..]
            .iter()
            .map(|(_, text)| analyzer.features(text))
            .collect();
        let indexed: Vec<(u32, &[Feature])> = folded
            .iter()
            .zip(known.iter().map(|r| &r.features).chain(&sentences))
            .map(|((class, _), features)| (class_id(kb, *class), features.as_slice()))
            .collect();
        Matcher {
            index: Index::build(&indexed, kb.entries().len() + 1),
            analyzer,
            thresholds,
            subjects,
            not_about,
            unreadable,
            known,
        }
    }

    /// The cues of `faq/` that are common words only: `check` reports them.
    pub fn unreadable_cues(&self) -> &[(Class, String)] {
        &self.unreadable
    }

    /// The entries closest to `question`.
    pub fn rank(&self, question: &str) -> Ranking {
        let folded = fold(question);
        self.rank_reading(&self.analyzer.reading(question, &folded), None)
    }

    /// [`Matcher::rank`] of text number `number` of [`KnowledgeBase::texts`], as read when
    /// the matcher was built; with `left_out`, as if that text were not there: how the check
    /// asks an example without it answering itself.
    ///
    /// # Panics
    ///
    /// When the knowledge base the matcher was built from has no text `number`.
    pub fn rank_text(&self, number: usize, left_out: bool) -> Ranking {
        self.rank_reading(&self.known[number], left_out.then_some(number))
    }

    fn rank_reading(&self, reading: &Reading, exclude: Option<usize>) -> Ranking {
        let features = &reading.features;
        let query = self.index.query(features);
        let scores = self.index.score(&query, CLOSEST_TEXTS, exclude);
        let out_of_scope_class = self.index.classes() - 1;
        let mut keys: Vec<u64> = features.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut elsewhere = self
            .subjects
            .iter()
            .find(|cue| cue.is_in(&keys))
            .map(|cue| cue.text.clone());
        let best = scores[..out_of_scope_class]
            .iter()
            .copied()
            .fold(0.0f32, f32::max);
        let mut entries: Vec<Scored> = Vec::new();
        for (entry, &score) in scores[..out_of_scope_class].iter().enumerate() {
            if score <= 0.0 {
                continue;
            }
            match self.not_about[entry].iter().find(|cue| cue.is_in(&keys)) {
                Some(cue) if score >= best && elsewhere.is_none() => {
                    elsewhere = Some(cue.text.clone());
                }
                Some(_) => {}
                None => entries.push(Scored { entry, score }),
            }
        }
        let best_first =
            |a: &Scored, b: &Scored| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry));
        if entries.len() > RANKED {
            entries.select_nth_unstable_by(RANKED, best_first);
            entries.truncate(RANKED);
        }
        entries.sort_by(best_first);
        Ranking {
            lang: reading.lang,
            entries,
            out_of_scope: scores[out_of_scope_class],
            empty: reading.empty,
            greeting: reading.greeting,
            trivial: reading.trivial,
            elsewhere,
        }
    }

    /// What to do with a ranking: answer, offer, or say "I don't know".
    pub fn decide(&self, ranking: &Ranking) -> Decision {
        self.thresholds.decide(ranking)
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// The sorted features of `question` as the matcher reads it, phrases left out (word
    /// order does not make two questions different): two questions worded alike share most
    /// of them.
    pub fn wording(&self, question: &str) -> Vec<u64> {
        let mut keys: Vec<u64> = self
            .analyzer
            .features(&fold(question))
            .iter()
            .filter(|f| f.kind != features::FeatureKind::Phrase)
            .map(|f| f.key)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// What turns folded text into features: the typo corrector and the vocabulary.
#[derive(Debug, Clone)]
struct Analyzer {
    concepts: Concepts,
    spelling: Spelling,
    /// The greetings, as one term.
    greetings: Concepts,
}

impl Analyzer {
    /// `text`, folded as `folded`, read for ranking.
    fn reading(&self, text: &str, folded: &str) -> Reading {
        let prepared = self.prepare(folded);
        let mut features = Vec::new();
        features::extract(&prepared, &mut features);
        Reading {
            features,
            lang: Lang::detect(text),
            empty: !folded.chars().any(char::is_alphanumeric),
            greeting: self.is_greeting(folded),
            trivial: is_trivial(&prepared),
        }
    }

    /// Folded text to features: typos corrected, vocabulary terms replaced.
    fn features(&self, folded: &str) -> Vec<Feature> {
        let mut features = Vec::new();
        features::extract(&self.prepare(folded), &mut features);
        features
    }

    /// Folded text with its typos corrected and its vocabulary terms replaced.
    fn prepare(&self, folded: &str) -> String {
        self.concepts.replace(&self.correct_typos(folded))
    }

    /// Folded text to features as written: vocabulary terms replaced, no typo corrected.
    fn read(&self, folded: &str) -> Vec<Feature> {
        let mut features = Vec::new();
        features::extract(&self.concepts.replace(folded), &mut features);
        features
    }

    /// Whether `folded` has a greeting and nothing else but common words.
    fn is_greeting(&self, folded: &str) -> bool {
        let replaced = self.greetings.replace(folded);
        if !replaced.contains(is_private_use) {
            return false;
        }
        let rest: String = replaced
            .chars()
            .map(|c| if is_private_use(c) { ' ' } else { c })
            .collect();
        self.features(&rest).is_empty()
    }

    fn correct_typos(&self, folded: &str) -> String {
        let mut out = String::with_capacity(folded.len());
        let mut rest = folded;
        while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
            out.push_str(&rest[..start]);
            let word_len = rest[start..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len() - start);
            let word = &rest[start..start + word_len];
            out.push_str(self.spelling.correct(word).unwrap_or(word));
            rest = &rest[start + word_len..];
        }
        out.push_str(rest);
        out
    }
}

/// Whether a prepared message has no vocabulary term and at most [`TRIVIAL_CHARS`] letters
/// and digits outside common words.
fn is_trivial(prepared: &str) -> bool {
    if prepared.contains(is_private_use) {
        return false;
    }
    let latin: usize = prepared
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty() && !features::is_stopword(word))
        .map(str::len)
        .sum();
    let other = prepared
        .chars()
        .filter(|c| c.is_alphanumeric() && !c.is_ascii())
        .count();
    latin + other <= TRIVIAL_CHARS
}

fn class_id(kb: &KnowledgeBase, class: Class) -> u32 {
    match class {
        Class::Entry(i) => i as u32,
        Class::OutOfScope => kb.entries().len() as u32,
    }
}

/// The sentences of an answer, links reduced to their text: they name what the entry
/// covers in the FAQ's own words, which customers often echo.
fn sentences(answer: &str) -> Vec<String> {
    let text = crate::markup::link_labels(answer);
    text.split(['。', '、', '\n'])
        .flat_map(|line| line.split(". "))
        .map(|sentence| {
            sentence
                .trim_matches(|c: char| c.is_whitespace() || c == '→')
                .to_owned()
        })
        .filter(|sentence| sentence.chars().count() >= 4)
        .collect()
}

/// The runs of ASCII letters and digits in a folded text that start with a letter.
fn latin_words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(scores: &[f32], out_of_scope: f32) -> Ranking {
        Ranking {
            lang: Some(Lang::En),
            entries: scores
                .iter()
                .enumerate()
                .map(|(entry, &score)| Scored { entry, score })
                .collect(),
            out_of_scope,
            empty: false,
            greeting: false,
            trivial: false,
            elsewhere: None,
        }
    }

    #[test]
    fn a_clear_winner_above_the_threshold_answers() {
        let t = Thresholds::default();
        assert_eq!(t.decide(&ranking(&[0.6, 0.3], 0.1)), Decision::Answer(0));
        assert_eq!(t.decide(&ranking(&[t.answer], 0.0)), Decision::Answer(0));
    }

    #[test]
    fn close_runners_up_are_offered_instead() {
        let t = Thresholds::default();
        let decision = t.decide(&ranking(&[0.50, 0.48, 0.47, 0.10], 0.0));
        assert_eq!(decision, Decision::DidYouMean(vec![0, 1, 2]));
    }

    #[test]
    fn a_weak_single_candidate_is_offered_not_answered() {
        let t = Thresholds::default();
        let between = (t.answer + t.suggest) / 2.0;
        assert_eq!(
            t.decide(&ranking(&[between], 0.0)),
            Decision::DidYouMean(vec![0])
        );
    }

    #[test]
    fn below_the_suggestion_threshold_or_out_of_scope_there_is_no_answer() {
        let t = Thresholds::default();
        assert_eq!(
            t.decide(&ranking(&[t.suggest - 0.01], 0.0)),
            Decision::NoAnswer
        );
        assert_eq!(t.decide(&ranking(&[0.6], 0.61)), Decision::NoAnswer);
        assert_eq!(t.decide(&ranking(&[], 0.0)), Decision::NoAnswer);
    }

    #[test]
    fn nothing_to_match_is_empty() {
        let mut r = ranking(&[], 0.0);
        r.empty = true;
        assert_eq!(Thresholds::default().decide(&r), Decision::Empty);
    }
}
