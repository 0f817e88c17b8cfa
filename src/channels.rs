//! Where messages come from and replies go. Each channel turns its platform's messages into
//! the engine's [`Incoming`](crate::conversation::Incoming) and renders the engine's replies
//! its own way; none holds business logic.

pub mod console;
pub mod discord;
pub mod telegram;
pub mod web;

/// `text` in pieces of at most `max`, as `len` measures a character (platforms count in
/// characters or in UTF-16 units), each cut after a line where one ends in reach: a reply too
/// long for one message goes as several. Always at least one piece.
fn split_lines<F>(text: &str, max: usize, len: F) -> Vec<String>
where
    F: Fn(char) -> usize,
{
    let mut chunks = Vec::new();
    let mut rest = text;
    loop {
        let mut used = 0;
        let cut = rest.char_indices().find_map(|(at, c)| {
            used += len(c);
            (used > max).then_some(at)
        });
        let Some(cut) = cut else {
            break;
        };
        let at = match rest[..cut].rfind('\n') {
            Some(newline) if newline > 0 => newline + 1,
            _ => cut,
        };
        chunks.push(rest[..at].trim_end().to_owned());
        rest = rest[at..].trim_start_matches('\n');
    }
    chunks.push(rest.to_owned());
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(_: char) -> usize {
        1
    }

    #[test]
    fn long_texts_are_cut_after_a_line() {
        let text = format!("{}\n{}", "a".repeat(1500), "b".repeat(1000));
        assert_eq!(
            split_lines(&text, 2000, one),
            vec!["a".repeat(1500), "b".repeat(1000)]
        );
        let chunks = split_lines(&"あ".repeat(4500), 2000, one);
        let lengths: Vec<usize> = chunks.iter().map(|c| c.chars().count()).collect();
        assert_eq!(lengths, vec![2000, 2000, 500]);
        assert_eq!(split_lines("", 2000, one), vec![String::new()]);
        assert_eq!(split_lines("short\ntext", 2000, one), vec!["short\ntext"]);
    }

    #[test]
    fn characters_are_measured_as_the_platform_counts_them() {
        // An emoji is two UTF-16 units, as Telegram counts.
        let chunks = split_lines(&"😀".repeat(3000), 4096, char::len_utf16);
        let lengths: Vec<usize> = chunks.iter().map(|c| c.chars().count()).collect();
        assert_eq!(lengths, vec![2048, 952]);
    }
}
