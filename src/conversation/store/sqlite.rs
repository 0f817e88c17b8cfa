//! The store's SQLite side: connections of its own, lent for one query at a time, and turns'
//! writes sent as one batch, several turns' together when they are ready at once.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement, transaction
//! boundary and pool check is a hand-over to that thread and back. Those hand-overs, and each
//! commit's own writes to the WAL file, not SQLite's work on the rows, were most of a
//! message's time; here a turn costs one read and at most one write and commit.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::AnyConnection;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

use super::writes::{Statement, bind_all};
use crate::database::{Backend, Database};

/// Connections of the store's own, taken out of the pool, for the turns' reads and writes.
///
/// A pool connection costs two more round trips to its thread, a check when it is taken and
/// another when it is given back; these are lent without either. One is lent for a single
/// read or write, never while the engine works between them, so a turn waits for one only
/// behind other turns' queries.
#[derive(Debug)]
pub(super) struct Connections {
    /// One per connection that may exist.
    slots: Semaphore,
    idle: Mutex<Vec<AnyConnection>>,
    /// Turns' writes waiting for the next commit.
    queue: Mutex<Vec<Queued>>,
}

/// A turn's write waiting in the queue, and where its outcome goes.
#[derive(Debug)]
struct Queued {
    statements: Vec<Statement>,
    done: oneshot::Sender<Result<(), sqlx::Error>>,
}

impl Connections {
    /// Room for `count` connections, opened when first needed.
    pub(super) fn new(count: usize) -> Connections {
        Connections {
            slots: Semaphore::new(count),
            idle: Mutex::new(Vec::new()),
            queue: Mutex::new(Vec::new()),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<AnyConnection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Queued>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many turns' writes wait for a commit.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.queue().len()
    }

    /// Writes a turn's `statements` in one transaction, and returns once it is committed.
    ///
    /// Group commit: the turn queues its write, then waits for this process's writer turn.
    /// Whoever gets it takes every write queued by then and commits them together, as one
    /// batch, so that turns finishing at the same moment share a round trip and a commit;
    /// the turns after it find theirs done. A group that fails is written again turn by turn,
    /// so that one turn's failure is only its own. A group of several is written by a task of
    /// its own, which an abandoned turn cannot cut off half-way for the others.
    pub(super) async fn write(
        self: &Arc<Self>,
        db: &Database,
        statements: Vec<Statement>,
    ) -> Result<(), sqlx::Error> {
        let (done, mut outcome) = oneshot::channel();
        self.queue().push(Queued { statements, done });
        let _writer = db.writer_turn().await;
        if let Ok(written) = outcome.try_recv() {
            return written;
        }
        let group = std::mem::take(&mut *self.queue());
        if group.len() > 1 {
            let (this, db) = (Arc::clone(self), db.clone());
            let task = tokio::spawn(async move { this.commit(&db, group).await });
            if let Err(error) = task.await {
                tracing::error!(%error, "a group commit stopped");
            }
        } else {
            self.commit(db, group).await;
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(sqlx::Error::Protocol("the write was abandoned".into())))
    }

    /// Commits `group`, together when it can, and tells each turn its outcome.
    async fn commit(&self, db: &Database, group: Vec<Queued>) {
        if group.len() > 1 {
            let turns: Vec<&[Statement]> = group.iter().map(|q| q.statements.as_slice()).collect();
            match self.write_batch(db, turns).await {
                Ok(()) => {
                    for queued in group {
                        let _ = queued.done.send(Ok(()));
                    }
                    return;
                }
                Err(error) => {
                    tracing::debug!(%error, turns = group.len(), "group commit failed; one by one")
                }
            }
        }
        for queued in group {
            let written = self.write_batch(db, [queued.statements.as_slice()]).await;
            // The turn may be gone; its outcome then goes nowhere.
            let _ = queued.done.send(written);
        }
    }

    /// Writes `turns`' statements in one transaction on a connection of its own.
    async fn write_batch<'s, I>(&self, db: &Database, turns: I) -> Result<(), sqlx::Error>
    where
        I: IntoIterator<Item = &'s [Statement]>,
    {
        let mut lent = self.lend(db).await?;
        lent.run(|conn| write_batch(conn, turns)).await
    }

    /// One of the connections to `db`, when one is free.
    pub(super) async fn lend(&self, db: &Database) -> Result<Lent<'_>, sqlx::Error> {
        if db.backend() != Backend::Sqlite {
            return Err(sqlx::Error::Protocol(
                "the store lends SQLite connections only".into(),
            ));
        }
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // The database was closed: every use fails, as it does through the pool.
        if db.is_closed() {
            self.idle().clear();
            return Err(sqlx::Error::PoolClosed);
        }
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            // Out of the pool for good, with the pool's settings (the pool may open another in
            // its place). Waits at most as long as the pool lets anyone wait.
            None => db.acquire().await?.detach(),
        };
        Ok(Lent {
            owner: self,
            conn: Some(conn),
            busy: false,
            _slot: slot,
        })
    }
}

/// One of the store's own connections, lent: given back when dropped, unless an operation on
/// it failed or was cut off half-way, when it is closed instead.
pub(super) struct Lent<'a> {
    owner: &'a Connections,
    conn: Option<AnyConnection>,
    /// An operation is under way, or failed.
    busy: bool,
    _slot: SemaphorePermit<'a>,
}

impl Lent<'_> {
    /// Runs `operation` on the connection; a failure closes the connection when it is dropped.
    pub(super) async fn run<'c, F, Fut, T>(&'c mut self, operation: F) -> Result<T, sqlx::Error>
    where
        F: FnOnce(&'c mut AnyConnection) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        self.busy = true;
        let conn = self
            .conn
            .as_mut()
            .expect("a lent connection is there until dropped");
        let value = operation(conn).await?;
        self.busy = false;
        Ok(value)
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !self.busy
        {
            self.owner.idle().push(conn);
        }
        // Otherwise dropped, which closes it; its slot is free for a new one.
    }
}

/// Writes `turns`' statements in one transaction, `BEGIN IMMEDIATE; ...; COMMIT`, sent to
/// `conn` as one batch per turn: the transaction's start goes with the first turn's
/// statements and its end with the last's, so that a lone turn is one round trip. The caller
/// holds this process's writer turn.
///
/// One batch per turn, not one for the whole group: SQLite gives a statement as many
/// parameters as its highest `$N`, and sqlx binds every one of them, so a group's statements
/// numbered on through one list cost a bind per earlier parameter each (quadratic in the
/// group's size), and their text, new every time, was prepared again for every commit. A
/// turn's batch is numbered from `$1` and its text repeats, so its statements are prepared
/// once per connection.
///
/// A failing statement stops the batch inside its transaction, which is rolled back here at
/// once. A failed batch, or one abandoned half-way (the turn's future dropped), also costs the
/// connection: [`Lent`] closes it rather than lending it again, and closing a connection rolls
/// back what it left open. No connection is ever lent in the middle of a transaction.
async fn write_batch<'s, I>(conn: &mut AnyConnection, turns: I) -> Result<(), sqlx::Error>
where
    I: IntoIterator<Item = &'s [Statement]>,
{
    let mut turns = turns.into_iter().peekable();
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    loop {
        let mut values = Vec::new();
        if let Some(statements) = turns.next() {
            for (statement, params) in statements {
                // Each statement's `$N` counts in the one list of the turn's parameters.
                sql.push_str(&renumber(statement, values.len()));
                sql.push_str(";\n");
                values.extend(params);
            }
        }
        let last = turns.peek().is_none();
        if last {
            sql.push_str("COMMIT");
        }
        if let Err(error) = bind_all(&sql, values).execute(&mut *conn).await {
            // Ended at once, while this process's writers still wait; the caller then closes
            // the connection all the same. (It fails when the batch failed before it began.)
            if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                tracing::debug!(error = %rollback, "no rollback after a failed write");
            }
            return Err(error);
        }
        if last {
            return Ok(());
        }
        sql.clear();
    }
}

/// `statement` with each parameter `$N` made `$(N + offset)`.
fn renumber(statement: &str, offset: usize) -> String {
    let mut out = String::with_capacity(statement.len() + 8);
    let mut rest = statement;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_count_on_in_a_batch() {
        assert_eq!(renumber("VALUES ($1, $2)", 0), "VALUES ($1, $2)");
        assert_eq!(
            renumber(
                "VALUES ($1, $2) ON CONFLICT DO UPDATE SET a = $2, b = $10",
                5
            ),
            "VALUES ($6, $7) ON CONFLICT DO UPDATE SET a = $7, b = $15"
        );
        assert_eq!(renumber("SELECT '$' || $1", 3), "SELECT '$' || $4");
    }
}
