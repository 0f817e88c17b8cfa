//! The slash commands: one table gives each command's names and descriptions in English and
//! Japanese, its options, and who sees its replies; from it come the definitions registered
//! with Discord and the reading of an invocation as the engine's text command.

use serenity::all::{CommandData, CommandDataOptionValue, CommandOptionType, InteractionContext};
use serenity::builder::{CreateCommand, CreateCommandOption};

use crate::channels::discord::form::Form;

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

/// Who a command is for, which decides who sees its replies.
#[derive(Debug, Clone, Copy)]
enum Use {
    /// Customers' questions: answered where they were asked.
    Everyone,
    /// Help-desk commands: their replies name customers and sites, so only the agent sees
    /// them.
    Agents,
    /// Opens a form.
    Form(Form),
}

#[derive(Debug)]
struct Spec {
    name: &'static str,
    ja_name: &'static str,
    en: &'static str,
    ja: &'static str,
    usage: Use,
    options: &'static [OptionSpec],
}

#[derive(Debug)]
struct OptionSpec {
    name: &'static str,
    ja_name: &'static str,
    en: &'static str,
    ja: &'static str,
    kind: OptionKind,
    required: bool,
}

#[derive(Debug)]
enum OptionKind {
    Text,
    /// A request number: a positive integer.
    Number,
    /// One of these `(value, English name, Japanese name)`.
    Choice(&'static [(&'static str, &'static str, &'static str)]),
}

const SITE: OptionSpec = OptionSpec {
    name: "site",
    ja_name: "サイト番号",
    en: "The 7-digit site number",
    ja: "7桁のサイト番号",
    kind: OptionKind::Text,
    required: true,
};

const REQUEST: OptionSpec = OptionSpec {
    name: "id",
    ja_name: "番号",
    en: "The request number (see /pending)",
    ja: "リクエストの番号 (/pending で確認できます)",
    kind: OptionKind::Number,
    required: true,
};

/// Every command, in the order Discord lists them.
const COMMANDS: &[Spec] = &[
    Spec {
        name: "faq",
        ja_name: "よくある質問",
        en: "Ask a question about Passport Advantage Online, or see the topics",
        ja: "パスポート・アドバンテージ・オンラインについて質問する (質問なしでトピック一覧)",
        usage: Use::Everyone,
        options: &[OptionSpec {
            name: "question",
            ja_name: "質問",
            en: "Your question, in Japanese or English",
            ja: "ご質問 (日本語または英語)",
            kind: OptionKind::Text,
            required: false,
        }],
    },
    Spec {
        name: "nominate",
        ja_name: "セルフノミネーション",
        en: "Request access to a site (self-nomination)",
        ja: "サイトへのアクセスを申請する (セルフ・ノミネーション)",
        usage: Use::Form(Form::Nominate),
        options: &[],
    },
    Spec {
        name: "passcode",
        ja_name: "パスコード",
        en: "The site contact's first access, with the temporary passcode",
        ja: "サイト担当者の初回アクセス (テンポラリー・パスコード)",
        usage: Use::Form(Form::Passcode),
        options: &[],
    },
    Spec {
        name: "lang",
        ja_name: "言語",
        en: "Choose the language I answer in",
        ja: "ボットが答える言語を選ぶ",
        usage: Use::Everyone,
        options: &[OptionSpec {
            name: "language",
            ja_name: "言語",
            en: "Japanese or English",
            ja: "日本語または英語",
            kind: OptionKind::Choice(&[("ja", "Japanese", "日本語"), ("en", "English", "英語")]),
            required: false,
        }],
    },
    Spec {
        name: "help",
        ja_name: "ヘルプ",
        en: "What I can do",
        ja: "ボットにできること",
        usage: Use::Everyone,
        options: &[],
    },
    Spec {
        name: "pending",
        ja_name: "承認待ち",
        en: "Help desk: the access requests waiting for a decision",
        ja: "ヘルプデスク: 承認待ちのアクセス申請",
        usage: Use::Agents,
        options: &[],
    },
    Spec {
        name: "approve",
        ja_name: "承認",
        en: "Help desk: approve an access request",
        ja: "ヘルプデスク: アクセス申請を承認する",
        usage: Use::Agents,
        options: &[
            REQUEST,
            OptionSpec {
                name: "role",
                ja_name: "ロール",
                en: "The role to grant (user if left out)",
                ja: "付与するロール (省略時はユーザー)",
                kind: OptionKind::Choice(&[
                    ("user", "User", "ユーザー"),
                    ("secondary", "Secondary", "セカンダリー"),
                ]),
                required: false,
            },
        ],
    },
    Spec {
        name: "deny",
        ja_name: "否認",
        en: "Help desk: deny an access request",
        ja: "ヘルプデスク: アクセス申請を否認する",
        usage: Use::Agents,
        options: &[
            REQUEST,
            OptionSpec {
                name: "reason",
                ja_name: "理由",
                en: "Why, as the requester will read it",
                ja: "申請者に伝える否認の理由",
                kind: OptionKind::Text,
                required: true,
            },
        ],
    },
    Spec {
        name: "site",
        ja_name: "サイト",
        en: "Help desk: a site's members, lockout and pending requests",
        ja: "ヘルプデスク: サイトのメンバー、ロック状態、承認待ちの申請",
        usage: Use::Agents,
        options: &[SITE],
    },
    Spec {
        name: "unlock",
        ja_name: "ロック解除",
        en: "Help desk: lift a site's passcode lockout",
        ja: "ヘルプデスク: サイトのパスコードのロックを解除する",
        usage: Use::Agents,
        options: &[SITE],
    },
    Spec {
        name: "reissue",
        ja_name: "パスコード再発行",
        en: "Help desk: issue a new temporary passcode for a site",
        ja: "ヘルプデスク: サイトのテンポラリー・パスコードを再発行する",
        usage: Use::Agents,
        options: &[SITE],
    },
];

/// The commands to register; `global` ones also say where they may be used (guilds and the
/// bot's direct messages), which Discord reads for global commands only.
pub(super) fn definitions(global: bool) -> Vec<CreateCommand> {
    COMMANDS
        .iter()
        .map(|spec| {
            let mut command = CreateCommand::new(spec.name)
                .description(spec.en)
                .name_localized(JAPANESE, spec.ja_name)
                .description_localized(JAPANESE, spec.ja);
            for locale in ENGLISH {
                command = command
                    .name_localized(locale, spec.name)
                    .description_localized(locale, spec.en);
            }
            if global {
                command =
                    command.contexts(vec![InteractionContext::Guild, InteractionContext::BotDm]);
            }
            command.set_options(spec.options.iter().map(option).collect())
        })
        .collect()
}

fn option(spec: &OptionSpec) -> CreateCommandOption {
    let kind = match spec.kind {
        OptionKind::Text | OptionKind::Choice(_) => CommandOptionType::String,
        OptionKind::Number => CommandOptionType::Integer,
    };
    let mut option = CreateCommandOption::new(kind, spec.name, spec.en)
        .name_localized(JAPANESE, spec.ja_name)
        .description_localized(JAPANESE, spec.ja)
        .required(spec.required);
    for locale in ENGLISH {
        option = option
            .name_localized(locale, spec.name)
            .description_localized(locale, spec.en);
    }
    match spec.kind {
        OptionKind::Text => option,
        OptionKind::Number => option.min_int_value(1),
        OptionKind::Choice(choices) => choices.iter().fold(option, |option, &(value, en, ja)| {
            let names = ENGLISH
                .iter()
                .map(|&locale| (locale, en))
                .chain([(JAPANESE, ja)]);
            option.add_string_choice_localized(en, value, names)
        }),
    }
}

/// What an invocation of a slash command asks for: the engine's command with the options'
/// values as its words, in the order the command defines them (`/approve id:12
/// role:secondary` is `/approve 12 secondary`). A command this table does not know (one left
/// registered by an older version) goes to the engine as typed, which says it has no such
/// command.
pub(super) fn invocation(data: &CommandData) -> Invocation {
    let Some(spec) = COMMANDS.iter().find(|spec| spec.name == data.name) else {
        return Invocation::Text {
            text: format!("/{}", data.name),
            only_sender: false,
        };
    };
    let only_sender = match spec.usage {
        Use::Form(form) => return Invocation::Form(form),
        Use::Everyone => false,
        Use::Agents => true,
    };
    let mut text = format!("/{}", spec.name);
    for option in spec.options {
        let value = data.options.iter().find(|given| given.name == option.name);
        let word = match value.map(|given| &given.value) {
            Some(CommandDataOptionValue::String(value)) => value.trim().to_owned(),
            Some(CommandDataOptionValue::Integer(value)) => value.to_string(),
            Some(other) => {
                tracing::warn!(
                    command = spec.name,
                    option = option.name,
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
    Invocation::Text { text, only_sender }
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
        let valid_name = |name: &str| {
            (1..=32).contains(&name.chars().count())
                && name
                    .chars()
                    .all(|c| c == '-' || c == '_' || c.is_alphanumeric())
                && name.to_lowercase() == name
        };
        let valid_description = |text: &str| (1..=100).contains(&text.chars().count());
        for spec in COMMANDS {
            assert!(
                valid_name(spec.name) && valid_name(spec.ja_name),
                "{spec:?}"
            );
            assert!(
                valid_description(spec.en) && valid_description(spec.ja),
                "{spec:?}"
            );
            for option in spec.options {
                assert!(valid_name(option.name) && valid_name(option.ja_name));
                assert!(valid_description(option.en) && valid_description(option.ja));
            }
        }
        let registered = serde_json::to_value(definitions(true)).expect("serialisable");
        let faq = &registered[0];
        assert_eq!(faq["name_localizations"]["ja"], "よくある質問");
        assert_eq!(faq["name_localizations"]["en-US"], "faq");
        assert!(faq["description_localizations"]["ja"].is_string());
        assert_eq!(faq["contexts"], json!([0, 1]));
    }
}
