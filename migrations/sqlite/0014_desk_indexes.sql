-- The help desk's web pages read a page at a time: the pending nominations in order of their
-- numbers, and the audit log newest first, filtered by actor, IBM ID, action or time (by site
-- has its index already).
CREATE INDEX nominations_pending ON nominations (id) WHERE status = 'pending';
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_ibm_id ON audit_log (ibm_id, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_time ON audit_log (at);
