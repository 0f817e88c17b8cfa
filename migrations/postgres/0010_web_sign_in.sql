-- The help desk's web page signs agents in without passwords: a one-time link (its secret's
-- SHA-256 kept, never the secret), valid a few minutes and used once, opens a session whose
-- cookie's secret is kept the same way, until the end of a working day or sign-out.
CREATE TABLE web_links (
    secret_hash TEXT NOT NULL PRIMARY KEY,
    agent TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE web_sessions (
    secret_hash TEXT NOT NULL PRIMARY KEY,
    agent TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
