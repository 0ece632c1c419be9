-- IPEI, modalidade apreensão de armas (Arts. 10-15): evidence files (BO copies, stored by content
-- hash), seizures as the units deliver them, every correction made afterwards (Art. 14: appeals only
-- correct what was delivered), the laudos of SPTC experts, and saved monthly runs. Keep it logically
-- identical to ../postgres/0009_ipei.sql.
CREATE TABLE evidence_files (
    sha256        TEXT    PRIMARY KEY,
    content_type  TEXT    NOT NULL,
    size_bytes    BIGINT  NOT NULL,
    original_name TEXT    NOT NULL,
    uploaded_by   TEXT    NOT NULL,
    uploaded_at   TEXT    NOT NULL
);

CREATE TABLE seizures (
    id            INTEGER PRIMARY KEY,
    month         TEXT    NOT NULL,
    unit_code     TEXT    NOT NULL,
    bo_number     TEXT    NOT NULL,
    item          BIGINT  NOT NULL CHECK (item >= 1),
    serial        TEXT    NOT NULL DEFAULT '',
    seized_on     TEXT    NOT NULL,
    flagrante     BOOLEAN NOT NULL,
    registrations TEXT    NOT NULL,
    weapon_kind   TEXT    NOT NULL DEFAULT '',
    caliber       TEXT    NOT NULL DEFAULT '',
    brand         TEXT    NOT NULL DEFAULT '',
    bo_sha256     TEXT    REFERENCES evidence_files(sha256),
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    import_id     BIGINT  REFERENCES imports(id),
    created_by    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (unit_code, bo_number, item)
);
CREATE INDEX seizures_month ON seizures(month, unit_code);
CREATE INDEX seizures_serial ON seizures(serial);

CREATE TABLE seizure_revisions (
    id            INTEGER PRIMARY KEY,
    seizure_id    BIGINT  NOT NULL REFERENCES seizures(id),
    before        TEXT    NOT NULL,
    after         TEXT    NOT NULL,
    appeal_id     BIGINT  REFERENCES cycle_acts(id),
    -- applied (before the delivery, or an accepted appeal), proposed (an appeal not yet decided) or
    -- refused (the appeal was not granted): Art. 14 corrections take effect only when the committee grants them.
    status        TEXT    NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'proposed', 'refused')),
    import_id     BIGINT  REFERENCES imports(id),
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL
);
CREATE INDEX seizure_revisions_seizure ON seizure_revisions(seizure_id, id);

CREATE TABLE forensic_reports (
    id                  INTEGER PRIMARY KEY,
    bo_number           TEXT    NOT NULL,
    serial              TEXT    NOT NULL DEFAULT '',
    expert_registration TEXT    NOT NULL,
    signed_on           TEXT    NOT NULL,
    synthetic           BOOLEAN NOT NULL DEFAULT FALSE,
    import_id           BIGINT  REFERENCES imports(id),
    UNIQUE (bo_number, serial, expert_registration)
);

CREATE TABLE ipei_runs (
    id             INTEGER PRIMARY KEY,
    month          TEXT    NOT NULL,
    config_id      BIGINT  REFERENCES program_configs(id),
    config         TEXT    NOT NULL,
    inputs         TEXT    NOT NULL,
    inputs_sha256  TEXT    NOT NULL,
    result         TEXT    NOT NULL,
    result_sha256  TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
CREATE INDEX ipei_runs_month ON ipei_runs(month, id);

-- Result steps of an IPEI cycle name the run they publish here (run_id names RECAP runs).
ALTER TABLE cycle_acts ADD COLUMN ipei_run_id BIGINT REFERENCES ipei_runs(id);
