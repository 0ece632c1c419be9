-- Foundation schema (SQLite). Keep it logically identical to ../postgres/0001_foundation.sql:
-- a test compares the two (tables, columns, primary keys, unique constraints).
-- Dates are ISO text ('YYYY-MM-DD'), timestamps ISO text; both sort correctly as text.

-- One row per import run; written inside the import's own transaction, so a failed import leaves no trace.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    read_rows     BIGINT  NOT NULL DEFAULT 0,
    inserted      BIGINT  NOT NULL DEFAULT 0,
    updated       BIGINT  NOT NULL DEFAULT 0,
    unchanged     BIGINT  NOT NULL DEFAULT 0,
    rejected      BIGINT  NOT NULL DEFAULT 0,
    unassigned    BIGINT  NOT NULL DEFAULT 0
);

-- Areas and every other territory, versioned by validity (Decreto 7.872/2013 Art. 2 §ú: areas are
-- created and redrawn by act of the Secretary, so a redraw is a new version, never an overwrite).
-- valid_from '1900-01-01' means "since always"; valid_to NULL means "still valid". Both inclusive.
CREATE TABLE territories (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    parent_code  TEXT,
    ibge         TEXT,
    valid_from   TEXT    NOT NULL,
    valid_to     TEXT,
    geometry     TEXT,
    min_lon      DOUBLE PRECISION,
    min_lat      DOUBLE PRECISION,
    max_lon      DOUBLE PRECISION,
    max_lat      DOUBLE PRECISION,
    synthetic    BOOLEAN NOT NULL DEFAULT FALSE,
    import_id    BIGINT REFERENCES imports(id),
    UNIQUE (code, valid_from),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX territories_kind ON territories(kind);

CREATE TABLE populations (
    territory_code TEXT    NOT NULL,
    year           INTEGER NOT NULL,
    population     BIGINT  NOT NULL CHECK (population >= 0),
    synthetic      BOOLEAN NOT NULL DEFAULT FALSE,
    import_id      BIGINT REFERENCES imports(id),
    PRIMARY KEY (territory_code, year)
);

-- Operational units and their versioned circunscrição (Art. 2 §ú; a unit may act in several areas, Art. 7).
CREATE TABLE units (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    institution  TEXT    NOT NULL,
    valid_from   TEXT    NOT NULL,
    valid_to     TEXT,
    synthetic    BOOLEAN NOT NULL DEFAULT FALSE,
    import_id    BIGINT REFERENCES imports(id),
    UNIQUE (code, valid_from),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE TABLE unit_areas (
    unit_id        BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    territory_code TEXT   NOT NULL,
    PRIMARY KEY (unit_id, territory_code)
);

CREATE TABLE operators (
    registration TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    institution  TEXT    NOT NULL,
    cpf          TEXT,
    synthetic    BOOLEAN NOT NULL DEFAULT FALSE,
    import_id    BIGINT REFERENCES imports(id)
);

-- Lotação (kind 'lotacao') and loans à disposição (kind 'disposicao', Art. 9 §ú).
CREATE TABLE assignments (
    id           INTEGER PRIMARY KEY,
    registration TEXT    NOT NULL REFERENCES operators(registration),
    unit_code    TEXT    NOT NULL,
    date_from    TEXT    NOT NULL,
    date_to      TEXT,
    kind         TEXT    NOT NULL CHECK (kind IN ('lotacao', 'disposicao')),
    synthetic    BOOLEAN NOT NULL DEFAULT FALSE,
    import_id    BIGINT REFERENCES imports(id),
    UNIQUE (registration, unit_code, date_from, kind),
    CHECK (date_to IS NULL OR date_to >= date_from)
);

CREATE TABLE absences (
    id           INTEGER PRIMARY KEY,
    registration TEXT    NOT NULL REFERENCES operators(registration),
    date_from    TEXT    NOT NULL,
    date_to      TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    synthetic    BOOLEAN NOT NULL DEFAULT FALSE,
    import_id    BIGINT REFERENCES imports(id),
    UNIQUE (registration, date_from, date_to),
    CHECK (date_to >= date_from)
);

-- The crime catalog (contracts.md §2); administrators may add more (builtin = FALSE).
CREATE TABLE crimes (
    code     TEXT    PRIMARY KEY,
    name     TEXT    NOT NULL,
    crime_group TEXT NOT NULL,
    builtin  BOOLEAN NOT NULL DEFAULT FALSE
);

-- Source classification codes (REDS/BO "natureza") translated onto catalog codes.
CREATE TABLE crime_map (
    source_code TEXT   PRIMARY KEY,
    crime       TEXT   NOT NULL REFERENCES crimes(code),
    import_id   BIGINT REFERENCES imports(id)
);

-- One row per occurrence (BO/REDS). `areas` holds the codes of every area the occurrence was assigned to,
-- '|'-separated and sorted; '' = none. `seen_import_id` is the last import whose file contained it
-- (repeated ids inside one file are rejected), `import_id` the last import that changed it.
CREATE TABLE occurrences (
    id             INTEGER PRIMARY KEY,
    source_id      TEXT    NOT NULL UNIQUE,
    occurred_at    TEXT    NOT NULL,
    crime          TEXT    NOT NULL REFERENCES crimes(code),
    source_crime   TEXT,
    lat            DOUBLE PRECISION,
    lon            DOUBLE PRECISION,
    territory_code TEXT,
    victims        INTEGER NOT NULL CHECK (victims >= 1),
    unit_code      TEXT,
    areas          TEXT    NOT NULL DEFAULT '',
    synthetic      BOOLEAN NOT NULL DEFAULT FALSE,
    import_id      BIGINT  NOT NULL REFERENCES imports(id),
    seen_import_id BIGINT  NOT NULL,
    line           BIGINT  NOT NULL
);
CREATE INDEX occurrences_unassigned ON occurrences(id) WHERE areas = '' AND lat IS NOT NULL;

-- Every change a re-import made to an occurrence: the classic way results are gamed is quiet
-- downgrading (a robbery re-registered as a theft, a homicide moved across a border), so it stays visible.
CREATE TABLE occurrence_changes (
    id              INTEGER PRIMARY KEY,
    source_id       TEXT    NOT NULL,
    import_id       BIGINT  NOT NULL REFERENCES imports(id),
    changed_at      TEXT    NOT NULL,
    changed_fields  TEXT    NOT NULL,
    old_crime       TEXT    NOT NULL,
    new_crime       TEXT    NOT NULL,
    old_occurred_at TEXT    NOT NULL,
    new_occurred_at TEXT    NOT NULL,
    old_areas       TEXT    NOT NULL,
    new_areas       TEXT    NOT NULL,
    old_victims     INTEGER NOT NULL,
    new_victims     INTEGER NOT NULL,
    old_lat         DOUBLE PRECISION,
    old_lon         DOUBLE PRECISION,
    new_lat         DOUBLE PRECISION,
    new_lon         DOUBLE PRECISION
);
CREATE INDEX occurrence_changes_source ON occurrence_changes(source_id);

-- The aggregate every indicator reads: area × crime × day, kept exact by every import.
CREATE TABLE daily_counts (
    territory_code TEXT   NOT NULL,
    crime          TEXT   NOT NULL,
    day            TEXT   NOT NULL,
    occurrences    BIGINT NOT NULL,
    victims        BIGINT NOT NULL,
    PRIMARY KEY (territory_code, crime, day)
) WITHOUT ROWID;

-- Monthly totals for sources that only publish aggregates (ISP-RJ, SINESP). `month` is the first day.
CREATE TABLE monthly_counts (
    territory_code TEXT    NOT NULL,
    crime          TEXT    NOT NULL REFERENCES crimes(code),
    month          TEXT    NOT NULL,
    count          BIGINT  NOT NULL CHECK (count >= 0),
    synthetic      BOOLEAN NOT NULL DEFAULT FALSE,
    import_id      BIGINT REFERENCES imports(id),
    PRIMARY KEY (territory_code, crime, month)
) WITHOUT ROWID;
