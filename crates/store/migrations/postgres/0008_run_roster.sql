-- A saved run also freezes the roster of its quarter (Art. 9: each operator's unit, absent days,
-- exclusion) and the unit heads' amendments received by then, so its named payroll is reproducible
-- like its result. NULL for runs saved before this column existed. Keep it logically identical to
-- ../sqlite/0008_run_roster.sql.
ALTER TABLE recap_runs ADD COLUMN roster TEXT;
ALTER TABLE recap_runs ADD COLUMN roster_sha256 TEXT;
