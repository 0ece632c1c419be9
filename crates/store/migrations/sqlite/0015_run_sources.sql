-- What a saved RECAP run counted (goias-cidadao-seguro.md §7: every number of a result traceable to its
-- inputs): for each area × crime × period, the occurrences that made the count — source id, date, the
-- import that last set them, and what each adds to the count (1, or its victims when the crime is
-- counted by victim) — and, for count-only data, the monthly rows with their import (`source_id` NULL).
-- Written with the run and never touched again: re-imports change `occurrences`, not this.
-- `recap_runs.sources_sha256` is the SHA-256 over them (`store::trace`); NULL for runs saved before.
-- Keep it logically identical to ../postgres/0015_run_sources.sql.
CREATE TABLE recap_run_sources (
    run_id      BIGINT NOT NULL REFERENCES recap_runs(id),
    area        TEXT   NOT NULL,
    crime       TEXT   NOT NULL,
    period      TEXT   NOT NULL CHECK (period IN ('current', 'base')),
    source_id   TEXT,
    occurred_at TEXT   NOT NULL,
    import_id   BIGINT,
    weight      BIGINT NOT NULL CHECK (weight >= 0)
);
CREATE INDEX recap_run_sources_cell ON recap_run_sources(run_id, area, crime, period);
ALTER TABLE recap_runs ADD COLUMN sources_sha256 TEXT;
