//! The conversation engine: one transport-neutral core that every channel feeds with an
//! [`Incoming`] message and renders the [`Response`] of, so that the console, Telegram and
//! Discord behave the same.
//!
//! A message is handled in one *turn*: the person's state in that chat is read from the
//! [`Store`] (with a redelivered message recognised and dropped), the message is dispatched,
//! and the new state is written back with everything the message changed. What a message can
//! be, in the order it is tried:
//!
//! - a button press ([`payload`]): a "did you mean" pick, feedback, a topic, yes/no, approve…
//! - a slash command of the [table](crate::commands) ([`command`]): `/help`, `/lang`, `/faq`,
//!   `/nominate`, `/passcode`, `/cancel`, and the help-desk agents' `/pending`, `/approve`,
//!   `/deny`, `/site`, `/unlock`, `/reissue` ([`agent`]);
//! - "cancel" in either language, which leaves any procedure;
//! - the answer to the step a guided procedure is waiting on ([`flow`]);
//! - otherwise a question for the FAQ ([`faq`]).
//!
//! A message longer than [`MAX_MESSAGE_CHARS`](crate::answer::MAX_MESSAGE_CHARS) is refused
//! unread, with nothing kept.
//!
//! When the database cannot be reached the turn goes on without memory: FAQ answers still
//! work, account actions say they are unavailable, and nothing is half-written.

mod agent;
mod command;
mod delivery;
mod faq;
mod flow;
mod handoff;
mod locks;
mod message;
mod payload;
mod queued;
mod state;
mod store;
pub(crate) mod wording;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::Notify;
use tracing::Instrument;

pub use message::{Button, ButtonAction, Content, Handled, Incoming, Reply, ReplyRoute, Response};
pub use store::{
    Cleared, DayCounts, EntryStats, Figures, GRACE_MS, NotHelpedStats, Period, Store,
    UnansweredStats,
};

use crate::answer::{Answerer, lang_of_start, too_long};
use crate::commands::SlashCommand;
use crate::config::HelpDeskSettings;
use crate::conversation::command::{TypedCommand, is_cancel};
use crate::conversation::locks::KeyedLocks;
use crate::conversation::payload::Payload;
use crate::conversation::queued::{QueuedReplies, queueable, queued_replies};
use crate::conversation::state::{ChatState, Flow};
use crate::conversation::store::{InHandoff, Turn};
use crate::database::Database;
use crate::domain::{ChatIdentity, Timestamp};
use crate::knowledge::{KnowledgeBase, Messages, Slot};
use crate::lang::{Lang, Localized};
use crate::live::LiveKnowledge;
use crate::policy::{self, CONVERSATION_TIMEOUT};
use crate::service::{AccountService, Clock, ServiceError, SqlService, SystemClock};
use crate::telemetry::{self, readiness::ChannelStatus};

/// The engine: the knowledge, the account service and the conversations' memory.
pub struct Engine {
    knowledge: Arc<LiveKnowledge>,
    service: Arc<dyn AccountService>,
    store: Store,
    clock: Arc<dyn Clock>,
    locks: KeyedLocks,
    desk: HelpDeskSettings,
    connections: Arc<ChannelStatus>,
    /// The web page's address, when this bot serves it: `/web`'s links start with it.
    web_url: Option<String>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// One message being handled: what came in, the person's state, and the replies so far.
struct Ctx<'a> {
    engine: &'a Engine,
    /// The knowledge base the whole turn answers from, whatever a reload does meanwhile.
    bot: &'a Answerer,
    incoming: &'a Incoming,
    state: ChatState,
    /// `None` when the database could not be reached: nothing is remembered.
    turn: Option<Turn<'a>>,
    /// The sender's part in the help desk's tickets as the turn began; `None` when unknown.
    handoff: Option<InHandoff>,
    /// The language to reply in.
    lang: Lang,
    out: Response,
}

impl Engine {
    /// The engine as `pao-bot` runs it: the account service on `db` ([`SqlService`]) and the
    /// system's clock.
    pub fn on_database(bot: Arc<Answerer>, db: Database) -> Engine {
        Engine::on_database_live(Arc::new(LiveKnowledge::new(bot)), db)
    }

    /// [`Engine::on_database`] answering from a knowledge base that reloads.
    pub fn on_database_live(knowledge: Arc<LiveKnowledge>, db: Database) -> Engine {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let service = Arc::new(SqlService::new(db.clone(), clock.clone()));
        Engine::live(knowledge, service, db, clock)
    }

    /// The engine of [`on_database`](Engine::on_database) with its conversations kept in
    /// this process's memory instead ([`Store::in_memory`]): what the engine's own work costs
    /// without the database's reads and writes (`benches/engine.rs`).
    pub fn in_memory(bot: Arc<Answerer>, db: Database) -> Engine {
        Engine {
            store: Store::in_memory(db.clone()),
            ..Engine::on_database(bot, db)
        }
    }

    /// The engine with the given parts; tests give it a clock of their own.
    pub fn new(
        bot: Arc<Answerer>,
        service: Arc<dyn AccountService>,
        db: Database,
        clock: Arc<dyn Clock>,
    ) -> Engine {
        Engine::live(Arc::new(LiveKnowledge::new(bot)), service, db, clock)
    }

    /// [`Engine::new`] answering from a knowledge base that reloads.
    pub fn live(
        knowledge: Arc<LiveKnowledge>,
        service: Arc<dyn AccountService>,
        db: Database,
        clock: Arc<dyn Clock>,
    ) -> Engine {
        Engine {
            knowledge,
            service,
            store: Store::new(db),
            clock,
            locks: KeyedLocks::default(),
            desk: HelpDeskSettings::default(),
            connections: Arc::default(),
            web_url: None,
        }
    }

    /// The engine with the help desk's hours, waiting limit and retention.
    pub fn with_help_desk(self, desk: HelpDeskSettings) -> Engine {
        Engine { desk, ..self }
    }

    /// The engine of a bot that serves the web page at `url` (none when `None`).
    pub fn with_web_url(self, url: Option<String>) -> Engine {
        let web_url = url.map(|url| url.trim_end_matches('/').to_owned());
        Engine { web_url, ..self }
    }

    /// One round of the help desk's waiting limit ([`HelpDesk::remind_waiting`]); the bot
    /// runs it in a loop, tests call it after moving their clock.
    pub async fn remind_waiting_once(&self) -> Result<usize, ServiceError> {
        self.service.remind_waiting(self.desk.waiting_limit).await
    }

    /// Deletes the transcripts older than the retention ([`HelpDesk::purge_transcripts`]).
    pub async fn purge_transcripts_once(&self) -> Result<u64, ServiceError> {
        self.service.purge_transcripts(self.desk.retention).await
    }

    /// The knowledge base in use now: a snapshot, which a later reload does not change.
    pub fn bot(&self) -> Arc<Answerer> {
        self.knowledge.snapshot()
    }

    pub fn knowledge(&self) -> &Arc<LiveKnowledge> {
        &self.knowledge
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn service(&self) -> &dyn AccountService {
        self.service.as_ref()
    }

    /// The time by the engine's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Woken after each service write that may have queued outbox messages: delivery loops
    /// await it beside their round, so that relayed messages go at once.
    pub fn outbox_written(&self) -> &Notify {
        self.service.outbox_written()
    }

    /// Which configured channels are connected: the channels say, `/readyz` reads.
    pub fn connections(&self) -> &Arc<ChannelStatus> {
        &self.connections
    }

    /// Handles one message. Never fails: whatever goes wrong is said to the sender.
    pub async fn handle(&self, incoming: Incoming) -> Response {
        self.handle_routed(incoming, None).await.response
    }

    /// [`Engine::handle`], with the replies queued in the outbox for `route` (when given) in
    /// the turn's transaction, so that they are sent even if this replica dies before
    /// sending them ([`Handled`]).
    pub async fn handle_routed(&self, incoming: Incoming, route: Option<&ReplyRoute>) -> Handled {
        let channel = incoming.channel;
        telemetry::message_in(channel);
        let started = Instant::now();
        let span = tracing::info_span!("turn", id = %turn_id(), %channel);
        let (handled, replies) = async {
            tracing::info!(chat = %incoming.chat, message = incoming.message_id.as_deref(), "message in");
            let (out, replies) = self.turn(incoming, route).await;
            tracing::info!(replies, queued = replies - out.response.replies.len(), "replies out");
            (out, replies)
        }
        .instrument(span)
        .await;
        telemetry::turn(channel, replies, started.elapsed());
        handled
    }

    /// A turn, with its replies queued for `route` when they may be: none only the sender may
    /// see or that may hold a passcode, nor any while the message itself is to be deleted
    /// (the outbox keeps what it sends). Returns the response left to send at once, and what
    /// was queued.
    async fn turn_queueing(
        &self,
        incoming: Incoming,
        route: Option<&ReplyRoute>,
    ) -> (Response, Option<QueuedReplies>) {
        let chat = format!("{}:{}", incoming.channel, incoming.chat);
        let person = incoming.sender.to_string();
        let _turn_lock = self.locks.lock(&format!("{chat}\n{person}")).await;
        let bot = self.bot();
        let message_id = incoming.message_id.as_deref();
        let reading = Instant::now();
        let begun = self
            .store
            .begin(&chat, &incoming.chat, &person, message_id)
            .await;
        telemetry::database_round("read_state", reading.elapsed());
        let (turn, state, handoff) = match begun {
            Ok((_, loaded)) if loaded.handled => {
                tracing::info!(%chat, "message already handled: a redelivery, dropped");
                return (Response::default(), None);
            }
            Ok((turn, loaded)) => (Some(turn), loaded.state, Some(loaded.handoff)),
            Err(error) => {
                tracing::warn!(%error, "conversation state unavailable; answering without it");
                (None, ChatState::default(), None)
            }
        };
        if let Content::Text(text) = &incoming.content
            && too_long(text)
        {
            // Refused unread: nothing is matched, and the turn ends without writing anything.
            let lang = state
                .preference
                .or(state.lang)
                .or(incoming.lang_hint)
                .or_else(|| lang_of_start(text))
                .unwrap_or(Lang::Ja);
            let messages = bot.knowledge().messages();
            let text = messages.say(&messages.too_long, lang, &[]);
            let awaiting = flow::awaited(bot.knowledge(), state.flow.as_ref());
            let out = Response {
                replies: vec![Reply::text(text)],
                // Sent at the passcode step, it may hold one.
                delete_incoming: awaiting == Some(Slot::Passcode),
                awaiting,
                lang: Some(lang),
            };
            return (out, None);
        }
        let lang = state
            .preference
            .or(state.lang)
            .or(incoming.lang_hint)
            .unwrap_or(Lang::Ja);
        let mut ctx = Ctx {
            engine: self,
            bot: &bot,
            incoming: &incoming,
            state,
            turn,
            handoff,
            lang,
            out: Response::default(),
        };
        let now = self.clock.now();
        if ctx.state.expired(now) && ctx.state.flow.take().is_some() {
            let minutes = policy::minutes(CONVERSATION_TIMEOUT).to_string();
            ctx.say(|m| &m.timed_out, &[("minutes", &minutes)]);
        }
        let secret_awaited =
            flow::awaited(bot.knowledge(), ctx.state.flow.as_ref()) == Some(Slot::Passcode);
        ctx.dispatch().await;
        let Ctx {
            mut state,
            turn,
            lang,
            mut out,
            ..
        } = ctx;
        // What a ticket shows the agents: texts, not commands, and nothing that may be a
        // passcode beyond the masking.
        if let Content::Text(text) = &incoming.content
            && !text.trim_start().starts_with('/')
            && !out.delete_incoming
            && !secret_awaited
        {
            state.remember(text);
        }
        out.awaiting = flow::awaited(bot.knowledge(), state.flow.as_ref());
        out.lang = Some(lang);
        if state.lang.is_none() || state.preference.is_none() {
            state.lang = Some(lang);
        }
        let Some(mut turn) = turn else {
            return (out, None);
        };
        let relays = turn.relays();
        let events = route
            .filter(|_| queueable(&out))
            .and_then(|route| queued_replies(&out.replies, route))
            .filter(|events| !events.is_empty());
        if let (Some(route), Some(events)) = (route, &events) {
            for (event, payload) in events {
                turn.queue(&route.chat, event.kind(), payload.clone());
            }
        }
        let writing = Instant::now();
        let finished = turn.finish(&state, message_id, now).await;
        telemetry::database_round("write_state", writing.elapsed());
        if relays && finished.is_ok() {
            self.outbox_written().notify_waiters();
        }
        match (finished, route, events) {
            (Ok(claimed), Some(route), Some(events)) => {
                out.replies.clear();
                let queued = QueuedReplies {
                    recipient: route.chat.clone(),
                    at: now,
                    events: events.into_iter().map(|(event, _)| event).collect(),
                    claimed,
                };
                (out, Some(queued))
            }
            (Ok(_), _, _) => (out, None),
            // The relayed message went nowhere: the customer is told, as when the help desk
            // cannot be reached.
            (Err(error), _, _) if relays => {
                tracing::warn!(%error, "relayed message not saved");
                let messages = bot.knowledge().messages();
                out.replies = vec![Reply::text(messages.say(&messages.unavailable, lang, &[]))];
                (out, None)
            }
            (Err(error), _, _) => {
                // Nothing was queued either: the replies are sent at once.
                tracing::warn!(%error, "conversation state not saved");
                (out, None)
            }
        }
    }
}

/// An id for a turn's log events, unique among the processes of one host: the process id and
/// a count.
fn turn_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl<'a> Ctx<'a> {
    fn kb(&self) -> &'a KnowledgeBase {
        self.bot.knowledge()
    }

    fn messages(&self) -> &'a Messages {
        self.kb().messages()
    }

    /// A fixed sentence in the reply language.
    fn text<F>(&self, pick: F, values: &[(&str, &str)]) -> String
    where
        F: FnOnce(&Messages) -> &Localized,
    {
        let messages = self.messages();
        messages.say(pick(messages), self.lang, values)
    }

    fn say<F>(&mut self, pick: F, values: &[(&str, &str)])
    where
        F: FnOnce(&Messages) -> &Localized,
    {
        let text = self.text(pick, values);
        self.reply(Reply::text(text));
    }

    fn reply(&mut self, reply: Reply) {
        self.out.replies.push(reply);
    }

    fn button(&self, pick: fn(&Messages) -> &Localized, payload: Payload) -> Button {
        Button::payload(self.text(pick, &[]), payload.encode())
    }

    fn sender(&self) -> &'a ChatIdentity {
        &self.incoming.sender
    }

    async fn dispatch(&mut self) {
        let text = match &self.incoming.content {
            Content::Button(payload) => {
                match Payload::parse(payload) {
                    Some(payload) => self.pressed(payload).await,
                    None => tracing::warn!(payload = %payload, "unknown button payload ignored"),
                }
                return;
            }
            Content::Text(text) => text.as_str(),
        };
        if let Some(typed) = TypedCommand::parse(text) {
            return self.command(typed).await;
        }
        if self.handoff_text(text).await {
            return;
        }
        // Outside a flow too: "cancel" is not a question for the FAQ.
        if is_cancel(text) {
            return self.cancel();
        }
        match self.state.flow.clone() {
            Some(Flow::Procedure { .. }) => self.flow_answer(text).await,
            Some(Flow::DenyReason { nomination }) => self.deny_reason(nomination, text).await,
            None => self.ask(text),
        }
    }

    async fn pressed(&mut self, payload: Payload) {
        match payload {
            Payload::Entry(id) => self.show_entry(&id),
            Payload::Topic(id) => self.topic(&id),
            Payload::Start(id) => self.start(&id),
            Payload::Feedback { answer, helped } => self.feedback(answer, helped),
            Payload::Lang(lang) => self.set_lang(lang),
            Payload::Yes | Payload::No if self.state.flow.is_some() => {
                let word = if payload == Payload::Yes { "yes" } else { "no" };
                self.flow_answer(word).await;
            }
            // A confirmation whose flow is gone: it ended, or could not be read.
            Payload::Yes | Payload::No if self.turn.is_none() => {
                self.say(|m| &m.unavailable, &[]);
            }
            Payload::Yes | Payload::No => self.say(|m| &m.nothing_to_cancel, &[]),
            Payload::Cancel => self.cancel(),
            Payload::Approve(id, role) => self.approve(id, role).await,
            Payload::Deny(id) => self.ask_deny_reason(id),
            Payload::Handoff => self.request_handoff().await,
            Payload::Take(ticket) => self.take(ticket).await,
            Payload::Rate(ticket, rating) => self.rate(ticket, rating).await,
        }
    }

    async fn command(&mut self, typed: TypedCommand) {
        let Some(command) = typed.command() else {
            return self.say(|m| &m.unknown_command, &[]);
        };
        let args = typed.args.as_str();
        match command {
            SlashCommand::Start => {
                self.state.flow = None;
                self.greet();
            }
            SlashCommand::Help => {
                let help = wording::help(self.messages(), self.lang, self.incoming.channel);
                self.reply(Reply::text(help));
            }
            SlashCommand::Lang => match args.parse::<Lang>() {
                Ok(lang) => self.set_lang(lang),
                Err(_) => {
                    let text = self.text(|m| &m.lang_choose, &[]);
                    let buttons = vec![
                        Button::payload("日本語", Payload::Lang(Lang::Ja).encode()),
                        Button::payload("English", Payload::Lang(Lang::En).encode()),
                    ];
                    self.reply(Reply::text(text).with_buttons(buttons));
                }
            },
            SlashCommand::Faq if args.is_empty() => self.topics(),
            SlashCommand::Faq => {
                if !self.faq_to_customer(args).await {
                    self.ask(args);
                }
            }
            SlashCommand::Nominate | SlashCommand::Passcode => self.start_by_command(command),
            SlashCommand::Cancel => self.cancel(),
            SlashCommand::Pending => self.pending().await,
            SlashCommand::Approve => self.approve_command(args).await,
            SlashCommand::Deny => self.deny_command(args).await,
            SlashCommand::Site => self.site(args).await,
            SlashCommand::Unlock => self.unlock(args).await,
            SlashCommand::Reissue => self.reissue(args).await,
            SlashCommand::Human => self.request_handoff().await,
            SlashCommand::End => self.end_command().await,
            SlashCommand::Inbox => self.inbox().await,
            SlashCommand::Take => self.take_command(args).await,
            SlashCommand::Note => self.note(args).await,
            SlashCommand::Transfer => self.transfer(args).await,
            SlashCommand::Close => self.close(args).await,
            SlashCommand::Web => self.web_link().await,
        }
    }

    /// The greeting and the help line, as `/start` and a hello get.
    fn greet(&mut self) {
        let greeting = self.text(|m| &m.greeting, &[]);
        let help = wording::help(self.messages(), self.lang, self.incoming.channel);
        self.reply(Reply::text(format!("{greeting}\n\n{help}")));
    }

    fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
        self.state.preference = Some(lang);
        self.state.lang = Some(lang);
        if let Some(turn) = &mut self.turn {
            turn.prefer(lang);
        }
        self.say(|m| &m.lang_set, &[]);
    }

    fn cancel(&mut self) {
        if self.state.flow.take().is_some() {
            self.say(|m| &m.cancelled, &[]);
        } else {
            self.say(|m| &m.nothing_to_cancel, &[]);
        }
    }

    /// Says what an account action's refusal means, in the reply language.
    fn refused(&mut self, error: &ServiceError) {
        if let ServiceError::Unavailable(cause) = error {
            tracing::warn!(error = %cause, "account action failed: database unavailable");
        }
        let text = wording::refusal(self.messages(), error, self.lang);
        self.reply(Reply::text(text));
    }
}
