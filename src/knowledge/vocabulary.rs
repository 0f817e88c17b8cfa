//! Words customers spell in several ways (ログイン, サインイン, sign in...), read as one term.

use serde::Deserialize;

/// One term and its spellings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub term: String,
    pub variants: Vec<String>,
}
