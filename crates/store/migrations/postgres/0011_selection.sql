-- Municipality selection (igesp.md §2): each decision of the Sejusp technical team, with the weights, the
-- period and the municipality's row of the ranked table as they were when it was taken. Append-only: a
-- new decision about the same municipality is a new row. Keep it logically identical to
-- ../sqlite/0011_selection.sql.
CREATE TABLE selection_decisions (
    id            BIGSERIAL PRIMARY KEY,
    territory_code TEXT   NOT NULL,
    decision      TEXT    NOT NULL CHECK (decision IN ('enter', 'not_yet')),
    reason        TEXT    NOT NULL,
    period_end    TEXT    NOT NULL,
    weights       TEXT    NOT NULL,
    row_snapshot  TEXT    NOT NULL,
    decided_by    TEXT    NOT NULL,
    decided_at    TIMESTAMP NOT NULL
);
CREATE INDEX selection_decisions_territory ON selection_decisions(territory_code, id);
