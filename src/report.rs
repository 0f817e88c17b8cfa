//! `pao-bot report`: what customers asked that the bot could not answer, most frequent first
//! and grouped by similar wording with the entry each group comes closest to, and per FAQ
//! entry how often it answered and how often it helped: the material for improving `faq/`.

mod groups;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::answer::Answerer;
use crate::conversation::{EntryStats, Period, Store, UnansweredStats};
pub use groups::{Group, Suggestion};

/// How many unanswered questions the report lists.
const UNANSWERED_SHOWN: i64 = 50;

/// The report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub unanswered: Vec<Unanswered>,
    /// The unanswered questions grouped by wording, the most asked group first.
    pub groups: Vec<Group>,
    /// Every entry of the knowledge base, the most answered first.
    pub entries: Vec<EntryUsage>,
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
        Ok(Report {
            groups: groups::group(bot, &asked),
            unanswered,
            entries,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Unanswered questions, worded alike together, most frequent first:"
        )?;
        if self.groups.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for group in &self.groups {
            let (first, alike) = group
                .questions
                .split_first()
                .expect("a group has a question");
            writeln!(f, "  {:>5}  {first}", group.asked)?;
            for question in alike {
                writeln!(f, "         {question}")?;
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
        writeln!(f, "\nFAQ entries: answered, helped, did not help:")?;
        let width = self.entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
        for e in &self.entries {
            writeln!(
                f,
                "  {:<width$}  {:>6}  {:>6}  {:>6}",
                e.id, e.answered, e.helped, e.not_helped
            )?;
        }
        Ok(())
    }
}
