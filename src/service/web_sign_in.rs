//! Signing help-desk agents in to the web page without passwords: a one-time link for a
//! registered agent, valid [`WEB_LINK_VALIDITY`](crate::policy::WEB_LINK_VALIDITY), opens a
//! session that lasts [`DESK_SESSION`](crate::policy::DESK_SESSION). Only the SHA-256 of a
//! link's or a session's secret is stored; the secret goes to the agent alone.

use std::fmt::Write;

use async_trait::async_trait;
use rand::RngExt;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::domain::{ChatIdentity, Timestamp};
use crate::service::ServiceError;

/// A secret handed out once: a sign-in link's or a session cookie's.
#[derive(Debug)]
pub struct WebSecret {
    pub secret: SecretString,
    pub agent: ChatIdentity,
    pub expires_at: Timestamp,
}

/// The web page's sign-in, on the service's database and clock.
#[async_trait]
pub trait WebSignIn: Send + Sync {
    /// A one-time sign-in link for `agent`: asked by the agent themselves or by the local
    /// operator; refused to anyone else, and for anyone not an agent.
    async fn web_link(
        &self,
        actor: &ChatIdentity,
        agent: &ChatIdentity,
    ) -> Result<WebSecret, ServiceError>;

    /// Uses the link of `link` (its secret): a new session for its agent, or `None` when the
    /// link is unknown, used or expired, or its agent is one no longer.
    async fn web_sign_in(&self, link: &str) -> Result<Option<WebSecret>, ServiceError>;

    /// The agent of the session of `session` (its secret), while it lasts and they are still
    /// an agent.
    async fn web_agent(&self, session: &str) -> Result<Option<ChatIdentity>, ServiceError>;

    /// Ends the session of `session`.
    async fn web_sign_out(&self, session: &str) -> Result<(), ServiceError>;
}

/// A new secret: 256 random bits as hex digits.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    hex(&bytes)
}

/// What is stored of `secret`.
pub(crate) fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
