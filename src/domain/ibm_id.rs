//! IBM IDs: the e-mail addresses customers sign in to the portal with.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// An IBM ID, trimmed and case-folded, so that two spellings of one address compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IbmId(String);

/// Why a text is not an IBM ID: each says what is wrong, so that the customer can mend it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IbmIdError {
    #[error("an IBM ID is an e-mail address such as taro@example.co.jp: this has no @")]
    NoAt,
    #[error("an IBM ID has one @, not several")]
    SeveralAts,
    #[error("an IBM ID has a name before the @, such as taro in taro@example.co.jp")]
    NoLocalPart,
    #[error("an IBM ID has a domain after the @, such as example.co.jp")]
    NoDomain,
    #[error("an IBM ID has no spaces in it")]
    Blank,
    #[error("an IBM ID has no invisible characters in it")]
    Invisible,
    #[error("an IBM ID is at most 254 characters long")]
    TooLong,
}

/// The longest address SMTP allows.
const MAX_LEN: usize = 254;

impl IbmId {
    /// Parses an e-mail address: full-width characters are folded (Japanese keyboards type
    /// ＠), blanks around it dropped, and case folded for comparison. An address holding an
    /// invisible character (a control or format character: zero-width space, bidi override)
    /// is refused, since it would look like another address, or like none.
    pub fn parse(input: &str) -> Result<IbmId, IbmIdError> {
        let folded: String = input.trim().nfkc().flat_map(char::to_lowercase).collect();
        let invisible = |c: char| c.is_control() || c.general_category() == GeneralCategory::Format;
        if folded.len() > MAX_LEN {
            return Err(IbmIdError::TooLong);
        }
        if folded.chars().any(invisible) {
            return Err(IbmIdError::Invisible);
        }
        let Some((local, domain)) = folded.split_once('@') else {
            return Err(IbmIdError::NoAt);
        };
        if domain.contains('@') {
            return Err(IbmIdError::SeveralAts);
        }
        if folded.chars().any(char::is_whitespace) {
            return Err(IbmIdError::Blank);
        }
        if local.is_empty() {
            return Err(IbmIdError::NoLocalPart);
        }
        // A domain has a dot and no empty label: `example` or `example..jp` is not one.
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(IbmIdError::NoDomain);
        }
        Ok(IbmId(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_value!(IbmId, IbmIdError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_case_folded() {
        let a = IbmId::parse("  Taro.Yamada@Example.CO.JP ").unwrap();
        let b = IbmId::parse("taro.yamada＠example.co.jp").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "taro.yamada@example.co.jp");
    }

    #[test]
    fn invisible_characters_are_refused() {
        for bad in [
            "taro\u{200B}@example.com",
            "evil\u{202E}gro.mbi@example.com",
            "taro@exa\u{2066}mple.com",
            "taro\u{AD}@example.com",
            "taro\u{7}@example.com",
        ] {
            assert_eq!(IbmId::parse(bad), Err(IbmIdError::Invisible), "{bad:?}");
        }
        let folded = IbmId::parse("ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏｍ").unwrap();
        assert_eq!(folded.as_str(), "taro@example.com");
    }

    #[test]
    fn non_addresses_are_refused_with_what_is_wrong() {
        for (bad, why) in [
            ("", IbmIdError::NoAt),
            ("taro", IbmIdError::NoAt),
            ("@example.com", IbmIdError::NoLocalPart),
            ("taro@", IbmIdError::NoDomain),
            ("taro@example", IbmIdError::NoDomain),
            ("taro@example..jp", IbmIdError::NoDomain),
            ("ta ro@x.jp", IbmIdError::Blank),
            ("a@b@c.jp", IbmIdError::SeveralAts),
        ] {
            assert_eq!(IbmId::parse(bad), Err(why), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(IbmId::parse(&long), Err(IbmIdError::TooLong));
    }
}
