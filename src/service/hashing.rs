//! Passcode hashing: argon2id with a random salt, run off the async threads and a few at a
//! time.
//!
//! The cost is OWASP's first argon2id recommendation, 19 MiB of memory and 2 passes. The
//! lockout already bounds online guessing to
//! [`LOCKOUT_FAILURES`](crate::policy::LOCKOUT_FAILURES) tries per
//! [`LOCKOUT_WINDOW`](crate::policy::LOCKOUT_WINDOW), so the hash only has to
//! protect a leaked database; a 10-character code from a 31-letter alphabet (about 2^49.5) at
//! this cost is out of reach of offline guessing, while a check stays in the tens of
//! milliseconds, well under what a chat reply may take. Memory is what makes the cost
//! expensive on GPUs; more passes would only slow down customers.

use std::sync::Arc;
use std::thread;

use argon2::password_hash::{self, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use rand::RngExt;
use tokio::sync::Semaphore;

use crate::domain::Passcode;
use crate::service::ServiceError;

/// Argon2id parameters, for documentation and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

/// The cost new hashes are made with; stored hashes carry their own.
pub const HASH_COST: HashCost = HashCost {
    memory_kib: 19 * 1024,
    passes: 2,
    lanes: 1,
};

const SALT_BYTES: usize = 16;

/// Hashes and verifies passcodes, at most one per core at a time: each hash holds 19 MiB,
/// and a burst of checks should queue rather than exhaust memory.
#[derive(Debug, Clone)]
pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub(crate) fn new() -> Hasher {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        Hasher {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=...`) holding the salt and the cost.
    pub(crate) async fn hash(&self, passcode: &Passcode) -> Result<String, ServiceError> {
        let passcode = passcode.clone();
        self.run(move || {
            let mut salt = [0u8; SALT_BYTES];
            rand::rng().fill(&mut salt[..]);
            let salt = SaltString::encode_b64(&salt).map_err(|_| ServiceError::Hashing)?;
            let hash = argon2()
                .hash_password(passcode.expose_secret().as_bytes(), &salt)
                .map_err(|_| ServiceError::Hashing)?;
            Ok(hash.to_string())
        })
        .await
    }

    /// Whether `passcode` matches `phc`; the comparison runs in constant time.
    pub(crate) async fn verify(
        &self,
        passcode: &Passcode,
        phc: String,
    ) -> Result<bool, ServiceError> {
        let passcode = passcode.clone();
        self.run(move || {
            let parsed = PasswordHash::new(&phc).map_err(|_| ServiceError::Hashing)?;
            match argon2().verify_password(passcode.expose_secret().as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(password_hash::Error::Password) => Ok(false),
                Err(_) => Err(ServiceError::Hashing),
            }
        })
        .await
    }

    async fn run<T, F>(&self, work: F) -> Result<T, ServiceError>
    where
        F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Hashing)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| ServiceError::Hashing)?
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(
        HASH_COST.memory_kib,
        HASH_COST.passes,
        HASH_COST.lanes,
        None,
    )
    .expect("HASH_COST is within argon2's limits");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_passcode_only() {
        let hasher = Hasher::new();
        let code = Passcode::generate();
        let hash = hasher.hash(&code).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!hash.contains(code.expose_secret()));
        assert!(hasher.verify(&code, hash.clone()).await.unwrap());
        let wrong = Passcode::parse("WRONGCODE2").unwrap();
        assert!(!hasher.verify(&wrong, hash).await.unwrap());
    }
}
