-- Several `serve` replicas on one database. An outbox message is claimed by one replica for
-- a while (its delivery lease) before it is sent, so that no other sends it too; when the
-- claimer dies, another takes the message once the lease has run out.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- Jobs only one replica may do at a time (polling Telegram): held by `holder` until
-- `expires_at` (milliseconds), renewed by it while it lives, taken by another once expired.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
