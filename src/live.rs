//! The knowledge base while the bot serves: the one in use, replaced whole when its folder
//! changes. A new folder is loaded and self-tested ([`check::self_test`], what `pao-bot check`
//! enforces) before it is put in use; one with any problem is refused, and the one in use goes
//! on answering. A turn takes one [`snapshot`](LiveKnowledge::snapshot) and answers from it to
//! its end, so no message is answered half from the old folder and half from the new.
//!
//! What asks for a reload (file changes, SIGHUP, `pao-bot admin reload`) is in [`triggers`];
//! the database's reload requests in [`requests`].

pub mod requests;
pub mod triggers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::answer::Answerer;
use crate::check;
use crate::knowledge::Diagnostics;

/// The knowledge base in use, and how many times it was put in use.
#[derive(Debug)]
pub struct LiveKnowledge {
    current: ArcSwap<Answerer>,
    /// Sent on every swap, to whoever waits for one.
    version: watch::Sender<u64>,
    /// One reload at a time: two finishing out of order would put the older folder back.
    reloading: Mutex<()>,
}

/// Why a folder was not put in use.
#[derive(Debug, thiserror::Error)]
#[error("the knowledge base in {} is refused; the one in use goes on answering:\n{problems}", dir.display())]
pub struct Refused {
    pub dir: PathBuf,
    pub problems: Diagnostics,
}

impl LiveKnowledge {
    /// `bot` in use, as version 1.
    pub fn new(bot: Arc<Answerer>) -> LiveKnowledge {
        LiveKnowledge {
            current: ArcSwap::new(bot),
            version: watch::Sender::new(1),
            reloading: Mutex::new(()),
        }
    }

    /// The knowledge base in use now; a later reload does not change it.
    pub fn snapshot(&self) -> Arc<Answerer> {
        self.current.load_full()
    }

    /// How many times a knowledge base was put in use: 1 at start, one more per reload.
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// The version, which changes when a reload puts a folder in use.
    pub fn versions(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Loads and self-tests `dir`, and puts it in use when it has no problem; returns the new
    /// version. Takes as long as loading does (tens of milliseconds for the shipped folder):
    /// async callers run it on a blocking thread. Answering goes on meanwhile.
    pub fn reload(&self, dir: &Path) -> Result<u64, Refused> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let refused = |problems| Refused {
            dir: dir.to_owned(),
            problems,
        };
        let bot = Answerer::load(dir).map_err(refused)?;
        let conflicts = check::self_test(&bot, dir);
        if !conflicts.is_empty() {
            return Err(refused(conflicts));
        }
        self.current.store(Arc::new(bot));
        let version = self.version() + 1;
        self.version.send_replace(version);
        Ok(version)
    }
}
