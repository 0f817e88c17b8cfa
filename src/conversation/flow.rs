//! The portal's procedures as guided flows, driven by `faq/procedures.yaml`: the bot shows
//! the instructions, asks for each slot in turn (checking it by the step's pattern, then by
//! the domain type), and ends with the procedure's account action.
//!
//! A passcode is taken only in a private chat; the message that carried it is deleted where
//! the channel can, and it is checked at once, so it never reaches the stored state. The
//! passcode is the one token of the passcode's shape in the answer ("the code is
//! 「RD22E43MAZ」." is a try of `RD22E43MAZ`); an answer without one costs no try.

use crate::commands::SlashCommand;
use crate::conversation::payload::Payload;
use crate::conversation::state::Flow;
use crate::conversation::wording;
use crate::conversation::{Ctx, Reply};
use crate::domain::{IbmId, Passcode, SiteNumber};
use crate::knowledge::{KnowledgeBase, Procedure, ProcedureAction, ProcedureId, Slot};
use crate::masking::passcodes_in;
use crate::matcher::Decision;
use crate::service::{FirstAccess, ServiceError};

/// What a flow does after an answer.
enum Next {
    /// Ask the next slot.
    Ask(usize),
    /// Every slot is filled: do the action.
    Act(Option<Passcode>),
}

impl Ctx<'_> {
    /// Starts the procedure that `command` starts (`command:` in `faq/procedures.yaml`).
    pub(super) fn start_by_command(&mut self, command: SlashCommand) {
        let id = self
            .kb()
            .procedure_started_by(command)
            .map(|p| p.id.clone());
        match id {
            Some(id) => self.start(&id),
            None => self.say(|m| &m.unknown_command, &[]),
        }
    }

    /// Starts procedure `id`: a procedure with no account action is shown as steps at once.
    pub(super) fn start(&mut self, id: &ProcedureId) {
        let Some(procedure) = self.kb().procedure(id) else {
            return self.say(|m| &m.unknown_command, &[]);
        };
        let needs_passcode = procedure
            .steps
            .iter()
            .any(|s| s.slot == Some(Slot::Passcode));
        if needs_passcode && !self.incoming.private {
            return self.say(|m| &m.private_only, &[]);
        }
        let Some(first) = next_slot(procedure, 0) else {
            let text = self.steps(procedure, 0, procedure.steps.len(), true);
            return self.reply(Reply::text(text));
        };
        // Without the database the flow could not be remembered to its next step.
        if self.turn.is_none() {
            return self.say(|m| &m.unavailable, &[]);
        }
        self.state.flow = Some(Flow::Procedure {
            procedure: procedure.id.clone(),
            step: first,
            site: None,
            ibm_id: None,
        });
        let intro = self.steps(procedure, 0, first, true);
        self.prompt(procedure, first, Some(intro));
    }

    /// The customer's answer to the step the flow waits on.
    pub(super) async fn flow_answer(&mut self, text: &str) {
        let Some(Flow::Procedure {
            procedure: id,
            step,
            mut site,
            mut ibm_id,
        }) = self.state.flow.clone()
        else {
            return;
        };
        let kb = self.kb();
        let Some((procedure, slot)) = waiting_on(kb, self.state.flow.as_ref()) else {
            // A reload changed the procedure under a waiting conversation: its step is gone,
            // so it starts over, or ends when the procedure is gone too.
            self.state.flow = None;
            if kb.procedure(&id).is_none() {
                return self.say(|m| &m.cancelled, &[]);
            }
            self.say(|m| &m.procedure_changed, &[]);
            return self.start(&id);
        };
        if slot == Slot::Passcode {
            self.out.delete_incoming = true;
        }
        let pattern_ok = procedure.steps[step]
            .pattern
            .as_ref()
            .is_none_or(|p| p.is_match(text));
        let next = match (pattern_ok, slot) {
            (false, _) => None,
            (true, Slot::SiteNumber) => SiteNumber::parse(text).ok().map(|s| {
                site = Some(s);
                self.after(procedure, step)
            }),
            (true, Slot::IbmId) => IbmId::parse(text).ok().map(|i| {
                ibm_id = Some(i);
                self.after(procedure, step)
            }),
            // Only a token of the passcode's shape is checked (and costs a try), whatever is
            // around it; anything else is said not to be a passcode, at no cost.
            (true, Slot::Passcode) => match passcodes_in(text).as_slice() {
                [code] => Some(Next::Act(Some(code.clone()))),
                _ => None,
            },
            (true, Slot::Confirm) => match yes_or_no(text) {
                Some(true) => Some(Next::Act(None)),
                Some(false) => {
                    self.state.flow = None;
                    return self.say(|m| &m.cancelled, &[]);
                }
                None => None,
            },
        };
        let Some(next) = next else {
            // Not an answer to the step, but perhaps a question: answer it, then ask again.
            if slot != Slot::Passcode
                && let Decision::Answer(entry) = self.bot.ask(text, self.lang).decision
            {
                let answer = self.bot.entry_text(&kb.entries()[entry], self.lang);
                self.reply(Reply::text(answer));
                return self.prompt(procedure, step, None);
            }
            return self.retry(procedure, step, text);
        };
        // A request for access names its site first: one that does not exist is said at
        // once, not after the IBM ID and the confirmation.
        if slot == Slot::SiteNumber
            && procedure.action == Some(ProcedureAction::NominationRequest)
            && let Some(typed) = &site
            && let Err(error) = self
                .engine
                .service
                .check_nomination_site(self.sender(), typed)
                .await
        {
            self.refused(&error);
            return match error {
                ServiceError::NoSuchSite { .. } | ServiceError::Unavailable(_) => {
                    self.prompt(procedure, step, None)
                }
                _ => self.state.flow = None,
            };
        }
        match next {
            Next::Ask(next) => {
                self.state.flow = Some(Flow::Procedure {
                    procedure: id,
                    step: next,
                    site,
                    ibm_id,
                });
                let between = self.steps(procedure, step + 1, next, false);
                self.prompt(procedure, next, Some(between).filter(|s| !s.is_empty()));
            }
            Next::Act(passcode) => {
                // Kept as it is until the action's outcome says where the flow goes.
                self.state.flow = Some(Flow::Procedure {
                    procedure: id,
                    step,
                    site: site.clone(),
                    ibm_id: ibm_id.clone(),
                });
                // A procedure whose action comes before its slots are asked: `check` reports it.
                let (Some(site), Some(ibm_id)) = (site, ibm_id) else {
                    self.state.flow = None;
                    return self.say(|m| &m.cancelled, &[]);
                };
                self.act(procedure, step, &site, &ibm_id, passcode).await;
            }
        }
    }

    /// Where the flow goes after `step` was answered.
    fn after(&self, procedure: &Procedure, step: usize) -> Next {
        match next_slot(procedure, step + 1) {
            Some(next) => Next::Ask(next),
            None => Next::Act(None),
        }
    }

    async fn act(
        &mut self,
        procedure: &Procedure,
        step: usize,
        site: &SiteNumber,
        ibm_id: &IbmId,
        passcode: Option<Passcode>,
    ) {
        let service = self.engine.service.as_ref();
        let sender = self.sender();
        let outcome = match (procedure.action, passcode) {
            (Some(ProcedureAction::PasscodeCheck), Some(passcode)) => service
                .check_passcode(
                    sender,
                    FirstAccess {
                        site,
                        ibm_id,
                        passcode: &passcode,
                    },
                )
                .await
                .map(|accepted| {
                    self.text(
                        |m| &m.passcode_accepted,
                        &[
                            ("site", accepted.site.as_str()),
                            ("ibm_id", accepted.ibm_id.as_str()),
                        ],
                    )
                }),
            (Some(ProcedureAction::NominationRequest), _) => service
                .request_nomination(sender, site, ibm_id)
                .await
                .map(|id| self.text(|m| &m.nomination_sent, &[("id", &id.to_string())])),
            // A procedure whose last slot is not what its action needs: `check` reports it.
            _ => {
                self.state.flow = None;
                return self.say(|m| &m.cancelled, &[]);
            }
        };
        match outcome {
            Ok(done) => {
                self.state.flow = None;
                let rest = self.steps(procedure, step + 1, procedure.steps.len(), false);
                let text = if rest.is_empty() {
                    done
                } else {
                    format!("{done}\n\n{rest}")
                };
                self.reply(Reply::text(text));
            }
            // Wrong passcode: the flow stays on the passcode step for another try. Locked out:
            // it stays there too, so that a passcode typed during the lock is told when the
            // lock ends rather than taken for a question.
            Err(error @ (ServiceError::WrongPasscode { .. } | ServiceError::Locked { .. })) => {
                self.refused(&error);
                self.reply_cancel_hint();
            }
            // A site number that does not exist: ask it again.
            Err(error @ ServiceError::NoSuchSite { .. }) => {
                self.refused(&error);
                if let (Some(first), Some(Flow::Procedure { step, site, .. })) =
                    (next_slot(procedure, 0), &mut self.state.flow)
                {
                    *step = first;
                    *site = None;
                }
                if let Some(Flow::Procedure { step, .. }) = &self.state.flow {
                    let step = *step;
                    self.prompt(procedure, step, None);
                }
            }
            // Nothing was done; the customer may send the same answer again later.
            Err(error @ ServiceError::Unavailable(_)) => self.refused(&error),
            Err(error) => {
                self.state.flow = None;
                self.refused(&error);
            }
        }
    }

    /// Asks step `step`'s question, after `intro` when given.
    fn prompt(&mut self, procedure: &Procedure, step: usize, intro: Option<String>) {
        let lang = self.lang;
        let question = procedure.steps[step].text.get(lang).trim();
        let mut text = intro.map(|i| format!("{i}\n\n")).unwrap_or_default();
        text.push_str(question);
        let mut buttons = Vec::new();
        if procedure.steps[step].slot == Some(Slot::Confirm)
            && let Some(Flow::Procedure { site, ibm_id, .. }) = &self.state.flow
        {
            let summary = self.text(
                |m| &m.confirm_summary,
                &[
                    ("site", site.as_ref().map_or("-", SiteNumber::as_str)),
                    ("ibm_id", ibm_id.as_ref().map_or("-", IbmId::as_str)),
                ],
            );
            text = format!("{text}\n{summary}");
            buttons.push(self.button(|m| &m.yes_button, Payload::Yes));
            buttons.push(self.button(|m| &m.no_button, Payload::No));
        }
        text.push('\n');
        text.push_str(&self.text(|m| &m.cancel_hint, &[]));
        buttons.push(self.button(|m| &m.cancel_button, Payload::Cancel));
        self.reply(Reply::text(text).with_buttons(buttons));
    }

    /// Says why `answer` to `step` was not taken, and asks again.
    fn retry(&mut self, procedure: &Procedure, step: usize, answer: &str) {
        let retry = procedure.steps[step].retry.as_ref();
        let mut text = match retry {
            Some(retry) => retry.get(self.lang).trim().to_owned(),
            None => procedure.steps[step].text.get(self.lang).trim().to_owned(),
        };
        // An address is refused for one reason, which the customer is told first.
        if procedure.steps[step].slot == Some(Slot::IbmId)
            && let Err(error) = IbmId::parse(answer)
        {
            let problem = wording::ibm_id_problem(self.messages(), error, self.lang);
            text = format!("{problem} {text}");
        }
        let mut buttons = Vec::new();
        if procedure.steps[step].slot == Some(Slot::Confirm) {
            buttons.push(self.button(|m| &m.yes_button, Payload::Yes));
            buttons.push(self.button(|m| &m.no_button, Payload::No));
        }
        buttons.push(self.button(|m| &m.cancel_button, Payload::Cancel));
        let hint = self.text(|m| &m.cancel_hint, &[]);
        self.reply(Reply::text(format!("{text}\n{hint}")).with_buttons(buttons));
    }

    fn reply_cancel_hint(&mut self) {
        let cancel = self.button(|m| &m.cancel_button, Payload::Cancel);
        if let Some(last) = self.out.replies.last_mut() {
            last.buttons.push(cancel);
        }
    }

    /// Steps `from..to` without slots, numbered as in the procedure; with the title first
    /// when `titled`.
    fn steps(&self, procedure: &Procedure, from: usize, to: usize, titled: bool) -> String {
        let lang = self.lang;
        let mut lines = Vec::new();
        if titled {
            lines.push(procedure.title.get(lang).trim().to_owned());
        }
        lines.extend(procedure.step_lines(from..to, lang, |step| step.slot.is_none()));
        lines.join("\n")
    }
}

/// The slot `flow` waits for, when it waits on a procedure's step.
pub(super) fn awaited(kb: &KnowledgeBase, flow: Option<&Flow>) -> Option<Slot> {
    waiting_on(kb, flow).map(|(_, slot)| slot)
}

/// The procedure whose step `flow` waits on, and that step's slot; `None` when the flow is
/// not on a procedure, or the procedure changed under it and has no such step.
fn waiting_on<'k>(kb: &'k KnowledgeBase, flow: Option<&Flow>) -> Option<(&'k Procedure, Slot)> {
    let Some(Flow::Procedure {
        procedure, step, ..
    }) = flow
    else {
        return None;
    };
    let procedure = kb.procedure(procedure)?;
    let slot = procedure.steps.get(*step)?.slot?;
    Some((procedure, slot))
}

/// The first step at or after `from` that asks for a slot.
fn next_slot(procedure: &Procedure, from: usize) -> Option<usize> {
    (from..procedure.steps.len()).find(|&i| procedure.steps[i].slot.is_some())
}

/// A yes or a no, in either language.
fn yes_or_no(text: &str) -> Option<bool> {
    match crate::text::fold(text).trim() {
        "yes" | "y" | "はい" | "ok" => Some(true),
        "no" | "n" | "いいえ" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_in_both_languages() {
        assert_eq!(yes_or_no(" Yes "), Some(true));
        assert_eq!(yes_or_no("はい"), Some(true));
        assert_eq!(yes_or_no("いいえ"), Some(false));
        assert_eq!(yes_or_no("maybe"), None);
    }
}
