-- Occurrences and the area × crime × day aggregate, partitioned by month (declarative, by range), so a
-- query of a period reads only that period's partitions and a state's decade of records is a set of
-- month-sized tables rather than one. Partitions are named `occurrences_YYYY_MM` / `daily_counts_YYYY_MM`;
-- a row of a month without its partition lands in the DEFAULT partition until `store::partitions` moves
-- it into a new one (after each import, and `atalaia partitions`).
--
-- A unique index of a partitioned table must contain the partition key, so `source_id` can no longer be
-- unique in `occurrences` itself: `occurrence_keys` holds it — one row per occurrence, its id and the
-- date that says which partition holds it — and is what an import looks its batch up in. PostgreSQL 15
-- does not allow an identity column on a partitioned table: `id` takes its default from a sequence owned
-- by the column, as `serial` would.

ALTER TABLE occurrences RENAME TO occurrences_unpartitioned;
ALTER INDEX occurrences_pkey RENAME TO occurrences_unpartitioned_pkey;
ALTER INDEX occurrences_source_id_key RENAME TO occurrences_unpartitioned_source_id_key;
ALTER INDEX occurrences_unassigned RENAME TO occurrences_unpartitioned_unassigned;
ALTER SEQUENCE occurrences_id_seq RENAME TO occurrences_unpartitioned_id_seq;

CREATE SEQUENCE occurrences_id_seq AS BIGINT;
CREATE TABLE occurrences (
    id             BIGINT  NOT NULL DEFAULT nextval('occurrences_id_seq'),
    source_id      TEXT    NOT NULL,
    occurred_at    TIMESTAMP NOT NULL,
    crime          TEXT    NOT NULL,
    source_crime   TEXT,
    lat            DOUBLE PRECISION,
    lon            DOUBLE PRECISION,
    territory_code TEXT,
    victims        BIGINT  NOT NULL CHECK (victims >= 1),
    unit_code      TEXT,
    areas          TEXT    NOT NULL DEFAULT '',
    synthetic      BOOLEAN NOT NULL DEFAULT FALSE,
    import_id      BIGINT  NOT NULL,
    seen_import_id BIGINT  NOT NULL,
    line           BIGINT  NOT NULL,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE occurrences_id_seq OWNED BY occurrences.id;
CREATE TABLE occurrences_default PARTITION OF occurrences DEFAULT;
CREATE INDEX occurrences_unassigned ON occurrences (id) WHERE areas = '' AND lat IS NOT NULL;

-- Besides the partition, a key keeps what an import needs to sort a known id without reading its row:
-- `digest`, a hash of the stored values (NULL: unknown, compare the row), and the import that last wrote
-- it with the line it came from (a repeat later in the same file is refused, naming that line).
-- Unchanged records are not rewritten on PostgreSQL: an import remembers them in a temporary table, so
-- `occurrences.seen_import_id` and `line` there say which import last wrote the row, not last saw it.
CREATE TABLE occurrence_keys (
    source_id   TEXT      PRIMARY KEY,
    id          BIGINT    NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    digest      BIGINT,
    import_id   BIGINT    NOT NULL,
    line        BIGINT    NOT NULL
);

ALTER TABLE daily_counts RENAME TO daily_counts_unpartitioned;
ALTER INDEX daily_counts_pkey RENAME TO daily_counts_unpartitioned_pkey;
CREATE TABLE daily_counts (
    territory_code TEXT   NOT NULL,
    crime          TEXT   NOT NULL,
    day            DATE   NOT NULL,
    occurrences    BIGINT NOT NULL,
    victims        BIGINT NOT NULL,
    PRIMARY KEY (territory_code, crime, day)
) PARTITION BY RANGE (day);
CREATE TABLE daily_counts_default PARTITION OF daily_counts DEFAULT;

-- A partition for every month that already has rows, then the rows.
DO $$
DECLARE
    m DATE;
BEGIN
    FOR m IN
        SELECT DISTINCT date_trunc('month', occurred_at)::DATE FROM occurrences_unpartitioned
        UNION
        SELECT DISTINCT date_trunc('month', day)::DATE FROM daily_counts_unpartitioned
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF occurrences FOR VALUES FROM (%L) TO (%L)',
            'occurrences_' || to_char(m, 'YYYY_MM'), m, (m + INTERVAL '1 month')::DATE);
        EXECUTE format('CREATE TABLE %I PARTITION OF daily_counts FOR VALUES FROM (%L) TO (%L)',
            'daily_counts_' || to_char(m, 'YYYY_MM'), m, (m + INTERVAL '1 month')::DATE);
    END LOOP;
END
$$;

INSERT INTO occurrences (id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
        victims, unit_code, areas, synthetic, import_id, seen_import_id, line)
    SELECT id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
        victims, unit_code, areas, synthetic, import_id, seen_import_id, line
    FROM occurrences_unpartitioned;
INSERT INTO occurrence_keys (source_id, id, occurred_at, import_id, line)
    SELECT source_id, id, occurred_at, import_id, line FROM occurrences_unpartitioned;
SELECT setval('occurrences_id_seq', COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)
    FROM occurrences_unpartitioned;
INSERT INTO daily_counts SELECT * FROM daily_counts_unpartitioned;

DROP TABLE occurrences_unpartitioned;
DROP TABLE daily_counts_unpartitioned;
