-- Calendar subscription keys (issue #7): one per user, kept as the SHA-256 of a 256-bit random key, so
-- a calendar application can fetch the user's meetings (/reunioes/agenda.ics?chave=…) without a session.
-- A new key replaces the old one. Keep it logically identical to ../postgres/0013_calendar_feeds.sql.
CREATE TABLE calendar_feeds (
    user_id    BIGINT NOT NULL PRIMARY KEY REFERENCES users(id),
    key_hash   TEXT   NOT NULL UNIQUE,
    created_at TEXT   NOT NULL
);
