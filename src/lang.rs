//! The two languages the bot speaks: telling which one a question is written in, and
//! holding a text in both.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language the bot answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// The language a question is written in, or `None` when it holds no letters at all
    /// (a bare number, emoji, punctuation).
    ///
    /// Japanese script weighs three times a Latin letter: one kana or kanji carries about as
    /// much as a short English word, and customers who write Japanese often mix in English
    /// product terms ("IBM IDを忘れた", "sign in画面").
    pub fn detect(text: &str) -> Option<Lang> {
        let (mut japanese, mut latin) = (0usize, 0usize);
        for c in text.chars() {
            if is_japanese(c) {
                japanese += 1;
            } else if c.is_alphabetic() {
                latin += 1;
            }
        }
        match (japanese, latin) {
            (0, 0) => None,
            (j, l) if j * 3 >= l => Some(Lang::Ja),
            _ => Some(Lang::En),
        }
    }

    /// The ISO 639-1 code, as used in the YAML and the JSON output.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is neither `ja` nor `en`.
#[derive(Debug, thiserror::Error)]
#[error("unknown language {0:?}: use ja or en")]
pub struct UnknownLang(String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" | "日本語" => Ok(Lang::Ja),
            "en" | "english" | "英語" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// Hiragana, katakana (full and half width), CJK ideographs and the iteration mark.
pub fn is_japanese(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'
        | '\u{3005}'
        | '\u{31f0}'..='\u{31ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{ff66}'..='\u{ff9f}')
}

/// A text in both languages; the knowledge base requires both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized<T = String> {
    pub ja: T,
    pub en: T,
}

impl<T> Localized<T> {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &T {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }

    /// Both texts with their language, Japanese first.
    pub fn iter(&self) -> impl Iterator<Item = (Lang, &T)> {
        [(Lang::Ja, &self.ja), (Lang::En, &self.en)].into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_japanese_even_with_english_terms_mixed_in() {
        assert_eq!(Lang::detect("IBM IDを忘れた"), Some(Lang::Ja));
        assert_eq!(Lang::detect("sign in画面が英語"), Some(Lang::Ja));
        assert_eq!(Lang::detect("ﾛｸﾞｲﾝできない"), Some(Lang::Ja));
        assert_eq!(Lang::detect("漢字"), Some(Lang::Ja));
    }

    #[test]
    fn detects_english_even_with_a_japanese_word_in_it() {
        assert_eq!(Lang::detect("forgot password"), Some(Lang::En));
        assert_eq!(
            Lang::detect("how do I switch the portal to 日本語"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::detect("ＦＯＲＧＯＴ ＰＡＳＳＷＯＲＤ"),
            Some(Lang::En)
        );
    }

    #[test]
    fn no_letters_means_no_language() {
        assert_eq!(Lang::detect("1234567 ?!"), None);
        assert_eq!(Lang::detect(""), None);
    }

    #[test]
    fn parses_codes_and_names() {
        assert_eq!("JA".parse::<Lang>().unwrap(), Lang::Ja);
        assert_eq!("english".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
    }
}
