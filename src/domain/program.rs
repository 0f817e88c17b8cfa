//! The two programs a site can belong to.

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

text_value!(Program, ProgramError);
