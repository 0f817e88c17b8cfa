-- The conversation engine's memory: where each person is in a conversation, the messages
-- already handled, the answers given with their feedback, and the questions left unanswered.
-- Times are milliseconds since the Unix epoch (UTC).

-- One row per person per chat. `flow` is the guided procedure in progress (JSON, never a
-- passcode), NULL when none.
CREATE TABLE conversations (
    chat       TEXT NOT NULL,
    person     TEXT NOT NULL,
    lang       TEXT CHECK (lang IN ('ja', 'en')),
    flow       TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (chat, person)
);

-- A person's chosen language (/lang), for every chat and for the messages the outbox sends.
CREATE TABLE preferences (
    person     TEXT PRIMARY KEY NOT NULL,
    lang       TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    updated_at BIGINT NOT NULL
);

-- Platform messages already handled, so that a redelivered one is not handled twice.
CREATE TABLE handled_messages (
    chat       TEXT NOT NULL,
    message_id TEXT NOT NULL,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (chat, message_id)
);
CREATE INDEX handled_messages_by_time ON handled_messages (handled_at);

-- FAQ answers given; `helped` is the asker's feedback: 1 yes, 0 no, NULL not given.
CREATE TABLE answers (
    -- Random, made by the bot: see conversation/store.rs.
    id          BIGINT PRIMARY KEY NOT NULL,
    entry_id    TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    person      TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    helped      BIGINT CHECK (helped IN (0, 1))
);
CREATE INDEX answers_by_entry ON answers (entry_id);

-- Questions no entry answered: the material for improving faq/. `folded` groups the same
-- question written differently.
CREATE TABLE unanswered (
    id        BIGSERIAL PRIMARY KEY,
    question  TEXT NOT NULL,
    folded    TEXT NOT NULL,
    lang      TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    asked_at  BIGINT NOT NULL
);
CREATE INDEX unanswered_by_folded ON unanswered (folded);
