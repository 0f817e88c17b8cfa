//! Leases on both databases, on the test's clock: one holder at a time, renewed while it
//! lives, taken by another once expired, and free at once when released.

use std::time::Duration;

use pao_bot::replicas::leases::{Lease, TERM};

use crate::databases::{TestDb, on_both_databases};

on_both_databases!(a_lease_has_one_holder_until_it_expires_or_is_released);

async fn a_lease_has_one_holder_until_it_expires_or_is_released(db: TestDb) {
    let lease = |name| Lease::new(db.service.database().clone(), name, db.clock.clone());
    let (first, second) = (lease("polling"), lease("polling"));
    let elsewhere = lease("another job");
    assert!(first.hold().await.unwrap());
    assert!(!second.hold().await.unwrap());
    assert!(
        elsewhere.hold().await.unwrap(),
        "leases of other jobs are apart"
    );

    // Renewed before it expires, it stays with its holder.
    db.clock.advance(TERM - Duration::from_millis(1));
    assert!(!second.hold().await.unwrap());
    assert!(first.hold().await.unwrap());
    db.clock.advance(TERM - Duration::from_millis(1));
    assert!(!second.hold().await.unwrap());

    // Not renewed (its holder died), it goes to the next to try.
    db.clock.advance(Duration::from_millis(1));
    assert!(second.hold().await.unwrap());
    assert!(!first.hold().await.unwrap());

    second.release().await.unwrap();
    assert!(first.hold().await.unwrap());
    // Releasing a lease held by another changes nothing.
    second.release().await.unwrap();
    assert!(!second.hold().await.unwrap());
}
