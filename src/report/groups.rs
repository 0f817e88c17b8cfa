//! Questions grouped by similar wording, each group with the entry it comes closest to (a
//! candidate for new examples) or none near enough (a candidate for a new entry): the
//! unanswered ones, and those whose answer did not help, for which the entry that gave that
//! answer is not suggested again.

use serde::Serialize;

use crate::answer::Answerer;

/// The least share of features two questions have in common (of all the features either
/// has) to be worded alike.
const ALIKE: f32 = 0.5;

/// Questions worded alike.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The most asked wording first.
    pub questions: Vec<String>,
    /// How often any of them was asked.
    pub asked: i64,
    /// The entry whose answer to them was marked "did not help"; `None` when none answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// What the FAQ could do with them.
    pub suggestion: Suggestion,
}

/// The entry a group comes closest to, or a new one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suggestion {
    /// Examples for this entry: it scores at least the suggestion threshold.
    Entry { id: String, score: f32 },
    /// No entry comes near enough; the best one scores `score`.
    NewEntry { score: f32 },
    /// Already taken as about another subject, for this cue of `faq/`.
    Elsewhere { cue: String },
}

/// Groups `questions` (each with how often it was asked, most asked first) by wording;
/// `answered_by` is the entry whose answer to them did not help, if any.
pub fn group(bot: &Answerer, questions: &[(String, i64)], answered_by: Option<&str>) -> Vec<Group> {
    let matcher = bot.matcher();
    let mut groups: Vec<(Vec<u64>, Group)> = Vec::new();
    for (question, asked) in questions {
        let wording = matcher.wording(question);
        match groups
            .iter_mut()
            .find(|(first, _)| similarity(first, &wording) >= ALIKE)
        {
            Some((_, group)) => {
                group.questions.push(question.clone());
                group.asked += asked;
            }
            None => {
                let group = Group {
                    questions: vec![question.clone()],
                    asked: *asked,
                    answered_by: answered_by.map(str::to_owned),
                    suggestion: suggest(bot, question, answered_by),
                };
                groups.push((wording, group));
            }
        }
    }
    let mut groups: Vec<Group> = groups.into_iter().map(|(_, group)| group).collect();
    groups.sort_by_key(|group| std::cmp::Reverse(group.asked));
    groups
}

fn suggest(bot: &Answerer, question: &str, answered_by: Option<&str>) -> Suggestion {
    let matcher = bot.matcher();
    let ranking = matcher.rank(question);
    if let Some(cue) = ranking.elsewhere {
        return Suggestion::Elsewhere { cue };
    }
    let entries = bot.knowledge().entries();
    let best = ranking
        .entries
        .iter()
        .find(|s| Some(entries[s.entry].id.as_str()) != answered_by);
    match best {
        Some(best) if best.score >= matcher.thresholds().suggest => Suggestion::Entry {
            id: entries[best.entry].id.to_string(),
            score: best.score,
        },
        best => Suggestion::NewEntry {
            score: best.map_or(0.0, |s| s.score),
        },
    }
}

/// Shared features over all features of either sorted list (Jaccard); 0 when both are empty.
fn similarity(a: &[u64], b: &[u64]) -> f32 {
    let shared = a.iter().filter(|key| b.binary_search(key).is_ok()).count();
    let all = a.len() + b.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f32 / all as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_the_share_of_features_in_common() {
        assert_eq!(similarity(&[1, 2, 3], &[1, 2, 3]), 1.0);
        assert_eq!(similarity(&[1, 2], &[2, 3]), 1.0 / 3.0);
        assert_eq!(similarity(&[], &[]), 0.0);
    }
}
