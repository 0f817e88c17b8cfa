//! `pao-bot ask`: one question's answer, as text or as one JSON object.

use std::io::{self, Write};

use serde::Serialize;

use crate::answer::{Answerer, lang_of_start, too_long};
use crate::lang::Lang;
use crate::matcher::Decision;

/// `ask --json`'s object.
#[derive(Serialize)]
struct AskJson<'a> {
    lang: Lang,
    faq_id: Option<&'a str>,
    score: f64,
    answer: Option<&'a str>,
    suggestions: Vec<SuggestionJson<'a>>,
    /// Why the question was not read: `too_long`.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<&'a str>,
}

#[derive(Serialize)]
struct SuggestionJson<'a> {
    id: &'a str,
    score: f64,
}

pub(super) fn run(
    bot: &Answerer,
    question: &str,
    json: bool,
    output: &mut impl Write,
) -> io::Result<()> {
    if too_long(question) {
        let lang = lang_of_start(question).unwrap_or(Lang::Ja);
        let messages = bot.knowledge().messages();
        let sentence = messages.say(&messages.too_long, lang, &[]);
        if !json {
            return writeln!(output, "{sentence}");
        }
        let object = AskJson {
            lang,
            faq_id: None,
            score: 0.0,
            answer: Some(&sentence),
            suggestions: Vec::new(),
            refused: Some("too_long"),
        };
        let object = serde_json::to_string(&object).map_err(io::Error::other)?;
        return writeln!(output, "{object}");
    }
    let answer = bot.ask(question, Lang::Ja);
    if !json {
        return writeln!(output, "{}", bot.render(&answer));
    }
    let entries = bot.knowledge().entries();
    let entry = answer.entry().map(|e| &entries[e]);
    let suggestions = match &answer.decision {
        Decision::DidYouMean(offered) => answer
            .ranking
            .entries
            .iter()
            .filter(|s| offered.contains(&s.entry))
            .map(|s| SuggestionJson {
                id: entries[s.entry].id.as_str(),
                score: rounded(s.score),
            })
            .collect(),
        _ => Vec::new(),
    };
    let object = AskJson {
        lang: answer.lang,
        faq_id: entry.map(|e| e.id.as_str()),
        score: rounded(answer.ranking.top_score()),
        answer: entry.map(|e| e.answer.get(answer.lang).as_str()),
        suggestions,
        refused: None,
    };
    writeln!(
        output,
        "{}",
        serde_json::to_string(&object).map_err(io::Error::other)?
    )
}

/// Four decimals: the precision scores mean anything at.
fn rounded(score: f32) -> f64 {
    (f64::from(score) * 1e4).round() / 1e4
}
