-- The year table of decrees of the business-day calendar (calendar.md, "each year's decrees") and the
-- program cycles (goias-cidadao-seguro.md §6): steps closed, units' submissions and appeals, decisions.
-- Rows are never updated but to record a revocation; every act is also in the audit log. Keep it logically
-- identical to ../postgres/0007_calendar_cycles.sql.

-- A day closed (a day off added) or opened (a day off cancelled) by an act, for a state or, when
-- `municipality` is set, one municipality. A mistaken row is revoked, never deleted.
CREATE TABLE calendar_decrees (
    id            INTEGER PRIMARY KEY,
    uf            TEXT    NOT NULL,
    municipality  TEXT,
    day           TEXT    NOT NULL,
    closed        BOOLEAN NOT NULL,
    name          TEXT    NOT NULL,
    act           TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    revoked_by    TEXT,
    revoked_at    TEXT   ,
    revoke_reason TEXT
);
CREATE INDEX calendar_decrees_day ON calendar_decrees(uf, day);

-- One cycle per program and period (`2024-Q1` for RECAP, `2024-03` for IPEI), with the deadlines'
-- business-day numbers it was opened with (JSON array of six).
CREATE TABLE cycles (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    schedule   TEXT    NOT NULL,
    opened_by  TEXT    NOT NULL,
    opened_at  TEXT    NOT NULL,
    UNIQUE (kind, period)
);

-- Every act of a cycle. `act`: close (a step, by the committee), submission (a unit's list; `payload` is
-- its JSON), appeal (a unit's), appeal_decision (`appeal_id`, `accepted`), decision (Art. 13).
CREATE TABLE cycle_acts (
    id            INTEGER PRIMARY KEY,
    cycle_id      BIGINT  NOT NULL REFERENCES cycles(id),
    act           TEXT    NOT NULL,
    step          TEXT,
    unit_code     TEXT,
    run_id        BIGINT  REFERENCES recap_runs(id),
    appeal_id     BIGINT  REFERENCES cycle_acts(id),
    accepted      BOOLEAN,
    text          TEXT    NOT NULL,
    justification TEXT    NOT NULL,
    late          BOOLEAN NOT NULL,
    deadline      TEXT,
    payload       TEXT,
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL
);
CREATE INDEX cycle_acts_cycle ON cycle_acts(cycle_id, id);
