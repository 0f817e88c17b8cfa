-- Failed passcode checks count per person (the chat identity that typed them) and site: 5 in
-- 30 minutes lock that person out of that site alone (passcode_lockouts), so nobody can keep a
-- site's contact out by failing on purpose. The site as a whole (sites.locked_until) is locked
-- only after 25 from everyone together. Checks of a site that does not exist count against the
-- person too (unknown_site_checks), and 5 lock them out of every site: a lockout whose
-- site_number is '' (no site number is empty), so that site numbers cannot be listed by trying.
ALTER TABLE passcode_failures ADD COLUMN person TEXT NOT NULL DEFAULT '';
CREATE INDEX passcode_failures_by_person ON passcode_failures (site_number, person, at);

CREATE TABLE unknown_site_checks (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX unknown_site_checks_by_person ON unknown_site_checks (person, at);

CREATE TABLE passcode_lockouts (
    site_number  TEXT NOT NULL,
    person       TEXT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (site_number, person)
);
