-- The help desk's insight page counts closed days once: the questions of a day (JST) that has
-- ended, by what became of them, and per FAQ entry its answers and their feedback, written by
-- the first view that needs them. `day` is days since 1970-01-01 in JST.
CREATE TABLE insight_days (
    day         BIGINT NOT NULL PRIMARY KEY,
    answered    BIGINT NOT NULL,
    unanswered  BIGINT NOT NULL,
    handed_off  BIGINT NOT NULL
);
CREATE TABLE insight_entries (
    day         BIGINT NOT NULL,
    entry_id    TEXT NOT NULL,
    answered    BIGINT NOT NULL,
    helped      BIGINT NOT NULL,
    not_helped  BIGINT NOT NULL,
    PRIMARY KEY (day, entry_id)
);
-- Days whose summary a later feedback made stale (feedback on an answer of an earlier day):
-- counted again at the next view.
CREATE TABLE insight_stale (
    day         BIGINT NOT NULL PRIMARY KEY
);
