//! Who a browser is: a random secret kept in a cookie (HttpOnly, SameSite=Strict, Secure over
//! HTTPS), so that a reload continues the conversation. The person is `web:` and the first
//! 128 bits of the secret's SHA-256: tables and logs name the person, never the secret that
//! would let someone else speak as them.

use std::fmt::Write;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::domain::ChatIdentity;

/// The cookie's name.
const COOKIE_NAME: &str = "pao_chat";

/// The secret's length in bytes (written as twice as many hex digits).
const SECRET_BYTES: usize = 32;

/// How long a browser keeps its cookie: a year, as a returning customer expects.
const MAX_AGE_SECONDS: u64 = 365 * 24 * 60 * 60;

/// A browser as the request says, or a new one.
#[derive(Debug)]
pub(super) struct Browser {
    pub(super) identity: ChatIdentity,
    /// The secret to set in the cookie, for a browser that came without one.
    new_secret: Option<String>,
}

impl Browser {
    /// The browser of the request's cookie; a new one when it has none that is well formed.
    pub(super) fn of(headers: &HeaderMap) -> Browser {
        match known(headers) {
            Some(identity) => Browser {
                identity,
                new_secret: None,
            },
            None => {
                let mut bytes = [0u8; SECRET_BYTES];
                rand::rng().fill(&mut bytes[..]);
                let secret = hex(&bytes);
                Browser {
                    identity: identity_of(&secret),
                    new_secret: Some(secret),
                }
            }
        }
    }

    /// The `Set-Cookie` value the response carries, for a new browser.
    pub(super) fn set_cookie(&self, secure: bool) -> Option<String> {
        let secret = self.new_secret.as_ref()?;
        let secure = if secure { "; Secure" } else { "" };
        Some(format!(
            "{COOKIE_NAME}={secret}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; \
             SameSite=Strict{secure}"
        ))
    }
}

/// The person of the request's cookie, if it has a well-formed one.
pub(super) fn known(headers: &HeaderMap) -> Option<ChatIdentity> {
    let secret = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)?;
    let well_formed = secret.len() == SECRET_BYTES * 2
        && secret
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    well_formed.then(|| identity_of(secret))
}

fn identity_of(secret: &str) -> ChatIdentity {
    let digest = Sha256::digest(secret.as_bytes());
    let id = hex(&digest[..16]);
    ChatIdentity::parse(&format!("web:{id}")).expect("128 bits in hex are a web id")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_new_browser_gets_a_cookie_that_names_it_afterwards() {
        let new = Browser::of(&HeaderMap::new());
        let cookie = new.set_cookie(false).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(!cookie.contains("Secure"));
        assert!(new.set_cookie(true).unwrap().ends_with("; Secure"));
        let pair = cookie.split(';').next().unwrap();
        let secret = pair.split_once('=').unwrap().1;
        assert!(!new.identity.to_string().contains(secret));
        let mut headers = HeaderMap::new();
        let sent = format!("other=1; {pair}");
        headers.insert(COOKIE, HeaderValue::from_str(&sent).unwrap());
        let again = Browser::of(&headers);
        assert_eq!(again.identity, new.identity);
        assert_eq!(again.set_cookie(false), None);
    }

    #[test]
    fn a_malformed_cookie_is_a_new_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("pao_chat=web:abc"));
        assert_eq!(known(&headers), None);
        assert!(Browser::of(&headers).set_cookie(false).is_some());
    }
}
