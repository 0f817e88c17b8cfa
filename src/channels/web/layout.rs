//! What every page's `<head>` holds, the chat's and the desk's: the character set, the
//! viewport that makes it readable on a phone, the title, the stylesheet and the script.

use maud::{Markup, html};

/// The `<head>` of a page titled `title`, styled by `stylesheet`, running `script` if any.
pub(super) fn head(title: &str, stylesheet: &str, script: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            link rel="stylesheet" href=(stylesheet);
            @if let Some(script) = script {
                script src=(script) defer {}
            }
        }
    }
}
