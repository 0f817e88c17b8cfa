//! A turn's write as statements with their parameters: the state, the handled message id and
//! what the message changed, a relayed message among them, so that SQLite commits several
//! turns' writes as one batch and PostgreSQL runs them one at a time in the turn's transaction.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use super::insight::{DAY_MS, JST_MS};
use super::{Change, SAVE};
use crate::conversation::DayCounts;
use crate::conversation::state::{ChatState, Flow};
use crate::database::Backend;
use crate::domain::Timestamp;
use crate::replicas::wakeups::OUTBOX_WRITTEN;
use crate::service::{OutboxEvent, TicketId};

/// PostgreSQL: writes `statements` one at a time in `tx` (a query with parameters holds one
/// statement there).
pub(super) async fn write_each(
    tx: &mut AnyConnection,
    statements: &[Statement],
) -> Result<(), sqlx::Error> {
    for (statement, params) in statements {
        bind_all(statement, params).execute(&mut *tx).await?;
    }
    Ok(())
}

/// A write statement, its parameters numbered `$1`, `$2`... and their values.
pub(super) type Statement = (&'static str, Vec<Value>);

/// A parameter of a write statement. Owned, so that a turn's write can wait in a queue for
/// a group commit ([`sqlite::Writer`]).
#[derive(Debug)]
pub(super) enum Value {
    Text(Option<String>),
    Int(i64),
}

impl Value {
    fn text(text: &str) -> Value {
        Value::Text(Some(text.to_owned()))
    }
}

/// `sql` with `values` bound to its parameters in order.
pub(super) fn bind_all<'q, I>(sql: &'q str, values: I) -> Query<'q, Any, AnyArguments<'q>>
where
    I: IntoIterator<Item = &'q Value>,
{
    values
        .into_iter()
        .fold(sqlx::query(sql), |query, value| match value {
            Value::Text(text) => query.bind(text.as_deref()),
            Value::Int(int) => query.bind(*int),
        })
}

/// A relayed message's line in its ticket's transcript: `$1` the ticket, `$2` the time, `$3`
/// the customer, `$4` the text.
const RELAY_LINE: &str = "INSERT INTO handoff_messages (handoff_id, at, author, sender, text) \
    SELECT id, $2, 'customer', $3, $4 FROM handoffs \
    WHERE id = $1 AND customer = $3 AND state <> 'closed'";

/// A relayed message for the agent holding the ticket, in the outbox as the service queues
/// it (its channel is the agent identity's, before the colon): `$1` to `$3` as
/// [`RELAY_LINE`], `$4` the event's kind, `$5` its payload.
fn relay_outbox(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             SELECT $2, agent, substr(agent, 1, instr(agent, ':') - 1), $4, $5 FROM handoffs \
             WHERE id = $1 AND customer = $3 AND state = 'taken'"
        }
        Backend::Postgres => {
            "INSERT INTO outbox (created_at, recipient, channel, kind, payload) \
             SELECT $2, agent, split_part(agent, ':', 1), $4, $5 FROM handoffs \
             WHERE id = $1 AND customer = $3 AND state = 'taken'"
        }
    }
}

/// PostgreSQL: the other replicas told of the relayed message at the commit, as the service
/// tells them of what it queues: `$1` the ticket, `$2` the customer, `$3` the notification's
/// channel.
const RELAY_NOTIFY: &str = "SELECT pg_notify($3, split_part(agent, ':', 1)) FROM handoffs \
    WHERE id = $1 AND customer = $2 AND state = 'taken'";

/// A turn's claim on the replies it queues: its mark, and until when.
pub(super) struct Claim {
    pub(super) by: String,
    pub(super) until: Timestamp,
}

/// Queues a reply, claimed by the turn (`$6` until `$7`) unless another undelivered message
/// to the same recipient (not the turn's own) waits: the reply then waits for it, unclaimed.
const QUEUE: &str = "INSERT INTO outbox \
    (created_at, recipient, channel, kind, payload, claimed_by, lease_until) \
    SELECT $1, $2, $3, $4, $5, \
      CASE WHEN waiting.n = 0 THEN $6 END, CASE WHEN waiting.n = 0 THEN $7 ELSE 0 END \
    FROM (SELECT count(*) AS n FROM outbox WHERE recipient = $2 \
      AND delivered_at IS NULL AND abandoned_at IS NULL \
      AND (claimed_by IS NULL OR claimed_by <> $6)) AS waiting";

/// Who commits a turn's write: SQLite's group commit, which claims nothing (one process
/// sends its replies at once), or the turn's own PostgreSQL transaction, with its claim.
pub(super) enum Committer<'a> {
    Sqlite,
    Postgres(&'a Claim),
}

/// The statements of a turn's write: the state, the handled message id, then the changes;
/// queued replies claimed as the committer's claim says (none: left to the delivery rounds).
pub(super) fn statements(
    committer: Committer<'_>,
    chat: &str,
    person: &str,
    state: &ChatState,
    message_id: Option<&str>,
    writes: &[Change],
    now: Timestamp,
) -> Vec<Statement> {
    use Value::{Int, Text};
    let (backend, claim) = match committer {
        Committer::Sqlite => (Backend::Sqlite, None),
        Committer::Postgres(claim) => (Backend::Postgres, Some(claim)),
    };
    let text = Value::text;
    let now = now.as_millis();
    let mut statements = vec![(
        SAVE,
        vec![
            text(chat),
            text(person),
            Text(state.lang.map(|l| l.code().to_owned())),
            Text(state.flow.as_ref().map(Flow::to_json)),
            Int(now),
            Text(state.recent_json()),
        ],
    )];
    if let Some(id) = message_id {
        statements.push((
            "INSERT INTO handled_messages (chat, message_id, handled_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat, message_id) DO NOTHING",
            vec![text(chat), text(id), Int(now)],
        ));
    }
    for change in writes {
        let statement = match change {
            Change::Answer {
                id,
                entry,
                lang,
                question,
            } => (
                "INSERT INTO answers (id, entry_id, lang, person, answered_at, question) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    Int(*id),
                    text(entry),
                    text(lang.code()),
                    text(person),
                    Int(now),
                    Value::Text(question.clone()),
                ],
            ),
            Change::Unanswered {
                question,
                folded,
                lang,
            } => (
                "INSERT INTO unanswered (question, folded, lang, asked_at, person) \
                 VALUES ($1, $2, $3, $4, $5)",
                vec![
                    text(question),
                    text(folded),
                    text(lang.code()),
                    Int(now),
                    text(person),
                ],
            ),
            // Only the person who got the answer rates it.
            Change::Feedback { answer, helped } => {
                statements.push((
                    "UPDATE answers SET helped = $1 WHERE id = $2 AND person = $3",
                    vec![Int(i64::from(*helped)), Int(*answer), text(person)],
                ));
                statements.push(stale_summary(person, *answer, now));
                continue;
            }
            Change::Preference(lang) => (
                "INSERT INTO preferences (person, lang, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (person) DO UPDATE SET lang = $2, updated_at = $3",
                vec![text(person), text(lang.code()), Int(now)],
            ),
            Change::Queued {
                recipient,
                channel,
                kind,
                payload,
            } => (
                QUEUE,
                vec![
                    Int(now),
                    text(recipient),
                    text(channel),
                    text(kind),
                    text(payload),
                    Text(claim.map(|claim| claim.by.clone())),
                    Int(claim.map_or(0, |claim| claim.until.as_millis())),
                ],
            ),
            Change::Relay { ticket, text: said } => {
                statements.extend(relay(backend, person, *ticket, said, now));
                continue;
            }
        };
        statements.push(statement);
    }
    statements
}

/// Feedback on an answer of an earlier day than `now`'s marks that day's insight summary
/// stale ([`summaries`](super::summaries)); an answer of today has none yet. Only such late
/// feedback writes the marker, so turns answering today share no row.
fn stale_summary(person: &str, answer: i64, now: i64) -> Statement {
    (
        "INSERT INTO insight_stale (day) \
         SELECT (answered_at + $3) / $4 FROM answers \
         WHERE id = $1 AND person = $2 AND answered_at < $5 \
         ON CONFLICT (day) DO NOTHING",
        vec![
            Value::Int(answer),
            Value::text(person),
            Value::Int(JST_MS),
            Value::Int(DAY_MS),
            Value::Int(DayCounts::start(DayCounts::of(now))),
        ],
    )
}

/// A relayed message's statements: its transcript line, its outbox message and, on
/// PostgreSQL, the other replicas' wake-up.
fn relay(
    backend: Backend,
    customer: &str,
    ticket: TicketId,
    said: &str,
    now: i64,
) -> Vec<Statement> {
    use Value::Int;
    let text = Value::text;
    let event = OutboxEvent::FromCustomer {
        ticket,
        text: said.to_owned(),
    };
    let payload = serde_json::to_string(&event).expect("an event always serialises");
    let mut statements = vec![
        (
            RELAY_LINE,
            vec![Int(ticket.0), Int(now), text(customer), text(said)],
        ),
        (
            relay_outbox(backend),
            vec![
                Int(ticket.0),
                Int(now),
                text(customer),
                text(event.kind()),
                text(&payload),
            ],
        ),
    ];
    if backend == Backend::Postgres {
        statements.push((
            RELAY_NOTIFY,
            vec![Int(ticket.0), text(customer), text(OUTBOX_WRITTEN)],
        ));
    }
    statements
}
