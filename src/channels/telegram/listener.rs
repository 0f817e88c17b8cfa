//! teloxide's update listeners, with the updates teloxide could not read taken out before
//! they reach the dispatcher, which would log them whole: their text may be a passcode.

use std::future;

use futures::stream::{BoxStream, StreamExt};
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

/// A listener whose unreadable updates are logged by id and skipped.
pub(super) struct SkipMalformed<L>(L);

impl<L> SkipMalformed<L> {
    pub(super) fn new(listener: L) -> SkipMalformed<L> {
        SkipMalformed(listener)
    }
}

impl<L> UpdateListener for SkipMalformed<L>
where
    L: UpdateListener,
    L::Err: Send + 'static,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.0.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.0.hint_allowed_updates(hint);
    }
}

impl<'a, L> AsUpdateStream<'a> for SkipMalformed<L>
where
    L: AsUpdateStream<'a>,
    L::StreamErr: Send + 'a,
{
    type StreamErr = L::StreamErr;
    type Stream = BoxStream<'a, Result<Update, L::StreamErr>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        self.0
            .as_stream()
            .filter(|item| future::ready(readable(item)))
            .boxed()
    }
}

/// Whether an update can go on to the handlers. teloxide turns an update it cannot parse
/// (a field of an unexpected shape, a kind newer than it) into [`UpdateKind::Error`], keeping
/// its id so that polling moves past it.
fn readable<E>(item: &Result<Update, E>) -> bool {
    match item {
        Ok(update) if matches!(update.kind, UpdateKind::Error(_)) => {
            tracing::warn!(
                update = update.id.0,
                "an update teloxide cannot read skipped"
            );
            false
        }
        _ => true,
    }
}
