//! The bot's own sentences, kept with the knowledge so that they are edited the same way.

use serde::Deserialize;

use crate::lang::Localized;

/// Every fixed sentence the bot says; each is required in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub greeting: Localized,
    /// When no entry fits: points to the help desk.
    pub no_answer: Localized,
    /// Introduces the candidate questions when the top matches are close.
    pub did_you_mean: Localized,
    pub steps_heading: Localized,
    pub related_heading: Localized,
    /// When the message holds nothing to match.
    pub empty_question: Localized,
}
