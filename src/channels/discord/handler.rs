//! Serenity's events, each turned into the engine's messages and its replies into Discord
//! calls: slash commands, button presses and forms (interactions), direct messages and
//! messages that mention the bot. Serenity runs each event in a task of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serenity::all::{
    ChannelId, Command, CommandInteraction, ComponentInteraction, ComponentInteractionDataKind,
    Event, GuildId, Interaction, InteractionContext, Message, MessageFlags, ModalInteraction,
    Ready, ResumedEvent, User, UserId,
};
use serenity::builder::CreateInteractionResponse;
use serenity::client::{Context, EventHandler, RawEventHandler};
use tokio::sync::{Notify, OwnedRwLockReadGuard, RwLock};
use tokio_util::sync::CancellationToken;

use crate::channels::discord::commands::{self, Invocation};
use crate::channels::discord::form::{self, Form};
use crate::channels::discord::interaction::{Exchange, Interacted, Visibility};
use crate::channels::discord::{outbox, render};
use crate::conversation::{Content, Engine, Incoming};
use crate::domain::{Channel, ChatIdentity};
use crate::lang::Lang;

/// How long a form waits for the sender's language from the database before going by the
/// locale: the form has to be shown within Discord's three seconds.
const LANG_LOOKUP: Duration = Duration::from_millis(800);

pub(super) struct Handler {
    pub engine: Arc<Engine>,
    /// The bot's own user, whose mentions it answers in guild channels.
    pub me: UserId,
    /// Where slash commands are registered; globally when `None`.
    pub guild: Option<GuildId>,
    /// Tells the outbox a turn was handled, which may have queued a decision to deliver.
    /// (Not every event: in a guild, every message comes by, mentioning the bot or not.)
    pub kick: Arc<Notify>,
    /// Held (shared) while an event is handled, so that stopping waits for those in flight.
    pub in_flight: Arc<RwLock<()>>,
    pub stop: CancellationToken,
    /// Whether the slash commands were registered in this run; `false` to start with.
    pub registered: AtomicBool,
}

/// Who sent an event, where.
struct Origin<'a> {
    audience: Visibility,
    channel: ChannelId,
    user: &'a User,
    locale: Option<&'a str>,
}

impl Handler {
    /// Leave to handle an event: none once the channel is stopping.
    async fn enter(&self) -> Option<OwnedRwLockReadGuard<()>> {
        if self.stop.is_cancelled() {
            return None;
        }
        let guard = self.in_flight.clone().read_owned().await;
        (!self.stop.is_cancelled()).then_some(guard)
    }

    /// Registers the slash commands, in the guild or globally, replacing any registered
    /// before. Once per run: a later READY (a new session) finds them in place.
    async fn register(&self, ctx: &Context) {
        if self.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let bot = self.engine.bot();
        let messages = bot.knowledge().messages();
        let definitions = commands::definitions(self.guild.is_none(), messages);
        let registered = match self.guild {
            Some(guild) => guild.set_commands(&ctx.http, definitions).await,
            None => Command::set_global_commands(&ctx.http, definitions).await,
        };
        match registered {
            Ok(commands) => tracing::info!(
                commands = commands.len(),
                guild = ?self.guild.map(GuildId::get),
                "slash commands registered"
            ),
            Err(error) => {
                // Try again with the next session; direct messages work meanwhile.
                self.registered.store(false, Ordering::SeqCst);
                tracing::error!(%error, "slash commands not registered");
            }
        }
    }

    async fn command(&self, ctx: &Context, command: CommandInteraction) {
        let origin = Origin {
            audience: audience(command.guild_id, command.context),
            channel: command.channel_id,
            user: &command.user,
            locale: Some(&command.locale),
        };
        let mut exchange = Exchange {
            http: &ctx.http,
            id: command.id,
            token: &command.token,
            kind: Interacted::Command,
            audience: origin.audience,
        };
        let (text, only_sender) = match commands::invocation(&command.data) {
            Invocation::Form(form) => {
                let lang = self.lang(&origin).await;
                match form::modal(form, self.engine.bot().knowledge(), lang) {
                    Some(modal) => {
                        exchange
                            .create(CreateInteractionResponse::Modal(modal))
                            .await;
                        return;
                    }
                    None => (format!("/{}", command.data.name), false),
                }
            }
            Invocation::Text { text, only_sender } => (text, only_sender),
        };
        let audience = match origin.audience {
            Visibility::Channel if only_sender => Visibility::Sender,
            audience => audience,
        };
        exchange.audience = audience;
        let origin = Origin { audience, ..origin };
        let Some(incoming) = incoming(&origin, Content::Text(text), command.id.to_string()) else {
            return;
        };
        exchange.answer(self.engine.handle(incoming)).await;
    }

    async fn button(&self, ctx: &Context, press: ComponentInteraction) {
        // The reply is seen by whoever saw the message whose button was pressed.
        let ephemeral = press
            .message
            .flags
            .is_some_and(|flags| flags.contains(MessageFlags::EPHEMERAL));
        let audience = match audience(press.guild_id, press.context) {
            Visibility::Channel if ephemeral => Visibility::Sender,
            audience => audience,
        };
        let exchange = Exchange {
            http: &ctx.http,
            id: press.id,
            token: &press.token,
            kind: Interacted::Button,
            audience,
        };
        if !matches!(press.data.kind, ComponentInteractionDataKind::Button) {
            tracing::warn!(interaction = %press.id, "a component the bot never sends, ignored");
            exchange
                .create(CreateInteractionResponse::Acknowledge)
                .await;
            return;
        }
        let origin = Origin {
            audience,
            channel: press.channel_id,
            user: &press.user,
            locale: Some(&press.locale),
        };
        let content = Content::Button(press.data.custom_id.clone());
        let Some(incoming) = incoming(&origin, content, press.id.to_string()) else {
            return;
        };
        exchange.answer(self.engine.handle(incoming)).await;
    }

    async fn form(&self, ctx: &Context, submitted: ModalInteraction) {
        let Some(form) = Form::parse(&submitted.data.custom_id) else {
            tracing::warn!(interaction = %submitted.id, "a form the bot never opens, ignored");
            return;
        };
        // Whatever a form carries is for the sender's eyes only.
        let audience = match audience(submitted.guild_id, None) {
            Visibility::Channel => Visibility::Sender,
            audience => audience,
        };
        let origin = Origin {
            audience,
            channel: submitted.channel_id,
            user: &submitted.user,
            locale: Some(&submitted.locale),
        };
        let exchange = Exchange {
            http: &ctx.http,
            id: submitted.id,
            token: &submitted.token,
            kind: Interacted::Form,
            audience,
        };
        let answers = form::answers(&submitted.data);
        let Some(base) = incoming(&origin, Content::Text(String::new()), String::new()) else {
            return;
        };
        // Each value is a message of its own to the engine, with an id of its own, so that
        // a redelivered form is handled once.
        let message = |text: String, n: usize| Incoming {
            content: Content::Text(text),
            message_id: Some(format!("{}:{n}", submitted.id)),
            ..base.clone()
        };
        exchange
            .answer(form::submit(&self.engine, form, &answers, message))
            .await;
    }

    async fn direct_or_mention(&self, ctx: &Context, message: Message) {
        if message.author.bot {
            return;
        }
        let (audience, text) = match message.guild_id {
            None => (Visibility::Direct, message.content.clone()),
            Some(_) if message.mentions_user_id(self.me) => (
                Visibility::Channel,
                without_mention(&message.content, self.me),
            ),
            Some(_) => return,
        };
        if text.trim().is_empty() {
            tracing::debug!(message = %message.id, "a message without text, ignored");
            return;
        }
        let origin = Origin {
            audience,
            channel: message.channel_id,
            user: &message.author,
            locale: None,
        };
        let Some(mut incoming) = incoming(&origin, Content::Text(text), message.id.to_string())
        else {
            return;
        };
        incoming.replied_to = message
            .referenced_message
            .as_ref()
            .filter(|replied| replied.author.id == self.me)
            .map(|replied| replied.content.clone());
        let response = self.engine.handle(incoming).await;
        self.kick.notify_one();
        if response.delete_incoming {
            if audience == Visibility::Channel {
                if let Err(error) = message.delete(&ctx.http).await {
                    tracing::warn!(%error, message = %message.id, "a message carrying a secret could not be deleted");
                }
            } else {
                // Discord lets no bot delete what a user wrote in a direct message; only the
                // two of them can read it.
                tracing::debug!(message = %message.id, "a direct message carrying a secret stays");
            }
        }
        for reply in &response.replies {
            // A private reply in a guild channel goes to the sender's direct messages.
            if reply.private && audience == Visibility::Channel {
                let user = message.author.id.to_string();
                if let Err(error) = outbox::direct(&ctx.http, &user, reply).await {
                    tracing::warn!(%error, "a private reply could not be sent");
                }
                continue;
            }
            for part in render::parts(reply) {
                if let Err(error) = message
                    .channel_id
                    .send_message(&ctx.http, part.message())
                    .await
                {
                    tracing::warn!(%error, channel = %message.channel_id, "reply not sent");
                }
            }
        }
    }

    /// The language to show a form in: the one the sender chose or last spoke, else their
    /// Discord locale, else Japanese.
    async fn lang(&self, origin: &Origin<'_>) -> Lang {
        let person = format!("{}:{}", Channel::Discord, origin.user.id);
        let known = tokio::time::timeout(LANG_LOOKUP, self.engine.store().lang_of(&person));
        match known.await {
            Ok(Ok(Some(lang))) => lang,
            _ => origin.locale.and_then(lang_hint).unwrap_or(Lang::Ja),
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, "connected to the Discord gateway");
        self.engine.connections().connected(Channel::Discord);
        ctx.http.set_application_id(ready.application.id);
        self.register(&ctx).await;
    }

    async fn resume(&self, _ctx: Context, _resumed: ResumedEvent) {
        tracing::info!("Discord gateway session resumed");
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Some(_handling) = self.enter().await else {
            return;
        };
        match interaction {
            Interaction::Command(command) => self.command(&ctx, command).await,
            Interaction::Component(press) => self.button(&ctx, press).await,
            Interaction::Modal(submitted) => self.form(&ctx, submitted).await,
            Interaction::Ping(_) | Interaction::Autocomplete(_) => return,
            _ => {
                tracing::warn!("an interaction of an unknown kind, ignored");
                return;
            }
        }
        self.kick.notify_one();
    }

    async fn message(&self, ctx: Context, message: Message) {
        let Some(_handling) = self.enter().await else {
            return;
        };
        self.direct_or_mention(&ctx, message).await;
    }
}

/// Says which events serenity could not read: those reach no handler, and serenity itself
/// mentions them only at debug level.
pub(super) struct Unreadable;

#[serenity::async_trait]
impl RawEventHandler for Unreadable {
    async fn raw_event(&self, _ctx: Context, event: Event) {
        let Event::Unknown(unknown) = event else {
            return;
        };
        // Only the kind: the payload may hold what someone typed, a passcode in a form.
        match unknown.kind.as_str() {
            "INTERACTION_CREATE" | "MESSAGE_CREATE" => {
                tracing::warn!(event = %unknown.kind, "a malformed Discord event, skipped");
            }
            _ => {
                tracing::debug!(event = %unknown.kind, "a Discord event serenity does not know, skipped")
            }
        }
    }
}

/// Who sees the replies to an interaction, from where it happened.
fn audience(guild: Option<GuildId>, context: Option<InteractionContext>) -> Visibility {
    match (guild, context) {
        (Some(_), _) => Visibility::Channel,
        // A direct message between other people, where the app was used: only the sender
        // may see what the bot says.
        (None, Some(InteractionContext::PrivateChannel)) => Visibility::Sender,
        (None, _) => Visibility::Direct,
    }
}

/// The engine's message for `content` from `origin`; `None` (logged) for a sender id the
/// engine does not take, which Discord never sends.
fn incoming(origin: &Origin<'_>, content: Content, message_id: String) -> Option<Incoming> {
    let sender = match ChatIdentity::parse(&format!("{}:{}", Channel::Discord, origin.user.id)) {
        Ok(sender) => sender,
        Err(error) => {
            tracing::warn!(%error, user = %origin.user.id, "an event from an unknown kind of user, skipped");
            return None;
        }
    };
    Some(Incoming {
        channel: Channel::Discord,
        chat: origin.audience.chat(origin.channel),
        private: origin.audience.private(),
        sender,
        lang_hint: origin.locale.and_then(lang_hint),
        content,
        message_id: Some(message_id),
        replied_to: None,
    })
}

/// The engine's language for a Discord locale (`ja`, `en-US`, `en-GB`…).
fn lang_hint(locale: &str) -> Option<Lang> {
    let locale = locale.to_ascii_lowercase();
    if locale.starts_with("ja") {
        Some(Lang::Ja)
    } else if locale.starts_with("en") {
        Some(Lang::En)
    } else {
        None
    }
}

/// `text` without the mentions of user `me` (`<@ID>`, or `<@!ID>` as older clients write).
fn without_mention(text: &str, me: UserId) -> String {
    text.replace(&format!("<@{me}>"), " ")
        .replace(&format!("<@!{me}>"), " ")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_give_the_language_hint() {
        assert_eq!(lang_hint("ja"), Some(Lang::Ja));
        assert_eq!(lang_hint("en-US"), Some(Lang::En));
        assert_eq!(lang_hint("en-GB"), Some(Lang::En));
        assert_eq!(lang_hint("fr"), None);
    }

    #[test]
    fn the_mention_of_the_bot_is_not_part_of_the_question() {
        let me = UserId::new(42);
        assert_eq!(
            without_mention("<@42> パスワードを忘れた", me),
            "パスワードを忘れた"
        );
        assert_eq!(without_mention("help <@!42>", me), "help");
        assert_eq!(without_mention("<@7> hi", me), "<@7> hi");
    }

    #[test]
    fn ephemeral_conversations_are_kept_apart_from_the_channels() {
        let channel = ChannelId::new(5);
        assert_eq!(Visibility::Channel.chat(channel), "5");
        assert_eq!(Visibility::Sender.chat(channel), "5:ephemeral");
        assert_eq!(Visibility::Direct.chat(channel), "5");
        assert!(Visibility::Sender.private() && Visibility::Direct.private());
        assert!(!Visibility::Channel.private());
    }
}
