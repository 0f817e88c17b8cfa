//! What a person asked lately, for the help desk: the question that led them to ask for a
//! person, and the FAQ entries the bot answered them with.

use crate::conversation::Store;
use crate::domain::Timestamp;

/// A person's recent questions, as a ticket shows them to agents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// The latest question, masked as it was stored.
    pub question: Option<String>,
    /// The entries answered, oldest first, each once.
    pub tried: Vec<String>,
}

impl Store {
    /// What `person` asked since `since`.
    pub async fn asked_since(&self, person: &str, since: Timestamp) -> Result<Asked, sqlx::Error> {
        let mut conn = self.db.acquire().await?;
        let unanswered: Option<(String, i64)> = sqlx::query_as(
            "SELECT question, asked_at FROM unanswered \
             WHERE person = $1 AND asked_at >= $2 ORDER BY asked_at DESC LIMIT 1",
        )
        .bind(person)
        .bind(since.as_millis())
        .fetch_optional(&mut *conn)
        .await?;
        let answered: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT entry_id, question, answered_at FROM answers \
             WHERE person = $1 AND answered_at >= $2 ORDER BY answered_at",
        )
        .bind(person)
        .bind(since.as_millis())
        .fetch_all(&mut *conn)
        .await?;
        let mut tried: Vec<String> = Vec::new();
        for (entry, _, _) in &answered {
            if !tried.contains(entry) {
                tried.push(entry.clone());
            }
        }
        let last_answered = answered
            .into_iter()
            .filter_map(|(_, question, at)| question.map(|q| (q, at)))
            .next_back();
        let question = match (unanswered, last_answered) {
            (Some((a, at_a)), Some((b, at_b))) => Some(if at_a >= at_b { a } else { b }),
            (a, b) => a.or(b).map(|(question, _)| question),
        };
        Ok(Asked { question, tried })
    }
}
