-- Igesp integrated management (igesp.md §4, §5): meetings with their institutions and attendance, action
-- plans, actions (decisions of meetings become actions), their partners, and every status change or
-- progress note with its evidence. Nothing is deleted: an action is cancelled with a note, a meeting
-- is cancelled. Keep it logically identical to ../postgres/0012_igesp.sql.
CREATE TABLE meetings (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL CHECK (kind IN ('internal', 'articulation', 'intervention')),
    title             TEXT    NOT NULL,
    municipality_code TEXT    NOT NULL,
    area_code         TEXT,
    starts_at         TEXT    NOT NULL,
    ends_at           TEXT    NOT NULL,
    place             TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'held', 'cancelled')),
    minutes           TEXT    NOT NULL DEFAULT '',
    agenda            TEXT,
    created_by        TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    synthetic         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX meetings_municipality ON meetings(municipality_code, starts_at);

CREATE TABLE meeting_institutions (
    meeting_id     BIGINT  NOT NULL REFERENCES meetings(id),
    institution_id BIGINT  NOT NULL REFERENCES institutions(id),
    invited        BOOLEAN NOT NULL DEFAULT TRUE,
    present        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (meeting_id, institution_id)
);
CREATE INDEX meeting_institutions_institution ON meeting_institutions(institution_id);

CREATE TABLE meeting_attendees (
    id             INTEGER PRIMARY KEY,
    meeting_id     BIGINT  NOT NULL REFERENCES meetings(id),
    name           TEXT    NOT NULL,
    position       TEXT    NOT NULL DEFAULT '',
    institution_id BIGINT  NOT NULL REFERENCES institutions(id),
    user_id        BIGINT  REFERENCES users(id),
    present        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees(meeting_id);

CREATE TABLE action_plans (
    id                INTEGER PRIMARY KEY,
    municipality_code TEXT    NOT NULL,
    area_code         TEXT,
    title             TEXT    NOT NULL,
    created_by        TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    synthetic         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX action_plans_municipality ON action_plans(municipality_code);

CREATE TABLE actions (
    id                       INTEGER PRIMARY KEY,
    plan_id                  BIGINT  NOT NULL REFERENCES action_plans(id),
    meeting_id               BIGINT  REFERENCES meetings(id),
    title                    TEXT    NOT NULL,
    reason                   TEXT    NOT NULL DEFAULT '',
    responsible_institution_id BIGINT NOT NULL REFERENCES institutions(id),
    responsible_person       TEXT    NOT NULL DEFAULT '',
    starts_on                TEXT    NOT NULL,
    due_on                   TEXT    NOT NULL,
    status                   TEXT    NOT NULL DEFAULT 'planned'
                             CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    indicator                TEXT    NOT NULL DEFAULT '',
    joint_operation          BOOLEAN NOT NULL DEFAULT FALSE,
    operation_on             TEXT,
    created_by               TEXT    NOT NULL,
    created_at               TEXT    NOT NULL,
    updated_at               TEXT    NOT NULL,
    synthetic                BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX actions_plan ON actions(plan_id);
CREATE INDEX actions_meeting ON actions(meeting_id);
CREATE INDEX actions_responsible ON actions(responsible_institution_id);

CREATE TABLE action_partners (
    action_id      BIGINT NOT NULL REFERENCES actions(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    PRIMARY KEY (action_id, institution_id)
);
CREATE INDEX action_partners_institution ON action_partners(institution_id);

CREATE TABLE action_updates (
    id              INTEGER PRIMARY KEY,
    action_id       BIGINT  NOT NULL REFERENCES actions(id),
    at              TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    author_name     TEXT    NOT NULL,
    institution_id  BIGINT  REFERENCES institutions(id),
    status_from     TEXT,
    status_to       TEXT,
    note            TEXT    NOT NULL DEFAULT '',
    evidence_sha256 TEXT    REFERENCES evidence_files(sha256),
    evidence_name   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX action_updates_action ON action_updates(action_id, id);
