//! Several replicas on one database: outbox messages claimed so that each is sent once, and
//! a dead replica's claims taken over once their lease has run out; and the outbox writes of
//! one waking the others; leases, long polling by one replica of two, and Discord's shards
//! split between two.

mod leases;
mod outbox;
mod polling;
mod shards;
mod stream;
mod wakeups;
mod webhook;
