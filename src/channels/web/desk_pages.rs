//! The help desk's web pages, by maud: the sign-in confirmation a link opens, the refusals,
//! and the bare `/desk` page of a signed-in agent.

use maud::{DOCTYPE, Markup, html};

use crate::domain::ChatIdentity;
use crate::knowledge::Messages;
use crate::lang::Lang;

/// Where a sign-in link's secret is posted.
pub(super) const SIGN_IN: &str = "/desk/login";
/// Where a session ends.
pub(super) const SIGN_OUT: &str = "/desk/sign-out";

/// The page a sign-in link opens: one button that uses the link. Opening the link does not
/// use it, so that a chat app's link preview cannot spend it.
pub(super) fn confirm(messages: &Messages, lang: Lang, secret: &str) -> Markup {
    let say = |sentence| messages.say(sentence, lang, &[]);
    frame(
        messages,
        lang,
        html! {
            p { (say(&messages.desk_sign_in_intro)) }
            form method="post" action=(SIGN_IN) {
                input type="hidden" name="secret" value=(secret);
                button type="submit" { (say(&messages.desk_sign_in_button)) }
            }
        },
    )
}

/// A page that says one sentence: a refusal, or that the agent signed out.
pub(super) fn notice(messages: &Messages, lang: Lang, sentence: &str) -> Markup {
    frame(messages, lang, html! { p.notice { (sentence) } })
}

/// The desk's page for `agent`.
pub(super) fn desk(messages: &Messages, lang: Lang, agent: &ChatIdentity) -> Markup {
    let agent = agent.to_string();
    let signed_in = messages.say(&messages.desk_signed_in_as, lang, &[("agent", &agent)]);
    frame(
        messages,
        lang,
        html! {
            p { (signed_in) }
            form method="post" action=(SIGN_OUT) {
                button type="submit" { (messages.say(&messages.desk_sign_out, lang, &[])) }
            }
        },
    )
}

fn frame(messages: &Messages, lang: Lang, body: Markup) -> Markup {
    let title = messages.say(&messages.desk_title, lang, &[]);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/assets/chat.css";
            }
            body.desk {
                header { h1 { (title) } }
                main { (body) }
            }
        }
    }
}
