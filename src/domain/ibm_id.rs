//! IBM IDs: the e-mail addresses customers sign in to the portal with.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// An IBM ID, trimmed and case-folded, so that two spellings of one address compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IbmId(String);

/// Why a text is not an IBM ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an IBM ID is the e-mail address you registered with IBM, such as taro@example.co.jp")]
pub struct IbmIdError;

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
        if folded.len() > MAX_LEN || folded.chars().any(|c| c.is_whitespace() || invisible(c)) {
            return Err(IbmIdError);
        }
        let Some((local, domain)) = folded.split_once('@') else {
            return Err(IbmIdError);
        };
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            return Err(IbmIdError);
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
            assert_eq!(IbmId::parse(bad), Err(IbmIdError), "{bad:?}");
        }
        let folded = IbmId::parse("ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏｍ").unwrap();
        assert_eq!(folded.as_str(), "taro@example.com");
    }

    #[test]
    fn non_addresses_are_refused() {
        for bad in [
            "",
            "taro",
            "@example.com",
            "taro@",
            "taro@example",
            "ta ro@x.jp",
            "a@b@c.jp",
        ] {
            assert!(IbmId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
