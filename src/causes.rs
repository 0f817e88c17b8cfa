//! An error and its causes as one line, each cause said once: sqlx's errors repeat their
//! cause in their own message, so a plain chain says "Connection refused" twice.

use std::error::Error;

/// `error`, then each cause after a colon, leaving out a cause the text already ends with.
pub fn with_causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = error.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the database")]
    struct Opening(#[source] Repeating);

    /// As sqlx's errors: its own message ends with its cause's.
    #[derive(Debug, thiserror::Error)]
    #[error("error communicating with database: {0}")]
    struct Repeating(#[source] io::Error);

    #[test]
    fn each_cause_is_said_once() {
        let error = Opening(Repeating(io::Error::other("Connection refused")));
        assert_eq!(
            with_causes(&error),
            "cannot open the database: error communicating with database: Connection refused"
        );
    }
}
