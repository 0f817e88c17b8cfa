//! The engine's replies as Telegram shows them: text as HTML (`parse_mode` HTML) with the
//! knowledge base's `[label](url)` links as real links, buttons as inline keyboards, and a
//! pressed message showing the choice made.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardButtonKind, InlineKeyboardMarkup};

use crate::conversation::{Button, ButtonAction};
use crate::markup;

/// Payload buttons with labels up to this many characters ("Yes", "承認") share a row, up to
/// [`PER_ROW`]; longer ones (questions, "did you mean" picks) get a row each, where Telegram
/// shows them whole.
const SHORT_LABEL: usize = 12;
const PER_ROW: usize = 3;

/// `text` as Telegram HTML: each `[label](url)` link becomes `<a href="url">label</a>`, and
/// everything else is escaped. A link to anything but a web or `tg:` address is written out
/// as `label (url)`, since Telegram would refuse the whole message.
pub(super) fn html(text: &str) -> String {
    markup::render(text, escape_into, |out, label, url| {
        if is_linkable(url) {
            out.push_str("<a href=\"");
            escape_attribute_into(out, url);
            out.push_str("\">");
            escape_into(out, label);
            out.push_str("</a>");
        } else {
            escape_into(out, &format!("{label} ({url})"));
        }
    })
}

/// Whether Telegram accepts `url` in a link or a URL button.
fn is_linkable(url: &str) -> bool {
    ["https://", "http://", "tg://"].iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

/// Telegram's HTML escapes: `<`, `>` and `&`.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The escapes of an attribute value in double quotes.
fn escape_attribute_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            c => escape_into(out, c.encode_utf8(&mut [0; 4])),
        }
    }
}

/// The inline keyboard of `buttons`, `None` when there are none. A link button Telegram
/// would refuse (not a web address) is left out rather than losing the whole message.
pub(super) fn keyboard(buttons: &[Button]) -> Option<InlineKeyboardMarkup> {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    let mut row_is_short = false;
    for button in buttons {
        let (rendered, short) = match &button.action {
            ButtonAction::Payload(payload) => (
                InlineKeyboardButton::callback(&button.label, payload),
                button.label.chars().count() <= SHORT_LABEL,
            ),
            ButtonAction::Link(url) => {
                let parsed = if is_linkable(url) {
                    url.parse().ok()
                } else {
                    None
                };
                let Some(parsed) = parsed else {
                    tracing::warn!(%url, "a link button Telegram would refuse left out");
                    continue;
                };
                (InlineKeyboardButton::url(&button.label, parsed), false)
            }
        };
        match rows.last_mut() {
            Some(row) if short && row_is_short && row.len() < PER_ROW => row.push(rendered),
            _ => {
                rows.push(vec![rendered]);
                row_is_short = short;
            }
        }
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// A pressed message's text (already HTML) with the choice under it.
pub(super) fn with_choice(html_text: &str, label: &str) -> String {
    let mut out = String::with_capacity(html_text.len() + label.len() + 16);
    out.push_str(html_text.trim_end());
    out.push_str("\n\n<i>» ");
    escape_into(&mut out, label);
    out.push_str("</i>");
    out
}

/// The label of the button of `markup` that sends `data`.
pub(super) fn label_of<'a>(markup: &'a InlineKeyboardMarkup, data: &str) -> Option<&'a str> {
    markup
        .inline_keyboard
        .iter()
        .flatten()
        .find(|button| {
            matches!(&button.kind, InlineKeyboardButtonKind::CallbackData(sent) if sent == data)
        })
        .map(|button| button.text.as_str())
}

/// What stays of `markup` once one of its buttons was pressed: the links, which still lead
/// somewhere; the other buttons are spent.
pub(super) fn links_only(markup: &InlineKeyboardMarkup) -> InlineKeyboardMarkup {
    let rows: Vec<Vec<InlineKeyboardButton>> = markup
        .inline_keyboard
        .iter()
        .map(|row| {
            row.iter()
                .filter(|button| matches!(button.kind, InlineKeyboardButtonKind::Url(_)))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    InlineKeyboardMarkup::new(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_the_rest_is_escaped() {
        assert_eq!(
            html("See [PAO & you](https://example.com/a?b=1&c=\"2\") <now>."),
            "See <a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\">PAO &amp; you</a> \
             &lt;now&gt;."
        );
        assert_eq!(html("[a](https://x.jp)[b](https://y.jp)"), {
            "<a href=\"https://x.jp\">a</a><a href=\"https://y.jp\">b</a>"
        });
    }

    #[test]
    fn brackets_that_are_not_links_stay_text() {
        assert_eq!(
            html("[パスワードを忘れたとき] から [x] (y) [z](has space)"),
            "[パスワードを忘れたとき] から [x] (y) [z](has space)"
        );
        assert_eq!(
            html("[a] then [b](https://b.jp)"),
            "[a] then <a href=\"https://b.jp\">b</a>"
        );
        assert_eq!(html("[unclosed"), "[unclosed");
        assert_eq!(html("a ["), "a [");
    }

    #[test]
    fn links_telegram_refuses_are_written_out() {
        assert_eq!(
            html("[mail us](mailto:desk@example.com)"),
            "mail us (mailto:desk@example.com)"
        );
    }

    #[test]
    fn short_choices_share_a_row_and_long_ones_and_links_get_their_own() {
        let buttons = [
            Button::payload("この手続きをボットと進める", "start:x"),
            Button::payload("はい", "fb:1:y"),
            Button::payload("いいえ", "fb:1:n"),
            Button::link("eCustomer Care", "https://www.ibm.com/contact"),
            Button::link("broken", "not a url"),
        ];
        let markup = keyboard(&buttons).unwrap();
        let labels: Vec<Vec<&str>> = markup
            .inline_keyboard
            .iter()
            .map(|row| row.iter().map(|b| b.text.as_str()).collect())
            .collect();
        assert_eq!(
            labels,
            [
                vec!["この手続きをボットと進める"],
                vec!["はい", "いいえ"],
                vec!["eCustomer Care"]
            ]
        );
        assert!(keyboard(&[]).is_none());
    }

    #[test]
    fn a_press_keeps_the_links_and_names_the_choice() {
        let markup = keyboard(&[
            Button::payload("Yes", "fb:1:y"),
            Button::payload("No", "fb:1:n"),
            Button::link("Help", "https://example.com"),
        ])
        .unwrap();
        assert_eq!(label_of(&markup, "fb:1:n"), Some("No"));
        assert_eq!(label_of(&markup, "fb:9:n"), None);
        let left = links_only(&markup);
        assert_eq!(left.inline_keyboard.len(), 1);
        assert_eq!(left.inline_keyboard[0][0].text, "Help");
        assert_eq!(
            with_choice("Did this help?\n", "No <really>"),
            "Did this help?\n\n<i>» No &lt;really&gt;</i>"
        );
    }
}
