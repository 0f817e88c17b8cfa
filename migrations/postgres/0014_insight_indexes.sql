-- The help desk's insight page reads answers, unanswered questions and handoffs by time: the
-- questions per day of a period, and the latest unanswered questions.
CREATE INDEX answers_by_time ON answers (answered_at, entry_id, helped);
CREATE INDEX unanswered_by_time ON unanswered (asked_at);
CREATE INDEX handoffs_by_time ON handoffs (created_at);
