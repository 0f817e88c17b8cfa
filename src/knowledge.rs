//! The knowledge base: the FAQ entries, procedures, vocabulary and the bot's own sentences,
//! loaded from the YAML of a `faq/` folder and checked as a whole. A folder with any problem
//! does not load at all: the bot never runs on half of its knowledge.
//!
//! The folder's layout is described in `faq/README.md`, for the people who edit it.

mod diagnostic;
mod entry;
mod handoff_words;
mod ids;
mod messages;
mod procedure;
mod vocabulary;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::commands::SlashCommand;
use crate::lang::{Lang, Localized};
use crate::text::fold;
pub use diagnostic::{Diagnostic, Diagnostics, Source};
pub use entry::{Category, Entry, OutOfScope};
pub use handoff_words::HandoffWords;
pub use ids::{CategoryId, EntryId, InvalidId, ProcedureId};
use messages::placeholders;
pub use messages::{FORM_TEXT_MAX_CHARS, FormText, Messages};
pub use procedure::{Pattern, Procedure, ProcedureAction, Slot, Step};
pub use vocabulary::Term;

/// Which class a text teaches the matcher: an entry, or what must not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// The entry's index in [`KnowledgeBase::entries`].
    Entry(usize),
    OutOfScope,
}

/// A loaded, consistent knowledge base.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    by_id: HashMap<EntryId, usize>,
    categories: Vec<Category>,
    procedures: Vec<Procedure>,
    vocabulary: Vec<Term>,
    messages: Messages,
    out_of_scope: OutOfScope,
    handoff: HandoffWords,
}

impl KnowledgeBase {
    /// Loads and checks the folder `dir`; every problem found is returned, none is skipped.
    pub fn load(dir: &Path) -> Result<KnowledgeBase, Diagnostics> {
        Loader::new(dir).load()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The index of the entry with this id.
    pub fn position(&self, id: &EntryId) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn entry(&self, id: &EntryId) -> Option<&Entry> {
        self.position(id).map(|i| &self.entries[i])
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn procedure(&self, id: &ProcedureId) -> Option<&Procedure> {
        self.procedures.iter().find(|p| &p.id == id)
    }

    /// The procedure that `command` starts (`command:` in `faq/procedures.yaml`).
    pub fn procedure_started_by(&self, command: SlashCommand) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.command == Some(command))
    }

    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    pub fn vocabulary(&self) -> &[Term] {
        &self.vocabulary
    }

    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// The words that ask for a person at the help desk and that end the chat with one.
    pub fn handoff(&self) -> &HandoffWords {
        &self.handoff
    }

    pub fn out_of_scope(&self) -> &OutOfScope {
        &self.out_of_scope
    }

    /// Every text the matcher learns from, in a fixed order: each entry's question and
    /// examples, then the out-of-scope examples. A text's position in this order is its
    /// number in [`crate::matcher::Matcher::rank_text`].
    pub fn texts(&self) -> impl Iterator<Item = (Class, Lang, &str)> {
        let entries = self.entries.iter().enumerate().flat_map(|(i, entry)| {
            entry
                .texts()
                .map(move |(lang, text)| (Class::Entry(i), lang, text))
        });
        let out_of_scope = self
            .out_of_scope
            .texts()
            .map(|(lang, text)| (Class::OutOfScope, lang, text));
        entries.chain(out_of_scope)
    }
}

/// The files of a knowledge base folder.
const ENTRIES_DIR: &str = "entries";
const CATEGORIES: &str = "categories.yaml";
const PROCEDURES: &str = "procedures.yaml";
const VOCABULARY: &str = "vocabulary.yaml";
const MESSAGES: &str = "messages.yaml";
const OUT_OF_SCOPE: &str = "out-of-scope.yaml";
const HANDOFF: &str = "handoff.yaml";

/// Loads a folder, gathering every problem before deciding.
struct Loader<'a> {
    dir: &'a Path,
    problems: Diagnostics,
}

impl<'a> Loader<'a> {
    fn new(dir: &'a Path) -> Loader<'a> {
        Loader {
            dir,
            problems: Diagnostics::default(),
        }
    }

    fn load(mut self) -> Result<KnowledgeBase, Diagnostics> {
        let entries = self.entries();
        let categories = self.file::<Vec<Category>>(CATEGORIES);
        let procedures = self.file::<Vec<Procedure>>(PROCEDURES);
        let vocabulary = self.file::<Vec<Term>>(VOCABULARY);
        let messages = self.file::<Messages>(MESSAGES);
        let out_of_scope = self.file::<OutOfScope>(OUT_OF_SCOPE);
        let handoff = self.file::<HandoffWords>(HANDOFF);

        if let Some((categories, source)) = &categories {
            self.unique_ids(source, categories.iter().map(|c| c.id.as_str()), "category");
            for category in categories {
                self.texts_present(source, category.id.as_str(), &category.name);
            }
        }
        if let Some((procedures, source)) = &procedures {
            self.unique_ids(
                source,
                procedures.iter().map(|p| p.id.as_str()),
                "procedure",
            );
            for procedure in procedures {
                self.procedure(source, procedure);
            }
            self.started_procedures(source, procedures);
        }
        if let Some((vocabulary, source)) = &vocabulary {
            self.vocabulary(source, vocabulary);
        }
        if let Some((messages, source)) = &messages {
            self.messages(source, messages);
        }
        self.entry_references(
            &entries,
            categories.as_ref().map(|(c, _)| c.as_slice()),
            procedures.as_ref().map(|(p, _)| p.as_slice()),
        );
        self.examples_unique(&entries, out_of_scope.as_ref());
        for (entry, source) in &entries {
            self.cues_readable(source, "not_about", &entry.not_about);
        }
        if let Some((out, source)) = &out_of_scope {
            self.cues_readable(source, "subjects", &out.subjects);
            self.cues_readable(source, "greetings", &out.greetings);
        }

        match (
            categories,
            procedures,
            vocabulary,
            messages,
            out_of_scope,
            handoff,
        ) {
            (
                Some(categories),
                Some(procedures),
                Some(vocabulary),
                Some(messages),
                Some(out),
                Some(handoff),
            ) if self.problems.is_empty() => {
                let entries: Vec<Entry> = entries.into_iter().map(|(e, _)| e).collect();
                let by_id = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.id.clone(), i))
                    .collect();
                Ok(KnowledgeBase {
                    entries,
                    by_id,
                    categories: categories.0,
                    procedures: procedures.0,
                    vocabulary: vocabulary.0,
                    messages: messages.0,
                    out_of_scope: out.0,
                    handoff: handoff.0,
                })
            }
            _ => Err(self.problems),
        }
    }

    /// Reads one file; `None` (with the problem recorded) when it is missing or unreadable.
    fn read(&mut self, path: &Path) -> Option<Source> {
        match fs::read_to_string(path) {
            Ok(text) => Some(Source::new(path, text)),
            Err(e) => {
                let source = Source::new(path, String::new());
                self.problems
                    .push(source.whole(format!("cannot read: {e}")));
                None
            }
        }
    }

    fn parse<T>(&mut self, source: &Source) -> Option<T>
    where
        T: DeserializeOwned,
    {
        match serde_yaml::from_str(&source.text) {
            Ok(value) => Some(value),
            Err(e) => {
                self.problems.push(source.yaml_error(&e));
                None
            }
        }
    }

    fn file<T>(&mut self, name: &str) -> Option<(T, Source)>
    where
        T: DeserializeOwned,
    {
        let source = self.read(&self.dir.join(name))?;
        let value = self.parse(&source)?;
        Some((value, source))
    }

    /// Every `entries/*.yaml`, sorted by file name so the order is the same everywhere.
    fn entries(&mut self) -> Vec<(Entry, Source)> {
        let dir = self.dir.join(ENTRIES_DIR);
        let mut paths: Vec<_> = match fs::read_dir(&dir) {
            Ok(listing) => listing
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect(),
            Err(e) => {
                let source = Source::new(&dir, String::new());
                self.problems
                    .push(source.whole(format!("cannot read the folder: {e}")));
                return Vec::new();
            }
        };
        paths.sort();
        if paths.is_empty() {
            let source = Source::new(&dir, String::new());
            self.problems
                .push(source.whole("no entries (*.yaml) in this folder"));
        }
        let mut entries = Vec::new();
        let mut seen: HashMap<EntryId, std::path::PathBuf> = HashMap::new();
        for path in paths {
            let Some(source) = self.read(&path) else {
                continue;
            };
            let Some(entry) = self.parse::<Entry>(&source) else {
                continue;
            };
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if stem != entry.id.as_str() {
                let problem = format!(
                    "the entry's id `{}` differs from its file name `{stem}`",
                    entry.id
                );
                self.problems.push(source.near("id:", 1, problem));
            }
            if let Some(first) = seen.insert(entry.id.clone(), path.clone()) {
                let problem = format!("duplicate id `{}`: also in {}", entry.id, first.display());
                self.problems.push(source.near("id:", 1, problem));
            }
            self.texts_present(&source, "question", &entry.question);
            self.texts_present(&source, "answer", &entry.answer);
            for (lang, list) in entry.examples.iter() {
                if list.is_empty() {
                    let problem = format!(
                        "no {lang} examples: customers' ways of asking are what the bot learns from"
                    );
                    self.problems.push(source.near("examples:", 1, problem));
                }
            }
            entries.push((entry, source));
        }
        entries
    }

    /// Reports the empty texts of `texts`, found under `key`.
    fn texts_present(&mut self, source: &Source, key: &str, texts: &Localized) {
        for (lang, text) in texts.iter() {
            if text.trim().is_empty() {
                let line = source.find(key, 1).map_or(1, |(l, _)| l);
                let problem = format!("`{key}` has an empty {lang} text");
                self.problems
                    .push(source.near(&format!("{lang}:"), line, problem));
            }
        }
    }

    fn unique_ids<'i, I>(&mut self, source: &Source, ids: I, what: &str)
    where
        I: Iterator<Item = &'i str>,
    {
        let mut seen = HashSet::new();
        let mut line = 1;
        for id in ids {
            let at = source.find(id, line).unwrap_or((line, 1));
            line = at.0;
            if !seen.insert(id) {
                let problem = format!("duplicate {what} id `{id}`");
                self.problems.push(source.at(at.0, at.1, problem));
            }
        }
    }

    fn procedure(&mut self, source: &Source, procedure: &Procedure) {
        let start = source.find(procedure.id.as_str(), 1).map_or(1, |(l, _)| l);
        let id = &procedure.id;
        self.texts_present(source, id.as_str(), &procedure.title);
        if procedure.steps.is_empty() {
            self.problems.push(source.near(
                id.as_str(),
                start,
                format!("procedure `{id}` has no steps"),
            ));
        }
        let mut slots = HashSet::new();
        for step in &procedure.steps {
            let at = source.find(&step.text.ja, start).map_or(start, |(l, _)| l);
            let problem = |message: String| source.at(at, 1, message);
            if step.text.ja.trim().is_empty() || step.text.en.trim().is_empty() {
                self.problems
                    .push(problem(format!("a step of `{id}` has an empty text")));
            }
            match step.slot {
                Some(slot) => {
                    if !slots.insert(slot) {
                        self.problems
                            .push(problem(format!("`{id}` asks for `{slot}` twice")));
                    }
                    if step.pattern.is_none() || step.retry.is_none() {
                        self.problems.push(problem(format!(
                            "the step of `{id}` that fills `{slot}` needs a `pattern` and a `retry`"
                        )));
                    }
                }
                None if step.pattern.is_some() || step.retry.is_some() => {
                    self.problems.push(problem(format!(
                        "a step of `{id}` has a `pattern` or `retry` but no `slot` to fill"
                    )));
                }
                None => {}
            }
        }
        if let Some(action) = procedure.action {
            for needed in action.needs() {
                if !slots.contains(needed) {
                    let problem =
                        format!("`{id}` ends with `{action}` but never asks for `{needed}`");
                    self.problems.push(source.near("action:", start, problem));
                }
            }
        }
    }

    /// Each command that starts a procedure names exactly one, and no other command is named.
    fn started_procedures(&mut self, source: &Source, procedures: &[Procedure]) {
        for command in SlashCommand::ALL {
            let starting: Vec<&Procedure> = procedures
                .iter()
                .filter(|p| p.command == Some(command))
                .collect();
            let problem = match (command.starts_procedure(), starting.len()) {
                (true, 0) => format!("no procedure says `command: {}`", command.name()),
                (true, 1) | (false, 0) => continue,
                (true, _) => format!("more than one procedure says `command: {}`", command.name()),
                (false, _) => format!("{command} does not start a procedure"),
            };
            // The second procedure naming it is the one to change; else the only one.
            let line = starting
                .get(1)
                .or(starting.first())
                .and_then(|p| source.find(p.id.as_str(), 1))
                .map_or(1, |(line, _)| line);
            self.problems.push(source.near("command:", line, problem));
        }
    }

    fn vocabulary(&mut self, source: &Source, terms: &[Term]) {
        let mut owner: HashMap<String, &str> = HashMap::new();
        for term in terms {
            let at = source
                .find(&format!("term: {}", term.term), 1)
                .unwrap_or((1, 1));
            if term.variants.is_empty() {
                let problem = format!("term `{}` has no variants", term.term);
                self.problems.push(source.at(at.0, at.1, problem));
            }
            for variant in &term.variants {
                let folded = fold(variant);
                let problem = if folded.is_empty() {
                    format!("variant {variant:?} of `{}` has no letters", term.term)
                } else if let Some(other) = owner.insert(folded, &term.term)
                    && other != term.term
                {
                    format!(
                        "variant {variant:?} of `{}` is already a variant of `{other}`",
                        term.term
                    )
                } else {
                    continue;
                };
                self.problems.push(source.near(variant, at.0, problem));
            }
        }
    }

    fn messages(&mut self, source: &Source, messages: &Messages) {
        for (key, texts, filled) in messages.all() {
            self.texts_present(source, key, texts);
            let (ja, en) = (placeholders(&texts.ja), placeholders(&texts.en));
            let unknown: Vec<&str> = ja
                .iter()
                .chain(&en)
                .filter(|name| !filled.contains(name))
                .copied()
                .collect();
            if let Some(name) = unknown.first() {
                let problem = format!(
                    "`{key}` has the placeholder {{{name}}}, which the bot never fills: it \
                     fills {filled:?} there"
                );
                let from = source
                    .find(&format!("{key}:"), 1)
                    .map_or(1, |(line, _)| line);
                self.problems
                    .push(source.near(&format!("{{{name}}}"), from, problem));
            }
            if ja != en {
                let problem = format!(
                    "`{key}` has placeholders {ja:?} in Japanese but {en:?} in English: \
                     both must name the same values"
                );
                self.problems
                    .push(source.near(&format!("{key}:"), 1, problem));
            }
        }
    }

    fn entry_references(
        &mut self,
        entries: &[(Entry, Source)],
        categories: Option<&[Category]>,
        procedures: Option<&[Procedure]>,
    ) {
        let ids: HashSet<&EntryId> = entries.iter().map(|(e, _)| &e.id).collect();
        for (entry, source) in entries {
            if let Some(categories) = categories
                && !categories.iter().any(|c| c.id == entry.category)
            {
                let problem = format!("unknown category `{}`: not in {CATEGORIES}", entry.category);
                self.problems.push(source.near("category:", 1, problem));
            }
            if let (Some(procedures), Some(id)) = (procedures, &entry.procedure)
                && !procedures.iter().any(|p| &p.id == id)
            {
                let problem = format!("unknown procedure `{id}`: not in {PROCEDURES}");
                self.problems.push(source.near("procedure:", 1, problem));
            }
            let related_line = source.find("related:", 1).map_or(1, |(l, _)| l);
            for related in &entry.related {
                let problem = if related == &entry.id {
                    format!("`{related}` is related to itself")
                } else if !ids.contains(related) {
                    format!("related entry `{related}` does not exist")
                } else {
                    continue;
                };
                self.problems
                    .push(source.near(related.as_str(), related_line, problem));
            }
        }
    }

    /// Every `+`-separated part of every cue of `key` has letters: an empty part would make
    /// the cue match every question.
    fn cues_readable(&mut self, source: &Source, key: &str, cues: &[String]) {
        let from = source
            .find(&format!("{key}:"), 1)
            .map_or(1, |(line, _)| line);
        for cue in cues {
            if cue.split('+').any(|part| fold(part).is_empty()) {
                let problem = format!("`{key}` has {cue:?}, which has a part without letters");
                self.problems.push(source.near(cue, from, problem));
            }
        }
    }

    /// The same example (once folded) under two entries, or twice under one, teaches the
    /// matcher nothing but a conflict.
    fn examples_unique(
        &mut self,
        entries: &[(Entry, Source)],
        out_of_scope: Option<&(OutOfScope, Source)>,
    ) {
        let mut seen: HashMap<String, String> = HashMap::new();
        let everything = entries
            .iter()
            .map(|(e, s)| (e.id.to_string(), e.texts().collect::<Vec<_>>(), s))
            .chain(out_of_scope.map(|(o, s)| ("out-of-scope".to_owned(), o.texts().collect(), s)));
        for (owner, texts, source) in everything {
            for (_, text) in texts {
                let folded = fold(text);
                if folded.is_empty() {
                    let problem = format!("example {text:?} has no letters");
                    self.problems.push(source.near(text, 1, problem));
                    continue;
                }
                if let Some(first) = seen.insert(folded, owner.clone()) {
                    let problem = if first == owner {
                        format!("{text:?} is written twice")
                    } else {
                        format!("{text:?} also stands under `{first}`")
                    };
                    self.problems.push(source.near(text, 1, problem));
                }
            }
        }
    }
}
