-- The customer's last messages before a handoff, masked, for the agents' announcement of a
-- new ticket: kept per conversation (a JSON array of at most 10 texts), copied into the
-- ticket when it is opened, and cleared with its transcript after the retention.
ALTER TABLE conversations ADD COLUMN recent TEXT;
ALTER TABLE handoffs ADD COLUMN recent TEXT;
