-- Fewer pages written per message. Every page a commit changes is written to the WAL file,
-- and a message writes a handled id and often an answer: `handled_messages` now keeps its
-- rows in its primary key (WITHOUT ROWID) rather than in a table beside a key index, and an
-- answer's id is the table's own row id rather than a second index. SQLite only: PostgreSQL
-- stores tables another way. The rows are copied over unchanged.

CREATE TABLE handled_messages_new (
    chat       TEXT NOT NULL,
    message_id TEXT NOT NULL,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (chat, message_id)
) WITHOUT ROWID;
INSERT INTO handled_messages_new (chat, message_id, handled_at)
    SELECT chat, message_id, handled_at FROM handled_messages;
DROP TABLE handled_messages;
ALTER TABLE handled_messages_new RENAME TO handled_messages;
CREATE INDEX handled_messages_by_time ON handled_messages (handled_at);

CREATE TABLE answers_new (
    -- Random, made by the bot: see conversation/store.rs.
    id          INTEGER PRIMARY KEY NOT NULL,
    entry_id    TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    person      TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    helped      BIGINT CHECK (helped IN (0, 1))
);
INSERT INTO answers_new (id, entry_id, lang, person, answered_at, helped)
    SELECT id, entry_id, lang, person, answered_at, helped FROM answers;
DROP TABLE answers;
ALTER TABLE answers_new RENAME TO answers;
CREATE INDEX answers_by_entry ON answers (entry_id);
