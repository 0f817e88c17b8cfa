-- `pao-bot admin reload`: one counter that the command moves and every running `serve` polls,
-- reloading its knowledge base folder when it has moved. One row, made here.
CREATE TABLE reloads (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO reloads (id, generation) VALUES (1, 0);
