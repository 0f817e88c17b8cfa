//! The engine's memory in the [`Database`]: conversation state, handled message ids, answers
//! with their feedback, unanswered questions and language preferences.
//!
//! A [`Turn`] is one message's visit: it reads everything the engine needs in one query (with
//! the sender's part in the help desk's tickets), buffers what the message changes, and writes
//! it all in one transaction at the end, so a message is either fully remembered (state,
//! handled id, answer, a relayed message) or not at all. On PostgreSQL the turn
//! also holds a transaction-scoped advisory lock on the conversation from the first read to
//! the commit, so two bot processes never interleave one person's messages.
//!
//! A turn may queue its replies in the outbox within that transaction ([`Turn::queue`]): on
//! PostgreSQL the turn claims them for its replica at once, unless an earlier message to
//! the same chat is still undelivered (they then go out after it, through the delivery
//! rounds), and [`Turn::finish`] returns the claimed ones for the replica to send.
//!
//! On SQLite a turn's read and write each go to a connection of the store's own, the write
//! as one batch, committed together with the other turns' that are ready at the same moment
//! ([`sqlite`]).
//!
//! [`Store::in_memory`] keeps the turns' reads and writes in this process's memory instead
//! ([`memory`]), to measure what the engine costs without them.

mod asked;
mod insight;
mod memory;
mod sqlite;
mod statistics;
mod summaries;
mod writes;

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Any, FromRow, Transaction};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::conversation::state::{ChatState, Flow};
use crate::database::{Backend, Database};
use crate::domain::{ChatIdentity, Timestamp};
use crate::lang::Lang;
use crate::policy::HANDLED_IDS_KEPT;
use crate::service::{MessageId, TicketId};

pub use insight::DayCounts;
pub use statistics::{Cleared, EntryStats, NotHelpedStats, Period, UnansweredStats};
pub use summaries::{Figures, GRACE_MS};

use writes::{Claim, Committer, statements, write_each};

/// Every this many turns, forget handled ids older than [`HANDLED_IDS_KEPT`].
const PRUNE_EVERY: u64 = 1000;
/// PostgreSQL turns hold a connection while the engine works; at most this many at once, so
/// that account actions always find a free connection in the pool.
const POSTGRES_TURNS: usize = 8;
/// SQLite: how many connections of its own the store keeps (see [`sqlite::Connections`]).
const SQLITE_OWN_CONNECTIONS: usize = 4;

/// The conversation store.
#[derive(Debug)]
pub struct Store {
    db: Database,
    /// PostgreSQL: the turns that may hold a connection at once.
    turns: Semaphore,
    /// SQLite: the connections the turns use.
    own: Arc<sqlite::Connections>,
    /// Turns read and write here instead of the database ([`Store::in_memory`]).
    memory: Option<memory::Memory>,
    finished: AtomicU64,
}

/// One message's read and write of a conversation.
pub struct Turn<'a> {
    store: &'a Store,
    chat: String,
    person: String,
    /// PostgreSQL: the transaction holding the conversation's advisory lock.
    held: Option<(Transaction<'static, Any>, SemaphorePermit<'a>)>,
    writes: Vec<Change>,
}

/// A stored FAQ answer's number, which its feedback buttons carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnswerId(i64);

impl fmt::Display for AnswerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for AnswerId {
    type Err = ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(AnswerId)
    }
}

/// Something the message changed, written when the turn finishes.
#[derive(Debug)]
enum Change {
    Answer {
        id: i64,
        entry: String,
        lang: Lang,
        question: Option<String>,
    },
    Unanswered {
        question: String,
        folded: String,
        lang: Lang,
    },
    Feedback {
        answer: i64,
        helped: bool,
    },
    Preference(Lang),
    /// A handed-over customer's message (masked) for their ticket.
    Relay {
        ticket: TicketId,
        text: String,
    },
    /// A reply queued in the outbox for `recipient`.
    Queued {
        recipient: String,
        channel: &'static str,
        kind: &'static str,
        payload: String,
    },
}

/// What a turn starts from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub state: ChatState,
    /// The message was handled before: a redelivery.
    pub handled: bool,
    /// Where the sender stands with the help desk as the turn begins.
    pub handoff: InHandoff,
}

/// The sender's part in the help desk's tickets, read with the conversation so that a turn
/// in none costs no read of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InHandoff {
    /// The open ticket of this chat, the sender its customer.
    pub ticket: Option<TicketId>,
    /// The sender holds taken tickets, as an agent.
    pub holds: bool,
}

#[derive(FromRow)]
struct LoadRow {
    handled: i64,
    lang: Option<String>,
    flow: Option<String>,
    recent: Option<String>,
    updated_at: Option<i64>,
    preference: Option<String>,
    ticket: Option<i64>,
    holds: i64,
}

/// The turn's one read. The handoff's two lookups go by the partial indexes of open and
/// taken tickets; `$4` is the chat as the platform names it, as tickets keep it.
const LOAD: &str = "SELECT \
    (SELECT count(*) FROM handled_messages WHERE chat = $1 AND message_id = $3) AS handled, \
    c.lang AS lang, c.flow AS flow, c.recent AS recent, c.updated_at AS updated_at, p.lang AS preference, \
    (SELECT id FROM handoffs WHERE customer = $2 AND chat = $4 AND state <> 'closed') AS ticket, \
    (SELECT count(*) FROM handoffs WHERE agent = $2 AND state = 'taken') AS holds \
    FROM (SELECT 1 AS one) AS base \
    LEFT JOIN conversations c ON c.chat = $1 AND c.person = $2 \
    LEFT JOIN preferences p ON p.person = $2";

const SAVE: &str = "INSERT INTO conversations (chat, person, lang, flow, updated_at, recent) \
    VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (chat, person) DO UPDATE SET lang = $3, flow = $4, updated_at = $5, recent = $6";

impl Store {
    pub fn new(db: Database) -> Store {
        let own = match db.backend() {
            Backend::Sqlite => SQLITE_OWN_CONNECTIONS,
            Backend::Postgres => 0,
        };
        Store {
            db,
            turns: Semaphore::new(POSTGRES_TURNS),
            own: Arc::new(sqlite::Connections::new(own)),
            memory: None,
            finished: AtomicU64::new(0),
        }
    }

    /// The database the store is kept in, which the help desk's tickets share.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A store whose turns read and write this process's memory, not `db`: what the engine
    /// costs without the database's reads and writes (`benches/engine.rs`). The statistics
    /// and [`lang_of`](Store::lang_of) still read `db`.
    pub fn in_memory(db: Database) -> Store {
        Store {
            memory: Some(memory::Memory::default()),
            ..Store::new(db)
        }
    }

    /// Starts `person`'s turn in `chat` and reads its state; `message_id` is checked against
    /// the messages already handled. `platform_chat` is `chat` as its platform names it, which
    /// the help desk's tickets keep.
    pub async fn begin(
        &self,
        chat: &str,
        platform_chat: &str,
        person: &str,
        message_id: Option<&str>,
    ) -> Result<(Turn<'_>, Loaded), sqlx::Error> {
        let mut turn = Turn {
            store: self,
            chat: chat.to_owned(),
            person: person.to_owned(),
            held: None,
            writes: Vec::new(),
        };
        let query = || {
            sqlx::query_as::<_, LoadRow>(LOAD)
                .bind(chat)
                .bind(person)
                .bind(message_id.unwrap_or(""))
                .bind(platform_chat)
        };
        let row = match (&self.memory, self.db.backend()) {
            (Some(memory), _) => memory.load(chat, person, message_id),
            (None, Backend::Sqlite) => {
                self.own
                    .lend(&self.db)
                    .await?
                    .run(|conn| query().fetch_one(conn))
                    .await?
            }
            (None, Backend::Postgres) => {
                let permit = self
                    .turns
                    .acquire()
                    .await
                    .map_err(|_| sqlx::Error::PoolClosed)?;
                let mut tx = self.db.transaction().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(lock_key(chat, person))
                    .execute(&mut *tx)
                    .await?;
                let row = query().fetch_one(&mut *tx).await?;
                turn.held = Some((tx, permit));
                row
            }
        };
        let loaded = Loaded {
            handled: row.handled > 0,
            state: ChatState {
                lang: row.lang.as_deref().and_then(|l| l.parse().ok()),
                preference: row.preference.as_deref().and_then(|l| l.parse().ok()),
                flow: row.flow.as_deref().and_then(Flow::from_json),
                recent: ChatState::recent_from_json(row.recent.as_deref()),
                updated_at: row.updated_at.map(Timestamp::from_millis),
            },
            handoff: InHandoff {
                ticket: row.ticket.map(TicketId),
                holds: row.holds > 0,
            },
        };
        Ok((turn, loaded))
    }

    /// The language to tell `person` things in outside a conversation (the outbox): their
    /// choice, else the language of their latest conversation.
    pub async fn lang_of(&self, person: &str) -> Result<Option<Lang>, sqlx::Error> {
        let lang: Option<String> = sqlx::query_scalar(
            "SELECT lang FROM (\
               SELECT lang, 0 AS rank, updated_at FROM preferences WHERE person = $1 \
               UNION ALL \
               SELECT lang, 1 AS rank, updated_at FROM conversations \
               WHERE person = $1 AND lang IS NOT NULL) AS known \
             ORDER BY rank, updated_at DESC LIMIT 1",
        )
        .bind(person)
        .fetch_optional(&mut *self.db.acquire().await?)
        .await?;
        Ok(lang.and_then(|l| l.parse().ok()))
    }
}

impl Turn<'_> {
    /// Records an FAQ answer to `question` (masked; `None` when picked from a button) and
    /// returns its id, for the feedback buttons.
    pub fn answer(&mut self, entry: &str, lang: Lang, question: Option<String>) -> AnswerId {
        // Made here rather than by the database so the answer costs no round trip before the
        // turn's one write; 62 random bits do not collide in practice.
        let id = (rand::random::<u64>() >> 2) as i64;
        self.writes.push(Change::Answer {
            id,
            entry: entry.to_owned(),
            lang,
            question,
        });
        AnswerId(id)
    }

    pub fn unanswered(&mut self, question: &str, folded: &str, lang: Lang) {
        self.writes.push(Change::Unanswered {
            question: question.to_owned(),
            folded: folded.to_owned(),
            lang,
        });
    }

    pub fn feedback(&mut self, answer: AnswerId, helped: bool) {
        self.writes.push(Change::Feedback {
            answer: answer.0,
            helped,
        });
    }

    pub fn prefer(&mut self, lang: Lang) {
        self.writes.push(Change::Preference(lang));
    }

    /// Relays a handed-over customer's `text` (masked) on `ticket` with the turn's write, as
    /// [`HelpDesk::customer_message`](crate::service::HelpDesk::customer_message) does in a
    /// transaction of its own: the transcript's line while the ticket is this customer's and
    /// open, and the outbox's message for the agent while it is taken, both decided by the
    /// ticket's row as the write finds it. One write per turn rather than two: on SQLite each
    /// write waits for the one writer, and the turns' writes are committed together.
    pub fn relay(&mut self, ticket: TicketId, text: &str) {
        self.writes.push(Change::Relay {
            ticket,
            text: text.to_owned(),
        });
    }

    /// Whether the turn relays a message when it finishes: the outbox's delivery loops are
    /// woken after its write.
    pub fn relays(&self) -> bool {
        self.writes
            .iter()
            .any(|change| matches!(change, Change::Relay { .. }))
    }

    /// Queues an event of `kind` for `recipient` in the outbox with the turn's write, as
    /// `payload` (its JSON).
    pub fn queue(&mut self, recipient: &ChatIdentity, kind: &'static str, payload: String) {
        self.writes.push(Change::Queued {
            recipient: recipient.to_string(),
            channel: recipient.channel().as_str(),
            kind,
            payload,
        });
    }

    /// Writes the state and everything the message changed, and marks `message_id` handled;
    /// returns the queued replies this turn claimed (PostgreSQL), in order.
    pub async fn finish(
        self,
        state: &ChatState,
        message_id: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<MessageId>, sqlx::Error> {
        let Turn {
            store,
            chat,
            person,
            held,
            writes,
        } = self;
        if let Some(memory) = &store.memory {
            memory.save(&chat, &person, state, message_id, writes, now);
            return Ok(Vec::new());
        }
        let queued = writes.iter().any(|w| matches!(w, Change::Queued { .. }));
        // A PostgreSQL turn (its own transaction) claims the replies it queues. Unique to the
        // turn, so that it finds its own claims; the process id first, as in the replica's
        // name, tells whose they are.
        let claim = held.is_some().then(|| Claim {
            by: format!("{}-turn-{:016x}", std::process::id(), rand::random::<u64>()),
            until: now.plus(store.db.outbox_lease()),
        });
        let committer = match &claim {
            Some(claim) => Committer::Postgres(claim),
            None => Committer::Sqlite,
        };
        let statements = statements(committer, &chat, &person, state, message_id, &writes, now);
        let claimed = match held {
            Some((mut tx, _permit)) => {
                write_each(&mut tx, &statements).await?;
                let claimed = match &claim {
                    Some(claim) if queued => {
                        sqlx::query_scalar::<_, i64>(
                            "SELECT id FROM outbox WHERE claimed_by = $1 ORDER BY id",
                        )
                        .bind(&claim.by)
                        .fetch_all(&mut *tx)
                        .await?
                    }
                    _ => Vec::new(),
                };
                tx.commit().await?;
                claimed
            }
            None => {
                store.own.write(&store.db, statements).await?;
                Vec::new()
            }
        };
        if store.finished.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            store.prune(now).await?;
        }
        Ok(claimed.into_iter().map(MessageId).collect())
    }
}

impl Store {
    async fn prune(&self, now: Timestamp) -> Result<(), sqlx::Error> {
        let mut write = self.db.begin().await?;
        let result = sqlx::query("DELETE FROM handled_messages WHERE handled_at < $1")
            .bind(now.minus(HANDLED_IDS_KEPT).as_millis())
            .execute(&mut *write.tx)
            .await
            .map(|_| ());
        write.finish(result).await
    }
}

/// The advisory lock's key for a conversation: a fixed hash (FNV-1a), so that every process
/// computes the same one.
fn lock_key(chat: &str, person: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in chat.bytes().chain([0]).chain(person.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

#[cfg(test)]
mod tests;
