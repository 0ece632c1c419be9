-- A machine client pushing a file through the API names the push with an Idempotency-Key (issue 22 §1):
-- a retry finds the first job instead of importing twice. Keep it identical in ../sqlite and ../postgres.
ALTER TABLE import_jobs ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX import_jobs_idempotency ON import_jobs(actor, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
