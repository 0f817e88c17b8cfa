//! Passport Advantage site numbers: 7 digits, often typed with a leading 0.

use unicode_normalization::UnicodeNormalization;

/// A Passport Advantage (or Express) site number: exactly 7 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteNumber(String);

/// Why a text is not a site number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a site number is 7 digits, such as 1234567 (an 8-digit number that starts with 0 is \
     accepted without the 0)"
)]
pub struct SiteNumberError;

impl SiteNumber {
    /// Parses a site number as customers type it: surrounding blanks and full-width digits
    /// are accepted, and the leading 0 of an 8-digit number is dropped, as the portal asks.
    pub fn parse(input: &str) -> Result<SiteNumber, SiteNumberError> {
        let folded: String = input.trim().nfkc().collect();
        if !folded.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SiteNumberError);
        }
        let digits = match folded.len() {
            7 => folded.as_str(),
            8 if folded.starts_with('0') => &folded[1..],
            _ => return Err(SiteNumberError),
        };
        // No site is numbered 0000000: that is a placeholder, or a probe.
        if digits.bytes().all(|b| b == b'0') {
            return Err(SiteNumberError);
        }
        Ok(SiteNumber(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_value!(SiteNumber, SiteNumberError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_digits_are_a_site_number() {
        assert_eq!(SiteNumber::parse(" 1234567 ").unwrap().as_str(), "1234567");
    }

    #[test]
    fn a_leading_zero_of_eight_digits_is_dropped() {
        assert_eq!(SiteNumber::parse("01234567").unwrap().as_str(), "1234567");
    }

    #[test]
    fn full_width_digits_are_folded() {
        assert_eq!(
            SiteNumber::parse("１２３４５６７").unwrap().as_str(),
            "1234567"
        );
    }

    #[test]
    fn anything_else_is_refused_with_what_a_site_number_looks_like() {
        for bad in [
            "123456",
            "12345678",
            "123456a",
            "",
            "012345678",
            "+123456",
            "1 234567",
            "0000000",
            "00000000",
            "０００００００",
        ] {
            let error = SiteNumber::parse(bad).unwrap_err();
            assert!(error.to_string().contains("7 digits"), "{bad:?}");
        }
    }
}
