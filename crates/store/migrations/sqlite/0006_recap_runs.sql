-- Saved RECAP calculation runs: the inputs frozen as read (areas, counts, populations, units), the
-- configuration document used, and the result's exact bytes, each with its SHA-256. Later imports never
-- change a run; pages compare a run's inputs with today's data. Keep it logically identical to
-- ../postgres/0006_recap_runs.sql.
CREATE TABLE recap_runs (
    id             INTEGER PRIMARY KEY,
    quarter        TEXT    NOT NULL,
    baseline       TEXT    NOT NULL,
    config_id      BIGINT  REFERENCES program_configs(id),
    config         TEXT    NOT NULL,
    inputs         TEXT    NOT NULL,
    inputs_sha256  TEXT    NOT NULL,
    result         TEXT    NOT NULL,
    result_sha256  TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
CREATE INDEX recap_runs_quarter ON recap_runs(quarter, id);
