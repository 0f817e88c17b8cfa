//! Questions answered from the knowledge base: the answer with feedback buttons, "did you
//! mean" buttons when unsure, the help desk when no entry fits, and browsing by topic.

use crate::conversation::payload::Payload;
use crate::conversation::store::AnswerId;
use crate::conversation::{Button, Ctx, Reply};
use crate::domain::Channel;
use crate::knowledge::{CategoryId, EntryId};
use crate::masking::mask;
use crate::matcher::Decision;
use crate::telemetry;
use crate::text::fold;

impl Ctx<'_> {
    pub(super) fn ask(&mut self, question: &str) {
        let answer = self.bot.ask(question, self.lang);
        // A language chosen with /lang wins until it is changed, as its reply promised.
        // Otherwise the reply follows the question, except that one Latin word ("VPN", a
        // code) says little about the language someone writes in: a conversation already
        // under way keeps its language.
        let one_word = !question.trim().contains(char::is_whitespace) && question.is_ascii();
        let chosen = self.state.preference.is_some();
        let keeps_lang = one_word && self.state.lang.is_some();
        if !(chosen || keeps_lang) {
            self.lang = answer.lang;
        }
        match answer.decision {
            Decision::Answer(entry) => self.answer(entry, Some(question)),
            Decision::DidYouMean(entries) => {
                telemetry::did_you_mean();
                let kb = self.kb();
                let buttons = entries
                    .iter()
                    .map(|&i| {
                        let entry = &kb.entries()[i];
                        Button::payload(
                            entry.question.get(self.lang).trim(),
                            Payload::Entry(entry.id.clone()).encode(),
                        )
                    })
                    .collect();
                let text = self.text(|m| &m.did_you_mean, &[]);
                self.reply(Reply::text(text).with_buttons(buttons));
            }
            Decision::NoAnswer => {
                telemetry::no_answer();
                if let Some(turn) = &mut self.turn
                    && !may_be_secret(question)
                {
                    let masked = mask(question);
                    turn.unanswered(masked.trim(), &fold(&masked), self.lang);
                }
                let mut text = self.text(|m| &m.no_answer, &[]);
                // Perhaps the answer to a step of a flow that could not be read.
                if self.turn.is_none() {
                    text = format!("{text}\n\n{}", self.text(|m| &m.unavailable, &[]));
                }
                let buttons = vec![self.handoff_button(), self.help_desk()];
                self.reply(Reply::text(text).with_buttons(buttons));
            }
            Decision::Greeting => self.greet(),
            Decision::Empty => self.say(|m| &m.empty_question, &[]),
        }
    }

    /// An entry picked from a button.
    pub(super) fn show_entry(&mut self, id: &EntryId) {
        match self.kb().position(id) {
            Some(entry) => self.answer(entry, None),
            None => self.say(|m| &m.unknown_command, &[]),
        }
    }

    /// The answer of entry `entry` to `question` (`None` when picked from a button), with a
    /// button to go through its procedure with the bot and the feedback buttons.
    fn answer(&mut self, entry: usize, question: Option<&str>) {
        let kb = self.kb();
        let entry = &kb.entries()[entry];
        telemetry::answered(entry.id.as_str());
        // The console offers related questions as numbered buttons, the way it offers every
        // choice; the chat platforms list them under the answer.
        let related_buttons = self.incoming.channel == Channel::Console;
        let mut text = if related_buttons {
            self.bot.entry_body(entry, self.lang)
        } else {
            self.bot.entry_text(entry, self.lang)
        };
        let mut buttons = Vec::new();
        let guided = entry
            .procedure
            .as_ref()
            .and_then(|id| kb.procedure(id))
            .filter(|procedure| procedure.action.is_some());
        if let Some(procedure) = guided {
            buttons.push(self.button(|m| &m.start_procedure, Payload::Start(procedure.id.clone())));
        }
        if let Some(turn) = &mut self.turn {
            // Kept, masked, for the report's groups of answers that did not help.
            let asked = question
                .filter(|q| !may_be_secret(q))
                .map(|q| mask(q).trim().to_owned());
            let answer = turn.answer(entry.id.as_str(), self.lang, asked);
            text.push_str("\n\n");
            text.push_str(&self.text(|m| &m.feedback_question, &[]));
            buttons.push(self.button(
                |m| &m.feedback_yes,
                Payload::Feedback {
                    answer,
                    helped: true,
                },
            ));
            buttons.push(self.button(
                |m| &m.feedback_no,
                Payload::Feedback {
                    answer,
                    helped: false,
                },
            ));
        }
        self.reply(Reply::text(text).with_buttons(buttons));
        if !related_buttons {
            return;
        }
        let related: Vec<Button> = self
            .bot
            .related(entry)
            .into_iter()
            .map(|other| {
                Button::payload(
                    other.question.get(self.lang).trim(),
                    Payload::Entry(other.id.clone()).encode(),
                )
            })
            .collect();
        if !related.is_empty() {
            let heading = self.text(|m| &m.related_heading, &[]);
            self.reply(Reply::text(heading).with_buttons(related));
        }
    }

    pub(super) fn feedback(&mut self, answer: AnswerId, helped: bool) {
        telemetry::feedback(helped);
        if let Some(turn) = &mut self.turn {
            turn.feedback(answer, helped);
        }
        if helped {
            self.say(|m| &m.feedback_thanks, &[]);
        } else {
            let text = self.text(|m| &m.feedback_sorry, &[]);
            let buttons = vec![self.handoff_button(), self.help_desk()];
            self.reply(Reply::text(text).with_buttons(buttons));
        }
    }

    /// The categories, as buttons.
    pub(super) fn topics(&mut self) {
        let buttons = self
            .kb()
            .categories()
            .iter()
            .map(|c| {
                Button::payload(
                    c.name.get(self.lang).trim(),
                    Payload::Topic(c.id.clone()).encode(),
                )
            })
            .collect();
        let text = self.text(|m| &m.topics, &[]);
        self.reply(Reply::text(text).with_buttons(buttons));
    }

    /// A category's questions, as buttons.
    pub(super) fn topic(&mut self, id: &CategoryId) {
        let kb = self.kb();
        let Some(category) = kb.categories().iter().find(|c| &c.id == id) else {
            return self.topics();
        };
        let buttons = kb
            .entries()
            .iter()
            .filter(|e| &e.category == id)
            .map(|e| {
                Button::payload(
                    e.question.get(self.lang).trim(),
                    Payload::Entry(e.id.clone()).encode(),
                )
            })
            .collect();
        let text = self.text(
            |m| &m.topic_questions,
            &[("topic", category.name.get(self.lang).trim())],
        );
        self.reply(Reply::text(text).with_buttons(buttons));
    }

    fn help_desk(&self) -> Button {
        Button::link(
            self.text(|m| &m.help_desk, &[]),
            self.text(|m| &m.help_desk_url, &[]),
        )
    }
}

/// Whether a message that no entry answers may be a code pasted outside its procedure (a
/// passcode after a timeout, say): such a message is not kept for the report.
fn may_be_secret(text: &str) -> bool {
    let text = text.trim();
    let one_token = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let letters = text.chars().filter(char::is_ascii_alphabetic).count();
    let upper = text.chars().filter(char::is_ascii_uppercase).count();
    one_token && (text.chars().any(|c| c.is_ascii_digit()) || (letters >= 6 && upper == letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_not_kept_but_words_are() {
        for code in ["ACBBXPWQSV", "x7k2-99ab", "1234567"] {
            assert!(may_be_secret(code), "{code}");
        }
        for question in ["lockout", "how do I bake bread", "パスワード", "PAO"] {
            assert!(!may_be_secret(question), "{question}");
        }
    }
}
