-- Live handoff to the help desk: a ticket per customer chat handed over (queued, taken by one
-- agent, closed), and its transcript. The conditional UPDATE ... WHERE state = 'queued' that
-- takes a ticket, and the unique partial index below, make a double take and a second open
-- ticket for one chat impossible. Texts are masked before they are written.
CREATE TABLE handoffs (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    state                TEXT NOT NULL CHECK (state IN ('queued', 'taken', 'closed')),
    customer             TEXT NOT NULL,
    chat                 TEXT NOT NULL,
    lang                 TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    -- Whoever holds a taken ticket.
    agent                TEXT CHECK (agent IS NOT NULL OR state <> 'taken'),
    -- The masked question that led here, and the FAQ entries the bot tried, comma-separated.
    question             TEXT,
    tried                TEXT NOT NULL DEFAULT '',
    created_at           BIGINT NOT NULL,
    taken_at             BIGINT,
    first_reply_at       BIGINT,
    closed_at            BIGINT,
    customer_reminded_at BIGINT,
    rating               BIGINT CHECK (rating BETWEEN 1 AND 5)
);
CREATE UNIQUE INDEX handoffs_one_open_per_chat ON handoffs (customer, chat)
    WHERE state <> 'closed';
CREATE INDEX handoffs_by_state ON handoffs (state, id);
CREATE INDEX handoffs_by_agent ON handoffs (agent) WHERE state = 'taken';

CREATE TABLE handoff_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    handoff_id BIGINT NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'note', 'faq')),
    sender     TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX handoff_messages_by_ticket ON handoff_messages (handoff_id, id);

-- The question that led to a handoff and the entries tried are found by who asked them.
ALTER TABLE unanswered ADD COLUMN person TEXT;
CREATE INDEX unanswered_by_person ON unanswered (person, asked_at);
CREATE INDEX answers_by_person ON answers (person, answered_at);
