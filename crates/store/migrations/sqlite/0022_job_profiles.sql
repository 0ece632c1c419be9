-- A web upload may name the import profile its source's files need (issue 22 §3): the worker reads the
-- file through it. Keep it identical in ../sqlite and ../postgres.
ALTER TABLE import_jobs ADD COLUMN profile TEXT;
