-- A key may open the server's metrics only (`role = 'metrics'`, `core::access::KeyAccess`): what a
-- Prometheus on another machine scrapes with. SQLite cannot change a CHECK in place, so the table is
-- rebuilt with the same columns and rows (nothing references it).
-- Keep it logically identical to ../postgres/0018_metrics_keys.sql.
CREATE TABLE api_keys_new (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT  NOT NULL REFERENCES institutions(id),
    name           TEXT    NOT NULL,
    prefix         TEXT    NOT NULL UNIQUE,
    key_hash       TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL CHECK (role IN ('analyst', 'committee', 'unit_head', 'coordinator', 'partner', 'auditor', 'metrics', 'admin')),
    created_by     BIGINT  REFERENCES users(id),
    created_at     TEXT    NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT,
    expires_at     TEXT
);
INSERT INTO api_keys_new (id, institution_id, name, prefix, key_hash, role, created_by, created_at,
                          last_used_at, revoked_at, expires_at)
SELECT id, institution_id, name, prefix, key_hash, role, created_by, created_at, last_used_at, revoked_at,
       expires_at
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
