//! Problems found in faq/, each pinned to a file, line and column so that whoever edits the
//! YAML can go straight to it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole (unreadable, missing).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

/// Every problem found while loading a knowledge base; loading fails as a whole when there
/// is one.
#[derive(Debug, Clone, Default, thiserror::Error)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        write!(f, "{} problem(s) in the knowledge base", self.0.len())
    }
}

/// A YAML file's text, kept while loading so that problems found after parsing (a duplicate
/// id, a dangling reference) can still be pinned to a line.
#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn new(path: &Path, text: String) -> Source {
        Source {
            path: path.to_owned(),
            text,
        }
    }

    /// A problem with the file as a whole.
    pub fn whole(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: self.path.clone(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// A problem at a known 1-based position.
    pub fn at(&self, line: usize, column: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem about `needle`, pinned to its first occurrence on or after line `from`
    /// (1-based), or to the first line of the file when it cannot be found.
    pub fn near(&self, needle: &str, from: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.find(needle, from).unwrap_or((1, 1));
        self.at(line, column, message)
    }

    /// The 1-based line and column of the first occurrence of `needle` on or after line `from`.
    pub fn find(&self, needle: &str, from: usize) -> Option<(usize, usize)> {
        self.text
            .lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find_map(|(i, line)| {
                line.find(needle)
                    .map(|byte| (i + 1, line[..byte].chars().count() + 1))
            })
    }

    /// A serde_yaml error, at the position it reports; an error about a quoted value (an
    /// invalid id or pattern) is reported at that value, which serde_yaml places at the
    /// start of the enclosing mapping.
    pub fn yaml_error(&self, error: &serde_yaml::Error) -> Diagnostic {
        let message = strip_position(&error.to_string());
        let Some(at) = error.location() else {
            return self.whole(message);
        };
        let (line, column) = quoted_value(&message)
            .and_then(|value| self.find(&value, at.line()))
            .unwrap_or((at.line(), at.column()));
        self.at(line, column, message)
    }
}

/// The first `"..."` of an error message, unescaped.
fn quoted_value(message: &str) -> Option<String> {
    static QUOTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("a valid pattern")
    });
    let quoted = QUOTED.find(message)?;
    serde_json::from_str(quoted.as_str()).ok()
}

/// serde_yaml writes " at line L column C" into its messages; the diagnostic says it already.
fn strip_position(message: &str) -> String {
    static POSITION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r" at line \d+ column \d+").expect("a valid pattern")
    });
    POSITION.replace_all(message, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_needles_from_a_line_on_with_character_columns() {
        let source = Source::new(Path::new("a.yaml"), "id: x\nq: 日本 x\n".into());
        assert_eq!(source.find("x", 1), Some((1, 5)));
        assert_eq!(source.find("x", 2), Some((2, 7)));
        assert_eq!(source.find("y", 1), None);
    }

    #[test]
    fn yaml_errors_keep_their_position_once() {
        let source = Source::new(Path::new("a.yaml"), "a: [1\n".into());
        let error = serde_yaml::from_str::<serde_yaml::Value>(&source.text).unwrap_err();
        let diagnostic = source.yaml_error(&error);
        assert!(diagnostic.line >= 1, "{diagnostic}");
        assert!(!diagnostic.message.contains(" at line "), "{diagnostic}");
    }
}
