//! `pao-bot eval`: the matcher's accuracy on a file of customers' questions, each with the
//! entry that must answer it or `none` where the bot must say it does not know.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::answer::Answerer;
use crate::knowledge::EntryId;
use crate::lang::Lang;

/// One question and what must answer it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    q: String,
    expect: String,
}

/// What a case expects, checked against the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Entry(usize),
    None,
}

/// A question and its expectation, ready to run.
#[derive(Debug, Clone)]
pub struct Question {
    pub text: String,
    pub expect: Expect,
}

/// Why an eval file cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error(
        "{path}: question {question:?} expects `{expect}`, which is no entry of the knowledge base (nor `none`)"
    )]
    UnknownEntry {
        path: PathBuf,
        question: String,
        expect: String,
    },
}

/// Reads an eval file; every expected id must be an entry of `bot`'s knowledge base.
pub fn load(path: &Path, bot: &Answerer) -> Result<Vec<Question>, EvalError> {
    let text = fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_owned(),
        source,
    })?;
    let cases: Vec<Case> = serde_yaml::from_str(&text).map_err(|source| EvalError::Parse {
        path: path.to_owned(),
        source,
    })?;
    cases
        .into_iter()
        .map(|case| {
            let expect = if case.expect == "none" {
                Expect::None
            } else {
                EntryId::parse(case.expect.as_str())
                    .ok()
                    .and_then(|id| bot.knowledge().position(&id))
                    .map(Expect::Entry)
                    .ok_or_else(|| EvalError::UnknownEntry {
                        path: path.to_owned(),
                        question: case.q.clone(),
                        expect: case.expect.clone(),
                    })?
            };
            Ok(Question {
                text: case.q,
                expect,
            })
        })
        .collect()
}

/// A question the bot got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub question: String,
    pub expected: String,
    /// The entry that answered, or `none`.
    pub got: String,
    /// The best entry's score.
    pub score: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub overall: f64,
    pub correct: usize,
    pub total: usize,
    pub in_scope_correct: usize,
    pub in_scope: usize,
    pub out_of_scope_rejected: usize,
    pub out_of_scope: usize,
    /// The matcher's own time per question, median and 99th percentile, in microseconds.
    pub p50_us: f64,
    pub p99_us: f64,
    pub misses: Vec<Miss>,
}

/// Asks every question and scores the answers.
pub fn run(bot: &Answerer, questions: &[Question]) -> EvalReport {
    let kb = bot.knowledge();
    let id = |entry: usize| kb.entries()[entry].id.to_string();
    let mut micros = Vec::with_capacity(questions.len());
    let mut misses = Vec::new();
    let (mut in_scope, mut in_scope_correct) = (0, 0);
    let (mut out_of_scope, mut rejected) = (0, 0);
    for question in questions {
        let started = Instant::now();
        let answer = bot.ask(&question.text, Lang::Ja);
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        let got = answer.entry();
        let correct = match question.expect {
            Expect::Entry(expected) => {
                in_scope += 1;
                in_scope_correct += usize::from(got == Some(expected));
                got == Some(expected)
            }
            Expect::None => {
                out_of_scope += 1;
                rejected += usize::from(got.is_none());
                got.is_none()
            }
        };
        if !correct {
            misses.push(Miss {
                question: question.text.clone(),
                expected: match question.expect {
                    Expect::Entry(e) => id(e),
                    Expect::None => "none".into(),
                },
                got: got.map_or_else(|| "none".into(), id),
                score: f64::from(answer.ranking.top_score()),
            });
        }
    }
    let total = questions.len();
    let correct = in_scope_correct + rejected;
    micros.sort_by(f64::total_cmp);
    EvalReport {
        overall: if total == 0 {
            0.0
        } else {
            correct as f64 / total as f64
        },
        correct,
        total,
        in_scope_correct,
        in_scope,
        out_of_scope_rejected: rejected,
        out_of_scope,
        p50_us: percentile(&micros, 0.50),
        p99_us: percentile(&micros, 0.99),
        misses,
    }
}

/// The nearest-rank percentile of sorted values; 0 for none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl fmt::Display for EvalReport {
    /// The misses, one a line, then the summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for miss in &self.misses {
            writeln!(
                f,
                "miss: {:?} expected {} got {} score {:.3}",
                miss.question, miss.expected, miss.got, miss.score
            )?;
        }
        write!(
            f,
            "overall: {:.4} ({}/{}) in_scope: {}/{} out_of_scope_rejected: {}/{} p50_us: {:.0} p99_us: {:.0}",
            self.overall,
            self.correct,
            self.total,
            self.in_scope_correct,
            self.in_scope,
            self.out_of_scope_rejected,
            self.out_of_scope,
            self.p50_us,
            self.p99_us
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
