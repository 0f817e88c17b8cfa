//! pao-bot: a support chat-bot for Passport Advantage Online (PAO) customers.
