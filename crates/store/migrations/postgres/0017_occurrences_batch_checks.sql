-- Occurrences are written in bulk, a COPY per batch. The per-row foreign-key triggers on `crime` and
-- `import_id` took 8.5 of the 17.9 s of a 1M-row import (PostgreSQL 15, fsync on; the COPY alone went
-- from 13 s to 4.6 s without them). The writer checks both once per batch instead
-- (store::occurrences, `check_references`): every crime of the batch is in the catalog, and the
-- import exists, locked FOR KEY SHARE as the trigger would have. Catalog crimes and imports are never
-- deleted. SQLite keeps the constraints: checked in process, they cost little
-- (../sqlite/0017_occurrences_batch_checks.sql).
ALTER TABLE occurrences
    DROP CONSTRAINT occurrences_crime_fkey,
    DROP CONSTRAINT occurrences_import_id_fkey;
