//! Adds an example to a YAML file of `faq/` as one new line of text, after the last item of
//! the list it belongs to: the file's comments, order and layout stay as they are, and the
//! change reads as a one-line diff.

use crate::lang::Lang;

/// Why an example could not be placed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlaceError {
    #[error("no `examples:` with a `{0}:` list written one item a line")]
    NoList(Lang),
}

/// `text` with `example` added as the last item of the block list `examples:` / `LANG:`.
pub fn add_example(text: &str, lang: Lang, example: &str) -> Result<String, PlaceError> {
    let lines: Vec<&str> = text.lines().collect();
    let examples = lines
        .iter()
        .position(|line| line.trim_end() == "examples:")
        .ok_or(PlaceError::NoList(lang))?;
    let key = format!("{lang}:");
    let list = lines[examples + 1..]
        .iter()
        .take_while(|line| line.is_empty() || line.starts_with(' ') || line.starts_with('#'))
        .position(|line| line.trim() == key)
        .map(|at| examples + 1 + at)
        .ok_or(PlaceError::NoList(lang))?;
    let mut last_item = None;
    for (at, line) in lines.iter().enumerate().skip(list + 1) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("- ") {
            last_item = Some((at, line.len() - trimmed.len()));
        } else if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            break;
        }
    }
    let (at, indent) = last_item.ok_or(PlaceError::NoList(lang))?;
    let mut out: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    out.insert(
        at + 1,
        format!("{}- {}", " ".repeat(indent), scalar(example)),
    );
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

/// `text` as a YAML scalar on one line: plain when YAML reads it back as the same string,
/// double-quoted otherwise.
fn scalar(text: &str) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    let plain = serde_yaml::from_str::<String>(&one_line).is_ok_and(|read| read == one_line)
        && !one_line.contains(": ")
        && !one_line.contains(" #");
    if plain {
        one_line
    } else {
        serde_json::to_string(&one_line).expect("a string always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "\
id: x
# a comment kept
examples:
  ja:
    - ログアウト
    # between items
    - サインアウト
  en:
    - log out
related: [y]
";

    #[test]
    fn the_example_is_one_new_line_after_its_list() {
        let en = add_example(ENTRY, Lang::En, "sign me off").unwrap();
        assert_eq!(
            en,
            ENTRY.replace("    - log out\n", "    - log out\n    - sign me off\n")
        );
        let ja = add_example(ENTRY, Lang::Ja, "サインオフ").unwrap();
        assert_eq!(
            ja,
            ENTRY.replace(
                "    - サインアウト\n",
                "    - サインアウト\n    - サインオフ\n"
            )
        );
    }

    #[test]
    fn text_yaml_would_misread_is_quoted() {
        let out = add_example(ENTRY, Lang::En, "error: code #5").unwrap();
        assert!(out.contains("    - \"error: code #5\"\n"), "{out}");
        let out = add_example(ENTRY, Lang::En, "yes").unwrap();
        assert!(out.contains("    - yes\n") || out.contains("    - \"yes\"\n"));
        let read: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(read["examples"]["en"][1], "yes");
    }

    #[test]
    fn a_file_without_the_list_is_refused() {
        assert_eq!(
            add_example("id: x\n", Lang::En, "a"),
            Err(PlaceError::NoList(Lang::En))
        );
    }
}
