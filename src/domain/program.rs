//! The two programs a site can belong to.

use std::fmt;
use std::str::FromStr;

/// Passport Advantage (PA) or Passport Advantage Express (PAE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Program {
    #[default]
    Pa,
    Pae,
}

/// Why a text is not a program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a program is pa (Passport Advantage) or pae (Passport Advantage Express)")]
pub struct ProgramError;

impl Program {
    pub fn as_str(self) -> &'static str {
        match self {
            Program::Pa => "pa",
            Program::Pae => "pae",
        }
    }

    pub fn parse(input: &str) -> Result<Program, ProgramError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "pa" => Ok(Program::Pa),
            "pae" => Ok(Program::Pae),
            _ => Err(ProgramError),
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Program {
    type Err = ProgramError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Program::parse(s)
    }
}
