//! `pao-bot check`: the knowledge base's self-test. Beyond loading (which already reports
//! every file problem), it asks the bot each entry's question and examples: one that another
//! entry wins, that makes the bot hesitate, or that gets no answer is a conflict the editor
//! should resolve before customers meet it; so is an out-of-scope example that gets an answer.
//!
//! It also asks each text with that very text left out, as if a customer had written it:
//! the share still answered by its own entry tells how well the examples generalise, and is
//! reported, not enforced.

use std::fs;
use std::path::{Path, PathBuf};

use crate::answer::Answerer;
use crate::knowledge::{Class, Diagnostics, Source};
use crate::matcher::Decision;

/// What a passing check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub entries: usize,
    pub texts: usize,
    /// How many texts are answered as they should be with themselves left out.
    pub left_out_answered: usize,
}

/// Loads `dir` and self-tests it: every problem, or what was checked.
pub fn run(dir: &Path) -> Result<Summary, Diagnostics> {
    let bot = Answerer::load(dir)?;
    let conflicts = self_test(&bot, dir);
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let matcher = bot.matcher();
    let left_out_answered = bot
        .knowledge()
        .texts()
        .enumerate()
        .filter(|(number, (class, _, _))| {
            let decision = matcher.decide(&matcher.rank_text(*number, true));
            match class {
                Class::Entry(own) => decision == Decision::Answer(*own),
                Class::OutOfScope => decision == Decision::NoAnswer,
            }
        })
        .count();
    Ok(Summary {
        entries: bot.knowledge().entries().len(),
        texts: bot.knowledge().texts().count(),
        left_out_answered,
    })
}

/// Each text asked of the bot; the ones not answered as they should be.
pub fn self_test(bot: &Answerer, dir: &Path) -> Diagnostics {
    let kb = bot.knowledge();
    let matcher = bot.matcher();
    let id = |entry: usize| kb.entries()[entry].id.as_str();
    let mut sources = SourceCache::default();
    let mut problems = Diagnostics::default();
    for (number, (class, _, text)) in kb.texts().enumerate() {
        let ranking = matcher.rank_text(number, false);
        let decision = matcher.decide(&ranking);
        let score_of = |entry: usize| {
            ranking
                .entries
                .iter()
                .find(|s| s.entry == entry)
                .map_or(0.0, |s| s.score)
        };
        let complaint = match (class, &decision) {
            (Class::Entry(own), Decision::Answer(got)) if *got == own => continue,
            (Class::OutOfScope, Decision::NoAnswer | Decision::Greeting) => continue,
            (Class::Entry(own), _) if ranking.elsewhere.is_some() => format!(
                "{text:?} gets no answer: it has {:?}, a cue of another subject (`{}` scores {:.2})",
                ranking.elsewhere.as_deref().unwrap_or_default(),
                id(own),
                score_of(own)
            ),
            (Class::Entry(own), Decision::Greeting) => format!(
                "{text:?} is taken as a greeting, not as a question for `{}`",
                id(own)
            ),
            (Class::Entry(own), Decision::Answer(got)) => format!(
                "{text:?} is answered by `{}` ({:.2}) instead of `{}` ({:.2})",
                id(*got),
                score_of(*got),
                id(own),
                score_of(own)
            ),
            (Class::Entry(own), Decision::DidYouMean(offered)) => format!(
                "{text:?} is not answered outright: the bot hesitates between {} (`{}` scores {:.2})",
                list(offered.iter().map(|e| id(*e))),
                id(own),
                score_of(own)
            ),
            (Class::Entry(own), Decision::NoAnswer | Decision::Empty) => format!(
                "{text:?} gets no answer: `{}` scores {:.2}, out of scope {:.2}; add examples like it",
                id(own),
                score_of(own),
                ranking.out_of_scope
            ),
            (Class::OutOfScope, Decision::Answer(got)) => format!(
                "out-of-scope {text:?} is answered by `{}` ({:.2})",
                id(*got),
                score_of(*got)
            ),
            (Class::OutOfScope, Decision::DidYouMean(offered)) => format!(
                "out-of-scope {text:?} is offered {}",
                list(offered.iter().map(|e| id(*e)))
            ),
            (Class::OutOfScope, Decision::Empty) => {
                format!("out-of-scope {text:?} has nothing to match")
            }
        };
        let path = match class {
            Class::Entry(own) => dir.join("entries").join(format!("{}.yaml", id(own))),
            Class::OutOfScope => dir.join("out-of-scope.yaml"),
        };
        problems.push(sources.get(&path).near(text, 1, complaint));
    }
    for (class, cue) in matcher.unreadable_cues() {
        let complaint = format!(
            "the cue {cue:?} has a part of common words only: it would be found in every question"
        );
        let path = match class {
            Class::Entry(own) => dir.join("entries").join(format!("{}.yaml", id(*own))),
            Class::OutOfScope => dir.join("out-of-scope.yaml"),
        };
        problems.push(sources.get(&path).near(cue, 1, complaint));
    }
    problems
}

fn list<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files conflicts are pinned in, each read once.
#[derive(Default)]
struct SourceCache(Vec<Source>);

impl SourceCache {
    fn get(&mut self, path: &PathBuf) -> &Source {
        let position = match self.0.iter().position(|s| &s.path == path) {
            Some(i) => i,
            None => {
                let text = fs::read_to_string(path).unwrap_or_default();
                self.0.push(Source::new(path, text));
                self.0.len() - 1
            }
        };
        &self.0[position]
    }
}
