//! The account domain's values, parsed once where they enter (chat, command line) so that a
//! malformed site number, IBM ID or chat identity can never reach the account service.

mod chat_identity;
mod ibm_id;
mod passcode;
mod program;
mod reason;
mod role;
mod site_number;
mod timestamp;

pub use chat_identity::{Channel, ChatIdentity, ChatIdentityError};
pub use ibm_id::{IbmId, IbmIdError};
pub use passcode::{Passcode, PasscodeError};
pub use program::{Program, ProgramError};
pub use reason::{DenyReason, DenyReasonError};
pub use role::{GrantRole, Role, RoleError};
pub use site_number::{SiteNumber, SiteNumberError};
pub use timestamp::Timestamp;
