//! Who is talking: a chat platform and the platform's id for the person, such as
//! `telegram:123456`, `discord:987654321`, `console:local` or `web:` and a browser's
//! 32-hex-digit id.

use std::fmt;
use std::str::FromStr;

/// The chat platforms the bot talks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Telegram,
    Discord,
    Console,
    /// The web chat (`/chat`) and its widget.
    Web,
}

/// A person on a chat platform: the identity every account action is done as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatIdentity {
    channel: Channel,
    id: String,
}

/// Why a text is not a chat identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a chat identity is CHANNEL:ID, such as telegram:123456, discord:987654321 or console:local"
)]
pub struct ChatIdentityError;

/// Telegram and Discord ids are 64-bit integers: at most 20 digits.
const MAX_NUMERIC_ID: usize = 20;
const MAX_CONSOLE_ID: usize = 32;
const LOCAL: &str = "local";
/// A web chat's id: 128 bits as lowercase hex digits.
const WEB_ID: usize = 32;

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Discord => "discord",
            Channel::Console => "console",
            Channel::Web => "web",
        }
    }

    fn parse(input: &str) -> Option<Channel> {
        match input {
            "telegram" => Some(Channel::Telegram),
            "discord" => Some(Channel::Discord),
            "console" => Some(Channel::Console),
            "web" => Some(Channel::Web),
            _ => None,
        }
    }

    fn accepts(self, id: &str) -> bool {
        match self {
            // Telegram group chats have negative ids.
            Channel::Telegram => {
                let digits = id.strip_prefix('-').unwrap_or(id);
                numeric(digits)
            }
            Channel::Discord => numeric(id),
            Channel::Console => {
                !id.is_empty()
                    && id.len() <= MAX_CONSOLE_ID
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Channel::Web => {
                id.len() == WEB_ID && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        }
    }
}

fn numeric(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_NUMERIC_ID && id.bytes().all(|b| b.is_ascii_digit())
}

impl ChatIdentity {
    pub fn parse(input: &str) -> Result<ChatIdentity, ChatIdentityError> {
        let (channel, id) = input.trim().split_once(':').ok_or(ChatIdentityError)?;
        let channel = Channel::parse(&channel.to_ascii_lowercase()).ok_or(ChatIdentityError)?;
        if !channel.accepts(id) {
            return Err(ChatIdentityError);
        }
        Ok(ChatIdentity {
            channel,
            id: id.to_owned(),
        })
    }

    /// `console:local`: the operator at the machine's terminal, who runs `pao-bot admin` and
    /// so counts as a help-desk agent without being registered.
    pub fn local_operator() -> ChatIdentity {
        ChatIdentity {
            channel: Channel::Console,
            id: LOCAL.to_owned(),
        }
    }

    pub fn is_local_operator(&self) -> bool {
        self.channel == Channel::Console && self.id == LOCAL
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ChatIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.id)
    }
}

impl FromStr for ChatIdentity {
    type Err = ChatIdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChatIdentity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip() {
        for text in [
            "telegram:123456",
            "discord:987654321",
            "console:local",
            "telegram:-42",
            "web:0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(ChatIdentity::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn only_console_local_is_the_local_operator() {
        assert!(
            ChatIdentity::parse("console:local")
                .unwrap()
                .is_local_operator()
        );
        assert!(
            !ChatIdentity::parse("telegram:1")
                .unwrap()
                .is_local_operator()
        );
    }

    #[test]
    fn malformed_identities_are_refused() {
        for bad in [
            "telegram",
            "telegram:",
            "telegram:abc",
            "slack:1",
            "discord:-1",
            ":1",
            "web:local",
            "web:0123456789ABCDEF0123456789ABCDEF",
        ] {
            assert!(ChatIdentity::parse(bad).is_err(), "{bad:?}");
        }
    }
}
