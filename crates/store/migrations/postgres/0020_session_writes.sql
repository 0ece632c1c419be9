-- With a read replica (issue 21), a session's next pages must show what it just wrote: the primary's WAL
-- position after its last write, and its pages read the replica only once the replica has replayed that
-- far. Always NULL on SQLite, which has no replicas. Keep it logically identical to
-- ../sqlite/0020_session_writes.sql.
ALTER TABLE sessions ADD COLUMN wrote_lsn TEXT;
