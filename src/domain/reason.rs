//! The reason given when a nomination is denied: shown to the requester, so never empty,
//! and kept, so never holding a passcode (one pasted by mistake is masked).

use crate::masking;

/// A non-empty, single-paragraph reason of bounded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyReason(String);

/// Why a text is not a usable reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reason is a short text (1 to {MAX_CHARS} characters) the requester will be shown")]
pub struct DenyReasonError;

const MAX_CHARS: usize = 500;

impl DenyReason {
    pub fn parse(input: &str) -> Result<DenyReason, DenyReasonError> {
        let text = input.trim();
        let chars = text.chars().count();
        if chars == 0 || chars > MAX_CHARS || text.chars().any(|c| c.is_control()) {
            return Err(DenyReasonError);
        }
        Ok(DenyReason(masking::mask_passcodes(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_value!(DenyReason, DenyReasonError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_passcode_is_masked() {
        let reason = DenyReason::parse("ask your contact, not RD22E43MAZ.").unwrap();
        assert_eq!(reason.as_str(), "ask your contact, not [passcode].");
    }
}
