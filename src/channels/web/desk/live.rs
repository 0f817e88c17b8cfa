//! `GET /desk/events`: the desk's server-sent events. The stream says `changed` whenever the
//! desk's [`Pulse`](crate::service::Pulse) moves (a nomination made or decided, a ticket
//! queued, taken, handed back or closed, a line added to a transcript), and the desk's script
//! then fetches the parts of its page marked live.
//!
//! It looks when the service wakes the outbox's loops: at once after every write of this
//! process, and, on PostgreSQL, after every outbox write of another process too (the replicas'
//! `LISTEN`/`NOTIFY` wakes the same loops), which covers every ticket's change and message;
//! and every [`CHECK_EVERY`] for what no wake-up reaches (another process's nomination, or
//! another process on the same SQLite file). A session signed out or removed ends the stream
//! at its next change.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use crate::channels::web::desk::Desk;
use crate::channels::web::desk::session::{self, Agent};
use crate::service::Pulse;

/// How often an open page's stream looks when nothing woke it.
pub(super) const CHECK_EVERY: Duration = Duration::from_secs(5);

/// What a stream keeps between events: the desk, the session it serves, the pulse last seen.
struct Watch {
    desk: Arc<Desk>,
    session: String,
    seen: Option<Pulse>,
}

pub(super) async fn events(
    State(desk): State<Arc<Desk>>,
    _agent: Agent,
    headers: HeaderMap,
) -> Response {
    let session = session::secret(&headers).unwrap_or_default().to_owned();
    let seen = desk.engine.service().pulse().await.ok();
    let watch = Watch {
        desk,
        session,
        seen,
    };
    let stream = futures::stream::unfold(watch, |mut watch| async move {
        loop {
            let engine = watch.desk.engine.clone();
            let mut woken = std::pin::pin!(engine.outbox_written().notified());
            woken.as_mut().enable();
            if let Ok(pulse) = engine.service().pulse().await
                && watch.seen != Some(pulse)
            {
                let first = watch.seen.is_none();
                watch.seen = Some(pulse);
                if !first {
                    if !still_signed_in(&watch).await {
                        return None;
                    }
                    let event = Event::default().event("changed").data("changed");
                    return Some((Ok::<_, Infallible>(event), watch));
                }
            }
            tokio::select! {
                () = woken => {}
                () = tokio::time::sleep(CHECK_EVERY) => {}
                () = watch.desk.shutdown.cancelled() => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Whether the stream's session is still a registered agent's.
async fn still_signed_in(watch: &Watch) -> bool {
    matches!(
        watch.desk.engine.service().web_agent(&watch.session).await,
        Ok(Some(_))
    )
}
