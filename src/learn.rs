//! `pao-bot learn`: walks the report's groups of unanswered questions, then of those whose
//! answer did not help, in the terminal; each is added to an entry as examples, added to the
//! out-of-scope examples, or skipped. Accepted questions are written into `faq/` as new lines
//! ([`yaml_lines`]), then the folder is checked, so that what changed is a reviewable diff
//! that passes `check`.

mod yaml_lines;

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::answer::Answerer;
use crate::knowledge::EntryId;
use crate::lang::Lang;
use crate::report::{Group, Suggestion};
pub use yaml_lines::PlaceError;

/// Why `learn` stopped.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path}: {source}")]
    Place { path: PathBuf, source: PlaceError },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What the walk wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Learned {
    /// Questions added to entries as examples.
    pub examples: usize,
    /// Questions added to the out-of-scope examples.
    pub out_of_scope: usize,
}

/// Asks about each group of `groups` on `output`, reading the choices from `input`, and
/// writes the accepted questions into the folder `dir` that `bot` was loaded from.
pub fn walk<R, W>(
    bot: &Answerer,
    dir: &Path,
    groups: &[Group],
    mut input: R,
    output: &mut W,
) -> Result<Learned, LearnError>
where
    R: BufRead,
    W: Write,
{
    let mut learned = Learned::default();
    // Groups already taken as another subject need nothing.
    let open: Vec<&Group> = groups
        .iter()
        .filter(|g| !matches!(g.suggestion, Suggestion::Elsewhere { .. }))
        .collect();
    for (n, group) in open.iter().enumerate() {
        writeln!(
            output,
            "\n[{}/{}] asked {} times:",
            n + 1,
            open.len(),
            group.asked
        )?;
        for question in &group.questions {
            writeln!(output, "  {question}")?;
        }
        if let Some(entry) = &group.answered_by {
            writeln!(output, "answered by {entry}, which did not help")?;
        }
        let suggested = match &group.suggestion {
            Suggestion::Entry { id, score } => {
                writeln!(output, "closest entry: {id} ({score:.2})")?;
                Some(id.as_str())
            }
            _ => {
                writeln!(output, "no entry is close: a new entry?")?;
                None
            }
        };
        let accept = suggested.map_or(String::new(), |id| format!("a = add to {id}, "));
        write!(
            output,
            "{accept}o = out of scope, s = skip, q = quit, or an entry id to add them there: "
        )?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(output)?;
            break;
        }
        let choice = line.trim();
        let target = match (choice, suggested) {
            ("q", _) => break,
            ("a", Some(id)) => Target::Entry(id.to_owned()),
            ("o", _) => Target::OutOfScope,
            ("s" | "", _) => continue,
            (id, _) if EntryId::parse(id).is_ok_and(|id| bot.knowledge().entry(&id).is_some()) => {
                Target::Entry(id.to_owned())
            }
            _ => {
                writeln!(output, "not a choice ({choice:?}): skipped")?;
                continue;
            }
        };
        let path = match &target {
            Target::Entry(id) => dir.join("entries").join(format!("{id}.yaml")),
            Target::OutOfScope => dir.join("out-of-scope.yaml"),
        };
        for question in &group.questions {
            add(&path, question)?;
        }
        match target {
            Target::Entry(id) => {
                learned.examples += group.questions.len();
                writeln!(output, "added to {id}")?;
            }
            Target::OutOfScope => {
                learned.out_of_scope += group.questions.len();
                writeln!(output, "added to out-of-scope")?;
            }
        }
    }
    Ok(learned)
}

/// Where a group's questions go.
enum Target {
    Entry(String),
    OutOfScope,
}

/// Adds `question` to the examples of the file at `path`, in the question's language.
fn add(path: &Path, question: &str) -> Result<(), LearnError> {
    let write_error = |source| LearnError::Write {
        path: path.to_owned(),
        source,
    };
    let text = fs::read_to_string(path).map_err(write_error)?;
    let lang = Lang::detect(question).unwrap_or(Lang::Ja);
    let changed =
        yaml_lines::add_example(&text, lang, question).map_err(|source| LearnError::Place {
            path: path.to_owned(),
            source,
        })?;
    fs::write(path, changed).map_err(write_error)
}
