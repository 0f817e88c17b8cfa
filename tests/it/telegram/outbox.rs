//! The Telegram channel's outbox delivery: a backlog longer than one round's batch goes out
//! round after round, without waiting for the next tick.

use std::time::Duration;

use pao_bot::channels::telegram::Options;
use pao_bot::domain::GrantRole;
use pao_bot::service::AccountService;

use crate::databases::{TestDb, on_both_databases};
use crate::service::{operator, requested, site_with_primary};
use crate::telegram::fake::{FakeTelegram, Person};
use crate::telegram::{Running, quick};

on_both_databases!(a_backlog_longer_than_a_round_goes_out_without_waiting_for_the_next_tick);

/// Decisions queued while the bot was down: more than a round takes (100).
const BACKLOG: i64 = 150;
/// The first requester's chat id.
const REQUESTERS: i64 = 5_000;

async fn a_backlog_longer_than_a_round_goes_out_without_waiting_for_the_next_tick(db: TestDb) {
    let fake = FakeTelegram::start().await;
    site_with_primary(&db, "1234567", "taro@example.jp", "telegram:1").await;
    for n in 0..BACKLOG {
        let requester = Person::new(REQUESTERS + n, "Requester", Some("en"));
        fake.know(&requester.private_chat());
        let chat = format!("telegram:{}", requester.id);
        let id = requested(&db, &chat, "1234567", &format!("user{n}@example.jp")).await;
        db.service
            .approve_nomination(&operator(), id, GrantRole::User)
            .await
            .expect("the operator approves");
    }
    // The next tick long after the test's patience: only rounds that follow each other
    // deliver what the first one left.
    let options = Options {
        outbox_every: Duration::from_secs(3600),
        ..quick()
    };
    let running = Running::start_on(fake, db, Some(options)).await;
    for n in 0..BACKLOG {
        let told = running.fake.wait_for_messages(REQUESTERS + n, 1).await;
        assert_eq!(told.len(), 1, "requester {n} told once");
    }
    running.stop().await;
}
