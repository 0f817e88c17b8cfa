//! The bot's own sentences, kept with the knowledge so that they are edited the same way.
//! A sentence may hold `{name}` placeholders, filled when it is said ([`fill`]).

use serde::Deserialize;

use crate::commands::{Argument, Described, SlashCommand};
use crate::lang::{Lang, Localized};

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Every fixed sentence the bot says; each is required in both languages.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Messages {
            $($(#[$doc])* pub $name: Localized,)*
            /// What each slash command does, for the menus and `/help`.
            pub commands: Described<SlashCommand>,
            /// What each command argument is, for Discord's options.
            pub arguments: Described<Argument>,
        }

        impl Messages {
            /// Every sentence with its key, in the order of the struct.
            pub fn all(&self) -> Vec<(&'static str, &Localized)> {
                vec![$((stringify!($name), &self.$name),)*]
            }
        }
    };
}

messages! {
    greeting,
    /// When no entry fits: points to the help desk.
    no_answer,
    /// Introduces the candidate questions when the top matches are close.
    did_you_mean,
    steps_heading,
    related_heading,
    /// When the message holds nothing to match.
    empty_question,
    /// Introduces the customers' commands in `/help`.
    help,
    /// Introduces the help-desk agents' commands in `/help`.
    help_agents,
    lang_choose,
    lang_set,
    topics,
    topic_questions,
    feedback_question,
    feedback_yes,
    feedback_no,
    feedback_thanks,
    feedback_sorry,
    help_desk,
    help_desk_url,
    start_procedure,
    cancel_button,
    cancel_hint,
    cancelled,
    nothing_to_cancel,
    timed_out,
    unknown_command,
    private_only,
    confirm_summary,
    yes_button,
    no_button,
    passcode_accepted,
    passcode_wrong,
    passcode_locked,
    no_passcode,
    no_such_site,
    nomination_sent,
    already_member,
    already_pending,
    unavailable,
    not_authorised,
    approved_notice,
    denied_notice,
    site_locked_notice,
    pending_none,
    pending_item,
    approve_button,
    approve_secondary_button,
    deny_button,
    deny_reason_prompt,
    approved,
    denied,
    no_such_nomination,
    already_decided,
    secondary_limit,
    site_heading,
    site_member,
    site_no_members,
    site_passcode_outstanding,
    site_lock_open,
    site_lock_locked,
    site_locked_out,
    site_pending,
    unlocked,
    reissued,
    reissue_private_only,
    usage,
    role_primary,
    role_secondary,
    role_user,
    bad_site_number,
}

impl Messages {
    /// The sentence in `lang`, trimmed, with its placeholders filled from `values`.
    pub fn say(&self, text: &Localized, lang: Lang, values: &[(&str, &str)]) -> String {
        fill(text.get(lang).trim(), values)
    }
}

/// `text` with each `{name}` of `values` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// The `{name}` placeholders of `text`, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_listed() {
        let text = "site {site}: {tries} left, {site}";
        assert_eq!(
            fill(text, &[("site", "1234567"), ("tries", "3")]),
            "site 1234567: 3 left, 1234567"
        );
        assert_eq!(placeholders(text), ["site", "tries"]);
        assert!(placeholders("{} and {Not}").is_empty());
    }
}
