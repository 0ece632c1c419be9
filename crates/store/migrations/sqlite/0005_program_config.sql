-- The program configuration of Goiás Cidadão Seguro, one JSON document per validity period (from
-- `valid_from` until the next row's). Rows are never changed: a new version starts on a later date.
-- Edited by the committee only; every version is in the audit log. Keep it logically identical to
-- ../postgres/0005_program_config.sql.
CREATE TABLE program_configs (
    id         INTEGER PRIMARY KEY,
    valid_from TEXT    NOT NULL UNIQUE,
    document   TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
