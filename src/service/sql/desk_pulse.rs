//! The desk's pulse in one statement: each part read by an index (the pending nominations'
//! partial index, the tickets' by state, the primary keys' ends).

use sqlx::FromRow;

use crate::service::ServiceError;
use crate::service::desk_pulse::{DeskPulse, Pulse};
use crate::service::sql::SqlService;

const PULSE: &str = "SELECT \
    (SELECT COUNT(*) FROM nominations WHERE status = 'pending') AS pending_nominations, \
    (SELECT COALESCE(MAX(id), 0) FROM nominations) AS last_nomination, \
    (SELECT CAST(COALESCE(SUM(id), 0) AS BIGINT) FROM handoffs WHERE state = 'queued') AS queued, \
    (SELECT CAST(COALESCE(SUM(id), 0) AS BIGINT) FROM handoffs WHERE state = 'taken') AS taken, \
    (SELECT COALESCE(MAX(taken_at), 0) FROM handoffs WHERE state = 'taken') AS last_taken_at, \
    (SELECT COALESCE(MAX(id), 0) FROM handoffs) AS last_ticket, \
    (SELECT COALESCE(MAX(id), 0) FROM handoff_messages) AS last_line";

#[derive(FromRow)]
struct PulseRow {
    pending_nominations: i64,
    last_nomination: i64,
    queued: i64,
    taken: i64,
    last_taken_at: i64,
    last_ticket: i64,
    last_line: i64,
}

#[async_trait::async_trait]
impl DeskPulse for SqlService {
    async fn pulse(&self) -> Result<Pulse, ServiceError> {
        let mut conn = self.db.acquire().await?;
        let row = sqlx::query_as::<_, PulseRow>(PULSE)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Pulse {
            pending_nominations: row.pending_nominations,
            last_nomination: row.last_nomination,
            queued: row.queued,
            taken: row.taken,
            last_taken_at: row.last_taken_at,
            last_ticket: row.last_ticket,
            last_line: row.last_line,
        })
    }
}
