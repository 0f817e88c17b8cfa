//! The portal's step-by-step procedures: instructions, and the values a guided flow asks
//! the customer for, each with the pattern that checks it.

use std::fmt;
use std::ops::Range;

use regex::Regex;
use serde::Deserialize;

use crate::commands::SlashCommand;
use crate::knowledge::ids::ProcedureId;
use crate::lang::{Lang, Localized};

/// A procedure of the portal, e.g. first access with the temporary passcode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: ProcedureId,
    pub title: Localized,
    /// The account action carried out with the filled slots at the end, if any.
    #[serde(default)]
    pub action: Option<ProcedureAction>,
    /// The slash command that starts it, if any (one of those that
    /// [start a procedure](SlashCommand::starts_procedure)).
    #[serde(default)]
    pub command: Option<SlashCommand>,
    pub steps: Vec<Step>,
}

impl Procedure {
    /// The steps in `range` that `keep` accepts, one line each in `lang`, numbered as in the
    /// whole procedure (`3. ...`), so a part of it reads the same as the whole.
    pub fn step_lines<F>(&self, range: Range<usize>, lang: Lang, keep: F) -> Vec<String>
    where
        F: Fn(&Step) -> bool,
    {
        let end = range.end.min(self.steps.len());
        let start = range.start.min(end);
        (start..end)
            .filter(|&n| keep(&self.steps[n]))
            .map(|n| format!("{}. {}", n + 1, self.steps[n].text.get(lang).trim()))
            .collect()
    }
}

/// One step: an instruction, or a question whose answer fills a slot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub text: Localized,
    #[serde(default)]
    pub slot: Option<Slot>,
    #[serde(default)]
    pub pattern: Option<Pattern>,
    /// Said when the answer does not match `pattern`.
    #[serde(default)]
    pub retry: Option<Localized>,
}

/// A value a procedure collects from the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    SiteNumber,
    IbmId,
    Passcode,
    Confirm,
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Slot::SiteNumber => "site_number",
            Slot::IbmId => "ibm_id",
            Slot::Passcode => "passcode",
            Slot::Confirm => "confirm",
        })
    }
}

/// An account action a procedure ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcedureAction {
    PasscodeCheck,
    NominationRequest,
}

impl ProcedureAction {
    /// The slots the action needs filled.
    pub fn needs(self) -> &'static [Slot] {
        match self {
            ProcedureAction::PasscodeCheck => &[Slot::SiteNumber, Slot::IbmId, Slot::Passcode],
            ProcedureAction::NominationRequest => &[Slot::SiteNumber, Slot::IbmId],
        }
    }
}

impl fmt::Display for ProcedureAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProcedureAction::PasscodeCheck => "passcode-check",
            ProcedureAction::NominationRequest => "nomination-request",
        })
    }
}

/// A regular expression from the YAML, compiled when loaded so a bad one is reported there.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Pattern(Regex);

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;

    fn try_from(source: String) -> Result<Self, Self::Error> {
        Regex::new(&source)
            .map(Pattern)
            .map_err(|e| format!("invalid pattern {source:?}: {e}"))
    }
}
