//! The account domain's values, parsed once where they enter (chat, command line) so that a
//! malformed site number, IBM ID or chat identity can never reach the account service.

/// What every domain value that is a text has alike: shown as its `as_str`, parsed from a
/// string by its `parse`, and stored (serde) as that text and read back through `parse`, so
/// that a stored value that no longer parses is refused where it is read.
macro_rules! text_value {
    ($type:ident, $error:ty) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $type {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $type::parse(s)
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S>(&self, serializer: S) -> Result<S::Ok, S::Error>
            where
                S: serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D>(deserializer: D) -> Result<Self, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $type::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

mod chat_identity;
mod day;
mod ibm_id;
mod passcode;
mod program;
mod reason;
mod role;
mod site_number;
mod timestamp;

pub use chat_identity::{Channel, ChatIdentity, ChatIdentityError};
pub use day::{Day, DayError};
pub use ibm_id::{IbmId, IbmIdError};
pub use passcode::{Passcode, PasscodeError};
pub use program::{Program, ProgramError};
pub use reason::{DenyReason, DenyReasonError};
pub use role::{GrantRole, Role, RoleError};
pub use site_number::{SiteNumber, SiteNumberError};
pub use timestamp::Timestamp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_stored_as_their_text_and_parsed_back() {
        let site = SiteNumber::parse("1234567").unwrap();
        assert_eq!(serde_json::to_string(&site).unwrap(), r#""1234567""#);
        assert_eq!(
            serde_json::from_str::<SiteNumber>(r#""1234567""#).unwrap(),
            site
        );
        assert_eq!(
            serde_json::to_string(&GrantRole::Secondary).unwrap(),
            r#""secondary""#
        );
        assert_eq!(
            serde_json::from_str::<Role>(r#""user""#).unwrap(),
            Role::User
        );
        assert_eq!(format!("{:>5}", Program::Pa), "   pa", "Display pads");
        assert_eq!(
            "taro@example.jp".parse::<IbmId>().unwrap().as_str(),
            "taro@example.jp"
        );
    }

    #[test]
    fn a_stored_text_that_no_longer_parses_is_refused_with_why() {
        let error = serde_json::from_str::<SiteNumber>(r#""123456""#).unwrap_err();
        assert!(error.to_string().contains("7 digits"), "{error}");
        assert!(serde_json::from_str::<IbmId>(r#""hanako""#).is_err());
        assert!(serde_json::from_str::<GrantRole>(r#""primary""#).is_err());
        assert!(serde_json::from_str::<DenyReason>(r#""""#).is_err());
    }
}
