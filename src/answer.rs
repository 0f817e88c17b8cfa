//! The answering core: a customer's question in, the bot's reply out, in the question's
//! language. Channels render an [`Answer`]; they never decide what to say.

use std::path::Path;
use std::time::Instant;

use crate::knowledge::{Diagnostics, Entry, KnowledgeBase};
use crate::lang::Lang;
use crate::markup::plain_links;
use crate::matcher::{Decision, Matcher, Ranking};
use crate::telemetry;

/// The longest message the bot reads, in characters: what one Telegram message may hold.
/// Anything longer is refused unread, which bounds the work one message can cost.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// Whether `text` is longer than [`MAX_MESSAGE_CHARS`]; counts no further than that.
pub fn too_long(text: &str) -> bool {
    text.len() > MAX_MESSAGE_CHARS && text.chars().nth(MAX_MESSAGE_CHARS).is_some()
}

/// The language of a message too long to read, told by its first [`MAX_MESSAGE_CHARS`]
/// characters.
pub fn lang_of_start(text: &str) -> Option<Lang> {
    let end = text
        .char_indices()
        .nth(MAX_MESSAGE_CHARS)
        .map_or(text.len(), |(at, _)| at);
    Lang::detect(&text[..end])
}

/// The knowledge base with its matcher: everything needed to answer.
#[derive(Debug, Clone)]
pub struct Answerer {
    kb: KnowledgeBase,
    matcher: Matcher,
}

/// What the bot makes of one question.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The language to reply in.
    pub lang: Lang,
    pub decision: Decision,
    pub ranking: Ranking,
}

impl Answer {
    /// The entry that answers, if one does.
    pub fn entry(&self) -> Option<usize> {
        match self.decision {
            Decision::Answer(entry) => Some(entry),
            _ => None,
        }
    }
}

impl Answerer {
    /// Loads the knowledge base of `dir` and indexes it.
    pub fn load(dir: &Path) -> Result<Answerer, Diagnostics> {
        KnowledgeBase::load(dir).map(Answerer::new)
    }

    pub fn new(kb: KnowledgeBase) -> Answerer {
        let matcher = Matcher::new(&kb);
        Answerer { kb, matcher }
    }

    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Answers `question`; `fallback` is the language to reply in when the question has no
    /// letters to tell it by (a bare site number, "?").
    pub fn ask(&self, question: &str, fallback: Lang) -> Answer {
        let started = Instant::now();
        let ranking = self.matcher.rank(question);
        let decision = self.matcher.decide(&ranking);
        telemetry::matched(started.elapsed());
        Answer {
            lang: ranking.lang.unwrap_or(fallback),
            decision,
            ranking,
        }
    }

    /// The reply as plain text, as the console shows it.
    pub fn render(&self, answer: &Answer) -> String {
        let lang = answer.lang;
        let messages = self.kb.messages();
        match &answer.decision {
            Decision::Answer(entry) => self.render_entry(&self.kb.entries()[*entry], lang),
            Decision::DidYouMean(entries) => {
                let mut out = messages.did_you_mean.get(lang).trim().to_owned();
                for (n, entry) in entries.iter().enumerate() {
                    let question = self.kb.entries()[*entry].question.get(lang);
                    out.push_str(&format!("\n{}. {}", n + 1, question.trim()));
                }
                out
            }
            // No buttons here: the help desk's link is written out, once.
            Decision::NoAnswer => format!(
                "{}\n→ {} ({})",
                messages.no_answer.get(lang).trim(),
                messages.help_desk.get(lang).trim(),
                messages.help_desk_url.get(lang).trim()
            ),
            Decision::Greeting => messages.greeting.get(lang).trim().to_owned(),
            Decision::Empty => messages.empty_question.get(lang).trim().to_owned(),
        }
    }

    /// An entry's answer with its procedure's steps and its related questions, links as plain
    /// text.
    pub fn render_entry(&self, entry: &Entry, lang: Lang) -> String {
        plain_links(&self.entry_text(entry, lang))
    }

    /// An entry's answer with its procedure's steps and its related questions, links kept as
    /// `[label](url)` for channels that render them.
    pub fn entry_text(&self, entry: &Entry, lang: Lang) -> String {
        let messages = self.kb.messages();
        let mut out = self.entry_body(entry, lang);
        let related = self.related(entry);
        if !related.is_empty() {
            out.push_str(&format!(
                "\n\n{}",
                messages.related_heading.get(lang).trim()
            ));
            for other in related {
                out.push_str(&format!("\n- {}", other.question.get(lang).trim()));
            }
        }
        out
    }

    /// The entries an entry names as related, in its order.
    pub fn related(&self, entry: &Entry) -> Vec<&Entry> {
        entry
            .related
            .iter()
            .filter_map(|id| self.kb.entry(id))
            .collect()
    }

    /// An entry's answer with its procedure's steps, without its related questions: for
    /// channels that offer those as buttons.
    pub fn entry_body(&self, entry: &Entry, lang: Lang) -> String {
        let messages = self.kb.messages();
        let mut out = entry.answer.get(lang).trim().to_owned();
        if let Some(procedure) = entry
            .procedure
            .as_ref()
            .and_then(|id| self.kb.procedure(id))
        {
            out.push_str(&format!(
                "\n\n{}: {}",
                messages.steps_heading.get(lang).trim(),
                procedure.title.get(lang).trim()
            ));
            for line in procedure.step_lines(0..procedure.steps.len(), lang, |_| true) {
                out.push('\n');
                out.push_str(&line);
            }
        }
        out
    }
}
