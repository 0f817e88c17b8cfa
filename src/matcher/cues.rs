//! Cues: words that must all be in a question for it to count. An entry's `not_about` and the
//! out-of-scope `subjects` are cues; they tell a question about another subject from one
//! about the entry whose words it shares ("log out of Windows" is not about PAO's log-out).

use crate::matcher::features::Feature;

/// One cue, read into the features a question must all have.
#[derive(Debug, Clone)]
pub struct Cue {
    /// The cue as written in `faq/`, to name it in `check`'s reports.
    pub text: String,
    /// Sorted feature keys.
    keys: Vec<u64>,
}

impl Cue {
    /// Reads `text`, whose `+`-separated parts are read by `read` each on its own (so that
    /// no phrase joins two parts). `None` when a part has no feature at all (common words
    /// only): such a cue would be found in every question.
    pub fn new<F>(text: &str, read: F) -> Option<Cue>
    where
        F: Fn(&str) -> Vec<Feature>,
    {
        let mut keys = Vec::new();
        for part in text.split('+') {
            let features = read(part);
            if features.is_empty() {
                return None;
            }
            keys.extend(features.iter().map(|f| f.key));
        }
        keys.sort_unstable();
        keys.dedup();
        Some(Cue {
            text: text.trim().to_owned(),
            keys,
        })
    }

    /// Whether every feature of the cue is among `question`'s sorted feature keys.
    pub fn is_in(&self, question: &[u64]) -> bool {
        self.keys
            .iter()
            .all(|key| question.binary_search(key).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::features::extract;
    use crate::text::fold;

    fn read(text: &str) -> Vec<Feature> {
        let mut out = Vec::new();
        extract(&fold(text), &mut out);
        out
    }

    fn keys(text: &str) -> Vec<u64> {
        let mut keys: Vec<u64> = read(text).iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn every_part_must_be_there_in_any_order() {
        let cue = Cue::new("transfer + licence", read).unwrap();
        assert!(cue.is_in(&keys("can I transfer a licence to them")));
        assert!(cue.is_in(&keys("licence transfer")));
        assert!(!cue.is_in(&keys("transfer the file")));
    }

    #[test]
    fn a_part_is_read_as_written_within_itself() {
        let cue = Cue::new("rock band", read).unwrap();
        assert!(cue.is_in(&keys("the best rock band ever")));
        assert!(!cue.is_in(&keys("band of rock")));
        let japanese = Cue::new("人口", read).unwrap();
        assert!(japanese.is_in(&keys("東京の人口は何人")));
    }

    #[test]
    fn a_cue_of_common_words_only_is_refused() {
        assert!(Cue::new("the", read).is_none());
        assert!(Cue::new("band + of", read).is_none());
    }
}
