-- The platform (issue #3): institutions, users and their roles, sessions, login attempts, API keys and the
-- audit log. Keep it logically identical to ../postgres/0003_platform.sql (a test compares them).

-- Institutions users and API keys belong to (platform.md §1). `kind` is an atalaia_core::Institution code.
CREATE TABLE institutions (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    synthetic  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT    NOT NULL
);

-- People. `password_hash` is an Argon2id PHC string, NULL for users who only sign in through OpenID
-- Connect (`oidc_subject`). Users are deactivated, never deleted: the audit log names them.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    login          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    email          TEXT,
    institution_id BIGINT  NOT NULL REFERENCES institutions(id),
    password_hash  TEXT,
    oidc_subject   TEXT    UNIQUE,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    demo           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

-- A user's roles, each optionally scoped to a unit or a municipality ('' = unscoped).
CREATE TABLE user_roles (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users(id),
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'analyst', 'committee', 'unit_head', 'coordinator', 'partner', 'auditor')),
    scope_kind TEXT    NOT NULL DEFAULT '' CHECK (scope_kind IN ('', 'unit', 'municipality')),
    scope_code TEXT    NOT NULL DEFAULT '',
    UNIQUE (user_id, role, scope_kind, scope_code)
);

-- Sessions: the cookie carries a random token; only its SHA-256 is stored, so a copy of the database does
-- not let anyone in. Expired rows are removed on sign-in.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users(id),
    csrf_token   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Sign-in attempts, for rate limiting by login and by address.
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    login   TEXT    NOT NULL,
    ip      TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts(login, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- API keys of institutions for machine clients. The key is shown once; only its SHA-256 is kept (a key is
-- 256 random bits, so a fast hash is enough). `prefix` identifies it in lists and logs.
CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    institution_id BIGINT  NOT NULL REFERENCES institutions(id),
    name           TEXT    NOT NULL,
    prefix         TEXT    NOT NULL UNIQUE,
    key_hash       TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'analyst', 'committee', 'unit_head', 'coordinator', 'partner', 'auditor')),
    created_by     BIGINT  REFERENCES users(id),
    created_at     TEXT    NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
);

-- The audit log (platform.md §2): append-only, each entry chained to the previous one by
-- hash = SHA-256(prev_hash ‖ canonical content); `atalaia audit verify` recomputes the chain. `at` is
-- text on both backends so the hashed form is exactly what is stored.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    object    TEXT    NOT NULL DEFAULT '',
    details   TEXT    NOT NULL DEFAULT '{}',
    ip        TEXT    NOT NULL DEFAULT '',
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_actor ON audit_log(actor, id);

-- Nothing in the program updates or deletes an audit entry; the database refuses it too.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log é somente de inclusão');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log é somente de inclusão');
END;
