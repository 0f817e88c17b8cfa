//! The process's exit codes, the same for every command, so that scripts can tell a refusal
//! from bad input and from a database that cannot be used.

use crate::database::DatabaseError;

/// An account action was refused (wrong passcode, not allowed, no such site...), or `check`
/// found problems.
pub const REFUSED: u8 = 1;
/// Bad input (arguments, settings, the knowledge base), or the command could not run.
pub const BAD_INPUT: u8 = 2;
/// The database cannot be used: out of reach, damaged, or its schema cannot be brought up to
/// date. The message says which.
pub const DATABASE: u8 = 3;
/// `admin passcode check`: the person's or the site's passcode checks are locked; the message
/// says until when. Not [`DATABASE`]'s code, so that a script can tell a lockout, which ends by
/// itself, from a fault the operator must mend.
pub const LOCKED: u8 = 4;
/// Standard output was closed by its reader (`pao-bot admin audit | head`): the code of a
/// program ended by SIGPIPE, and nothing more is said.
pub const OUTPUT_CLOSED: u8 = 141;

/// The exit code when the database would not open: a URL of no supported database is bad
/// input, anything else the database's fault.
pub fn of_database(error: &DatabaseError) -> u8 {
    match error {
        DatabaseError::UnsupportedUrl => BAD_INPUT,
        _ => DATABASE,
    }
}
