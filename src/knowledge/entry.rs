//! An FAQ entry, the category it is filed under, and the examples of what the bot must not
//! answer.
//!
//! A *cue* (an entry's `not_about`, the out-of-scope `subjects`) is words that must all be
//! in a question, in any order, for it to count: `transfer + licence` is found in "can I
//! transfer a licence", and each part is read like a question (any width, case, kana, and the
//! vocabulary's spellings).

use serde::Deserialize;

use crate::knowledge::ids::{CategoryId, EntryId, ProcedureId};
use crate::lang::{Lang, Localized};

/// One question of the FAQ with its answer and the ways customers ask it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: EntryId,
    pub category: CategoryId,
    /// The FAQ's own wording of the question.
    pub question: Localized,
    /// Plain text with `[text](url)` links.
    pub answer: Localized,
    /// Other ways customers ask it; the matcher learns from these and the question.
    pub examples: Localized<Vec<String>>,
    /// Entries offered after the answer.
    #[serde(default)]
    pub related: Vec<EntryId>,
    /// The step-by-step procedure shown with the answer.
    #[serde(default)]
    pub procedure: Option<ProcedureId>,
    /// Cues of subjects this entry is not about, though they share its words ("拡張機能" for
    /// the browsers entry): a question with one of them is not answered by this entry.
    #[serde(default)]
    pub not_about: Vec<String>,
}

impl Entry {
    /// The question and every example, each with its language: all the texts the matcher
    /// learns this entry from.
    pub fn texts(&self) -> impl Iterator<Item = (Lang, &str)> {
        self.question
            .iter()
            .map(|(lang, text)| (lang, text.as_str()))
            .chain(examples(&self.examples))
    }
}

/// A topic entries are grouped under (the FAQ's sections).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: CategoryId,
    pub name: Localized,
}

/// Questions the bot must answer with "I don't know": they look like support questions but
/// no entry covers them. The matcher learns them as a class of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutOfScope {
    pub examples: Localized<Vec<String>>,
    /// Cues of other products and subjects, and of Passport Advantage matters no entry
    /// answers: a question with one of them gets no entry, whatever words it shares.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// Greetings: a message of only these (and common words) is answered with the bot's own
    /// greeting and the help line.
    #[serde(default)]
    pub greetings: Vec<String>,
}

impl OutOfScope {
    pub fn texts(&self) -> impl Iterator<Item = (Lang, &str)> {
        examples(&self.examples)
    }
}

fn examples(examples: &Localized<Vec<String>>) -> impl Iterator<Item = (Lang, &str)> {
    examples
        .iter()
        .flat_map(|(lang, list)| list.iter().map(move |text| (lang, text.as_str())))
}
