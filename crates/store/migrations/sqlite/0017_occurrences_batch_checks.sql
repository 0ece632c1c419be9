-- PostgreSQL drops the per-row foreign keys of `occurrences` and checks them once per batch
-- (../postgres/0017_occurrences_batch_checks.sql). SQLite keeps them: it checks them in process, at
-- little cost, so nothing changes here; the file keeps both histories numbered alike.
SELECT 1;
