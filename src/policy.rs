//! The policy numbers: how long and how many, for lockouts, conversations, delivery and
//! memberships. Code reads them from here, and the bot's sentences get them as placeholders
//! (`{minutes}`), so that changing one changes what the bot does and says alike.

use std::time::Duration;

/// How many failed passcode checks of one site by one person (chat identity) within
/// [`LOCKOUT_WINDOW`] lock that person out of that site; as many checks of sites that do not
/// exist lock them out of every site.
pub const LOCKOUT_FAILURES: u32 = 5;
/// How many failed checks of one site by everyone together within [`LOCKOUT_WINDOW`] lock the
/// site for everyone, and tell the help desk.
pub const SITE_LOCKOUT_FAILURES: u32 = 25;
/// The window failures are counted in, and how long a lockout lasts.
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(30 * 60);
/// A conversation untouched for this long starts over.
pub const CONVERSATION_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Handled message ids are kept this long: platforms redeliver within minutes.
pub const HANDLED_IDS_KEPT: Duration = Duration::from_secs(24 * 60 * 60);
/// How many failed deliveries of an outbox message before it is given up.
pub const OUTBOX_ATTEMPTS: u32 = 10;
/// How long a sign-in link to the help desk's web page may be used (once).
pub const WEB_LINK_VALIDITY: Duration = Duration::from_secs(10 * 60);
/// How long a session of the help desk's web page lasts: a working day.
pub const DESK_SESSION: Duration = Duration::from_secs(9 * 60 * 60);
/// How long a replica's claim on an outbox message lasts: another replica may send the
/// message once it has run out, so it must outlast one delivery round (Telegram's limits pace
/// a chat's messages at one a second), and it is how long a dead replica's claims hold up
/// their messages.
pub const OUTBOX_LEASE: Duration = Duration::from_secs(2 * 60);
/// The most secondary members a site may have.
pub const MAX_SECONDARIES: u32 = 4;

/// A duration in whole minutes, as the sentences state it.
pub fn minutes(duration: Duration) -> u64 {
    duration.as_secs() / 60
}
