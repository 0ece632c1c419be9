-- Files sent through the web are imported by a worker, not inside the request (issue 21): a job keeps
-- where the upload waits on the server, its state and how far it went. The import itself stays one
-- transaction, so a job that dies or is cancelled changed nothing; one that was running when its server
-- died is queued again. Keep it logically identical to ../postgres/0019_import_jobs.sql.
CREATE TABLE import_jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    file_name        TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    actor            TEXT    NOT NULL,
    ip               TEXT    NOT NULL DEFAULT '',
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    bytes_total      BIGINT  NOT NULL DEFAULT 0,
    bytes_read       BIGINT  NOT NULL DEFAULT 0,
    rows_read        BIGINT  NOT NULL DEFAULT 0,
    rows_written     BIGINT  NOT NULL DEFAULT 0,
    rows_rejected    BIGINT  NOT NULL DEFAULT 0,
    import_id        BIGINT  REFERENCES imports(id),
    error            TEXT,
    cancelled_by     TEXT,
    worker           TEXT,
    created_at       TEXT    NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    heartbeat_at     TEXT
);
CREATE INDEX import_jobs_state ON import_jobs(state, id);
