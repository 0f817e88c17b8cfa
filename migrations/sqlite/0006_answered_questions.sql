-- The question an FAQ answer was given to (masked as the unanswered ones are), so that
-- `pao-bot report` can group the answers marked "did not help" by what was asked. NULL for
-- answers picked from a button, and for answers given before this column.
ALTER TABLE answers ADD COLUMN question TEXT;
