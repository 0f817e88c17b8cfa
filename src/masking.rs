//! What is never kept of what a person types: every token shaped like a passcode, and every
//! e-mail address, is found and replaced by a mask before the text is stored, reported or
//! logged.
//!
//! The text is looked at folded: NFKC (so full-width letters and digits count) and without
//! invisible format characters (a zero-width space inside a code does not hide it). A token
//! is a run of ASCII letters, digits and hyphens, so the quotes, brackets, punctuation and
//! Japanese around it do not hide it either. A code typed in parts with blanks between
//! (`RD22E 43MAZ`) counts when its parts hold a digit or are all capitals, so that a few
//! ordinary words in a row are not taken for one.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::domain::Passcode;

/// What a passcode-shaped token becomes.
pub const PASSCODE_MASK: &str = "[passcode]";
/// What an e-mail address becomes.
pub const EMAIL_MASK: &str = "[e-mail]";

/// A code typed in parts has at most this many.
const MAX_PARTS: usize = 4;

/// `text` with every passcode-shaped token and every e-mail address masked; `text` as it is
/// when it holds neither.
pub fn mask(text: &str) -> String {
    let chars = folded(text);
    let emails = emails(&chars);
    let codes: Vec<_> = passcodes(&chars)
        .into_iter()
        .filter(|(range, _)| !emails.iter().any(|(e, _)| overlaps(e, range)))
        .map(|(range, _)| (range, PASSCODE_MASK))
        .collect();
    rebuilt(text, &chars, emails.into_iter().chain(codes).collect())
}

/// `text` with every passcode-shaped token masked, e-mail addresses left: for the log, where
/// an operator may need to see whose action failed.
pub fn mask_passcodes(text: &str) -> String {
    let chars = folded(text);
    let found = passcodes(&chars)
        .into_iter()
        .map(|(range, _)| (range, PASSCODE_MASK))
        .collect();
    rebuilt(text, &chars, found)
}

/// The passcode-shaped tokens of `text`, each once, upper-cased and without hyphens.
pub fn passcodes_in(text: &str) -> Vec<Passcode> {
    let mut codes: Vec<String> = Vec::new();
    for (_, code) in passcodes(&folded(text)) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
        .iter()
        .filter_map(|code| Passcode::parse(code).ok())
        .collect()
}

fn folded(text: &str) -> Vec<char> {
    text.nfkc()
        .filter(|&c| c.general_category() != GeneralCategory::Format)
        .collect()
}

/// A run of token characters: where it is, its letters and digits upper-cased, and whether
/// it was typed in capitals.
struct Run {
    range: Range<usize>,
    code: String,
    capitals: bool,
}

fn runs(chars: &[char]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // A terminal's colour code (ESC [ 2 m) is no part of the token after it.
        if chars[i] == '\u{1b}' {
            i += 1;
            while i < chars.len() && !chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            i += 1;
            continue;
        }
        if !is_token_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_token_char(chars[i]) {
            i += 1;
        }
        let part = &chars[start..i];
        runs.push(Run {
            range: start..i,
            code: part
                .iter()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(char::to_ascii_uppercase)
                .collect(),
            capitals: !part.iter().any(char::is_ascii_lowercase),
        });
    }
    runs
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Where the passcode-shaped tokens are, with the code each one spells.
fn passcodes(chars: &[char]) -> Vec<(Range<usize>, String)> {
    let runs = runs(chars);
    let mut found = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        if Passcode::fits_shape(&runs[i].code) {
            found.push((runs[i].range.clone(), runs[i].code.clone()));
            i += 1;
            continue;
        }
        let mut code = runs[i].code.clone();
        let mut capitals = runs[i].capitals;
        let mut matched = None;
        for j in i + 1..runs.len().min(i + MAX_PARTS) {
            let gap = &chars[runs[j - 1].range.end..runs[j].range.start];
            if !gap.iter().all(|c| c.is_whitespace()) || code.len() >= 10 {
                break;
            }
            code.push_str(&runs[j].code);
            capitals &= runs[j].capitals;
            let digit = code.bytes().any(|b| b.is_ascii_digit());
            if Passcode::fits_shape(&code) && (digit || capitals) {
                matched = Some(j);
                break;
            }
        }
        match matched {
            Some(j) => {
                found.push((runs[i].range.start..runs[j].range.end, code));
                i = j + 1;
            }
            None => i += 1,
        }
    }
    found
}

/// Where the e-mail addresses are: a local part, `@`, and a domain with a dot.
fn emails(chars: &[char]) -> Vec<(Range<usize>, &'static str)> {
    let mut found: Vec<(Range<usize>, &'static str)> = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        if found.iter().any(|(range, _)| range.contains(&at)) {
            continue;
        }
        let mut start = at;
        while start > 0 && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len()
            && (chars[end].is_ascii_alphanumeric() || matches!(chars[end], '.' | '-'))
        {
            end += 1;
        }
        // The full stop ending a sentence is not part of the address.
        while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        if start < at && chars[at + 1..end].contains(&'.') {
            found.push((start..end, EMAIL_MASK));
        }
    }
    found
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&*+/=?^_`{|}~.-".contains(c)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// The folded `chars` with the `found` ranges masked; `original` when nothing was found, so
/// that text without secrets keeps its every character.
fn rebuilt(original: &str, chars: &[char], mut found: Vec<(Range<usize>, &str)>) -> String {
    if found.is_empty() {
        return original.to_owned();
    }
    found.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(original.len());
    let mut next = 0;
    for (range, mask) in found {
        out.extend(&chars[next..range.start]);
        out.push_str(mask);
        next = range.end;
    }
    out.extend(&chars[next..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "RD22E43MAZ";

    #[test]
    fn every_typed_form_of_a_code_is_masked() {
        for typed in [
            "RD22E43MAZ",
            "RD22E43MAZ.",
            "「RD22E43MAZ」",
            "\"RD22E43MAZ\"",
            "the code is RD22E43MAZ",
            "rd22e43maz",
            "ＲＤ２２Ｅ４３ＭＡＺ",
            "コードはRD22E43MAZです",
            "RD22E-43MAZ",
            "RD22E 43MAZ please",
            "RD22\u{200B}E43MAZ",
            "(RD22E43MAZ)!",
            "\u{1b}[2mRD22E43MAZ\u{1b}[0m",
        ] {
            let masked = mask(typed);
            assert!(masked.contains(PASSCODE_MASK), "{typed:?} -> {masked:?}");
            assert!(
                !masked.to_uppercase().contains("43MAZ"),
                "{typed:?} -> {masked:?}"
            );
        }
    }

    #[test]
    fn text_without_secrets_is_kept_as_typed() {
        for text in [
            "how do I sign in to PAO?",
            "what are the user limits",
            "パスワードを忘れました",
            "site 1234567",
            "ＰＡＯ　ログイン",
        ] {
            assert_eq!(mask(text), text);
        }
    }

    #[test]
    fn e_mail_addresses_are_masked_but_not_in_the_log() {
        let text = "my ID is Taro.Yamada@example.co.jp. Help!";
        assert_eq!(mask(text), "my ID is [e-mail]. Help!");
        assert_eq!(mask("ID：taro＠example.comです"), "ID:[e-mail]です");
        assert_eq!(mask_passcodes(text), text);
        assert_eq!(mask("a @ sign"), "a @ sign");
    }

    #[test]
    fn the_codes_typed_are_found_once_each() {
        let found = passcodes_in("「rd22e43maz」 or RD22E-43MAZ?");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].expose_secret(), CODE);
        assert!(passcodes_in("the code is P.").is_empty());
        assert_eq!(passcodes_in("RD22E43MAZ ABCDEFGHJK").len(), 2);
    }
}
