-- Outbox messages that fail are tried again later, less and less often, and given up after
-- a number of tries (the person blocked the bot, or never started a chat with it), so that
-- they never hold up the messages behind them.
ALTER TABLE outbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
-- Set when the message is given up; it is then neither delivered nor tried again.
ALTER TABLE outbox ADD COLUMN abandoned_at BIGINT;
DROP INDEX outbox_undelivered;
CREATE INDEX outbox_undelivered ON outbox (channel, next_attempt_at, id)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;
