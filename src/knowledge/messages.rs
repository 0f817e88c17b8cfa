//! The bot's own sentences, kept with the knowledge so that they are edited the same way.
//! A sentence may hold `{name}` placeholders, filled when it is said ([`fill`]); the table
//! below declares, per sentence, the names the code fills, and no other name may be used.

use serde::Deserialize;

use crate::commands::{Argument, Described, SlashCommand};
use crate::knowledge::Slot;
use crate::lang::{Lang, Localized};

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident $([$($value:ident),*])?,)*) => {
        /// Every fixed sentence the bot says; each is required in both languages.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Messages {
            $($(#[$doc])* pub $name: Localized,)*
            /// What each slash command does, for the menus and `/help`.
            pub commands: Described<SlashCommand>,
            /// What each command argument is, for Discord's options.
            pub arguments: Described<Argument>,
            /// The titles of Discord's forms, by the command that opens them.
            pub form_titles: FormTitles,
            /// The labels of the forms' fields, by the value they ask for.
            pub form_labels: FormLabels,
        }

        impl Messages {
            /// Every sentence with its key and the placeholders the code fills in it, in the
            /// order of the struct.
            pub fn all(&self) -> Vec<(&'static str, &Localized, &'static [&'static str])> {
                vec![$((
                    stringify!($name),
                    &self.$name,
                    &[$($(stringify!($value)),*)?] as &'static [&'static str],
                ),)*]
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
    /// When the message is longer than the bot reads.
    too_long,
    /// When a console line is not UTF-8.
    unreadable_line,
    /// The web chat's title, in the page and on the widget's panel.
    web_title,
    /// The web chat's send button.
    web_send,
    /// The web chat's text box, empty.
    web_placeholder,
    /// The web chat's text box at the passcode step, a password field.
    web_passcode_placeholder,
    /// What the web chat shows in place of a message that held a passcode.
    web_passcode_sent,
    /// When a browser or an address sends more messages a minute than the web chat takes.
    web_rate_limited [limit],
    /// The widget's button, to open the chat.
    web_widget_open,
    /// The widget's button, to close the chat.
    web_widget_close,
    /// The help desk's web page's title.
    desk_title,
    /// The page a sign-in link opens, above its button.
    desk_sign_in_intro,
    desk_sign_in_button,
    /// When a sign-in link is unknown, used or expired.
    desk_link_refused [minutes],
    /// When someone not signed in as an agent opens the desk.
    desk_forbidden,
    desk_signed_in_as [agent],
    desk_sign_out,
    desk_signed_out,
    /// When a desk form came without its session's token, or with another's.
    desk_csrf_refused,
    /// When a desk form cannot be read.
    desk_bad_form,
    /// The desk's navigation, its pages' headings and their tables' columns.
    desk_nav_home,
    desk_nav_nominations,
    desk_nav_audit,
    desk_site_box,
    desk_site_open,
    desk_column_site,
    desk_column_requester,
    desk_column_requested_at,
    desk_column_decision,
    desk_column_role,
    desk_column_since,
    desk_column_time,
    desk_column_person,
    desk_column_action,
    desk_column_outcome,
    desk_column_detail,
    desk_deny_reason,
    desk_first_page,
    desk_next_page,
    desk_site_access,
    desk_unlock,
    desk_reissue,
    desk_filter_since,
    desk_filter_until,
    desk_filter_apply,
    desk_bad_filter,
    desk_audit_none,
    /// The insight page: its heading, the period's links, the deflection figure, the chart's
    /// title and legend, the groups of unanswered questions and the entries' answers.
    desk_nav_insight,
    desk_insight_period [days],
    desk_insight_deflection [percent, answered, questions],
    desk_insight_per_day,
    desk_insight_answered,
    desk_insight_unanswered,
    desk_insight_handed_off,
    desk_insight_groups [sample],
    desk_insight_no_groups,
    desk_insight_entries,
    desk_insight_no_entry,
    desk_insight_elsewhere [cue],
    desk_column_asked,
    desk_column_questions,
    desk_column_closest,
    desk_column_entry,
    desk_column_answered,
    desk_column_helped,
    desk_column_not_helped,
    /// The desk's handoff inbox and ticket page.
    desk_nav_handoffs,
    desk_column_state,
    desk_column_customer,
    desk_column_waiting,
    desk_column_platform,
    desk_column_lang,
    desk_column_question,
    desk_column_agent,
    desk_state_queued,
    desk_state_taken,
    desk_state_closed,
    desk_waiting_minutes [minutes],
    desk_take,
    desk_open_ticket,
    desk_ticket_title [ticket],
    desk_transcript,
    desk_recent,
    desk_tried,
    desk_transcript_none,
    desk_author_note,
    desk_reply,
    desk_reply_placeholder,
    desk_replied [ticket],
    desk_reply_secret,
    desk_faq_pick,
    desk_faq_send,
    desk_note_placeholder,
    desk_note,
    desk_transfer,
    desk_close,
    /// `/web`'s reply: the one-time sign-in link.
    web_link_sent [url, minutes],
    web_link_private_only,
    /// `/web` when this bot serves no web page.
    web_link_not_served,
    /// Introduces the customers' commands in `/help`.
    help,
    /// Introduces the help-desk agents' commands in `/help`.
    help_agents,
    /// What the console's `/quit` does, in `/help` there.
    quit_command,
    lang_choose,
    lang_set,
    topics,
    topic_questions [topic],
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
    timed_out [minutes],
    /// When a reload took away the step a conversation was on: the procedure starts over.
    procedure_changed,
    unknown_command,
    private_only,
    confirm_summary [site, ibm_id],
    yes_button,
    no_button,
    passcode_accepted [site, ibm_id],
    passcode_wrong [tries, minutes],
    passcode_locked [site, until],
    no_passcode [site],
    no_such_site [site],
    /// When someone tried too many site numbers that do not exist.
    unknown_sites_locked [until],
    nomination_sent [id],
    already_member [site, ibm_id, role],
    already_pending [site, ibm_id],
    unavailable,
    /// Refusals, by who may do the action: agents and the site's managers, agents and the
    /// site's primary, agents only.
    not_authorised,
    not_authorised_primary,
    not_authorised_agents,
    approved_notice [id, site, role],
    denied_notice [id, site, reason],
    site_locked_notice [site, failures, until, minutes],
    /// To a site's former primary member, when a right passcode made another the primary.
    primary_changed_notice [site, ibm_id, primary],
    pending_none,
    pending_item [id, site, ibm_id, at],
    /// The buttons under a request of `/pending`, each naming its request.
    approve_button [id],
    approve_secondary_button [id],
    deny_button [id],
    deny_reason_prompt [id],
    approved [id, site, ibm_id, role],
    denied [id, site, ibm_id],
    no_such_nomination [id],
    already_decided [id],
    secondary_limit [site],
    site_heading [site, program],
    site_member [ibm_id, role],
    site_no_members,
    site_passcode_outstanding,
    site_lock_open [failures, minutes],
    site_lock_locked [until],
    site_locked_out [person, until],
    site_pending [count],
    unlocked [site],
    reissued [site, passcode],
    reissue_private_only,
    usage [usage],
    role_primary,
    role_secondary,
    role_user,
    /// Why a typed IBM ID is not one, said before the step is asked again.
    ibm_id_no_at,
    ibm_id_several_ats,
    ibm_id_no_local_part,
    ibm_id_no_domain,
    ibm_id_blank,
    ibm_id_invisible,
    ibm_id_too_long,
    bad_site_number,
    /// The live handoff to the help desk, customers' side.
    handoff_button,
    handoff_queued [ticket, ahead],
    handoff_already [ticket, ahead],
    handoff_outside_hours [hours, zone],
    handoff_taken,
    handoff_from_agent [text],
    handoff_secret_withheld,
    handoff_ended,
    handoff_none,
    handoff_closed_by_agent,
    handoff_still_waiting [minutes],
    rating_question,
    rating_thanks [rating],
    /// The live handoff, agents' side.
    ticket_announce [ticket, customer, lang, question, tried, recent],
    ticket_take_button [ticket],
    ticket_from_customer [ticket, text],
    ticket_customer_ended [ticket],
    ticket_waiting_too_long [ticket, minutes],
    ticket_taken [ticket, customer, lang, question],
    ticket_line [at, who, text],
    inbox_none,
    inbox_item [ticket, state, customer, lang, waiting],
    inbox_taken_by [agent],
    ticket_which [tickets],
    ticket_none_taken,
    ticket_faq_sent [ticket, entry],
    ticket_no_entry [entry],
    ticket_noted [ticket],
    ticket_transferred [ticket],
    ticket_closed_notice [ticket],
    ticket_unknown [ticket],
    ticket_taken_by [ticket, agent],
    ticket_already_closed [ticket],
    ticket_not_yours [ticket],
    ticket_already_rated,
}

/// The longest title or field label a form takes: Discord's, for modals.
pub const FORM_TEXT_MAX_CHARS: usize = 45;

/// A form's title or a field's label: in both languages, none empty or longer than
/// [`FORM_TEXT_MAX_CHARS`].
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Localized")]
pub struct FormText(Localized);

impl FormText {
    pub fn get(&self, lang: Lang) -> &str {
        self.0.get(lang).trim()
    }
}

impl TryFrom<Localized> for FormText {
    type Error = String;

    fn try_from(text: Localized) -> Result<Self, Self::Error> {
        for (lang, said) in text.iter() {
            let length = said.trim().chars().count();
            if !(1..=FORM_TEXT_MAX_CHARS).contains(&length) {
                return Err(format!(
                    "a form text has {length} characters in {lang}: give 1 to \
                     {FORM_TEXT_MAX_CHARS}"
                ));
            }
        }
        Ok(FormText(text))
    }
}

/// The title of the form of each command that [starts a procedure](SlashCommand::starts_procedure).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormTitles {
    pub passcode: FormText,
    pub nominate: FormText,
}

/// The label of a form's field for each value a procedure asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormLabels {
    site_number: FormText,
    ibm_id: FormText,
    passcode: FormText,
    confirm: FormText,
}

impl FormLabels {
    pub fn of(&self, slot: Slot) -> &FormText {
        match slot {
            Slot::SiteNumber => &self.site_number,
            Slot::IbmId => &self.ibm_id,
            Slot::Passcode => &self.passcode,
            Slot::Confirm => &self.confirm,
        }
    }
}

impl Messages {
    /// The sentence in `lang`, trimmed, with its placeholders filled from `values`.
    pub fn say(&self, text: &Localized, lang: Lang, values: &[(&str, &str)]) -> String {
        fill(text.get(lang).trim(), values)
    }
}

/// `text` with each `{name}` of `values` replaced by its value, and each `{name:one|other}`
/// by `one` when the value is 1 and by `other` otherwise: English needs "1 try", "2 tries".
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |text, (name, value)| {
        let text = text.replace(&format!("{{{name}}}"), value);
        plural_forms(&text, name, value)
    })
}

/// `text` with each `{name:one|other}` replaced by the form for `value`.
fn plural_forms(text: &str, name: &str, value: &str) -> String {
    let open = format!("{{{name}:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let Some((forms, tail)) = after.split_once('}') else {
            break;
        };
        let (one, other) = forms.split_once('|').unwrap_or((forms, forms));
        out.push_str(&rest[..at]);
        out.push_str(if value == "1" { one } else { other });
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of `text`, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        // A plural form `{name:one|other}` is named by what comes before the colon.
        .map(|inside| inside.split_once(':').map_or(inside, |(name, _)| name))
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

    #[test]
    fn plural_forms_follow_the_value() {
        let text = "{tries} more {tries:try|tries} in {minutes} {minutes:minute|minutes}";
        assert_eq!(
            fill(text, &[("tries", "1"), ("minutes", "15")]),
            "1 more try in 15 minutes"
        );
        assert_eq!(
            fill(text, &[("tries", "2"), ("minutes", "1")]),
            "2 more tries in 1 minute"
        );
        assert_eq!(placeholders(text), ["minutes", "tries"]);
    }
}
