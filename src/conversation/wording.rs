//! The account service's outcomes as sentences in the customer's language, from the
//! sentences of `faq/messages.yaml`: the service itself speaks no customer language.

use chrono::{DateTime, FixedOffset};

use crate::answer::Answerer;
use crate::commands::{Audience, SlashCommand};
use crate::domain::{Channel, IbmIdError, Role, Timestamp};
use crate::knowledge::{EntryId, Messages};
use crate::lang::Lang;
use crate::policy::{LOCKOUT_WINDOW, minutes};
use crate::service::{Action, OutboxEvent, ServiceError};

/// Japan Standard Time: PAO's customers here read times in it, and it has no summer time.
const JST_SECONDS: i32 = 9 * 60 * 60;

/// A time as customers read it: `2026-11-25 21:30 JST`.
pub fn time(at: Timestamp) -> String {
    let jst = FixedOffset::east_opt(JST_SECONDS).expect("+09:00 is a valid offset");
    match DateTime::from_timestamp_millis(at.as_millis()) {
        Some(time) => time
            .with_timezone(&jst)
            .format("%Y-%m-%d %H:%M JST")
            .to_string(),
        None => at.to_string(),
    }
}

/// `/help`: each customer command with what it does (with the console's `/quit` in the
/// console), then the agents' commands as typed.
pub fn help(messages: &Messages, lang: Lang, channel: Channel) -> String {
    let mut lines = vec![messages.say(&messages.help, lang, &[])];
    let mut agents = Vec::new();
    for command in SlashCommand::ALL {
        match command.audience() {
            Audience::Everyone => {
                let does = messages.commands.of(command).get(lang).trim();
                lines.push(format!("{command} {does}"));
            }
            Audience::Agents => agents.push(command.usage(lang)),
        }
    }
    if channel == Channel::Console {
        let does = messages.say(&messages.quit_command, lang, &[]);
        lines.push(format!("/quit {does}"));
    }
    let agents_intro = messages.say(&messages.help_agents, lang, &[]);
    lines.push(format!("{agents_intro} {}", agents.join(", ")));
    lines.join("\n")
}

/// A role's name in `lang`.
pub fn role(messages: &Messages, role: Role, lang: Lang) -> String {
    let text = match role {
        Role::Primary => &messages.role_primary,
        Role::Secondary => &messages.role_secondary,
        Role::User => &messages.role_user,
    };
    messages.say(text, lang, &[])
}

/// What is wrong with a typed IBM ID, in `lang`.
pub fn ibm_id_problem(messages: &Messages, error: IbmIdError, lang: Lang) -> String {
    let text = match error {
        IbmIdError::NoAt => &messages.ibm_id_no_at,
        IbmIdError::SeveralAts => &messages.ibm_id_several_ats,
        IbmIdError::NoLocalPart => &messages.ibm_id_no_local_part,
        IbmIdError::NoDomain => &messages.ibm_id_no_domain,
        IbmIdError::Blank => &messages.ibm_id_blank,
        IbmIdError::Invisible => &messages.ibm_id_invisible,
        IbmIdError::TooLong => &messages.ibm_id_too_long,
    };
    messages.say(text, lang, &[])
}

/// What to tell someone whose account action the service refused or could not do.
pub fn refusal(messages: &Messages, error: &ServiceError, lang: Lang) -> String {
    let say = |text, values: &[(&str, &str)]| messages.say(text, lang, values);
    match error {
        // Who may, said as the service decides it for this action.
        ServiceError::NotAuthorised { action, .. } => match action {
            Action::PasscodeReissue => say(&messages.not_authorised_primary, &[]),
            Action::SiteShow
            | Action::NominationList
            | Action::NominationApprove
            | Action::NominationDeny
            | Action::Unlock => say(&messages.not_authorised, &[]),
            Action::SiteAdd
            | Action::PasscodeCheck
            | Action::NominationRequest
            | Action::AgentAdd
            | Action::AgentList
            | Action::AgentRemove
            | Action::AuditRead
            | Action::PrimaryChange
            | Action::HandoffOpen
            | Action::HandoffTake
            | Action::HandoffTransfer
            | Action::HandoffClose
            | Action::HandoffRate
            | Action::HandoffRead
            | Action::WebLink => say(&messages.not_authorised_agents, &[]),
        },
        ServiceError::NoSuchTicket { ticket } => {
            say(&messages.ticket_unknown, &[("ticket", &ticket.to_string())])
        }
        ServiceError::TicketTaken { ticket, agent } => say(
            &messages.ticket_taken_by,
            &[
                ("ticket", &ticket.to_string()),
                ("agent", &agent.to_string()),
            ],
        ),
        ServiceError::TicketClosed { ticket } => say(
            &messages.ticket_already_closed,
            &[("ticket", &ticket.to_string())],
        ),
        ServiceError::NotYourTicket { ticket, .. } => say(
            &messages.ticket_not_yours,
            &[("ticket", &ticket.to_string())],
        ),
        ServiceError::AlreadyRated { .. } => say(&messages.ticket_already_rated, &[]),
        ServiceError::Locked { site, until } => say(
            &messages.passcode_locked,
            &[("site", site.as_str()), ("until", &time(*until))],
        ),
        ServiceError::WrongPasscode { tries_left, .. } => say(
            &messages.passcode_wrong,
            &[
                ("tries", &tries_left.to_string()),
                ("minutes", &minutes(LOCKOUT_WINDOW).to_string()),
            ],
        ),
        ServiceError::NoPasscode { site } => say(&messages.no_passcode, &[("site", site.as_str())]),
        ServiceError::NoSuchSite { site } => {
            say(&messages.no_such_site, &[("site", site.as_str())])
        }
        ServiceError::TooManyUnknownSites { until } => {
            say(&messages.unknown_sites_locked, &[("until", &time(*until))])
        }
        ServiceError::NoSuchNomination { id } => {
            say(&messages.no_such_nomination, &[("id", &id.to_string())])
        }
        ServiceError::AlreadyMember {
            site,
            ibm_id,
            role: r,
        } => say(
            &messages.already_member,
            &[
                ("site", site.as_str()),
                ("ibm_id", ibm_id.as_str()),
                ("role", &role(messages, *r, lang)),
            ],
        ),
        ServiceError::AlreadyPending { site, ibm_id } => say(
            &messages.already_pending,
            &[("site", site.as_str()), ("ibm_id", ibm_id.as_str())],
        ),
        ServiceError::SecondaryLimitReached { site } => {
            say(&messages.secondary_limit, &[("site", site.as_str())])
        }
        ServiceError::AlreadyDecided { id, .. } => {
            say(&messages.already_decided, &[("id", &id.to_string())])
        }
        // Operator matters that a chat never triggers; and the database being down, which
        // customers can only wait out.
        ServiceError::SiteExists { .. }
        | ServiceError::AlreadyAgent { .. }
        | ServiceError::NotAnAgent { .. }
        | ServiceError::Unavailable(_)
        | ServiceError::Corrupt(_)
        | ServiceError::Hashing => say(&messages.unavailable, &[]),
    }
}

/// An outbox event as the message its recipient gets.
pub fn event(bot: &Answerer, event: &OutboxEvent, lang: Lang) -> String {
    let messages = bot.knowledge().messages();
    let say = |text, values: &[(&str, &str)]| messages.say(text, lang, values);
    match event {
        OutboxEvent::NominationApproved {
            nomination,
            site,
            role: granted,
            ..
        } => {
            let granted = role(messages, *granted, lang);
            messages.say(
                &messages.approved_notice,
                lang,
                &[
                    ("id", &nomination.to_string()),
                    ("site", site.as_str()),
                    ("role", &granted),
                ],
            )
        }
        OutboxEvent::NominationDenied {
            nomination,
            site,
            reason,
            ..
        } => messages.say(
            &messages.denied_notice,
            lang,
            &[
                ("id", &nomination.to_string()),
                ("site", site.as_str()),
                ("reason", reason.as_str()),
            ],
        ),
        OutboxEvent::PrimaryChanged {
            site,
            former,
            primary,
        } => messages.say(
            &messages.primary_changed_notice,
            lang,
            &[
                ("site", site.as_str()),
                ("ibm_id", former.as_str()),
                ("primary", primary.as_str()),
            ],
        ),
        OutboxEvent::SiteLocked {
            site,
            failures,
            until,
        } => messages.say(
            &messages.site_locked_notice,
            lang,
            &[
                ("site", site.as_str()),
                ("failures", &failures.to_string()),
                ("until", &time(*until)),
                ("minutes", &minutes(LOCKOUT_WINDOW).to_string()),
            ],
        ),
        OutboxEvent::TicketQueued {
            ticket,
            customer,
            lang: customer_lang,
            question,
            tried,
            recent,
        } => say(
            &messages.ticket_announce,
            &[
                ("ticket", &ticket.to_string()),
                ("customer", customer),
                ("lang", customer_lang.code()),
                ("question", question.as_deref().unwrap_or("-")),
                ("tried", &listed(tried)),
                ("recent", &quoted(recent)),
            ],
        ),
        OutboxEvent::TicketTaken { .. } => say(&messages.handoff_taken, &[]),
        OutboxEvent::FromCustomer { ticket, text } => say(
            &messages.ticket_from_customer,
            &[("ticket", &ticket.to_string()), ("text", text)],
        ),
        OutboxEvent::FromAgent { text, .. } => say(&messages.handoff_from_agent, &[("text", text)]),
        OutboxEvent::FaqAnswer { entry, lang, .. } => match EntryId::parse(entry)
            .ok()
            .and_then(|id| bot.knowledge().entry(&id))
        {
            Some(found) => bot.entry_text(found, *lang),
            None => messages.say(&messages.ticket_no_entry, *lang, &[("entry", entry)]),
        },
        OutboxEvent::TicketClosed { .. } => format!(
            "{}\n{}",
            say(&messages.handoff_closed_by_agent, &[]),
            say(&messages.rating_question, &[])
        ),
        OutboxEvent::CustomerEnded { ticket } => say(
            &messages.ticket_customer_ended,
            &[("ticket", &ticket.to_string())],
        ),
        OutboxEvent::StillWaiting { minutes, .. } => say(
            &messages.handoff_still_waiting,
            &[("minutes", &minutes.to_string())],
        ),
        OutboxEvent::WaitingTooLong { ticket, minutes } => say(
            &messages.ticket_waiting_too_long,
            &[
                ("ticket", &ticket.to_string()),
                ("minutes", &minutes.to_string()),
            ],
        ),
        // Worded when it was queued.
        OutboxEvent::Reply { text, .. } => text.clone(),
    }
}

/// Entry ids, comma-separated; `-` for none.
pub fn listed(ids: &[String]) -> String {
    match ids.is_empty() {
        true => "-".to_owned(),
        false => ids.join(", "),
    }
}

/// A customer's messages, one a line each after `> `; `-` for none.
fn quoted(texts: &[String]) -> String {
    if texts.is_empty() {
        return "-".to_owned();
    }
    let lines: Vec<String> = texts
        .iter()
        .map(|text| format!("> {}", text.replace('\n', " ")))
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_japan_time() {
        assert_eq!(
            time(Timestamp::from_millis(1_700_000_000_000)),
            "2023-11-15 07:13 JST"
        );
    }
}
