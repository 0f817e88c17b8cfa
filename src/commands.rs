//! The one table of slash commands: each command's names, who it is for, where it is offered
//! and its arguments. The engine parses typed commands with it, Telegram's menu and Discord's
//! slash commands are built from it, and `/help` lists it. What each command and argument
//! does is said in `faq/messages.yaml` (`commands:` and `arguments:`), which must describe
//! every one of them in both languages ([`Described`]), so that `pao-bot check` refuses a
//! command added here and not there.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;

use crate::lang::{Lang, Localized};

/// The longest description a platform takes: Discord's, for commands and their options.
pub const DESCRIPTION_MAX_CHARS: usize = 100;

/// A slash command, in the order the menus list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum SlashCommand {
    Faq,
    Nominate,
    Passcode,
    Lang,
    Cancel,
    Help,
    Start,
    Human,
    End,
    Pending,
    Approve,
    Deny,
    Site,
    Unlock,
    Reissue,
    Inbox,
    Take,
    Note,
    Transfer,
    Close,
    Web,
}

/// Who a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Customers: offered in every menu, answered where asked.
    Everyone,
    /// Help-desk agents: kept out of customers' menus; their replies name customers and
    /// sites, so only the agent sees them where a platform can tell.
    Agents,
}

/// Where a command is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    Everywhere,
    /// Only where procedures are typed step by step (Telegram, the console): Discord asks
    /// them in forms, which need no `/cancel`, and has no `/start`.
    TypedChats,
}

/// An argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Argument {
    Question,
    Language,
    Request,
    Role,
    Reason,
    Site,
    Ticket,
    Text,
}

/// What an argument's value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentKind {
    Text,
    /// A request number: a positive integer.
    Number,
    /// One of these.
    Choice(&'static [Choice]),
}

/// One value of a [`ArgumentKind::Choice`], with its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub en: &'static str,
    pub ja: &'static str,
}

impl SlashCommand {
    pub const ALL: [SlashCommand; 21] = [
        SlashCommand::Faq,
        SlashCommand::Nominate,
        SlashCommand::Passcode,
        SlashCommand::Lang,
        SlashCommand::Cancel,
        SlashCommand::Help,
        SlashCommand::Start,
        SlashCommand::Human,
        SlashCommand::End,
        SlashCommand::Pending,
        SlashCommand::Approve,
        SlashCommand::Deny,
        SlashCommand::Site,
        SlashCommand::Unlock,
        SlashCommand::Reissue,
        SlashCommand::Inbox,
        SlashCommand::Take,
        SlashCommand::Note,
        SlashCommand::Transfer,
        SlashCommand::Close,
        SlashCommand::Web,
    ];

    /// The name people type, after `/`.
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// The name Discord shows Japanese users (a name, so within Discord's name rules).
    pub fn ja_name(self) -> &'static str {
        self.row().1
    }

    pub fn audience(self) -> Audience {
        self.row().2
    }

    pub fn offered(self) -> Offered {
        self.row().3
    }

    /// The arguments, in the order they are typed.
    pub fn arguments(self) -> &'static [Argument] {
        self.row().4
    }

    /// Whether the command starts the procedure of `faq/procedures.yaml` that names it
    /// (`command:`), rather than doing something of its own.
    pub fn starts_procedure(self) -> bool {
        matches!(self, SlashCommand::Nominate | SlashCommand::Passcode)
    }

    /// The command named `name` (lowercase, without `/`).
    pub fn named(name: &str) -> Option<SlashCommand> {
        SlashCommand::ALL.into_iter().find(|c| c.name() == name)
    }

    /// How it is typed, in `lang`: `/approve <id> [role]`.
    pub fn usage(self, lang: Lang) -> String {
        self.arguments()
            .iter()
            .fold(format!("/{}", self.name()), |usage, argument| {
                let name = argument.localized_name(lang);
                match argument.required() {
                    true => format!("{usage} <{name}>"),
                    false => format!("{usage} [{name}]"),
                }
            })
    }

    #[rustfmt::skip]
    fn row(self) -> (&'static str, &'static str, Audience, Offered, &'static [Argument]) {
        use Argument as A;
        use Audience::{Agents, Everyone};
        use Offered::{Everywhere, TypedChats};
        match self {
            SlashCommand::Faq => ("faq", "よくある質問", Everyone, Everywhere, &[A::Question]),
            SlashCommand::Nominate => ("nominate", "セルフノミネーション", Everyone, Everywhere, &[]),
            SlashCommand::Passcode => ("passcode", "パスコード", Everyone, Everywhere, &[]),
            SlashCommand::Lang => ("lang", "言語", Everyone, Everywhere, &[A::Language]),
            SlashCommand::Cancel => ("cancel", "キャンセル", Everyone, TypedChats, &[]),
            SlashCommand::Help => ("help", "ヘルプ", Everyone, Everywhere, &[]),
            SlashCommand::Start => ("start", "はじめから", Everyone, TypedChats, &[]),
            SlashCommand::Human => ("human", "有人対応", Everyone, Everywhere, &[]),
            SlashCommand::End => ("end", "有人対応終了", Everyone, Everywhere, &[]),
            SlashCommand::Pending => ("pending", "承認待ち", Agents, Everywhere, &[]),
            SlashCommand::Approve => ("approve", "承認", Agents, Everywhere, &[A::Request, A::Role]),
            SlashCommand::Deny => ("deny", "否認", Agents, Everywhere, &[A::Request, A::Reason]),
            SlashCommand::Site => ("site", "サイト", Agents, Everywhere, &[A::Site]),
            SlashCommand::Unlock => ("unlock", "ロック解除", Agents, Everywhere, &[A::Site]),
            SlashCommand::Reissue => ("reissue", "パスコード再発行", Agents, Everywhere, &[A::Site]),
            SlashCommand::Inbox => ("inbox", "チケット一覧", Agents, Everywhere, &[]),
            SlashCommand::Take => ("take", "担当", Agents, Everywhere, &[A::Ticket]),
            SlashCommand::Note => ("note", "メモ", Agents, Everywhere, &[A::Text]),
            SlashCommand::Transfer => ("transfer", "差し戻し", Agents, Everywhere, &[A::Ticket]),
            SlashCommand::Close => ("close", "チケット終了", Agents, Everywhere, &[A::Ticket]),
            SlashCommand::Web => ("web", "ウェブ", Agents, Everywhere, &[]),
        }
    }
}

impl TryFrom<String> for SlashCommand {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        let name = name.trim_start_matches('/');
        SlashCommand::named(name).ok_or_else(|| format!("there is no command `/{name}`"))
    }
}

impl fmt::Display for SlashCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name())
    }
}

impl Argument {
    pub const ALL: [Argument; 8] = [
        Argument::Question,
        Argument::Language,
        Argument::Request,
        Argument::Role,
        Argument::Reason,
        Argument::Site,
        Argument::Ticket,
        Argument::Text,
    ];

    /// The option's name on Discord, and its key in `faq/messages.yaml`.
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// The option's name Discord shows Japanese users.
    pub fn ja_name(self) -> &'static str {
        self.row().1
    }

    pub fn kind(self) -> ArgumentKind {
        self.row().2
    }

    pub fn required(self) -> bool {
        self.row().3
    }

    fn localized_name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja_name(),
            Lang::En => self.name(),
        }
    }

    #[rustfmt::skip]
    fn row(self) -> (&'static str, &'static str, ArgumentKind, bool) {
        const LANGUAGES: &[Choice] = &[
            Choice { value: "ja", en: "Japanese", ja: "日本語" },
            Choice { value: "en", en: "English", ja: "英語" },
        ];
        const ROLES: &[Choice] = &[
            Choice { value: "user", en: "User", ja: "ユーザー" },
            Choice { value: "secondary", en: "Secondary", ja: "セカンダリー" },
        ];
        match self {
            Argument::Question => ("question", "質問", ArgumentKind::Text, false),
            Argument::Language => ("language", "言語", ArgumentKind::Choice(LANGUAGES), false),
            Argument::Request => ("id", "番号", ArgumentKind::Number, true),
            Argument::Role => ("role", "ロール", ArgumentKind::Choice(ROLES), false),
            Argument::Reason => ("reason", "理由", ArgumentKind::Text, true),
            Argument::Site => ("site", "サイト番号", ArgumentKind::Text, true),
            // Optional: with one ticket held, it is that one.
            Argument::Ticket => ("ticket", "チケット", ArgumentKind::Number, false),
            Argument::Text => ("text", "内容", ArgumentKind::Text, true),
        }
    }
}

/// What can be described in `faq/messages.yaml`: the commands and their arguments.
pub trait Key: Copy + 'static {
    /// Every key, in the order they are declared, so that [`Key::index`] finds each.
    const ALL: &'static [Self];
    fn key(self) -> &'static str;
    fn index(self) -> usize;
}

impl Key for SlashCommand {
    const ALL: &'static [Self] = &SlashCommand::ALL;

    fn key(self) -> &'static str {
        self.name()
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl Key for Argument {
    const ALL: &'static [Self] = &Argument::ALL;

    fn key(self) -> &'static str {
        self.name()
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A description of every `K`, in both languages, none empty or longer than
/// [`DESCRIPTION_MAX_CHARS`]: read from a map whose keys are exactly `K`'s.
#[derive(Debug, Clone)]
pub struct Described<K>
where
    K: Key,
{
    /// In the order of `K::ALL`.
    texts: Vec<Localized>,
    key: PhantomData<K>,
}

impl<K> Described<K>
where
    K: Key,
{
    /// What `key` does, in both languages.
    pub fn of(&self, key: K) -> &Localized {
        &self.texts[key.index()]
    }
}

impl<K> TryFrom<BTreeMap<String, Localized>> for Described<K>
where
    K: Key,
{
    type Error = String;

    fn try_from(mut map: BTreeMap<String, Localized>) -> Result<Self, Self::Error> {
        let mut texts = Vec::with_capacity(K::ALL.len());
        for &key in K::ALL {
            let name = key.key();
            let text = map
                .remove(name)
                .ok_or_else(|| format!("`{name}` is not described"))?;
            for (lang, said) in text.iter() {
                let length = said.trim().chars().count();
                if !(1..=DESCRIPTION_MAX_CHARS).contains(&length) {
                    return Err(format!(
                        "`{name}` has a {lang} description of {length} characters: \
                         give 1 to {DESCRIPTION_MAX_CHARS}"
                    ));
                }
            }
            texts.push(text);
        }
        if let Some(unknown) = map.keys().next() {
            return Err(format!(
                "`{unknown}` is not a command or argument of src/commands.rs"
            ));
        }
        Ok(Described {
            texts,
            key: PhantomData,
        })
    }
}

impl<'de, K> Deserialize<'de> for Described<K>
where
    K: Key,
{
    fn deserialize<D>(deserializer: D) -> Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        let map = BTreeMap::<String, Localized>::deserialize(deserializer)?;
        Described::try_from(map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_within_both_platforms_rules() {
        let valid = |name: &str| {
            (1..=32).contains(&name.chars().count())
                && name
                    .chars()
                    .all(|c| c == '_' || c == '-' || c.is_alphanumeric())
                && name.to_lowercase() == name
        };
        for command in SlashCommand::ALL {
            assert!(valid(command.ja_name()), "{command}");
            assert!(
                command
                    .name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{command}: Telegram takes lowercase letters, digits and _"
            );
            assert_eq!(SlashCommand::named(command.name()), Some(command));
        }
        for argument in Argument::ALL {
            assert!(
                valid(argument.name()) && valid(argument.ja_name()),
                "{argument:?}"
            );
        }
    }

    #[test]
    fn every_key_is_listed_at_its_index() {
        for (index, command) in SlashCommand::ALL.into_iter().enumerate() {
            assert_eq!(command.index(), index);
        }
        for (index, argument) in Argument::ALL.into_iter().enumerate() {
            assert_eq!(argument.index(), index);
        }
    }

    #[test]
    fn usage_marks_required_and_optional_arguments() {
        assert_eq!(
            SlashCommand::Approve.usage(Lang::En),
            "/approve <id> [role]"
        );
        assert_eq!(SlashCommand::Deny.usage(Lang::Ja), "/deny <番号> <理由>");
        assert_eq!(SlashCommand::Pending.usage(Lang::En), "/pending");
    }

    #[test]
    fn descriptions_must_cover_every_key_and_nothing_else() {
        let text = |ja: &str, en: &str| Localized {
            ja: ja.to_owned(),
            en: en.to_owned(),
        };
        let all: BTreeMap<String, Localized> = Argument::ALL
            .iter()
            .map(|a| (a.name().to_owned(), text("説明", "what it is")))
            .collect();
        assert!(Described::<Argument>::try_from(all.clone()).is_ok());

        let mut missing = all.clone();
        missing.remove("reason");
        let error = Described::<Argument>::try_from(missing).unwrap_err();
        assert!(error.contains("`reason` is not described"), "{error}");

        let mut unknown = all.clone();
        unknown.insert("colour".to_owned(), text("色", "colour"));
        let error = Described::<Argument>::try_from(unknown).unwrap_err();
        assert!(error.contains("`colour`"), "{error}");

        let mut long = all;
        long.insert("site".to_owned(), text("説明", &"x".repeat(101)));
        let error = Described::<Argument>::try_from(long).unwrap_err();
        assert!(error.contains("101 characters"), "{error}");
    }
}
