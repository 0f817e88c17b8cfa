//! Several `serve` processes (replicas) on one PostgreSQL database: what tells them apart,
//! which of them does a job only one may do ([`leases`]), and how one replica's outbox
//! writes wake the others' delivery loops ([`wakeups`]).
//! Outbox messages are claimed by one replica ([`crate::service`]'s delivery leases), so
//! each replica names itself with a [`ReplicaId`] that no other process shares.

pub mod leases;
pub mod wakeups;

use std::fmt;
use std::sync::Arc;

/// This replica's name in the database: its process id and a random part, since process ids
/// repeat across hosts and over time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplicaId(Arc<str>);

impl ReplicaId {
    /// A new name, different from every other replica's (and every other service's in this
    /// process).
    pub fn new() -> ReplicaId {
        let name = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        ReplicaId(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ReplicaId {
    fn default() -> ReplicaId {
        ReplicaId::new()
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
