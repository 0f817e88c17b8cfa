//! `pao-bot report`: what customers asked that the bot could not answer, most frequent first
//! and grouped by similar wording with the entry each group comes closest to, and per FAQ
//! entry how often it answered and how often it helped: the material for improving `faq/`.

mod groups;
mod handoffs;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;

use crate::answer::Answerer;
use crate::conversation::{EntryStats, NotHelpedStats, Period, Store, UnansweredStats};
pub use groups::{Group, Suggestion, group};
pub use handoffs::Handoffs;

/// How many unanswered questions the report lists.
const UNANSWERED_SHOWN: i64 = 50;

/// The report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub unanswered: Vec<Unanswered>,
    /// The unanswered questions grouped by wording, the most asked group first.
    pub groups: Vec<Group>,
    /// The questions whose answer was marked "did not help", grouped by wording and by the
    /// entry that answered, the most asked group first.
    pub did_not_help: Vec<Group>,
    /// Every entry of the knowledge base, the most answered first.
    pub entries: Vec<EntryUsage>,
    /// The help desk's handoffs.
    pub handoffs: Handoffs,
}

#[derive(Debug, Serialize)]
pub struct Unanswered {
    pub question: String,
    pub asked: i64,
}

#[derive(Debug, Serialize)]
pub struct EntryUsage {
    pub id: String,
    pub answered: i64,
    pub helped: i64,
    pub not_helped: i64,
}

impl Report {
    /// Reads the report of `period` from the conversation store; entries that never
    /// answered are listed too, with zeros.
    pub async fn read(
        store: &Store,
        bot: &Answerer,
        period: Period,
    ) -> Result<Report, sqlx::Error> {
        let kb = bot.knowledge();
        let unanswered: Vec<Unanswered> = store
            .unanswered_stats(UNANSWERED_SHOWN, period)
            .await?
            .into_iter()
            .map(|UnansweredStats { question, asked }| Unanswered { question, asked })
            .collect();
        let mut stats: HashMap<String, EntryStats> = store
            .entry_stats(period)
            .await?
            .into_iter()
            .map(|s| (s.entry_id.clone(), s))
            .collect();
        let mut entries: Vec<EntryUsage> = kb
            .entries()
            .iter()
            .map(|e| {
                let s = stats.remove(e.id.as_str());
                EntryUsage {
                    id: e.id.as_str().to_owned(),
                    answered: s.as_ref().map_or(0, |s| s.answered),
                    helped: s.as_ref().map_or(0, |s| s.helped),
                    not_helped: s.as_ref().map_or(0, |s| s.not_helped),
                }
            })
            .collect();
        // Answers of entries since removed from faq/ still count.
        entries.extend(stats.into_values().map(|s| EntryUsage {
            id: s.entry_id,
            answered: s.answered,
            helped: s.helped,
            not_helped: s.not_helped,
        }));
        entries.sort_by(|a, b| b.answered.cmp(&a.answered).then_with(|| a.id.cmp(&b.id)));
        let asked: Vec<(String, i64)> = unanswered
            .iter()
            .map(|u| (u.question.clone(), u.asked))
            .collect();
        let mut by_entry: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
        for NotHelpedStats {
            question,
            entry_id,
            asked,
        } in store.not_helped_stats(UNANSWERED_SHOWN, period).await?
        {
            by_entry
                .entry(entry_id)
                .or_default()
                .push((question, asked));
        }
        let mut did_not_help: Vec<Group> = by_entry
            .iter()
            .flat_map(|(entry, questions)| groups::group(bot, questions, Some(entry)))
            .collect();
        did_not_help.sort_by_key(|group| std::cmp::Reverse(group.asked));
        Ok(Report {
            groups: groups::group(bot, &asked, None),
            did_not_help,
            unanswered,
            entries,
            handoffs: Handoffs::read(store, period).await?,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Unanswered questions, worded alike together, most frequent first:"
        )?;
        write_groups(f, &self.groups)?;
        writeln!(
            f,
            "\nQuestions whose answer did not help, worded alike together, most frequent first:"
        )?;
        write_groups(f, &self.did_not_help)?;
        writeln!(f, "\nFAQ entries: answered, helped, did not help:")?;
        let width = self.entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
        for e in &self.entries {
            writeln!(
                f,
                "  {:<width$}  {:>6}  {:>6}  {:>6}",
                e.id, e.answered, e.helped, e.not_helped
            )?;
        }
        write!(f, "{}", self.handoffs)
    }
}

/// Each group: how often, its questions, the entry whose answer did not help, and what the
/// FAQ could do.
fn write_groups(f: &mut fmt::Formatter<'_>, groups: &[Group]) -> fmt::Result {
    if groups.is_empty() {
        writeln!(f, "  (none)")?;
    }
    for group in groups {
        let (first, alike) = group
            .questions
            .split_first()
            .expect("a group has a question");
        writeln!(f, "  {:>5}  {first}", group.asked)?;
        for question in alike {
            writeln!(f, "         {question}")?;
        }
        if let Some(entry) = &group.answered_by {
            writeln!(f, "         answered by {entry}, which did not help")?;
        }
        match &group.suggestion {
            Suggestion::Entry { id, score } => {
                writeln!(f, "         -> closest entry: {id} ({score:.2})")?
            }
            Suggestion::NewEntry { score } => {
                writeln!(f, "         -> new entry (closest scores {score:.2})")?
            }
            Suggestion::Elsewhere { cue } => {
                writeln!(f, "         -> another subject (cue {cue:?})")?
            }
        }
    }
    Ok(())
}
