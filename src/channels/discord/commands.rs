//! The slash commands on Discord: the definitions registered, built from the table of
//! [`commands`](crate::commands) and the descriptions of `faq/messages.yaml`, and the reading
//! of an invocation as the engine's text command, or as a form to open.

use serenity::all::{CommandData, CommandDataOptionValue, CommandOptionType, InteractionContext};
use serenity::builder::{CreateCommand, CreateCommandOption};

use crate::channels::discord::form::Form;
use crate::commands::{Argument, ArgumentKind, Audience, Offered, SlashCommand};
use crate::knowledge::Messages;
use crate::lang::Lang;

/// The locales the English names and descriptions are given for, besides the default.
const ENGLISH: [&str; 2] = ["en-US", "en-GB"];
const JAPANESE: &str = "ja";

/// What an invocation asks of the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Invocation {
    /// Hand the engine this text command.
    Text {
        text: String,
        /// The replies are for the sender's eyes only (ephemeral in a guild channel).
        only_sender: bool,
    },
    /// Open this form.
    Form(Form),
}

/// The commands Discord offers, in the table's order.
fn offered() -> impl Iterator<Item = SlashCommand> {
    SlashCommand::ALL
        .into_iter()
        .filter(|command| command.offered() == Offered::Everywhere)
}

/// The form a command opens instead of going to the engine as typed: the procedures that
/// would otherwise ask their values one message at a time.
fn form(command: SlashCommand) -> Option<Form> {
    [Form::Passcode, Form::Nominate]
        .into_iter()
        .find(|form| form.command() == command)
}

/// The commands to register, described as `messages` say; `global` ones also say where
/// they may be used (guilds and the bot's direct messages), which Discord reads for global
/// commands only.
pub(super) fn definitions(global: bool, messages: &Messages) -> Vec<CreateCommand> {
    offered()
        .map(|spec| {
            let described = messages.commands.of(spec);
            let (en, ja) = (described.en.trim(), described.ja.trim());
            let mut command = CreateCommand::new(spec.name())
                .description(en)
                .name_localized(JAPANESE, spec.ja_name())
                .description_localized(JAPANESE, ja);
            for locale in ENGLISH {
                command = command
                    .name_localized(locale, spec.name())
                    .description_localized(locale, en);
            }
            if global {
                command =
                    command.contexts(vec![InteractionContext::Guild, InteractionContext::BotDm]);
            }
            let options = spec
                .arguments()
                .iter()
                .map(|&argument| option(argument, messages))
                .collect();
            command.set_options(options)
        })
        .collect()
}

fn option(argument: Argument, messages: &Messages) -> CreateCommandOption {
    let kind = match argument.kind() {
        ArgumentKind::Text | ArgumentKind::Choice(_) => CommandOptionType::String,
        ArgumentKind::Number => CommandOptionType::Integer,
    };
    let described = messages.arguments.of(argument);
    let (en, ja) = (
        described.get(Lang::En).trim(),
        described.get(Lang::Ja).trim(),
    );
    let mut option = CreateCommandOption::new(kind, argument.name(), en)
        .name_localized(JAPANESE, argument.ja_name())
        .description_localized(JAPANESE, ja)
        .required(argument.required());
    for locale in ENGLISH {
        option = option
            .name_localized(locale, argument.name())
            .description_localized(locale, en);
    }
    match argument.kind() {
        ArgumentKind::Text => option,
        ArgumentKind::Number => option.min_int_value(1),
        ArgumentKind::Choice(choices) => choices.iter().fold(option, |option, choice| {
            let names = ENGLISH
                .iter()
                .map(|&locale| (locale, choice.en))
                .chain([(JAPANESE, choice.ja)]);
            option.add_string_choice_localized(choice.en, choice.value, names)
        }),
    }
}

/// What an invocation of a slash command asks for: the engine's command with the options'
/// values as its words, in the order the command defines them (`/approve id:12
/// role:secondary` is `/approve 12 secondary`). A command the table does not offer here (one
/// left registered by an older version) goes to the engine as typed, which says it has no
/// such command.
pub(super) fn invocation(data: &CommandData) -> Invocation {
    let Some(command) = offered().find(|command| command.name() == data.name) else {
        return Invocation::Text {
            text: format!("/{}", data.name),
            only_sender: false,
        };
    };
    if let Some(form) = form(command) {
        return Invocation::Form(form);
    }
    let mut text = command.to_string();
    for argument in command.arguments() {
        let value = data
            .options
            .iter()
            .find(|given| given.name == argument.name());
        let word = match value.map(|given| &given.value) {
            Some(CommandDataOptionValue::String(value)) => value.trim().to_owned(),
            Some(CommandDataOptionValue::Integer(value)) => value.to_string(),
            Some(other) => {
                tracing::warn!(
                    command = command.name(),
                    option = argument.name(),
                    kind = ?other.kind(),
                    "slash command option of an unexpected type, left out"
                );
                continue;
            }
            None => continue,
        };
        if !word.is_empty() {
            text.push(' ');
            text.push_str(&word);
        }
    }
    Invocation::Text {
        text,
        only_sender: command.audience() == Audience::Agents,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(value: serde_json::Value) -> CommandData {
        serde_json::from_value(value).expect("command data in Discord's shape")
    }

    #[test]
    fn options_become_the_words_of_the_engine_command() {
        let approve = data(json!({
            "id": "1", "name": "approve", "type": 1,
            "options": [
                {"name": "role", "type": 3, "value": "secondary"},
                {"name": "id", "type": 4, "value": 12}
            ]
        }));
        assert_eq!(
            invocation(&approve),
            Invocation::Text {
                text: "/approve 12 secondary".to_owned(),
                only_sender: true
            }
        );
        let faq = data(json!({
            "id": "1", "name": "faq", "type": 1,
            "options": [{"name": "question", "type": 3, "value": " IBM IDを忘れた "}]
        }));
        assert_eq!(
            invocation(&faq),
            Invocation::Text {
                text: "/faq IBM IDを忘れた".to_owned(),
                only_sender: false
            }
        );
        let topics = data(json!({"id": "1", "name": "faq", "type": 1}));
        assert_eq!(
            invocation(&topics),
            Invocation::Text {
                text: "/faq".to_owned(),
                only_sender: false
            }
        );
        let passcode = data(json!({"id": "1", "name": "passcode", "type": 1}));
        assert_eq!(invocation(&passcode), Invocation::Form(Form::Passcode));
    }

    #[test]
    fn every_command_is_named_and_described_in_both_languages_within_discords_limits() {
        let faq = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let kb = crate::knowledge::KnowledgeBase::load(&faq).expect("the shipped faq loads");
        let valid_name = |name: &serde_json::Value| {
            let name = name.as_str().unwrap_or_default();
            (1..=32).contains(&name.chars().count())
                && name
                    .chars()
                    .all(|c| c == '-' || c == '_' || c.is_alphanumeric())
                && name.to_lowercase() == name
        };
        let valid_description = |text: &serde_json::Value| {
            (1..=100).contains(&text.as_str().unwrap_or_default().chars().count())
        };
        let registered =
            serde_json::to_value(definitions(true, kb.messages())).expect("serialisable");
        let all = registered.as_array().expect("a list");
        let options = all
            .iter()
            .flat_map(|c| c["options"].as_array().into_iter().flatten());
        for spec in all.iter().chain(options) {
            assert!(valid_name(&spec["name"]), "{spec:#}");
            assert!(valid_name(&spec["name_localizations"]["ja"]), "{spec:#}");
            assert!(valid_description(&spec["description"]), "{spec:#}");
            assert!(
                valid_description(&spec["description_localizations"]["ja"]),
                "{spec:#}"
            );
        }
        let faq = &registered[0];
        assert_eq!(faq["name_localizations"]["ja"], "よくある質問");
        assert_eq!(faq["name_localizations"]["en-US"], "faq");
        assert!(faq["description_localizations"]["ja"].is_string());
        assert_eq!(faq["contexts"], json!([0, 1]));
    }
}
