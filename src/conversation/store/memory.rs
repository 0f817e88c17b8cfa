//! The store's conversations kept in this process's memory instead of the database, in the
//! shapes the database keeps them (the language's code, the flow as JSON): what the engine
//! costs without a database, which `benches/engine.rs` measures beside the database's floor.
//! Only turns read and write it; the statistics and the outbox's languages read the
//! database. It keeps no tickets: a turn on it is in no handoff.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use super::{Change, LoadRow};
use crate::conversation::state::{ChatState, Flow};
use crate::domain::Timestamp;

/// Conversations, handled message ids, answers and preferences.
#[derive(Debug, Default)]
pub(super) struct Memory {
    rows: Mutex<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    /// Per chat and person.
    conversations: HashMap<(String, String), Conversation>,
    /// Per chat, its handled message ids.
    handled: HashSet<(String, String)>,
    /// Per answer's id: who got it, and whether it helped.
    answers: HashMap<i64, (String, Option<bool>)>,
    /// Unanswered questions: the masked and folded text.
    unanswered: Vec<(String, String)>,
    /// Per person: the chosen language's code.
    preferences: HashMap<String, String>,
}

/// A conversation's row.
#[derive(Debug)]
struct Conversation {
    /// The language's code.
    lang: Option<String>,
    flow_json: Option<String>,
    recent_json: Option<String>,
    updated_at: i64,
}

impl Memory {
    fn rows(&self) -> MutexGuard<'_, Rows> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the database's read of a turn would give.
    pub(super) fn load(&self, chat: &str, person: &str, message_id: Option<&str>) -> LoadRow {
        let rows = self.rows();
        let handled =
            message_id.is_some_and(|id| rows.handled.contains(&(chat.to_owned(), id.to_owned())));
        let conversation = rows
            .conversations
            .get(&(chat.to_owned(), person.to_owned()));
        LoadRow {
            handled: i64::from(handled),
            lang: conversation.and_then(|c| c.lang.clone()),
            flow: conversation.and_then(|c| c.flow_json.clone()),
            recent: conversation.and_then(|c| c.recent_json.clone()),
            updated_at: conversation.map(|c| c.updated_at),
            preference: rows.preferences.get(person).cloned(),
            // The tickets are the database's: a turn here is in no handoff.
            ticket: None,
            holds: 0,
        }
    }

    /// What the database's write of a turn would keep.
    pub(super) fn save(
        &self,
        chat: &str,
        person: &str,
        state: &ChatState,
        message_id: Option<&str>,
        changes: Vec<Change>,
        now: Timestamp,
    ) {
        let conversation = Conversation {
            lang: state.lang.map(|l| l.code().to_owned()),
            flow_json: state.flow.as_ref().map(Flow::to_json),
            recent_json: state.recent_json(),
            updated_at: now.as_millis(),
        };
        let mut rows = self.rows();
        let key = (chat.to_owned(), person.to_owned());
        rows.conversations.insert(key, conversation);
        if let Some(id) = message_id {
            rows.handled.insert((chat.to_owned(), id.to_owned()));
        }
        for change in changes {
            match change {
                Change::Answer { id, .. } => {
                    rows.answers.insert(id, (person.to_owned(), None));
                }
                Change::Unanswered {
                    question, folded, ..
                } => rows.unanswered.push((question, folded)),
                Change::Feedback { answer, helped } => {
                    // Only the person who got the answer rates it.
                    if let Some((by, rated)) = rows.answers.get_mut(&answer)
                        && by == person
                    {
                        *rated = Some(helped);
                    }
                }
                Change::Preference(lang) => {
                    rows.preferences
                        .insert(person.to_owned(), lang.code().to_owned());
                }
                // The tickets are the database's, and a turn here is in no handoff.
                Change::Relay { .. } => {}
                // The engine queues replies only for channels that send them from the outbox,
                // which the measurements of this store do not run.
                Change::Queued { .. } => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::super::{Period, Store};
    use crate::conversation::state::ChatState;
    use crate::database::Database;
    use crate::domain::Timestamp;
    use crate::lang::Lang;

    const CHAT: &str = "telegram:1";

    /// Message `id`'s turn in `store`, with an answer when `answer`; its answer's id.
    async fn turn(store: &Store, id: &str, answer: bool, feedback: Option<&str>) -> String {
        let (mut turn, loaded) = store.begin(CHAT, "1", CHAT, Some(id)).await.unwrap();
        let answered = answer.then(|| turn.answer("lockout", Lang::En, None).to_string());
        if let Some(answer) = feedback {
            turn.feedback(answer.parse().unwrap(), true);
        }
        turn.prefer(Lang::En);
        let state = ChatState {
            lang: Some(Lang::En),
            ..loaded.state
        };
        let now = Timestamp::from_millis(1_700_000_000_000);
        turn.finish(&state, Some(id), now).await.unwrap();
        answered.unwrap_or_default()
    }

    async fn handled(store: &Store, id: &str) -> bool {
        store
            .begin(CHAT, "1", CHAT, Some(id))
            .await
            .unwrap()
            .1
            .handled
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_in_memory_store_remembers_turns_and_leaves_the_database_alone() {
        let dir = TempDir::new().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let on_disk = Store::new(Database::connect(&url).await.unwrap());
        let store = Store::in_memory(on_disk.db.clone());
        assert!(!handled(&store, "m1").await);
        let answer = turn(&store, "m1", true, None).await;

        let (_, again) = store.begin(CHAT, "1", CHAT, Some("m1")).await.unwrap();
        assert!(again.handled);
        assert_eq!(again.state.lang, Some(Lang::En));
        assert_eq!(again.state.preference, Some(Lang::En));
        assert!(again.state.updated_at.is_some());
        turn(&store, "m2", false, Some(&answer)).await;
        assert!(handled(&store, "m2").await);
        // Nothing went to the database.
        assert!(!handled(&on_disk, "m1").await);
        assert!(on_disk.entry_stats(Period::ALL).await.unwrap().is_empty());
    }
}
