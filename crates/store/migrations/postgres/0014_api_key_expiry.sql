-- API keys may expire (issue 17): a key with an expiry is refused from that instant on. Keys of an
-- institution that is deactivated are refused too (checked when the key is looked up).
-- Keep it logically identical to ../sqlite/0014_api_key_expiry.sql.
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP;
