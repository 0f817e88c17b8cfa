//! The help desk's upkeep, one step each: reminding of tickets past the waiting limit, and
//! deleting transcripts past their retention.

use std::time::Duration;

use crate::domain::ChatIdentity;
use crate::service::sql::SqlService;
use crate::service::sql::rows::stored;
use crate::service::{OutboxEvent, ServiceError, TicketId};

impl SqlService {
    pub(in crate::service::sql) async fn remind(
        &self,
        limit: Duration,
    ) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let minutes = limit.as_secs() / 60;
        self.transaction(async |conn| {
            let due: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, customer FROM handoffs WHERE state = 'queued' \
                 AND customer_reminded_at IS NULL AND created_at <= $1 ORDER BY id",
            )
            .bind(now.minus(limit).as_millis())
            .fetch_all(&mut *conn)
            .await?;
            for (id, customer) in &due {
                let ticket = TicketId(*id);
                sqlx::query("UPDATE handoffs SET customer_reminded_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now.as_millis())
                    .execute(&mut *conn)
                    .await?;
                let customer = stored(ChatIdentity::parse(customer))?;
                self.send(
                    conn,
                    &customer,
                    &OutboxEvent::StillWaiting { ticket, minutes },
                    now,
                )
                .await?;
                let event = OutboxEvent::WaitingTooLong { ticket, minutes };
                self.to_every_agent(conn, &event).await?;
            }
            Ok(due.len())
        })
        .await
    }

    pub(in crate::service::sql) async fn purge(&self, age: Duration) -> Result<u64, ServiceError> {
        let cutoff = self.clock.now().minus(age);
        self.transaction(async |conn| {
            let deleted = sqlx::query(
                "DELETE FROM handoff_messages WHERE handoff_id IN \
                 (SELECT id FROM handoffs WHERE state = 'closed' AND closed_at < $1)",
            )
            .bind(cutoff.as_millis())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE handoffs SET recent = NULL \
                 WHERE state = 'closed' AND closed_at < $1 AND recent IS NOT NULL",
            )
            .bind(cutoff.as_millis())
            .execute(&mut *conn)
            .await?;
            Ok(deleted)
        })
        .await
    }
}
