//! What each browser's page shows: its conversation, kept in this process's memory (the last
//! [`KEPT_LINES`] lines of each), whether the bot now waits for a passcode, and which buttons
//! are still to be pressed. What the customer typed is kept masked, and a message sent at the
//! passcode step not at all: a placeholder stands in its place.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use tokio::time::Instant;

use crate::conversation::{Button, ButtonAction, Reply};
use crate::domain::ChatIdentity;
use crate::lang::Lang;

/// The lines a page shows at most.
const KEPT_LINES: usize = 100;

/// Past this many browsers, the one unseen longest is forgotten.
const KEPT_BROWSERS: usize = 20_000;

/// Who said a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Speaker {
    Customer,
    Bot,
}

/// One line of a conversation as the page shows it.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) speaker: Speaker,
    pub(super) text: String,
    pub(super) buttons: Vec<Button>,
    /// The batch of lines it came in: only the latest batch's buttons are shown.
    batch: u64,
}

/// One browser's page.
#[derive(Debug, Clone, Default)]
pub(super) struct Page {
    pub(super) lines: VecDeque<Line>,
    pub(super) awaiting_passcode: bool,
    /// The language the conversation was last answered in, when this process answered it.
    lang: Option<Lang>,
    batch: u64,
}

impl Page {
    /// Whether `line`'s buttons may still be pressed.
    pub(super) fn current(&self, line: &Line) -> bool {
        line.batch == self.batch
    }
}

/// Every browser's page.
#[derive(Debug, Default)]
pub(super) struct Pages {
    pages: Mutex<HashMap<ChatIdentity, (Page, Instant)>>,
}

impl Pages {
    /// A copy of `identity`'s page as it is now.
    pub(super) fn page(&self, identity: &ChatIdentity) -> Page {
        self.pages()
            .get(identity)
            .map(|(page, _)| page.clone())
            .unwrap_or_default()
    }

    fn pages(&self) -> MutexGuard<'_, HashMap<ChatIdentity, (Page, Instant)>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `look` says of `identity`'s page, the page itself not copied.
    fn read<T, F>(&self, identity: &ChatIdentity, look: F) -> Option<T>
    where
        F: FnOnce(&Page) -> Option<T>,
    {
        self.pages().get(identity).and_then(|(page, _)| look(page))
    }

    /// The label of the button with `payload` among those `identity`'s page shows.
    pub(super) fn label(&self, identity: &ChatIdentity, payload: &str) -> Option<String> {
        self.read(identity, |page| {
            page.lines
                .iter()
                .rev()
                .flat_map(|line| &line.buttons)
                .find(|button| matches!(&button.action, ButtonAction::Payload(p) if p == payload))
                .map(|button| button.label.clone())
        })
    }

    /// Whether `identity`'s page waits for a passcode.
    pub(super) fn awaiting_passcode(&self, identity: &ChatIdentity) -> bool {
        self.read(identity, |page| Some(page.awaiting_passcode))
            .unwrap_or_default()
    }

    /// The language `identity`'s conversation was last answered in by this process.
    pub(super) fn lang(&self, identity: &ChatIdentity) -> Option<Lang> {
        self.read(identity, |page| page.lang)
    }

    /// Keeps `lang` as the language `identity`'s conversation was answered in.
    pub(super) fn answered_in(&self, identity: &ChatIdentity, lang: Lang) {
        if let Some((page, _)) = self.pages().get_mut(identity) {
            page.lang = Some(lang);
        }
    }

    /// Adds a batch of lines (the customer's, when given, then `replies`) and returns them.
    /// `awaiting_passcode` is kept when `None`.
    pub(super) fn add(
        &self,
        identity: &ChatIdentity,
        customer: Option<String>,
        replies: &[Reply],
        awaiting_passcode: Option<bool>,
    ) -> Vec<Line> {
        let mut pages = self.pages();
        if pages.len() >= KEPT_BROWSERS && !pages.contains_key(identity) {
            let oldest = pages
                .iter()
                .min_by_key(|(_, (_, seen))| *seen)
                .map(|(who, _)| who.clone());
            if let Some(oldest) = oldest {
                pages.remove(&oldest);
            }
        }
        let (page, seen) = pages
            .entry(identity.clone())
            .or_insert_with(|| (Page::default(), Instant::now()));
        *seen = Instant::now();
        page.batch += 1;
        let batch = page.batch;
        let said = customer.map(|text| Line {
            speaker: Speaker::Customer,
            text,
            buttons: Vec::new(),
            batch,
        });
        let answered = replies.iter().map(|reply| Line {
            speaker: Speaker::Bot,
            text: reply.text.clone(),
            buttons: reply.buttons.clone(),
            batch,
        });
        let added: Vec<Line> = said.into_iter().chain(answered).collect();
        page.lines.extend(added.iter().cloned());
        while page.lines.len() > KEPT_LINES {
            page.lines.pop_front();
        }
        if let Some(awaiting) = awaiting_passcode {
            page.awaiting_passcode = awaiting;
        }
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_batch_s_buttons_are_current_and_old_lines_go() {
        let pages = Pages::default();
        let who = ChatIdentity::parse("web:0123456789abcdef0123456789abcdef").unwrap();
        let offered = Reply::text("pick").with_buttons(vec![Button::payload("One", "entry:one")]);
        pages.add(&who, Some("hello".into()), &[offered], Some(false));
        assert_eq!(pages.label(&who, "entry:one").as_deref(), Some("One"));
        pages.add(&who, None, &[Reply::text("later")], None);
        let page = pages.page(&who);
        assert_eq!(page.lines.len(), 3);
        assert!(!page.current(&page.lines[1]) && page.current(&page.lines[2]));
        for n in 0..KEPT_LINES {
            pages.add(&who, Some(n.to_string()), &[], Some(true));
        }
        let page = pages.page(&who);
        assert_eq!(page.lines.len(), KEPT_LINES);
        assert!(page.awaiting_passcode);
        assert_eq!(page.lines[0].text, "0");
    }
}
