-- Import profiles analysts save from the column-mapping screen (issue 22 §3): the same JSON document a
-- shipped profile is, by its name. Keep it identical (but for the time type) in ../sqlite and ../postgres.
CREATE TABLE import_profiles (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    document   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
