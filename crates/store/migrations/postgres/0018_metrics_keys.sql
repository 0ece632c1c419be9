-- A key may open the server's metrics only (`role = 'metrics'`, `core::access::KeyAccess`): what a
-- Prometheus on another machine scrapes with.
-- Keep it logically identical to ../sqlite/0018_metrics_keys.sql.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('analyst', 'committee', 'unit_head', 'coordinator', 'partner', 'auditor', 'metrics', 'admin'));
