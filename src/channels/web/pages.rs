//! The web chat's HTML, by maud: the whole page, and the lines added to it, which the page's
//! script inserts as they come. Every button is a form that posts its payload, so the page
//! works without script.

use std::fmt::Write;

use maud::{DOCTYPE, Escaper, Markup, PreEscaped, html};

use crate::channels::web::history::{Line, Page, Speaker};
use crate::channels::web::layout::head;
use crate::conversation::ButtonAction;
use crate::knowledge::Messages;
use crate::lang::Lang;
use crate::markup::render;

/// Where messages are posted.
pub(super) const SEND: &str = "/chat";

/// The chat page for a browser whose page is `page`, in `lang`.
pub(super) fn chat(messages: &Messages, lang: Lang, page: &Page) -> Markup {
    let say = |sentence| messages.say(sentence, lang, &[]);
    let placeholder = say(&messages.web_placeholder);
    let passcode_placeholder = say(&messages.web_passcode_placeholder);
    let (kind, shown) = match page.awaiting_passcode {
        true => ("password", &passcode_placeholder),
        false => ("text", &placeholder),
    };
    let (other, other_name) = match lang {
        Lang::Ja => (Lang::En, "English"),
        Lang::En => (Lang::Ja, "日本語"),
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(&say(&messages.web_title), "/assets/chat.css", Some("/assets/chat.js")))
            body {
                header {
                    h1 { (say(&messages.web_title)) }
                    form.switch method="post" action=(SEND) data-reload {
                        input type="hidden" name="text" value={ "/lang " (other.code()) };
                        button type="submit" lang=(other.code()) { (other_name) }
                    }
                }
                main #log aria-live="polite" {
                    @for line in &page.lines {
                        (line_markup(line, page.current(line)))
                    }
                }
                form #ask method="post" action=(SEND)
                    data-placeholder=(placeholder) data-passcode-placeholder=(passcode_placeholder) {
                    input #text name="text" type=(kind) placeholder=(shown) aria-label=(shown)
                        autocomplete="off" maxlength="4096" required autofocus;
                    button type="submit" { (say(&messages.web_send)) }
                }
            }
        }
    }
}

/// `lines` as they are added to the page's log, their buttons live.
pub(super) fn lines(lines: &[Line]) -> Markup {
    html! {
        @for line in lines {
            (line_markup(line, true))
        }
    }
}

fn line_markup(line: &Line, buttons: bool) -> Markup {
    let class = match line.speaker {
        Speaker::Customer => "line customer",
        Speaker::Bot => "line bot",
    };
    html! {
        div class=(class) {
            p.text { (text(&line.text)) }
            @if buttons && !line.buttons.is_empty() {
                div.choices {
                    @for button in &line.buttons {
                        @match &button.action {
                            ButtonAction::Payload(payload) => {
                                form method="post" action=(SEND) {
                                    button type="submit" name="button" value=(payload) {
                                        (button.label)
                                    }
                                }
                            }
                            ButtonAction::Link(url) if safe(url) => {
                                a.link href=(url) target="_blank" rel="noopener" { (button.label) }
                            }
                            ButtonAction::Link(_) => {}
                        }
                    }
                }
            }
        }
    }
}

/// A reply's text with its `[label](url)` links as links; only web addresses are linked.
fn text(text: &str) -> Markup {
    let html = render(text, escape, |out, label, url| {
        if safe(url) {
            out.push_str("<a href=\"");
            escape(out, url);
            out.push_str("\" target=\"_blank\" rel=\"noopener\">");
            escape(out, label);
            out.push_str("</a>");
        } else {
            escape(out, label);
        }
    });
    PreEscaped(html)
}

fn escape(out: &mut String, text: &str) {
    let _ = Escaper::new(out).write_str(text);
}

fn safe(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_only_web_links_are_linked() {
        let shown = text("<b>&</b> [PAO](https://example.com/?a=1&b=\"2\") [x](javascript:alert)")
            .into_string();
        assert_eq!(
            shown,
            "&lt;b&gt;&amp;&lt;/b&gt; <a href=\"https://example.com/?a=1&amp;b=&quot;2&quot;\" \
             target=\"_blank\" rel=\"noopener\">PAO</a> x"
        );
    }
}
