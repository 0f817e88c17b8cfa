//! Where messages come from and replies go. Each channel turns its platform's messages into
//! the engine's [`Incoming`](crate::conversation::Incoming) and renders the engine's replies
//! its own way; none holds business logic.

pub mod console;
pub mod discord;
pub mod telegram;
