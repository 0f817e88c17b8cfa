//! Identifiers of entries, categories and procedures: lowercase ASCII letters, digits and
//! `-`, so that they read the same in URLs, file names, buttons' payloads and the JSON output.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not an id.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a valid id: use lowercase letters, digits and '-', starting with a letter")]
pub struct InvalidId(String);

fn is_valid(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                if is_valid(&s) { Ok(Self(s)) } else { Err(InvalidId(s)) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The id of an FAQ entry, e.g. `forgot-password`.
    EntryId
);
id_type!(
    /// The id of a category of entries, e.g. `signin`.
    CategoryId
);
id_type!(
    /// The id of a procedure, e.g. `self-nomination`.
    ProcedureId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kebab_case_and_refuses_the_rest() {
        assert!(EntryId::parse("forgot-ibm-id").is_ok());
        assert!(EntryId::parse("q2").is_ok());
        for bad in [
            "",
            "Forgot",
            "forgot_password",
            "-a",
            "a-",
            "2fa",
            "パスワード",
            "a b",
        ] {
            assert!(EntryId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
