//! The desk's handoff inbox over HTTP, on both databases: a web-chat customer's request for a
//! person queues a ticket the inbox lists with its question; the agent takes it from the desk,
//! replies, sends an FAQ answer and closes it, and each reaches the customer's page through
//! the outbox as a chat agent's would (the FAQ answer in the customer's language, the close
//! with the request for a rating); a reply holding a passcode is not sent. A take from the
//! desk racing a take from chat has one winner, and the loser is told who. The desk's event
//! stream says `changed` when a customer queues a ticket.

use pao_bot::domain::ChatIdentity;
use pao_bot::service::{HelpDesk, TicketId, TicketState};

use crate::databases::{TestDb, on_both_databases, registered_agent};
use crate::web::client::Client;
use crate::web::desk::signed_in;
use crate::web::server::WebChat;

on_both_databases!(
    a_desk_agent_takes_replies_sends_an_faq_answer_and_closes,
    a_take_from_the_desk_racing_one_from_chat_has_one_winner,
    the_desk_event_stream_says_when_a_customer_queues_a_ticket,
);

const JA: &str = "ja-JP,ja;q=0.9";

/// A web-chat customer who asked what the bot cannot answer, then for a person.
async fn queued_customer(chat: &WebChat) -> Client {
    let mut customer = Client::new(chat.address, JA);
    customer.get("/chat").await;
    let unanswered = customer.say("請求書の宛名を変更したい").await;
    assert!(
        unanswered.contains("お答えできませんでした"),
        "{unanswered}"
    );
    let queued = customer.say("人と話したい").await;
    assert!(queued.contains("受付番号 #1"), "{queued}");
    customer
}

async fn a_desk_agent_takes_replies_sends_an_faq_answer_and_closes(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut desk, token) = signed_in(&chat, &db, &agent).await;
    // The desk in English, the customer in Japanese: what reaches the customer is in theirs.
    let session = desk.cookie.clone().expect("the session cookie");
    desk.cookie = Some(format!("{session}; pao_desk_lang=en"));
    let mut customer = queued_customer(&chat).await;

    let inbox = desk.get("/desk/handoffs").await;
    assert_eq!(inbox.status, 200, "{inbox:?}");
    for shown in [
        "id=\"ticket-1\"",
        "Queued",
        "<td>web</td>",
        "<td>ja</td>",
        "請求書の宛名を変更したい",
        "action=\"/desk/handoffs/1/take\"",
        "data-live=\"/desk/handoffs\"",
        "/assets/desk.js",
    ] {
        assert!(inbox.body.contains(shown), "{shown}: {}", inbox.body);
    }
    assert!(!inbox.body.contains("<script>"), "no inline script");

    let taken = desk
        .post_to("/desk/handoffs/1/take", &[("csrf", &token)])
        .await;
    assert_eq!(taken.status, 200, "{taken:?}");
    assert!(
        taken.body.contains("data-state=\"taken\""),
        "{}",
        taken.body
    );
    assert!(
        taken
            .body
            .contains("<li class=\"customer\"><p class=\"text\">請求書の宛名を変更したい</p></li>"),
        "the messages before the handoff: {}",
        taken.body
    );
    assert!(taken.body.contains("action=\"/desk/handoffs/1/reply\""));
    let page = customer.get("/chat").await;
    assert!(page.body.contains("担当者が参加しました"), "{}", page.body);

    let replied = desk
        .post_to(
            "/desk/handoffs/1/reply",
            &[("csrf", &token), ("text", "承知しました。確認します。")],
        )
        .await;
    assert_eq!(replied.status, 200, "{replied:?}");
    assert!(replied.body.contains("Sent to the customer of ticket #1"));
    let page = customer.get("/chat").await;
    assert!(
        page.body
            .contains("ヘルプデスク: 承知しました。確認します。"),
        "{}",
        page.body
    );
    let said = customer.say("宛名を変えたいのです").await;
    assert!(!said.contains("お答えできませんでした"), "relayed: {said}");
    let ticket = desk.get("/desk/handoffs/1").await;
    assert!(
        ticket.body.contains("宛名を変えたいのです"),
        "{}",
        ticket.body
    );

    let withheld = desk
        .post_to(
            "/desk/handoffs/1/reply",
            &[("csrf", &token), ("text", "新しいパスコード: RD22E-43MAZ")],
        )
        .await;
    assert_eq!(withheld.status, 422, "{withheld:?}");
    assert!(withheld.body.contains("it was not sent to the customer"));
    let dump = db.dump().await;
    assert!(!dump.contains("RD22E-43MAZ") && !dump.contains("RD22E43MAZ"));

    let faq = desk
        .post_to(
            "/desk/handoffs/1/faq",
            &[("csrf", &token), ("entry", "forgot-ibm-id")],
        )
        .await;
    assert_eq!(faq.status, 200, "{faq:?}");
    assert!(
        faq.body
            .contains("Sent the answer of FAQ entry forgot-ibm-id to ticket #1"),
        "{}",
        faq.body
    );
    let page = customer.get("/chat").await;
    assert!(
        page.body.contains("サイト番号をご確認の上"),
        "{}",
        page.body
    );

    let noted = desk
        .post_to(
            "/desk/handoffs/1/note",
            &[("csrf", &token), ("text", "請求書の件、経理に確認中")],
        )
        .await;
    assert_eq!(noted.status, 200, "{noted:?}");
    assert!(noted.body.contains("note (agents only)"), "{}", noted.body);
    let page = customer.get("/chat").await;
    assert!(
        !page.body.contains("経理に確認中"),
        "a note stays with agents"
    );

    let closed = desk
        .post_to("/desk/handoffs/1/close", &[("csrf", &token)])
        .await;
    assert_eq!(closed.status, 200, "{closed:?}");
    assert!(
        closed.body.contains("Ticket #1 is closed"),
        "{}",
        closed.body
    );
    assert!(closed.body.contains("data-state=\"closed\""));
    let page = customer.get("/chat").await;
    assert!(
        page.body.contains("担当者がチャットを終了しました"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1(不満)から5(満足)"), "{}", page.body);
    let inbox = desk.get("/desk/handoffs").await;
    assert!(!inbox.body.contains("id=\"ticket-1\""), "{}", inbox.body);

    let dump = db.dump().await;
    for audited in ["handoff_take", "handoff_close"] {
        assert!(dump.contains(audited), "{audited}: {dump}");
    }
}

async fn a_take_from_the_desk_racing_one_from_chat_has_one_winner(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let on_desk = registered_agent(&db, "telegram:900").await;
    let in_chat = registered_agent(&db, "discord:901").await;
    let (mut desk, token) = signed_in(&chat, &db, &on_desk).await;
    let _customer = queued_customer(&chat).await;

    let fields = [("csrf", token.as_str())];
    let (from_desk, from_chat) = tokio::join!(
        desk.post_to("/desk/handoffs/1/take", &fields),
        chat.message(&in_chat, "/take 1", true),
    );
    let chat_text = from_chat.replies[0].text.clone();
    let (ticket, _) = db
        .service
        .transcript(&ChatIdentity::local_operator(), TicketId(1))
        .await
        .expect("the ticket");
    assert_eq!(ticket.state, TicketState::Taken);
    let winner = ticket.agent.expect("a winner");
    if winner == on_desk {
        assert_eq!(from_desk.status, 200, "{from_desk:?}");
        assert!(
            chat_text.contains("telegram:900"),
            "the loser told who: {chat_text}"
        );
    } else {
        assert_eq!(winner, in_chat);
        assert!(chat_text.contains("#1"), "{chat_text}");
        assert_eq!(from_desk.status, 409, "{from_desk:?}");
        assert!(
            from_desk
                .body
                .contains("すでに discord:901 が担当しています"),
            "the loser told who: {}",
            from_desk.body
        );
    }
    let inbox = desk.get("/desk/handoffs").await;
    assert!(inbox.body.contains(&winner.to_string()), "{}", inbox.body);
    assert!(inbox.body.contains("対応中"), "{}", inbox.body);
}

async fn the_desk_event_stream_says_when_a_customer_queues_a_ticket(db: TestDb) {
    let chat = WebChat::start(&db).await;
    let agent = registered_agent(&db, "telegram:900").await;
    let (mut desk, _) = signed_in(&chat, &db, &agent).await;
    let script = desk.get("/assets/desk.js").await;
    assert_eq!(script.status, 200, "{script:?}");
    assert!(script.body.contains("new EventSource('/desk/events')"));
    // The stream's head: it is open, and has read the desk's pulse, before the customer asks.
    let mut events = desk.events("/desk/events").await;
    let head = events.seen();
    assert!(head.contains("text/event-stream"), "{head}");
    assert!(!head.contains("event: changed"), "{head}");

    queued_customer(&chat).await;
    events.wait_for("event: changed").await;
}
