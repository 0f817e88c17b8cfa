-- A recipient's outbox messages go out in order: a claim looks for an earlier undelivered
-- message to the same recipient before it hands one out, and a turn whose replies are queued
-- looks for one before it claims them itself.
CREATE INDEX outbox_undelivered_by_recipient ON outbox (recipient, id)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;
