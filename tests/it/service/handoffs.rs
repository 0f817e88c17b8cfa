//! The help desk's tickets: queued once per chat and announced to every agent, taken by
//! exactly one of two racing agents (in two service instances, as two processes would), relayed
//! both ways through the outbox, closed, rated once, reminded of after the waiting limit, and
//! every transition audited.

use std::collections::BTreeSet;
use std::time::Duration;

use pao_bot::domain::Channel;
use pao_bot::lang::Lang;
use pao_bot::service::{
    AccountService, Author, HelpDesk, NewTicket, OutboxEvent, Rating, ServiceError, TicketId,
    TicketState,
};

use super::{identity, operator};
use crate::databases::{TestDb, on_both_databases, registered_agent};

on_both_databases!(
    a_ticket_is_queued_once_per_chat_and_announced_to_every_agent,
    of_two_agents_racing_exactly_one_takes_the_ticket,
    messages_are_relayed_both_ways_and_the_ticket_is_closed_and_rated_once,
    the_waiting_limit_reminds_the_customer_once_and_the_agents,
    closed_transcripts_older_than_the_retention_are_deleted,
    a_queued_ticket_wakes_the_delivery_loops_at_once,
    a_round_marks_the_messages_it_sent_delivered_in_one_write,
);

fn tried() -> Vec<String> {
    vec!["forgot-ibm-id".to_owned()]
}

/// The customer's last messages before asking, as the engine keeps them (masked).
fn recent() -> Vec<String> {
    vec![
        "IBM ID を忘れました".to_owned(),
        "パスコードは ****".to_owned(),
    ]
}

async fn queue(db: &TestDb, customer: &str) -> TicketId {
    let customer = identity(customer);
    let tried = tried();
    let recent = recent();
    let queued = db
        .service
        .open_ticket(NewTicket {
            customer: &customer,
            chat: customer.id(),
            lang: Lang::Ja,
            question: Some("人と話したい"),
            tried: &tried,
            recent: &recent,
        })
        .await
        .expect("the ticket is queued");
    queued.ticket
}

/// The outbox's undelivered events for `recipient`, delivered now.
async fn drain(db: &TestDb, recipient: &str) -> Vec<OutboxEvent> {
    let recipient = identity(recipient);
    let mut events = Vec::new();
    for message in db
        .service
        .pending_messages(recipient.channel(), 100)
        .await
        .unwrap()
    {
        if message.recipient == recipient {
            db.service.mark_delivered(message.id).await.unwrap();
            events.push(message.event);
        }
    }
    events
}

async fn a_ticket_is_queued_once_per_chat_and_announced_to_every_agent(db: TestDb) {
    registered_agent(&db, "telegram:900").await;
    registered_agent(&db, "discord:901").await;
    let first = queue(&db, "telegram:100").await;
    let second = queue(&db, "discord:200").await;
    let customer = identity("discord:200");
    let again = db
        .service
        .open_ticket(NewTicket {
            customer: &customer,
            chat: customer.id(),
            lang: Lang::En,
            question: None,
            tried: &[],
            recent: &[],
        })
        .await
        .unwrap();
    assert_eq!((again.ticket, again.ahead, again.new), (second, 1, false));

    for agent in ["telegram:900", "discord:901"] {
        let tickets: Vec<TicketId> = drain(&db, agent)
            .await
            .into_iter()
            .filter_map(|event| match event {
                OutboxEvent::TicketQueued {
                    ticket,
                    question,
                    tried: entries,
                    recent: messages,
                    ..
                } => {
                    assert_eq!(entries, tried());
                    assert_eq!(messages, recent());
                    assert_eq!(question.as_deref(), Some("人と話したい"));
                    Some(ticket)
                }
                _ => None,
            })
            .collect();
        assert_eq!(tickets, [first, second], "announced to {agent} once each");
    }
    let open = db
        .service
        .open_tickets_of(&identity("telegram:100"), "100")
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "the chat's ticket: {open:?}");
    assert_eq!((open[0].id, open[0].state), (first, TicketState::Queued));
    let refused = db.service.inbox(&identity("telegram:100")).await;
    assert!(
        matches!(refused, Err(ServiceError::NotAuthorised { .. })),
        "{refused:?}"
    );
}

async fn of_two_agents_racing_exactly_one_takes_the_ticket(db: TestDb) {
    let a = registered_agent(&db, "telegram:900").await;
    let b = registered_agent(&db, "discord:901").await;
    let other = db.second_service().await;
    for _ in 0..5 {
        let ticket = queue(&db, "telegram:100").await;
        let (first, second) = tokio::join!(db.service.take(&a, ticket), other.take(&b, ticket));
        let (winner, loser) = match (&first, &second) {
            (Ok(_), Err(error)) => (&a, error),
            (Err(error), Ok(_)) => (&b, error),
            _ => panic!("exactly one wins: {first:?} / {second:?}"),
        };
        match loser {
            ServiceError::TicketTaken { ticket: t, agent } => {
                assert_eq!((*t, agent), (ticket, winner));
            }
            other => panic!("the loser is told who has it: {other:?}"),
        }
        db.service.close_ticket(winner, ticket).await.unwrap();
    }
    let log = db.service.audit_log(&operator(), None).await.unwrap();
    let takes: Vec<&str> = log
        .iter()
        .filter(|row| row.action == "handoff_take")
        .map(|row| row.outcome.as_str())
        .collect();
    assert_eq!(takes.iter().filter(|o| **o == "ok").count(), 5, "{takes:?}");
    assert_eq!(
        takes.iter().filter(|o| **o == "ticket_taken").count(),
        5,
        "{takes:?}"
    );
}

async fn messages_are_relayed_both_ways_and_the_ticket_is_closed_and_rated_once(db: TestDb) {
    let agent = registered_agent(&db, "discord:901").await;
    let customer = identity("telegram:100");
    let ticket = queue(&db, "telegram:100").await;
    db.service
        .customer_message(&customer, ticket, "before anyone took it")
        .await
        .unwrap();
    let taken = db.service.take(&agent, ticket).await.unwrap();
    assert_eq!(taken.recent.len(), 1, "the agent catches up: {taken:?}");
    db.service
        .customer_message(&customer, ticket, "hello?")
        .await
        .unwrap();
    db.service
        .agent_message(&agent, ticket, "how can I help?")
        .await
        .unwrap();
    db.service
        .send_answer(&agent, ticket, "forgot-ibm-id")
        .await
        .unwrap();
    db.service
        .note(&agent, ticket, "asked twice")
        .await
        .unwrap();
    let stranger = registered_agent(&db, "telegram:902").await;
    let refused = db.service.agent_message(&stranger, ticket, "hi").await;
    assert!(
        matches!(refused, Err(ServiceError::NotYourTicket { .. })),
        "{refused:?}"
    );

    let to_agent = drain(&db, "discord:901").await;
    assert!(
        to_agent.contains(&OutboxEvent::FromCustomer {
            ticket,
            text: "hello?".to_owned()
        }),
        "{to_agent:?}"
    );
    let to_customer = drain(&db, "telegram:100").await;
    assert_eq!(
        to_customer,
        [
            OutboxEvent::TicketTaken { ticket },
            OutboxEvent::FromAgent {
                ticket,
                text: "how can I help?".to_owned()
            },
            OutboxEvent::FaqAnswer {
                ticket,
                entry: "forgot-ibm-id".to_owned(),
                lang: Lang::Ja
            },
        ]
    );

    let closed = db.service.close_ticket(&agent, ticket).await.unwrap();
    assert_eq!(closed.state, TicketState::Closed);
    assert!(closed.first_reply_at.is_some() && closed.closed_at.is_some());
    assert_eq!(
        drain(&db, "telegram:100").await,
        [OutboxEvent::TicketClosed { ticket }]
    );
    let five = Rating::try_from(5u8).unwrap();
    db.service.rate(&customer, ticket, five).await.unwrap();
    let again = db.service.rate(&customer, ticket, five).await;
    assert!(
        matches!(again, Err(ServiceError::AlreadyRated { .. })),
        "{again:?}"
    );
    assert!(Rating::try_from(6u8).is_err() && Rating::try_from(0u8).is_err());

    let (ticket_row, lines) = db.service.transcript(&operator(), ticket).await.unwrap();
    assert_eq!(ticket_row.rating, Some(five));
    let authors: Vec<Author> = lines.iter().map(|line| line.author).collect();
    assert_eq!(
        authors,
        [
            Author::Customer,
            Author::Customer,
            Author::Agent,
            Author::Faq,
            Author::Note
        ]
    );
    let actions: BTreeSet<String> = db
        .service
        .audit_log(&operator(), None)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.outcome == "ok" && row.action.starts_with("handoff_"))
        .map(|row| row.action)
        .collect();
    for action in [
        "handoff_open",
        "handoff_take",
        "handoff_close",
        "handoff_rate",
    ] {
        assert!(actions.contains(action), "{action} audited: {actions:?}");
    }
}

async fn the_waiting_limit_reminds_the_customer_once_and_the_agents(db: TestDb) {
    registered_agent(&db, "discord:901").await;
    let ticket = queue(&db, "telegram:100").await;
    drain(&db, "discord:901").await;
    let limit = Duration::from_secs(600);
    db.clock.advance(Duration::from_secs(599));
    assert_eq!(db.service.remind_waiting(limit).await.unwrap(), 0);
    db.clock.advance(Duration::from_secs(1));
    assert_eq!(db.service.remind_waiting(limit).await.unwrap(), 1);
    db.clock.advance(Duration::from_secs(600));
    assert_eq!(
        db.service.remind_waiting(limit).await.unwrap(),
        0,
        "told once"
    );
    assert_eq!(
        drain(&db, "telegram:100").await,
        [OutboxEvent::StillWaiting {
            ticket,
            minutes: 10
        }]
    );
    assert_eq!(
        drain(&db, "discord:901").await,
        [OutboxEvent::WaitingTooLong {
            ticket,
            minutes: 10
        }]
    );
    let open = db
        .service
        .tickets(&operator(), Some(TicketState::Queued))
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "still queued");
}

async fn closed_transcripts_older_than_the_retention_are_deleted(db: TestDb) {
    let agent = registered_agent(&db, "telegram:900").await;
    let customer = identity("telegram:100");
    let ticket = queue(&db, "telegram:100").await;
    db.service.take(&agent, ticket).await.unwrap();
    db.service
        .customer_message(&customer, ticket, "hi")
        .await
        .unwrap();
    db.service.close_ticket(&customer, ticket).await.unwrap();
    let open = queue(&db, "telegram:101").await;
    db.service
        .customer_message(&identity("telegram:101"), open, "still open")
        .await
        .unwrap();
    let days = |n: u64| Duration::from_secs(n * 24 * 60 * 60);
    db.clock.advance(days(30));
    assert_eq!(db.service.purge_transcripts(days(90)).await.unwrap(), 0);
    db.clock.advance(days(61));
    assert_eq!(db.service.purge_transcripts(days(90)).await.unwrap(), 1);
    let (_, lines) = db.service.transcript(&operator(), open).await.unwrap();
    assert_eq!(lines.len(), 1, "an open ticket's transcript stays");
    let (closed, _) = db.service.transcript(&operator(), ticket).await.unwrap();
    assert!(closed.recent.is_empty(), "{:?}", closed.recent);
    let (still_open, _) = db.service.transcript(&operator(), open).await.unwrap();
    assert_eq!(still_open.recent, recent());
    assert_eq!(
        drain(&db, "telegram:900")
            .await
            .into_iter()
            .filter(|e| matches!(e, OutboxEvent::CustomerEnded { .. }))
            .count(),
        1
    );
}

async fn a_queued_ticket_wakes_the_delivery_loops_at_once(db: TestDb) {
    registered_agent(&db, "telegram:900").await;
    let woken = db.service.outbox_written().notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    queue(&db, "telegram:100").await;
    // Only a bound against a hang: without the wake this waits forever.
    tokio::time::timeout(Duration::from_secs(5), woken)
        .await
        .expect("the write woke the delivery loops");
}

async fn a_round_marks_the_messages_it_sent_delivered_in_one_write(db: TestDb) {
    registered_agent(&db, "telegram:900").await;
    for customer in ["telegram:100", "telegram:101", "telegram:102"] {
        queue(&db, customer).await;
    }
    let pending = db
        .service
        .pending_messages(Channel::Telegram, 100)
        .await
        .unwrap();
    let ids: Vec<_> = pending.iter().map(|message| message.id).collect();
    assert_eq!(ids.len(), 3, "{pending:?}");
    db.service.mark_all_delivered(&ids[..2]).await.unwrap();
    // Marking again changes nothing.
    db.service.mark_all_delivered(&ids[..1]).await.unwrap();
    let left = db
        .service
        .pending_messages(Channel::Telegram, 100)
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|message| message.id).collect::<Vec<_>>(),
        [ids[2]]
    );
}
