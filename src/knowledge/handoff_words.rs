//! `handoff.yaml`: the words that ask for a person at the help desk, and those that end the
//! chat with one, in either language. Kept folded, as questions are, so that width, case and
//! kana do not matter.

use serde::Deserialize;

use crate::text::fold;

/// The handoff's words, folded; every list has at least one, and no word is in both.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Written")]
pub struct HandoffWords {
    ask: Vec<String>,
    end: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    ask: Vec<String>,
    end: Vec<String>,
}

impl TryFrom<Written> for HandoffWords {
    type Error = String;

    fn try_from(written: Written) -> Result<Self, Self::Error> {
        let folded = |list: &[String], name: &str| -> Result<Vec<String>, String> {
            if list.is_empty() {
                return Err(format!("`{name}` needs at least one word"));
            }
            list.iter()
                .map(|word| {
                    let folded = fold(word).trim().to_owned();
                    match folded.is_empty() {
                        true => Err(format!("`{name}` has {word:?}, which holds no letters")),
                        false => Ok(folded),
                    }
                })
                .collect()
        };
        let ask = folded(&written.ask, "ask")?;
        let end = folded(&written.end, "end")?;
        if let Some(both) = ask.iter().find(|word| end.contains(word)) {
            return Err(format!("{both:?} is in both `ask` and `end`"));
        }
        Ok(HandoffWords { ask, end })
    }
}

impl HandoffWords {
    /// Whether `text` asks for a person.
    pub fn asks_for_person(&self, text: &str) -> bool {
        let text = fold(text);
        self.ask.iter().any(|phrase| contains_words(&text, phrase))
    }

    /// Whether `text` is an end word and nothing else.
    pub fn ends(&self, text: &str) -> bool {
        let text = fold(text);
        let text = text.trim();
        self.end.iter().any(|word| word == text)
    }
}

/// Whether `phrase` is in `text`, on word boundaries where the phrase is Latin ("real person"
/// is not in "surreal personality").
fn contains_words(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        let latin_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let starts = phrase
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ends = phrase
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let glued = (starts && latin_edge(before)) || (ends && latin_edge(after));
        !glued
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> HandoffWords {
        HandoffWords::try_from(Written {
            ask: vec!["オペレーターに繋いで".to_owned(), "real person".to_owned()],
            end: vec!["終了".to_owned(), "end chat".to_owned()],
        })
        .unwrap()
    }

    #[test]
    fn asking_for_a_person_in_either_language_and_any_width() {
        let words = words();
        assert!(words.asks_for_person("ｵﾍﾟﾚｰﾀｰに繋いでください"));
        assert!(words.asks_for_person("Can I talk to a REAL person?"));
        assert!(!words.asks_for_person("a surreal personality"));
        assert!(words.ends("End chat."));
        assert!(words.ends("終了"));
        assert!(!words.ends("終了したい手続き"));
    }

    #[test]
    fn empty_lists_and_a_word_in_both_are_refused() {
        let both = Written {
            ask: vec!["end chat".to_owned()],
            end: vec!["END CHAT".to_owned()],
        };
        assert!(HandoffWords::try_from(both).is_err());
        let empty = Written {
            ask: Vec::new(),
            end: vec!["end".to_owned()],
        };
        assert!(HandoffWords::try_from(empty).is_err());
    }
}
