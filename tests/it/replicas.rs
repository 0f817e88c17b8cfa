//! Several replicas on one database: outbox messages claimed so that each is sent once, and
//! a dead replica's claims taken over once their lease has run out; and the outbox writes of
//! one waking the others; leases, and long polling by one replica of two.

mod leases;
mod outbox;
mod polling;
mod wakeups;
mod webhook;
