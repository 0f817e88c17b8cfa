//! `pao-bot admin reload` through the database: a counter (the `reloads` table's one row)
//! that the command moves and every running `serve` polls, so that the operator who edited
//! the knowledge base folder on every host reloads them all at once.

use crate::database::Database;

/// The counter now.
pub async fn generation(db: &Database) -> Result<i64, sqlx::Error> {
    let mut conn = db.acquire().await?;
    sqlx::query_scalar("SELECT generation FROM reloads WHERE id = 1")
        .fetch_one(&mut *conn)
        .await
}

/// Moves the counter, asking every running `serve` to reload; returns its new value.
pub async fn request(db: &Database) -> Result<i64, sqlx::Error> {
    let mut write = db.begin().await?;
    let moved = sqlx::query_scalar(
        "UPDATE reloads SET generation = generation + 1 WHERE id = 1 RETURNING generation",
    )
    .fetch_one(&mut *write.tx)
    .await;
    write.finish(moved).await
}
