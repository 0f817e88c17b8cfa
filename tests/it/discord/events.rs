//! Gateway events in Discord's JSON shapes, as the fake Discord delivers them: slash
//! commands, button presses and submitted forms (INTERACTION_CREATE), and messages
//! (MESSAGE_CREATE), from a guild channel or a direct message.

use serde_json::{Value, json};

use super::fake::{APP_ID, BOT_ID, bot_user, dm_channel, token};

pub const GUILD: u64 = 1_300_000_000_000_000_001;
pub const CHANNEL: u64 = 1_300_000_000_000_000_002;
const TIMESTAMP: &str = "2025-04-01T00:00:00.000000+00:00";

/// Someone on Discord, with the locale their client reports.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub id: u64,
    pub name: &'static str,
    pub locale: &'static str,
}

impl Person {
    pub fn identity(&self) -> String {
        format!("discord:{}", self.id)
    }
}

/// Where something happens: the test guild's channel, or the person's direct messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Guild,
    Dm,
}

impl Place {
    pub fn channel(self, person: &Person) -> u64 {
        match self {
            Place::Guild => CHANNEL,
            Place::Dm => dm_channel(person.id),
        }
    }
}

pub fn user(person: &Person) -> Value {
    json!({
        "id": person.id.to_string(), "username": person.name, "discriminator": "0",
        "global_name": person.name, "avatar": null
    })
}

/// What every interaction carries; `kind` 2 is a slash command, 3 a component, 5 a form.
fn interaction(kind: u8, id: u64, person: &Person, place: Place, data: Value) -> Value {
    let mut interaction = json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
        "data": data, "channel_id": place.channel(person).to_string(), "token": token(id),
        "version": 1, "app_permissions": "2147483648", "locale": person.locale,
        "entitlements": [], "attachment_size_limit": 8_388_608
    });
    match place {
        Place::Guild => {
            interaction["guild_id"] = json!(GUILD.to_string());
            interaction["guild_locale"] = json!("ja");
            interaction["context"] = json!(0);
            interaction["member"] = json!({
                "user": user(person), "roles": [], "joined_at": TIMESTAMP, "deaf": false,
                "mute": false, "flags": 0, "permissions": "2147483648"
            });
        }
        Place::Dm => {
            interaction["context"] = json!(1);
            interaction["user"] = user(person);
        }
    }
    interaction
}

/// `/name` with `options` (`[{"name", "type", "value"}]`).
pub fn slash(id: u64, person: &Person, place: Place, name: &str, options: Value) -> Value {
    let data = json!({"id": "1300000000000000100", "name": name, "type": 1, "options": options});
    interaction(2, id, person, place, data)
}

/// A press of the button `custom_id` under `message`, a message of the bot's.
pub fn press(id: u64, person: &Person, place: Place, custom_id: &str, message: Value) -> Value {
    let data = json!({"custom_id": custom_id, "component_type": 2});
    let mut press = interaction(3, id, person, place, data);
    press["message"] = message;
    press
}

/// The form `custom_id` submitted with `fields` (`(custom id, value)`).
pub fn submit(
    id: u64,
    person: &Person,
    place: Place,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let rows: Vec<Value> = fields
        .iter()
        .map(|(field, value)| {
            json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]})
        })
        .collect();
    let data = json!({"custom_id": custom_id, "components": rows});
    interaction(5, id, person, place, data)
}

/// A message of the bot's, as a press carries it; `flags` 64 is an ephemeral one.
pub fn bot_message(id: u64, channel: u64, content: &str, flags: u64) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": bot_user(),
        "content": content, "timestamp": TIMESTAMP, "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": false, "type": 0, "flags": flags
    })
}

/// A message `person` writes in `place`, mentioning the bot when `mention`.
pub fn message(id: u64, person: &Person, place: Place, content: &str, mention: bool) -> Value {
    let (content, mentions) = if mention {
        (format!("<@{BOT_ID}> {content}"), vec![bot_user()])
    } else {
        (content.to_owned(), vec![])
    };
    let mut message = json!({
        "id": id.to_string(), "channel_id": place.channel(person).to_string(),
        "author": user(person), "content": content, "timestamp": TIMESTAMP,
        "edited_timestamp": null, "tts": false, "mention_everyone": false,
        "mentions": mentions, "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0
    });
    if place == Place::Guild {
        message["guild_id"] = json!(GUILD.to_string());
    }
    message
}

/// `person`'s reply in `place` to the bot's message `replied`, as Discord sends one: of type
/// 19, with the reference and the message replied to.
pub fn reply(id: u64, person: &Person, place: Place, content: &str, replied: &Value) -> Value {
    let mut message = message(id, person, place, content, false);
    message["type"] = json!(19);
    message["message_reference"] = json!({
        "type": 0, "message_id": replied["id"], "channel_id": replied["channel_id"]
    });
    message["referenced_message"] = replied.clone();
    message
}
