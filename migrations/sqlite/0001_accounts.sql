-- Sites, members, nominations, lockouts, agents, the audit log and the outbox.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE sites (
    site_number   TEXT PRIMARY KEY NOT NULL CHECK (length(site_number) = 7),
    program       TEXT NOT NULL CHECK (program IN ('pa', 'pae')),
    -- argon2id PHC string of the outstanding temporary passcode; NULL once used.
    passcode_hash TEXT,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);

CREATE TABLE members (
    site_number   TEXT NOT NULL REFERENCES sites (site_number),
    ibm_id        TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('primary', 'secondary', 'user')),
    -- The chat identity that got this access (passcode or nomination): it may act for the
    -- member.
    chat_identity TEXT,
    added_at      BIGINT NOT NULL,
    added_by      TEXT NOT NULL,
    PRIMARY KEY (site_number, ibm_id)
);

-- Exactly one primary per site (at most one here; the passcode creates it).
CREATE UNIQUE INDEX members_one_primary ON members (site_number) WHERE role = 'primary';
CREATE INDEX members_by_chat_identity ON members (chat_identity, site_number);

-- At most 4 secondary members. SQLite has a single writer, so counting is race-free.
CREATE TRIGGER members_secondary_limit_insert
BEFORE INSERT ON members
WHEN NEW.role = 'secondary'
    AND (SELECT count(*) FROM members
         WHERE site_number = NEW.site_number AND role = 'secondary') >= 4
BEGIN
    SELECT RAISE(ABORT, 'secondary limit reached');
END;

CREATE TRIGGER members_secondary_limit_update
BEFORE UPDATE OF role ON members
WHEN NEW.role = 'secondary' AND OLD.role <> 'secondary'
    AND (SELECT count(*) FROM members
         WHERE site_number = NEW.site_number AND role = 'secondary') >= 4
BEGIN
    SELECT RAISE(ABORT, 'secondary limit reached');
END;

CREATE TABLE nominations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    site_number  TEXT NOT NULL REFERENCES sites (site_number),
    ibm_id       TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'denied')),
    granted_role TEXT CHECK (granted_role IN ('user', 'secondary')),
    reason       TEXT,
    decided_by   TEXT,
    decided_at   BIGINT
);

-- One pending request per IBM ID and site.
CREATE UNIQUE INDEX nominations_one_pending
    ON nominations (site_number, ibm_id) WHERE status = 'pending';

CREATE TABLE passcode_failures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_number TEXT NOT NULL REFERENCES sites (site_number),
    at          BIGINT NOT NULL
);
CREATE INDEX passcode_failures_by_site ON passcode_failures (site_number, at);

CREATE TABLE agents (
    identity TEXT PRIMARY KEY NOT NULL,
    added_at BIGINT NOT NULL,
    added_by TEXT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    site_number TEXT,
    ibm_id      TEXT,
    outcome     TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_log_by_site ON audit_log (site_number, id);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   BIGINT NOT NULL,
    recipient    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_undelivered ON outbox (channel, id) WHERE delivered_at IS NULL;
