//! The one piece of markup the knowledge base uses, `[text](url)` links: read in one place,
//! rendered as plain text here and in each channel's own markup through [`render`].

/// `[text](url)` links as `text (url)`, for places that show no markup.
pub fn plain_links(text: &str) -> String {
    rewrite_links(text, |label, url| format!("{label} ({url})"))
}

/// `text` with each `[label](url)` link replaced by what `rewrite` makes of it.
fn rewrite_links<F>(text: &str, rewrite: F) -> String
where
    F: Fn(&str, &str) -> String,
{
    render(
        text,
        |out, plain| out.push_str(plain),
        |out, label, url| out.push_str(&rewrite(label, url)),
    )
}

/// `[text](url)` links as their text alone.
pub fn link_labels(text: &str) -> String {
    rewrite_links(text, |label, _| label.to_owned())
}

/// `text` rendered for a channel: `text` writes the plain stretches (escaping what the
/// platform would read as markup), `link` writes each `[label](url)` link. Anything that only
/// looks like a link is plain text.
pub fn render<T, L>(text: &str, mut plain: T, mut link: L) -> String
where
    T: FnMut(&mut String, &str),
    L: FnMut(&mut String, &str, &str),
{
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        plain(&mut out, &rest[..open]);
        match split_link(&rest[open..]) {
            Some((label, url, after)) => {
                link(&mut out, label, url);
                rest = after;
            }
            None => {
                plain(&mut out, "[");
                rest = &rest[open + 1..];
            }
        }
    }
    plain(&mut out, rest);
    out
}

/// `[label](url)rest` into its parts, as the knowledge base writes links: a label on one line
/// without brackets, and an address without blanks.
fn split_link(text: &str) -> Option<(&str, &str, &str)> {
    let close = text.find("](")?;
    let end = close + text[close..].find(')')?;
    let label = &text[1..close];
    let url = &text[close + 2..end];
    let well_formed = !label.is_empty()
        && !label.contains(['\n', '[', ']'])
        && !url.is_empty()
        && !url.contains(char::is_whitespace);
    well_formed.then_some((label, url, &text[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_label_and_address() {
        assert_eq!(
            plain_links("See [PAO](https://example.com/pao) or [x] (y)."),
            "See PAO (https://example.com/pao) or [x] (y)."
        );
        assert_eq!(plain_links("[a](b) [c](d)"), "a (b) c (d)");
        assert_eq!(plain_links("[x] text [y](u)"), "[x] text y (u)");
        assert_eq!(plain_links("[](u) [a](b c)"), "[](u) [a](b c)");
    }
}
