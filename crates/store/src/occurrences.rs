//! Occurrences (BO/REDS), the area × crime × day aggregate they feed, and the log of reclassifications.
//!
//! Writes go through an [`OccurrenceWriter`] that works in batches inside the import's transaction:
//! one look-up of the batch's ids, multi-row inserts for new occurrences, and the aggregate moved by the
//! difference between each occurrence's old and new contribution. A re-import that changes a crime, a
//! date or a place moves the count from the old (area, crime, day) cells to the new ones and writes an
//! `occurrence_changes` row saying when, from what, to what, and by which import.
//!
//! On PostgreSQL the table is partitioned by month (`crate::partitions`) and a batch is looked up in
//! `occurrence_keys`: an id whose key carries the digest of the record as it comes is unchanged
//! without its row being read, and is remembered for the rest of the import in a temporary table
//! rather than rewritten; new rows and their keys go in by `COPY`.

mod queries;
mod rows;
mod sqlite;
pub use queries::*;
use rows::*;
use sqlite::*;

use crate::{Result, Tx, direct, execute};
use chrono::{NaiveDate, NaiveDateTime};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// An occurrence ready to be stored: parsed, its crime resolved to a catalog code, its areas assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct OccurrenceRecord {
    /// Line of the source file (header = 1).
    pub line: u64,
    /// BO/REDS number: the occurrence's unique id.
    pub source_id: String,
    /// Date and time of the fact (local wall time, America/Sao_Paulo).
    pub occurred_at: NaiveDateTime,
    /// Catalog crime code.
    pub crime: String,
    /// The source code when the crime map translated it.
    pub source_crime: Option<String>,
    /// Latitude (WGS84).
    pub lat: Option<f64>,
    /// Longitude (WGS84).
    pub lon: Option<f64>,
    /// Territory code given in the file.
    pub territory_code: Option<String>,
    /// Number of victims (≥ 1).
    pub victims: i64,
    /// Unit that registered it.
    pub unit_code: Option<String>,
    /// Codes of every area the occurrence belongs to, sorted, without repeats.
    pub areas: Vec<String>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// New occurrence.
    Inserted,
    /// Existing occurrence changed (and the change logged).
    Updated,
    /// Same as stored.
    Unchanged,
    /// The id appeared earlier in the same file, at this line: the row is rejected.
    DuplicateInFile {
        /// Line of the first appearance.
        first_line: u64,
    },
}

#[derive(Debug)]
struct Existing {
    id: i64,
    occurred_at: NaiveDateTime,
    crime: String,
    source_crime: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    territory_code: Option<String>,
    victims: i64,
    unit_code: Option<String>,
    areas: String,
    seen_import_id: i64,
    line: i64,
}

/// Interned aggregate key: (territory, crime, day).
type CellKey = (u32, u32, i32);

/// Changes to the area × crime × day aggregate waiting to be applied to `daily_counts`.
///
/// A tally can be filled away from the transaction — the import counts every parsed occurrence on its
/// reader thread, as if it were new, because the loader thread that writes is the import's bound — and
/// handed to [`OccurrenceWriter::apply`], which folds in its own corrections for the records that did
/// not turn out new (see [`OccurrenceWriter::write_counted`]).
#[derive(Debug, Default)]
pub struct Tally {
    names: Vec<String>,
    ids: FxHashMap<String, u32>,
    deltas: FxHashMap<CellKey, (i64, i64)>,
}

impl Tally {
    /// Counts `rec` as a new occurrence: one more in each of its areas, for its crime and day.
    pub fn count(&mut self, rec: &OccurrenceRecord) {
        self.record(rec, 1);
    }

    /// Adds (`sign` 1) or takes back (-1) `rec`'s contribution.
    fn record(&mut self, rec: &OccurrenceRecord, sign: i64) {
        self.add(
            rec.areas.iter().map(String::as_str),
            &rec.crime,
            rec.occurred_at.date(),
            sign,
            rec.victims,
        );
    }

    /// Takes back the contribution of a stored occurrence in its `areas` (`|`-joined, as stored).
    fn take_back(&mut self, areas: &str, crime: &str, day: NaiveDate, victims: i64) {
        self.add(split_areas(areas), crime, day, -1, victims);
    }

    /// Moves a stored occurrence's contribution from the areas it had to `to` (`|`-joined).
    pub(crate) fn moved(
        &mut self,
        from: &str,
        to: &str,
        crime: &str,
        day: NaiveDate,
        victims: i64,
    ) {
        self.take_back(from, crime, day, victims);
        self.add(split_areas(to), crime, day, 1, victims);
    }

    /// No pending change.
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Time to hand the tally over: it holds as many cells as one flush should (see
    /// `MAX_PENDING_CELLS`).
    pub fn is_full(&self) -> bool {
        self.deltas.len() > MAX_PENDING_CELLS
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    fn add<'a>(
        &mut self,
        areas: impl IntoIterator<Item = &'a str>,
        crime: &str,
        day: NaiveDate,
        sign: i64,
        victims: i64,
    ) {
        let c = self.intern(crime);
        let d = day_number(day);
        for a in areas {
            let t = self.intern(a);
            let e = self.deltas.entry((t, c, d)).or_insert((0, 0));
            e.0 += sign;
            e.1 += sign * victims;
        }
    }

    /// Adds `other`'s changes to these (the smaller tally is folded into the larger).
    fn merge(&mut self, mut other: Tally) {
        if other.deltas.len() > self.deltas.len() {
            std::mem::swap(self, &mut other);
        }
        let ids: Vec<u32> = other.names.iter().map(|n| self.intern(n)).collect();
        for ((t, c, d), (n, v)) in other.deltas {
            let e = self
                .deltas
                .entry((ids[t as usize], ids[c as usize], d))
                .or_insert((0, 0));
            e.0 += n;
            e.1 += v;
        }
    }
}

/// Writes occurrence batches for one import, keeping `daily_counts` exact.
#[derive(Debug)]
pub struct OccurrenceWriter {
    import_id: i64,
    synthetic: bool,
    now: NaiveDateTime,
    /// This writer's own pending aggregate changes.
    tally: Tally,
    /// The batch being written was already counted as new (`write_counted`).
    counted: bool,
    /// Some applied change was negative: cells may have fallen to zero.
    decremented: bool,
    /// SQLite path: most ids of the last chunk were already stored (see `write_direct`).
    mostly_known: bool,
    /// PostgreSQL: whether the import's row was found and locked (`check_references`).
    import_checked: bool,
    /// PostgreSQL: `import_seen` exists in this transaction (`remember_seen`).
    seen_table: bool,
}

/// Rows per multi-row INSERT on the SQLite path (14 parameters each).
const DIRECT_ROWS: usize = 64;

/// Cells per multi-row upsert of the aggregate on the SQLite path (5 parameters each).
const DIRECT_CELLS: usize = 128;

/// Flush the aggregate deltas when this many cells are pending: 900k cells fit a hash table of 2^20
/// buckets (~35 MB), and every flush re-touches cells an earlier flush wrote (a million rows of the
/// benchmark make 584k cells; flushing every 200k made 850k upserts).
const MAX_PENDING_CELLS: usize = 900_000;

impl OccurrenceWriter {
    /// A writer for import `import_id`.
    pub fn new(import_id: i64, synthetic: bool, now: NaiveDateTime) -> Self {
        OccurrenceWriter {
            import_id,
            synthetic,
            now,
            tally: Tally::default(),
            counted: false,
            decremented: false,
            mostly_known: false,
            import_checked: false,
            seen_table: false,
        }
    }

    /// Stores a batch. Returns one outcome per record, in order. Ids repeated inside the batch, or seen
    /// earlier in the same import, come back as [`RowOutcome::DuplicateInFile`] and are not stored.
    pub async fn write(
        &mut self,
        tx: &mut Tx,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        self.counted = false;
        self.write_batch(tx, batch).await
    }

    /// Like [`write`](Self::write), for records the caller already counted as new in a [`Tally`] it
    /// will [`apply`](Self::apply): this writer takes back the count of every record that was not new
    /// (a repeat in the file, an unchanged occurrence) and, for a changed one, the old version's.
    pub async fn write_counted(
        &mut self,
        tx: &mut Tx,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        self.counted = true;
        self.write_batch(tx, batch).await
    }

    /// Applies a tally filled by the caller, with this writer's pending changes.
    pub async fn apply(&mut self, tx: &mut Tx, tally: Tally) -> Result<()> {
        self.tally.merge(tally);
        self.flush(tx).await
    }

    async fn write_batch(
        &mut self,
        tx: &mut Tx,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        let outcomes = match tx {
            Tx::Sqlite(t) => {
                let mut handle = t.lock_handle().await?;
                direct::with_connection(&mut handle, |conn| self.write_direct(conn, batch))?
            }
            Tx::Pg(t) => self.write_batched(t, batch).await?,
        };
        if self.tally.is_full() {
            self.flush(tx).await?;
        }
        Ok(outcomes)
    }

    /// Decides what a record does to the occurrence stored under its id.
    fn classify(&mut self, rec: &OccurrenceRecord, old: &Existing) -> Verdict {
        if old.seen_import_id == self.import_id {
            self.uncount(rec);
            return Verdict::Duplicate(old.line as u64);
        }
        let same_areas = old.areas.len() == areas_len(&rec.areas)
            && split_areas(&old.areas).eq(rec.areas.iter().map(String::as_str));
        let same = same_areas
            && old.occurred_at == rec.occurred_at
            && old.crime == rec.crime
            && old.source_crime == rec.source_crime
            && old.lat == rec.lat
            && old.lon == rec.lon
            && old.territory_code == rec.territory_code
            && old.victims == rec.victims
            && old.unit_code == rec.unit_code;
        if same {
            self.uncount(rec);
            return Verdict::Unchanged;
        }
        self.tally
            .take_back(&old.areas, &old.crime, old.occurred_at.date(), old.victims);
        self.count_new(rec);
        Verdict::Changed
    }

    /// Counts a record that is new, or the new version of a changed one (unless already counted).
    fn count_new(&mut self, rec: &OccurrenceRecord) {
        if !self.counted {
            self.tally.count(rec);
        }
    }

    /// Takes back the count of a record that was counted beforehand but is not new.
    fn uncount(&mut self, rec: &OccurrenceRecord) {
        if self.counted {
            self.tally.record(rec, -1);
        }
    }

    /// SQLite, on the calling thread. New ids go in multi-row INSERTs that skip ids already stored
    /// (`ON CONFLICT DO NOTHING`); when a chunk skipped some, its rows are read back one by one: a row
    /// carrying this import and this record's line was just written by it, any other is an earlier
    /// version (or an earlier line of this file) and is classified. While most ids turn out to be
    /// known (a re-import) rows go one at a time, which spares the failed multi-row attempt.
    fn write_direct(
        &mut self,
        conn: &rusqlite::Connection,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut inserter = Inserter::new(conn, self.synthetic, self.import_id);
        for chunk in batch.chunks(DIRECT_ROWS) {
            if !self.mostly_known {
                let inserted = inserter.insert(chunk)?;
                if inserted == chunk.len() {
                    for rec in chunk {
                        self.count_new(rec);
                        outcomes.push(RowOutcome::Inserted);
                    }
                    continue;
                }
                self.mostly_known = inserted * 2 < chunk.len();
                for rec in chunk {
                    let old = select_one(conn, &rec.source_id)?.ok_or_else(|| {
                        crate::StoreError::Corrupt(format!("ocorrência `{}` sumiu", rec.source_id))
                    })?;
                    if old.seen_import_id == self.import_id && old.line == rec.line as i64 {
                        self.count_new(rec);
                        outcomes.push(RowOutcome::Inserted);
                    } else {
                        outcomes.push(self.resolve_direct(conn, rec, &old)?);
                    }
                }
            } else {
                let mut inserted = 0;
                for rec in chunk {
                    if inserter.insert(std::slice::from_ref(rec))? == 1 {
                        inserted += 1;
                        self.count_new(rec);
                        outcomes.push(RowOutcome::Inserted);
                        continue;
                    }
                    let old = select_one(conn, &rec.source_id)?.ok_or_else(|| {
                        crate::StoreError::Corrupt(format!("ocorrência `{}` sumiu", rec.source_id))
                    })?;
                    outcomes.push(self.resolve_direct(conn, rec, &old)?);
                }
                self.mostly_known = inserted * 2 < chunk.len();
            }
        }
        Ok(outcomes)
    }

    /// A record whose id is already stored: a repeat in this file, the same occurrence, or a change.
    fn resolve_direct(
        &mut self,
        conn: &rusqlite::Connection,
        rec: &OccurrenceRecord,
        old: &Existing,
    ) -> Result<RowOutcome> {
        Ok(match self.classify(rec, old) {
            Verdict::Duplicate(first_line) => RowOutcome::DuplicateInFile { first_line },
            Verdict::Unchanged => {
                conn.prepare_cached(
                    "UPDATE occurrences SET seen_import_id = ?1, line = ?2 WHERE id = ?3",
                )?
                .execute(rusqlite::params![
                    self.import_id,
                    rec.line as i64,
                    old.id
                ])?;
                RowOutcome::Unchanged
            }
            Verdict::Changed => {
                self.update_direct(conn, rec, old)?;
                RowOutcome::Updated
            }
        })
    }

    fn update_direct(
        &self,
        conn: &rusqlite::Connection,
        rec: &OccurrenceRecord,
        old: &Existing,
    ) -> Result<()> {
        let new_areas = rec.areas.join("|");
        let mut when = String::new();
        let mut old_when = String::new();
        let mut now = String::new();
        direct::datetime_text(rec.occurred_at, &mut when);
        direct::datetime_text(old.occurred_at, &mut old_when);
        direct::datetime_text(self.now, &mut now);
        conn.prepare_cached(
            "UPDATE occurrences SET occurred_at = ?1, crime = ?2, source_crime = ?3, lat = ?4, lon = ?5,
                 territory_code = ?6, victims = ?7, unit_code = ?8, areas = ?9, import_id = ?10,
                 seen_import_id = ?10, line = ?11
             WHERE id = ?12",
        )?
        .execute(rusqlite::params![
            when,
            rec.crime,
            rec.source_crime,
            rec.lat,
            rec.lon,
            rec.territory_code,
            rec.victims,
            rec.unit_code,
            new_areas,
            self.import_id,
            rec.line as i64,
            old.id,
        ])?;
        conn.prepare_cached(
            "INSERT INTO occurrence_changes (source_id, import_id, changed_at, changed_fields,
                 old_crime, new_crime, old_occurred_at, new_occurred_at, old_areas, new_areas,
                 old_victims, new_victims, old_lat, old_lon, new_lat, new_lon)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(rusqlite::params![
            rec.source_id,
            self.import_id,
            now,
            changed_fields(rec, old, &new_areas),
            old.crime,
            rec.crime,
            old_when,
            when,
            old.areas,
            new_areas,
            old.victims,
            rec.victims,
            old.lat,
            old.lon,
            rec.lat,
            rec.lon,
        ])?;
        Ok(())
    }

    /// PostgreSQL: one look-up of the batch's ids in `occurrence_keys`; a known id whose digest
    /// matches is unchanged without reading its row (and only remembered, in `import_seen`, not
    /// rewritten); the rows of the others are read and compared. Then `COPY` of the new rows and
    /// their keys, and the updates.
    async fn write_batched(
        &mut self,
        c: &mut sqlx::PgConnection,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        let keys = lookup_keys(c, batch).await?;
        let seen_before = self.seen_earlier(c, &keys).await?;
        let mut outcomes: Vec<Option<RowOutcome>> = vec![None; batch.len()];
        let mut first_in_batch: HashMap<&str, u64> = HashMap::with_capacity(batch.len());
        let mut new_rows: Vec<&OccurrenceRecord> = Vec::new();
        let mut seen: Vec<&OccurrenceRecord> = Vec::new();
        let mut to_read: Vec<usize> = Vec::new();
        for (i, rec) in batch.iter().enumerate() {
            let repeat = first_in_batch
                .get(rec.source_id.as_str())
                .copied()
                .or_else(|| seen_before.get(&rec.source_id).map(|l| *l as u64));
            let key = keys.get(&rec.source_id);
            let repeat = repeat.or_else(|| {
                key.filter(|k| k.import_id == self.import_id)
                    .map(|k| k.line as u64)
            });
            if let Some(first_line) = repeat {
                self.uncount(rec);
                outcomes[i] = Some(RowOutcome::DuplicateInFile { first_line });
                continue;
            }
            first_in_batch.insert(&rec.source_id, rec.line);
            outcomes[i] = match key {
                None => {
                    self.count_new(rec);
                    new_rows.push(rec);
                    Some(RowOutcome::Inserted)
                }
                Some(k) if k.digest == Some(digest(rec)) => {
                    self.uncount(rec);
                    seen.push(rec);
                    Some(RowOutcome::Unchanged)
                }
                Some(_) => {
                    to_read.push(i);
                    None
                }
            };
        }
        let mut stored: HashMap<String, Existing> = HashMap::with_capacity(to_read.len());
        let read: Vec<&Key> = to_read
            .iter()
            .filter_map(|&i| keys.get(&batch[i].source_id))
            .collect();
        fetch_rows(c, &read, &mut stored).await?;
        let mut changed: Vec<(&OccurrenceRecord, Existing)> = Vec::new();
        let mut redigest: Vec<&OccurrenceRecord> = Vec::new();
        for i in to_read {
            let rec = &batch[i];
            let old = stored.remove(&rec.source_id).ok_or_else(|| {
                crate::StoreError::Corrupt(format!("ocorrência `{}` sem linha", rec.source_id))
            })?;
            outcomes[i] = Some(match self.classify(rec, &old) {
                Verdict::Duplicate(first_line) => RowOutcome::DuplicateInFile { first_line },
                Verdict::Unchanged => {
                    seen.push(rec);
                    redigest.push(rec);
                    RowOutcome::Unchanged
                }
                Verdict::Changed => {
                    changed.push((rec, old));
                    RowOutcome::Updated
                }
            });
        }
        let crimes: Vec<&str> = new_rows
            .iter()
            .map(|r| r.crime.as_str())
            .chain(changed.iter().map(|(r, _)| r.crime.as_str()))
            .collect();
        if !crimes.is_empty() {
            self.check_references(c, &crimes).await?;
        }
        self.copy_new(c, &new_rows).await?;
        self.remember_seen(c, &seen).await?;
        store_digests(c, &redigest).await?;
        for (rec, old) in &changed {
            self.update(c, rec, old).await?;
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// PostgreSQL: the lines at which this import already met `keys`' ids unchanged, in an earlier
    /// batch (`import_seen`).
    async fn seen_earlier(
        &self,
        c: &mut sqlx::PgConnection,
        keys: &HashMap<String, Key>,
    ) -> Result<HashMap<String, i64>> {
        if !self.seen_table || keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<&str> = keys.keys().map(String::as_str).collect();
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT source_id, line FROM import_seen WHERE source_id = ANY($1)")
                .bind(&ids)
                .fetch_all(c)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// PostgreSQL: remembers unchanged records for the rest of this import (a repeat of one later in
    /// the file is refused, naming its line), in a temporary table dropped at commit — instead of
    /// rewriting each unchanged row, which made a re-import slower than the first.
    async fn remember_seen(
        &mut self,
        c: &mut sqlx::PgConnection,
        seen: &[&OccurrenceRecord],
    ) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        if !self.seen_table {
            sqlx::query(
                "CREATE TEMPORARY TABLE import_seen (source_id TEXT PRIMARY KEY, line BIGINT NOT NULL)
                 ON COMMIT DROP",
            )
            .execute(&mut *c)
            .await?;
            self.seen_table = true;
        }
        let mut text = String::with_capacity(seen.len() * 32);
        for r in seen {
            copy_seen(r, &mut text);
        }
        copy_in(c, "COPY import_seen (source_id, line) FROM STDIN", &text).await
    }

    /// PostgreSQL keeps no per-row foreign keys on occurrences (migration 0017: they took half an
    /// import's time): what they guarded is checked here, once per batch — the batch's crimes are in
    /// the catalog, and (on the first batch) the import exists, locked as the trigger would lock it.
    async fn check_references(
        &mut self,
        c: &mut sqlx::PgConnection,
        crimes: &[&str],
    ) -> Result<()> {
        if !self.import_checked {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM imports WHERE id = $1 FOR KEY SHARE")
                    .bind(self.import_id)
                    .fetch_optional(&mut *c)
                    .await?;
            if found.is_none() {
                return Err(crate::StoreError::Corrupt(format!(
                    "importação {} inexistente",
                    self.import_id
                )));
            }
            self.import_checked = true;
        }
        let mut distinct = crimes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let missing: Vec<String> = sqlx::query_scalar(
            "SELECT c FROM UNNEST($1::TEXT[]) AS c WHERE NOT EXISTS (SELECT 1 FROM crimes WHERE code = c)",
        )
        .bind(&distinct)
        .fetch_all(&mut *c)
        .await?;
        if !missing.is_empty() {
            return Err(crate::StoreError::Corrupt(format!(
                "crimes fora do catálogo: {}",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    /// PostgreSQL: new occurrences through `COPY … FROM STDIN` (text format) rather than multi-row
    /// INSERTs, under ids drawn from the sequence beforehand, and their `occurrence_keys`. The batch's
    /// look-up, in this transaction, found none of these ids and repeats inside the batch were set
    /// aside, so no row can conflict — unless another import stores the same id meanwhile, which the
    /// keys' primary key then refuses, failing this import whole.
    async fn copy_new(&self, c: &mut sqlx::PgConnection, rows: &[&OccurrenceRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT nextval('occurrences_id_seq') FROM generate_series(1, $1)")
                .bind(rows.len() as i64)
                .fetch_all(&mut *c)
                .await?;
        // Ids in the file's order; rows sent in date order, so COPY fills one month's partition after
        // another (it buffers rows for a few partitions at a time; a file may visit every month by
        // turns).
        let mut rows: Vec<(&OccurrenceRecord, i64)> = rows.iter().copied().zip(ids).collect();
        rows.sort_by_key(|(r, _)| r.occurred_at);
        let mut text = String::with_capacity(rows.len() * 136);
        let mut keys = String::with_capacity(rows.len() * 64);
        for (r, id) in rows {
            copy_row(r, id, self.synthetic, self.import_id, &mut text);
            copy_key(r, id, self.import_id, &mut keys);
        }
        copy_in(
            c,
            "COPY occurrences (id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
                 victims, unit_code, areas, synthetic, import_id, seen_import_id, line) FROM STDIN",
            &text,
        )
        .await?;
        copy_in(
            c,
            "COPY occurrence_keys (source_id, id, occurred_at, digest, import_id, line) FROM STDIN",
            &keys,
        )
        .await
    }

    /// PostgreSQL: a changed occurrence and its log entry.
    async fn update(
        &self,
        c: &mut sqlx::PgConnection,
        rec: &OccurrenceRecord,
        old: &Existing,
    ) -> Result<()> {
        let new_areas = rec.areas.join("|");
        let fields = changed_fields(rec, old, &new_areas);
        sqlx::query(
                "UPDATE occurrences SET occurred_at = $1, crime = $2, source_crime = $3, lat = $4, lon = $5,
                     territory_code = $6, victims = $7, unit_code = $8, areas = $9, import_id = $10,
                     seen_import_id = $10, line = $11
                 WHERE id = $12 AND occurred_at = $13",
            )
            .bind(rec.occurred_at)
            .bind(&rec.crime)
            .bind(&rec.source_crime)
            .bind(rec.lat)
            .bind(rec.lon)
            .bind(&rec.territory_code)
            .bind(rec.victims)
            .bind(&rec.unit_code)
            .bind(&new_areas)
            .bind(self.import_id)
            .bind(rec.line as i64)
            .bind(old.id)
            .bind(old.occurred_at)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "UPDATE occurrence_keys SET occurred_at = $1, digest = $2, import_id = $3, line = $4
             WHERE source_id = $5",
        )
        .bind(rec.occurred_at)
        .bind(digest(rec))
        .bind(self.import_id)
        .bind(rec.line as i64)
        .bind(&rec.source_id)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO occurrence_changes (source_id, import_id, changed_at, changed_fields,
                     old_crime, new_crime, old_occurred_at, new_occurred_at, old_areas, new_areas,
                     old_victims, new_victims, old_lat, old_lon, new_lat, new_lon)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
        )
        .bind(&rec.source_id)
        .bind(self.import_id)
        .bind(self.now)
        .bind(&fields)
        .bind(&old.crime)
        .bind(&rec.crime)
        .bind(old.occurred_at)
        .bind(rec.occurred_at)
        .bind(&old.areas)
        .bind(&new_areas)
        .bind(old.victims)
        .bind(rec.victims)
        .bind(old.lat)
        .bind(old.lon)
        .bind(rec.lat)
        .bind(rec.lon)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// Applies the pending aggregate deltas.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let Tally { names, deltas, .. } = std::mem::take(&mut self.tally);
        let mut deltas: Vec<(CellKey, (i64, i64))> = deltas
            .into_iter()
            .filter(|(_, (n, v))| *n != 0 || *v != 0)
            .collect();
        self.decremented |= deltas.iter().any(|(_, (n, v))| *n < 0 || *v < 0);
        // In key order: each upsert then lands next to the previous one in the aggregate's index
        // (SQLite clusters the table on that key). Sorted by the names' ranks, integers, rather than
        // by the names.
        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        order.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
        let mut rank = vec![0u32; names.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        match tx {
            // PostgreSQL partitions the aggregate by month: the month first, so each statement's rows
            // reach one partition after another rather than every partition by turns.
            Tx::Pg(_) => deltas.sort_by_cached_key(|((t, c, d), _)| {
                (month_number(*d), rank[*t as usize], rank[*c as usize], *d)
            }),
            Tx::Sqlite(_) => deltas
                .sort_unstable_by_key(|((t, c, d), _)| (rank[*t as usize], rank[*c as usize], *d)),
        }
        match tx {
            Tx::Sqlite(t) => {
                let mut handle = t.lock_handle().await?;
                direct::with_connection(&mut handle, |conn| {
                    apply_deltas_direct(conn, &names, deltas)
                })
            }
            Tx::Pg(t) => apply_deltas(t, &names, &deltas).await,
        }
    }

    /// Flushes what is pending and removes aggregate cells that fell to zero. Call once, at the end.
    pub async fn finish(mut self, tx: &mut Tx) -> Result<()> {
        self.flush(tx).await?;
        if self.decremented {
            execute!(
                on_tx,
                tx,
                "DELETE FROM daily_counts WHERE occurrences = 0 AND victims = 0"
            );
        }
        Ok(())
    }
}

/// PostgreSQL: stores the digests of records found unchanged by reading their rows (a key made
/// before digests, or after territories moved the row's areas), so the next import need not read them.
async fn store_digests(c: &mut sqlx::PgConnection, recs: &[&OccurrenceRecord]) -> Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = recs.iter().map(|r| r.source_id.as_str()).collect();
    let digests: Vec<i64> = recs.iter().map(|r| digest(r)).collect();
    sqlx::query(
        "UPDATE occurrence_keys SET digest = v.digest
         FROM UNNEST($1::TEXT[], $2::BIGINT[]) AS v(source_id, digest)
         WHERE occurrence_keys.source_id = v.source_id",
    )
    .bind(&ids)
    .bind(&digests)
    .execute(c)
    .await?;
    Ok(())
}

/// PostgreSQL: sends `text` through `statement` (a `COPY … FROM STDIN`).
async fn copy_in(c: &mut sqlx::PgConnection, statement: &str, text: &str) -> Result<()> {
    let mut copy = c.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(text.as_bytes()).await {
        let _ = copy.abort("falha ao enviar as linhas").await;
        return Err(e.into());
    }
    copy.finish().await?;
    Ok(())
}

/// PostgreSQL: upserts of the aggregate, the cells passed as arrays (one statement per 10,000).
async fn apply_deltas(
    c: &mut sqlx::PgConnection,
    names: &[String],
    deltas: &[(CellKey, (i64, i64))],
) -> Result<()> {
    const CELLS: usize = 10_000;
    for chunk in deltas.chunks(CELLS) {
        let territories: Vec<&str> = chunk
            .iter()
            .map(|((t, _, _), _)| names[*t as usize].as_str())
            .collect();
        let crimes: Vec<&str> = chunk
            .iter()
            .map(|((_, c, _), _)| names[*c as usize].as_str())
            .collect();
        let days: Vec<NaiveDate> = chunk
            .iter()
            .map(|((_, _, d), _)| day_from_number(*d))
            .collect();
        let counts: Vec<i64> = chunk.iter().map(|(_, (n, _))| *n).collect();
        let victims: Vec<i64> = chunk.iter().map(|(_, (_, v))| *v).collect();
        sqlx::query(
            "INSERT INTO daily_counts (territory_code, crime, day, occurrences, victims)
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::DATE[], $4::BIGINT[], $5::BIGINT[])
             ON CONFLICT (territory_code, crime, day) DO UPDATE SET
                 occurrences = daily_counts.occurrences + excluded.occurrences,
                 victims = daily_counts.victims + excluded.victims",
        )
        .bind(&territories)
        .bind(&crimes)
        .bind(&days)
        .bind(&counts)
        .bind(&victims)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// What a record does to the occurrence already stored under its id.
enum Verdict {
    /// The id was already in this file, at this line.
    Duplicate(u64),
    Unchanged,
    Changed,
}
