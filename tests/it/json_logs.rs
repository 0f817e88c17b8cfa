//! `PAO_LOG_FORMAT=json`: every log line is one JSON object, each event of a message's turn
//! carries the turn's id, which ties the message to its replies, and passcodes are masked as
//! in text logs.

use std::collections::HashMap;

use serde_json::Value;

use crate::support::pao_bot_with_env;

/// A passcode-shaped token, typed as a question.
const CODE: &str = "rd22e43maz";

#[test]
fn json_lines_tie_each_message_to_its_replies_and_mask_passcodes() {
    let input = format!("I forgot my password\nthe code is {CODE}\n/help\n");
    let env = [("PAO_LOG_FORMAT", "json"), ("RUST_LOG", "trace")];
    let run = pao_bot_with_env(&["chat"], &input, &env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains(CODE), "a passcode is in the log");

    let mut turns: HashMap<String, Vec<String>> = HashMap::new();
    for line in run.stderr.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"));
        let Some(id) = event["span"]["id"]
            .as_str()
            .filter(|_| event["span"]["name"] == "turn")
        else {
            continue;
        };
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        turns
            .entry(id.to_owned())
            .or_default()
            .push(message.to_owned());
    }
    assert_eq!(turns.len(), 3, "one id per message: {turns:?}");
    for (id, events) in &turns {
        assert_eq!(
            events.first().map(String::as_str),
            Some("message in"),
            "{id}: {events:?}"
        );
        assert_eq!(
            events.last().map(String::as_str),
            Some("replies out"),
            "{id}: {events:?}"
        );
    }
}
