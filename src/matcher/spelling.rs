//! Corrects small typos in English words ("pasword", "logut") to a word the knowledge base
//! uses, by the symmetric-delete method: two words within one edit share a one-deletion form.

use std::collections::HashMap;

/// Words shorter than this are left alone: a one-letter change turns them into other words.
const MIN_LEN: usize = 4;

/// The known words, indexed for one-edit look-ups.
#[derive(Debug, Clone, Default)]
pub struct Spelling {
    /// Known word -> how often the knowledge base uses it.
    counts: HashMap<String, u32>,
    /// Each known word and each of its one-deletion forms -> the known words it comes from.
    deletions: HashMap<String, Vec<u32>>,
    words: Vec<String>,
    /// The length of the longest known word, in characters.
    longest: usize,
}

impl Spelling {
    /// Indexes every word of `words` (repeats count as use).
    pub fn new<'a, I>(words: I) -> Spelling
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for word in words {
            *counts.entry(word.to_owned()).or_default() += 1;
        }
        let mut words: Vec<String> = counts.keys().cloned().collect();
        words.sort();
        let mut deletions: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, word) in words.iter().enumerate() {
            if word.chars().count() < MIN_LEN {
                continue;
            }
            for form in std::iter::once(word.clone()).chain(one_deletions(word)) {
                let ids = deletions.entry(form).or_default();
                if ids.last() != Some(&(i as u32)) {
                    ids.push(i as u32);
                }
            }
        }
        let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        Spelling {
            counts,
            deletions,
            words,
            longest,
        }
    }

    pub fn is_known(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// The known word one edit (insertion, deletion, substitution or swap of neighbours)
    /// away from `word`, the most used one when several are; `None` when `word` is known,
    /// short, or near no known word. A word longer by more than one than any known word is
    /// near none, and is not looked at: its one-deletion forms would cost time quadratic in
    /// its length.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        if len < MIN_LEN || len > self.longest + 1 || self.is_known(word) {
            return None;
        }
        let mut best: Option<&str> = None;
        let forms = std::iter::once(word.to_owned()).chain(one_deletions(word));
        let candidates = forms
            .filter_map(|form| self.deletions.get(&form).map(|ids| ids.as_slice()))
            .flatten()
            .map(|&i| self.words[i as usize].as_str());
        for candidate in candidates {
            if !within_one_edit(word, candidate) {
                continue;
            }
            let better = best.is_none_or(|b| {
                (self.counts[candidate], std::cmp::Reverse(candidate))
                    > (self.counts[b], std::cmp::Reverse(b))
            });
            if better {
                best = Some(candidate);
            }
        }
        best
    }
}

fn one_deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(i, c)| {
        let mut form = String::with_capacity(word.len());
        form.push_str(&word[..i]);
        form.push_str(&word[i + c.len_utf8()..]);
        form
    })
}

/// Whether `a` and `b` are at most one insertion, deletion, substitution or adjacent swap apart.
fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (a.len() - prefix - suffix, b.len() - prefix - suffix);
    match (ra, rb) {
        (0, 0) | (0, 1) | (1, 0) | (1, 1) => true,
        (2, 2) => a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use super::*;

    fn spelling() -> Spelling {
        Spelling::new([
            "password", "password", "logout", "locked", "browser", "passcode",
        ])
    }

    #[test]
    fn corrects_one_edit_typos() {
        let s = spelling();
        assert_eq!(s.correct("pasword"), Some("password"));
        assert_eq!(s.correct("passwordd"), Some("password"));
        assert_eq!(s.correct("pssword"), Some("password"));
        assert_eq!(s.correct("lgout"), Some("logout"));
        assert_eq!(s.correct("borwser"), Some("browser"));
        assert_eq!(s.correct("passcoed"), Some("passcode"));
    }

    #[test]
    fn a_word_longer_than_any_known_is_not_looked_at() {
        let word = "a".repeat(1 << 20);
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || sender.send(spelling().correct(&word).map(str::to_owned)));
        // Only a guard against a hang: looked at, this word would take hours.
        let corrected = receiver.recv_timeout(Duration::from_secs(5));
        assert_eq!(corrected, Ok(None));
    }

    #[test]
    fn leaves_known_short_and_far_words_alone() {
        let s = spelling();
        assert_eq!(s.correct("password"), None);
        assert_eq!(s.correct("lok"), None);
        assert_eq!(s.correct("firewall"), None);
    }
}
