//! Temporary passcodes: the secret a site contact uses on first access. The value is kept in
//! a [`SecretString`], so it is zeroed when dropped and never shown by `Debug`; there is no
//! `Display` on purpose.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

/// A temporary passcode, as issued or as typed by a customer.
#[derive(Clone)]
pub struct Passcode(SecretString);

/// Why a text cannot be a passcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a passcode is the {LENGTH}-character code from the site's letter")]
pub struct PasscodeError;

/// Capitals and digits without the look-alikes 0/O, 1/I/L: easy to read out and type.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 31^10, about 2^49.5 codes: far beyond what the lockout lets anyone guess online.
const LENGTH: usize = 10;
/// Longer input is certainly not a passcode; bounding it bounds the hashing work.
const MAX_INPUT: usize = 64;

impl Passcode {
    /// A new passcode from the thread-local CSPRNG (ChaCha, seeded by the operating system).
    pub fn generate() -> Passcode {
        let mut rng = rand::rng();
        let code: String = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        Passcode(SecretString::from(code))
    }

    /// Reads a passcode as a customer types it: full-width letters, lower case, spaces and
    /// hyphens are forgiven. Whether it is the right one is for the service to say.
    pub fn parse(input: &str) -> Result<Passcode, PasscodeError> {
        let code: String = input
            .nfkc()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        if code.is_empty() || code.len() > MAX_INPUT {
            return Err(PasscodeError);
        }
        Ok(Passcode(SecretString::from(code)))
    }

    /// Whether `candidate` is shaped like an issued passcode: [`LENGTH`] characters of the
    /// passcode alphabet, in either case. Only such a token can be one, so only such a token
    /// is checked, and masked wherever a person's text is kept.
    pub fn fits_shape(candidate: &str) -> bool {
        candidate.len() == LENGTH
            && candidate
                .bytes()
                .all(|b| ALPHABET.contains(&b.to_ascii_uppercase()))
    }

    /// The code itself, for the hash and for showing it once to whoever it was issued to.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode([REDACTED])")
    }
}

impl FromStr for Passcode {
    type Err = PasscodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Passcode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_the_friendly_alphabet() {
        let code = Passcode::generate();
        assert_eq!(code.expose_secret().len(), LENGTH);
        assert!(code.expose_secret().bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(code.expose_secret(), Passcode::generate().expose_secret());
    }

    #[test]
    fn typing_slips_are_forgiven() {
        let code = Passcode::parse(" abcde-fghjk ").unwrap();
        assert_eq!(code.expose_secret(), "ABCDEFGHJK");
        assert_eq!(Passcode::parse("ＡＢＣ").unwrap().expose_secret(), "ABC");
    }

    #[test]
    fn only_the_issued_shape_fits() {
        assert!(Passcode::fits_shape(Passcode::generate().expose_secret()));
        assert!(Passcode::fits_shape("rd22e43maz"));
        for other in [
            "RD22E43MA",
            "RD22E43MAZZ",
            "RD22E43MA0",
            "understood",
            "RD22E-43MA",
        ] {
            assert!(!Passcode::fits_shape(other), "{other}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let code = Passcode::parse("SECRETCODE").unwrap();
        assert!(!format!("{code:?}").contains("SECRETCODE"));
    }
}
