//! `pao-bot report`: what customers asked that the bot could not answer, most frequent first,
//! and per FAQ entry how often it answered and how often it helped: the material for
//! improving `faq/`.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::conversation::{EntryStats, Period, Store, UnansweredStats};
use crate::knowledge::KnowledgeBase;

/// How many unanswered questions the report lists.
const UNANSWERED_SHOWN: i64 = 50;

/// The report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub unanswered: Vec<Unanswered>,
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
        kb: &KnowledgeBase,
        period: Period,
    ) -> Result<Report, sqlx::Error> {
        let unanswered = store
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
        Ok(Report {
            unanswered,
            entries,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Unanswered questions, most frequent first:")?;
        if self.unanswered.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for q in &self.unanswered {
            writeln!(f, "  {:>5}  {}", q.asked, q.question)?;
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
