//! The forms (Discord modals) of `/passcode` and `/nominate`. In a guild channel the sender
//! cannot answer the engine's questions one message at a time without everyone seeing them,
//! and a passcode must never be in a channel's history; so the command opens a form with a
//! field per value the procedure asks for, and the submitted form is handed to the engine as
//! the command and then each value, as a private chat would have typed them.
//!
//! The fields are the procedure's own slots, read from the knowledge base, in its order
//! (up to a yes/no confirmation, which the engine's buttons then ask). A value is handed over
//! only when the engine awaits it ([`Response::awaiting`]): when the engine refuses a value,
//! what follows is not fed in as the answer to another question, and a passcode reaches the
//! engine only as a passcode.

use std::collections::HashMap;

use serenity::all::{ActionRowComponent, InputTextStyle, ModalInteractionData};
use serenity::builder::{CreateActionRow, CreateInputText, CreateModal};

use crate::commands::SlashCommand;
use crate::conversation::{Engine, Incoming, Response};
use crate::knowledge::{FormText, KnowledgeBase, Messages, Procedure, Slot};
use crate::lang::Lang;

/// What every form's custom id starts with, to tell it from anything else.
const PREFIX: &str = "pao-form:";

/// A command that opens a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Passcode,
    Nominate,
}

impl Form {
    /// The engine's command that starts the procedure.
    pub(super) fn command(self) -> SlashCommand {
        match self {
            Form::Passcode => SlashCommand::Passcode,
            Form::Nominate => SlashCommand::Nominate,
        }
    }

    fn custom_id(self) -> String {
        format!("{PREFIX}{}", self.command().name())
    }

    /// The form a modal's custom id names.
    pub(super) fn parse(custom_id: &str) -> Option<Form> {
        let command = custom_id.strip_prefix(PREFIX)?;
        [Form::Passcode, Form::Nominate]
            .into_iter()
            .find(|form| form.command().name() == command)
    }

    fn title(self, messages: &Messages) -> &FormText {
        let titles = &messages.form_titles;
        match self {
            Form::Passcode => &titles.passcode,
            Form::Nominate => &titles.nominate,
        }
    }

    fn find(self, kb: &KnowledgeBase) -> Option<&Procedure> {
        kb.procedure_started_by(self.command())
    }
}

/// The longest value a field takes.
fn longest(slot: Slot) -> u16 {
    match slot {
        Slot::SiteNumber => 16,
        Slot::IbmId => 254,
        Slot::Passcode => 64,
        Slot::Confirm => 8,
    }
}

/// The slots of `procedure` the form asks for, in order: those before a confirmation.
fn asked_slots(procedure: &Procedure) -> impl Iterator<Item = Slot> {
    procedure
        .steps
        .iter()
        .filter_map(|step| step.slot)
        .take_while(|slot| *slot != Slot::Confirm)
}

/// The modal of `form` in `lang`; `None` when the knowledge base has no such procedure (the
/// command then goes to the engine as typed).
pub(super) fn modal(form: Form, kb: &KnowledgeBase, lang: Lang) -> Option<CreateModal> {
    let procedure = form.find(kb)?;
    let messages = kb.messages();
    let rows: Vec<CreateActionRow> = asked_slots(procedure)
        .map(|slot| {
            let label = messages.form_labels.of(slot).get(lang);
            CreateActionRow::InputText(
                CreateInputText::new(InputTextStyle::Short, label, slot.to_string())
                    .required(true)
                    .max_length(longest(slot)),
            )
        })
        .collect();
    let title = form.title(messages).get(lang);
    (!rows.is_empty()).then(|| CreateModal::new(form.custom_id(), title).components(rows))
}

/// The submitted values by field (slot name).
pub(super) fn answers(data: &ModalInteractionData) -> HashMap<String, String> {
    data.components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|component| match component {
            ActionRowComponent::InputText(input) => {
                Some((input.custom_id.clone(), input.value.clone()?))
            }
            _ => None,
        })
        .collect()
}

/// Hands a submitted form to the engine: the command, then each value the engine asks for;
/// `incoming(text, n)` makes the `n`th message. Returns the engine's last response, which is
/// what the sender is shown: the outcome, or why a value was not taken.
pub(super) async fn submit<F>(
    engine: &Engine,
    form: Form,
    answers: &HashMap<String, String>,
    incoming: F,
) -> Response
where
    F: Fn(String, usize) -> Incoming,
{
    let mut response = engine.handle(incoming(form.command().to_string(), 0)).await;
    let bot = engine.bot();
    let Some(procedure) = form.find(bot.knowledge()) else {
        return response;
    };
    for (n, slot) in asked_slots(procedure).enumerate() {
        let Some(value) = answers.get(&slot.to_string()) else {
            tracing::warn!(%slot, "a form came back without one of its fields");
            return response;
        };
        if response.awaiting != Some(slot) {
            return response;
        }
        response = engine.handle(incoming(value.clone(), n + 1)).await;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modal_custom_id_names_its_form() {
        for form in [Form::Passcode, Form::Nominate] {
            assert_eq!(Form::parse(&form.custom_id()), Some(form));
        }
        assert_eq!(Form::parse("entry:signin"), None);
        assert_eq!(Form::parse("pao-form:lockout"), None);
    }
}
