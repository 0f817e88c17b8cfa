//! The one piece of markup the knowledge base uses, `[text](url)` links, rendered for places
//! that show no markup.

/// `[text](url)` links as `text (url)`, for places that show no markup.
pub fn plain_links(text: &str) -> String {
    rewrite_links(text, |label, url| format!("{label} ({url})"))
}

/// `text` with each `[label](url)` link replaced by what `rewrite` makes of it.
fn rewrite_links<F>(text: &str, rewrite: F) -> String
where
    F: Fn(&str, &str) -> String,
{
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some((label, url, after)) = split_link(&rest[open..]) else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rewrite(label, url));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `[text](url)` links as their text alone.
pub fn link_labels(text: &str) -> String {
    rewrite_links(text, |label, _| label.to_owned())
}

/// `[label](url)rest` into its parts.
fn split_link(text: &str) -> Option<(&str, &str, &str)> {
    let close = text.find("](")?;
    let end = close + text[close..].find(')')?;
    let label = &text[1..close];
    let url = &text[close + 2..end];
    (!label.contains('\n') && !url.contains(char::is_whitespace)).then_some((
        label,
        url,
        &text[end + 1..],
    ))
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
    }
}
