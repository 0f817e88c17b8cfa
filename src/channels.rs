//! Where messages come from and replies go. Each channel only translates between its
//! medium and the answering core ([`crate::answer`]); none holds business logic.

pub mod console;
