//! The store on a SQLite file: all-or-nothing writes, group commits, a closed database.

use std::time::Duration;

use tempfile::TempDir;

use super::*;

const CHAT: &str = "telegram:1";

async fn sqlite() -> (Store, TempDir) {
    let dir = TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    (Store::new(Database::connect(&url).await.unwrap()), dir)
}

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + millis)
}

/// Message `id`'s turn: its state in `lang`, with `changes`.
async fn turn(
    store: &Store,
    id: &str,
    lang: Lang,
    changes: Vec<Change>,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let (mut turn, loaded) = store.begin(CHAT, "1", CHAT, Some(id)).await?;
    turn.writes = changes;
    let state = ChatState {
        lang: Some(lang),
        ..loaded.state
    };
    turn.finish(&state, Some(id), now).await.map(drop)
}

async fn loaded(store: &Store, id: &str) -> Loaded {
    store.begin(CHAT, "1", CHAT, Some(id)).await.unwrap().1
}

fn answer(id: i64) -> Change {
    Change::Answer {
        id,
        entry: "lockout".to_owned(),
        lang: Lang::Ja,
        question: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_leaves_nothing_and_the_next_one_is_written() {
    let (store, _dir) = sqlite().await;
    turn(&store, "m1", Lang::Ja, vec![answer(7)], at(1))
        .await
        .unwrap();
    // The same answer id again: the batch fails after the state and the handled id.
    let failed = turn(&store, "m2", Lang::En, vec![answer(7)], at(2)).await;
    assert!(failed.is_err());

    let after = loaded(&store, "m2").await;
    assert!(!after.handled);
    assert_eq!(after.state.lang, Some(Lang::Ja));
    assert_eq!(after.state.updated_at, Some(at(1)));
    turn(&store, "m2", Lang::En, vec![answer(8)], at(3))
        .await
        .unwrap();
    let after = loaded(&store, "m2").await;
    assert!(after.handled);
    assert_eq!(after.state.lang, Some(Lang::En));
    let stats = store.entry_stats(Period::ALL).await.unwrap();
    assert_eq!(stats[0].answered, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_write_is_all_or_nothing_and_the_store_goes_on() {
    let (store, _dir) = sqlite().await;
    for n in 0..20 {
        let id = format!("m{n}");
        let now = at(n);
        // Polled once, the batch on its way to the connection, then dropped.
        let write = turn(&store, &id, Lang::En, vec![answer(n)], now);
        let _ = tokio::time::timeout(Duration::ZERO, write).await;
        let after = loaded(&store, &id).await;
        assert_eq!(
            after.handled,
            after.state.updated_at == Some(now),
            "message {n}"
        );
        turn(
            &store,
            &format!("after {n}"),
            Lang::Ja,
            Vec::new(),
            at(100 + n),
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_ready_together_commit_together_and_fail_alone() {
    let (store, _dir) = sqlite().await;
    let store = Arc::new(store);
    turn(&store, "m0", Lang::Ja, vec![answer(7)], at(0))
        .await
        .unwrap();
    // While another writer holds the turn, four turns queue their writes.
    let writer = store.db.writer_turn().await;
    let mut turns = Vec::new();
    for n in 1..=4 {
        let store = Arc::clone(&store);
        // The third gives answer 7 again, which the database refuses.
        let answer_id = if n == 3 { 7 } else { 100 + n };
        turns.push(tokio::spawn(async move {
            let id = format!("m{n}");
            turn(&store, &id, Lang::En, vec![answer(answer_id)], at(n)).await
        }));
    }
    while store.own.queued() < 4 {
        tokio::task::yield_now().await;
    }
    drop(writer);

    for (n, written) in (1..=4).zip(futures::future::join_all(turns).await) {
        assert_eq!(written.unwrap().is_ok(), n != 3, "message m{n}");
        assert_eq!(loaded(&store, &format!("m{n}")).await.handled, n != 3);
    }
    let stats = store.entry_stats(Period::ALL).await.unwrap();
    assert_eq!(stats[0].answered, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_database_fails_every_turn() {
    let (store, _dir) = sqlite().await;
    turn(&store, "m1", Lang::Ja, Vec::new(), at(1))
        .await
        .unwrap();
    store.db.close().await;
    assert!(store.begin(CHAT, "1", CHAT, Some("m2")).await.is_err());
}
