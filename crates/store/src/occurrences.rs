//! Occurrences (BO/REDS), the area × crime × day aggregate they feed, and the log of reclassifications.
//!
//! Writes go through an [`OccurrenceWriter`] that works in batches inside the import's transaction:
//! one look-up of the batch's ids, multi-row inserts for new occurrences, and the aggregate moved by the
//! difference between each occurrence's old and new contribution. A re-import that changes a crime, a
//! date or a place moves the count from the old (area, crime, day) cells to the new ones and writes an
//! `occurrence_changes` row saying when, from what, to what, and by which import.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::{Db, Result, Tx, direct, on_db, on_tx};

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
        self.tally.add(
            split_areas(&old.areas),
            &old.crime,
            old.occurred_at.date(),
            -1,
            old.victims,
        );
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

    /// PostgreSQL: one look-up of the batch's ids, `COPY` of the new rows, then updates.
    async fn write_batched(
        &mut self,
        c: &mut sqlx::PgConnection,
        batch: &[OccurrenceRecord],
    ) -> Result<Vec<RowOutcome>> {
        let mut existing: HashMap<String, Existing> = HashMap::with_capacity(batch.len());
        lookup(c, batch, &mut existing).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut first_in_batch: HashMap<&str, u64> = HashMap::with_capacity(batch.len());
        let mut new_rows: Vec<&OccurrenceRecord> = Vec::new();
        let mut seen_rows: Vec<(i64, i64)> = Vec::new();
        let mut changed: Vec<(&OccurrenceRecord, Existing)> = Vec::new();
        for rec in batch {
            if let Some(&first) = first_in_batch.get(rec.source_id.as_str()) {
                self.uncount(rec);
                outcomes.push(RowOutcome::DuplicateInFile { first_line: first });
                continue;
            }
            first_in_batch.insert(&rec.source_id, rec.line);
            match existing.remove(&rec.source_id) {
                None => {
                    self.count_new(rec);
                    new_rows.push(rec);
                    outcomes.push(RowOutcome::Inserted);
                }
                Some(old) => outcomes.push(match self.classify(rec, &old) {
                    Verdict::Duplicate(first_line) => RowOutcome::DuplicateInFile { first_line },
                    Verdict::Unchanged => {
                        seen_rows.push((old.id, rec.line as i64));
                        RowOutcome::Unchanged
                    }
                    Verdict::Changed => {
                        changed.push((rec, old));
                        RowOutcome::Updated
                    }
                }),
            }
        }
        self.copy_new(c, &new_rows).await?;
        self.mark_seen(c, &seen_rows).await?;
        for (rec, old) in &changed {
            self.update(c, rec, old).await?;
        }
        Ok(outcomes)
    }

    /// PostgreSQL: new occurrences through `COPY … FROM STDIN` (text format) rather than multi-row
    /// INSERTs (BENCHMARKS.md, session 8: the import is bound by the foreign-key triggers either way).
    /// The batch's look-up, in this transaction, found none of these ids and repeats inside the batch
    /// were set aside, so no row can conflict — unless another import stores the same id meanwhile,
    /// which then fails this one whole.
    async fn copy_new(&self, c: &mut sqlx::PgConnection, rows: &[&OccurrenceRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut text = String::with_capacity(rows.len() * 128);
        for r in rows {
            copy_row(r, self.synthetic, self.import_id, &mut text);
        }
        let mut copy = c
            .copy_in_raw(
                "COPY occurrences (source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
                     victims, unit_code, areas, synthetic, import_id, seen_import_id, line) FROM STDIN",
            )
            .await?;
        if let Err(e) = copy.send(text.as_bytes()).await {
            let _ = copy.abort("falha ao enviar as linhas").await;
            return Err(e.into());
        }
        copy.finish().await?;
        Ok(())
    }

    /// PostgreSQL: marks unchanged occurrences as seen by this import, at their new line.
    async fn mark_seen(&self, c: &mut sqlx::PgConnection, rows: &[(i64, i64)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        let lines: Vec<i64> = rows.iter().map(|(_, line)| *line).collect();
        sqlx::query(
            "UPDATE occurrences SET seen_import_id = $1, line = v.line
             FROM UNNEST($2::BIGINT[], $3::BIGINT[]) AS v(id, line) WHERE occurrences.id = v.id",
        )
        .bind(self.import_id)
        .bind(&ids)
        .bind(&lines)
        .execute(c)
        .await?;
        Ok(())
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
                 WHERE id = $12",
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
        deltas.sort_unstable_by_key(|((t, c, d), _)| (rank[*t as usize], rank[*c as usize], *d));
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
            on_tx!(tx, |c| {
                sqlx::query("DELETE FROM daily_counts WHERE occurrences = 0 AND victims = 0")
                    .execute(c)
                    .await?;
            });
        }
        Ok(())
    }
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

/// Multi-row inserts of new occurrences on the SQLite path: one compiled statement per row count, and
/// reused text buffers for the values SQLite stores as text.
struct Inserter<'c> {
    conn: &'c rusqlite::Connection,
    synthetic: bool,
    import_id: i64,
    /// `statements[n]`: the statement inserting `n` rows, once compiled.
    statements: Vec<Option<direct::BulkStatement<'c>>>,
    when: Vec<String>,
    areas: Vec<String>,
}

impl<'c> Inserter<'c> {
    fn new(conn: &'c rusqlite::Connection, synthetic: bool, import_id: i64) -> Self {
        Inserter {
            conn,
            synthetic,
            import_id,
            statements: Vec::new(),
            when: Vec::new(),
            areas: Vec::new(),
        }
    }

    /// Inserts `rows` in one statement, skipping ids already stored; returns how many were inserted.
    fn insert(&mut self, rows: &[OccurrenceRecord]) -> Result<usize> {
        let n = rows.len();
        if self.statements.len() <= n {
            self.statements.resize_with(n + 1, || None);
        }
        let statement = match &mut self.statements[n] {
            Some(statement) => statement,
            slot => {
                // The import's constants are literals (integers of ours), not parameters: three binds
                // fewer per row.
                let row = format!(
                    "(?,?,?,?,?,?,?,?,?,?,{},{},{},?)",
                    i64::from(self.synthetic),
                    self.import_id,
                    self.import_id
                );
                let sql = format!(
                    "INSERT INTO occurrences (source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
                         victims, unit_code, areas, synthetic, import_id, seen_import_id, line) VALUES {}
                     ON CONFLICT (source_id) DO NOTHING",
                    vec![row; n].join(",")
                );
                slot.insert(direct::BulkStatement::prepare(self.conn, &sql)?)
            }
        };
        self.when.resize_with(n, String::new);
        self.areas.resize_with(n, String::new);
        for (i, r) in rows.iter().enumerate() {
            direct::datetime_text(r.occurred_at, &mut self.when[i]);
            join_areas(&r.areas, &mut self.areas[i]);
        }
        let mut values: Vec<direct::Value<'_>> = Vec::with_capacity(n * 11);
        for (i, r) in rows.iter().enumerate() {
            values.extend([
                direct::Value::from(r.source_id.as_str()),
                self.when[i].as_str().into(),
                r.crime.as_str().into(),
                r.source_crime.as_deref().into(),
                r.lat.into(),
                r.lon.into(),
                r.territory_code.as_deref().into(),
                r.victims.into(),
                r.unit_code.as_deref().into(),
                self.areas[i].as_str().into(),
                (r.line as i64).into(),
            ]);
        }
        statement.execute(&values)
    }
}

/// The stored occurrence with this id, if any.
fn select_one(conn: &rusqlite::Connection, source_id: &str) -> Result<Option<Existing>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, occurred_at, crime, source_crime, lat, lon, territory_code, victims,
                unit_code, areas, seen_import_id, line
         FROM occurrences WHERE source_id = ?1",
    )?;
    let mut rows = stmt.query([source_id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(Existing {
        id: r.get(0)?,
        occurred_at: direct::parse_datetime_text(&r.get::<_, String>(1)?)?,
        crime: r.get(2)?,
        source_crime: r.get(3)?,
        lat: r.get(4)?,
        lon: r.get(5)?,
        territory_code: r.get(6)?,
        victims: r.get(7)?,
        unit_code: r.get(8)?,
        areas: r.get(9)?,
        seen_import_id: r.get(10)?,
        line: r.get(11)?,
    }))
}

/// SQLite: multi-row upserts of the cells (in key order, see `flush`).
fn apply_deltas_direct(
    conn: &rusqlite::Connection,
    names: &[String],
    deltas: Vec<(CellKey, (i64, i64))>,
) -> Result<()> {
    let upsert = |cells: usize| {
        direct::BulkStatement::prepare(
            conn,
            &format!(
                "INSERT INTO daily_counts (territory_code, crime, day, occurrences, victims) VALUES {}
                 ON CONFLICT (territory_code, crime, day) DO UPDATE SET
                     occurrences = daily_counts.occurrences + excluded.occurrences,
                     victims = daily_counts.victims + excluded.victims",
                vec!["(?,?,?,?,?)"; cells].join(",")
            ),
        )
    };
    let mut full = upsert(DIRECT_CELLS)?;
    let mut days: Vec<String> = Vec::new();
    for chunk in deltas.chunks(DIRECT_CELLS) {
        days.resize_with(chunk.len(), String::new);
        for (i, ((_, _, d), _)) in chunk.iter().enumerate() {
            direct::date_text(day_from_number(*d), &mut days[i]);
        }
        let mut values: Vec<direct::Value<'_>> = Vec::with_capacity(chunk.len() * 5);
        for (i, ((t, c, _), (n, v))) in chunk.iter().enumerate() {
            values.extend([
                direct::Value::from(names[*t as usize].as_str()),
                names[*c as usize].as_str().into(),
                days[i].as_str().into(),
                (*n).into(),
                (*v).into(),
            ]);
        }
        if chunk.len() == DIRECT_CELLS {
            full.execute(&values)?;
        } else {
            upsert(chunk.len())?.execute(&values)?;
        }
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

/// Names of the fields a re-import changed, as logged in `occurrence_changes.changed_fields`.
fn changed_fields(rec: &OccurrenceRecord, old: &Existing, new_areas: &str) -> String {
    let mut fields = Vec::new();
    if old.crime != rec.crime || old.source_crime != rec.source_crime {
        fields.push("crime");
    }
    if old.occurred_at != rec.occurred_at {
        fields.push("occurred_at");
    }
    if old.lat != rec.lat || old.lon != rec.lon || old.territory_code != rec.territory_code {
        fields.push("location");
    }
    if old.areas != new_areas {
        fields.push("areas");
    }
    if old.victims != rec.victims {
        fields.push("victims");
    }
    if old.unit_code != rec.unit_code {
        fields.push("unit_code");
    }
    fields.join(",")
}

/// Length of `areas` joined with `|`.
fn areas_len(areas: &[String]) -> usize {
    areas.iter().map(String::len).sum::<usize>() + areas.len().saturating_sub(1)
}

fn join_areas(areas: &[String], out: &mut String) {
    out.clear();
    for (i, a) in areas.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        out.push_str(a);
    }
}

fn day_number(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

fn day_from_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MIN)
}

fn split_areas(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|a| !a.is_empty())
}

async fn lookup(
    c: &mut sqlx::PgConnection,
    batch: &[OccurrenceRecord],
    out: &mut HashMap<String, Existing>,
) -> Result<()> {
    let ids: Vec<&str> = batch.iter().map(|r| r.source_id.as_str()).collect();
    let rows = sqlx::query(
        "SELECT id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code, victims,
                    unit_code, areas, seen_import_id, line
             FROM occurrences WHERE source_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(c)
    .await?;
    for r in rows {
        out.insert(
            r.try_get("source_id")?,
            Existing {
                id: r.try_get("id")?,
                occurred_at: r.try_get("occurred_at")?,
                crime: r.try_get("crime")?,
                source_crime: r.try_get("source_crime")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
                territory_code: r.try_get("territory_code")?,
                victims: r.try_get("victims")?,
                unit_code: r.try_get("unit_code")?,
                areas: r.try_get("areas")?,
                seen_import_id: r.try_get("seen_import_id")?,
                line: r.try_get("line")?,
            },
        );
    }
    Ok(())
}

/// Appends `r` as one line of `COPY … FROM STDIN` text format, in the column order of `copy_new`.
fn copy_row(r: &OccurrenceRecord, synthetic: bool, import_id: i64, out: &mut String) {
    use std::fmt::Write;
    fn text(out: &mut String, s: Option<&str>) {
        let Some(s) = s else {
            out.push_str("\\N");
            return;
        };
        for ch in s.chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    fn real(out: &mut String, x: Option<f64>) {
        match x {
            // `{}` prints the shortest text that reads back as the same f64.
            Some(x) => {
                let _ = write!(out, "{x}");
            }
            None => out.push_str("\\N"),
        }
    }
    text(out, Some(&r.source_id));
    out.push('\t');
    let _ = write!(out, "{}", r.occurred_at.format("%F %T%.f"));
    out.push('\t');
    text(out, Some(&r.crime));
    out.push('\t');
    text(out, r.source_crime.as_deref());
    out.push('\t');
    real(out, r.lat);
    out.push('\t');
    real(out, r.lon);
    out.push('\t');
    text(out, r.territory_code.as_deref());
    out.push('\t');
    let _ = write!(out, "{}\t", r.victims);
    text(out, r.unit_code.as_deref());
    out.push('\t');
    for (i, a) in r.areas.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        text(out, Some(a));
    }
    let _ = writeln!(
        out,
        "\t{}\t{import_id}\t{import_id}\t{}",
        if synthetic { "t" } else { "f" },
        r.line
    );
}

/// An occurrence with coordinates, for re-assigning areas after territories change.
#[derive(Debug, Clone)]
pub struct Located {
    /// Row id.
    pub id: i64,
    /// Date of the fact.
    pub day: NaiveDate,
    pub crime: String,
    pub victims: i64,
    pub lat: f64,
    pub lon: f64,
    /// Current areas (`|`-separated).
    pub areas: String,
}

impl Tx {
    /// Occurrences with coordinates inside `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) and id above
    /// `after`, in id order, at most `limit` of them (for paging through a re-assignment).
    pub async fn located_in(
        &mut self,
        bbox: [f64; 4],
        after: i64,
        limit: i64,
    ) -> Result<Vec<Located>> {
        on_tx!(self, |c| {
            let rows = sqlx::query(
                "SELECT id, occurred_at, crime, victims, lat, lon, areas FROM occurrences
                 WHERE id > $1 AND lat IS NOT NULL AND lon >= $2 AND lat >= $3 AND lon <= $4 AND lat <= $5
                 ORDER BY id LIMIT $6",
            )
            .bind(after)
            .bind(bbox[0])
            .bind(bbox[1])
            .bind(bbox[2])
            .bind(bbox[3])
            .bind(limit)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<Located> {
                    Ok(Located {
                        id: r.try_get("id")?,
                        day: r.try_get::<NaiveDateTime, _>("occurred_at")?.date(),
                        crime: r.try_get("crime")?,
                        victims: r.try_get("victims")?,
                        lat: r.try_get("lat")?,
                        lon: r.try_get("lon")?,
                        areas: r.try_get("areas")?,
                    })
                })
                .collect()
        })
    }

    /// Moves occurrences to new areas (after territories were added or redrawn) and their counts with
    /// them. `moves` holds (occurrence, its new `|`-joined areas).
    pub async fn reassign(&mut self, moves: &[(&Located, String)]) -> Result<()> {
        let mut w = OccurrenceWriter::new(0, false, NaiveDateTime::MIN);
        for (o, new_areas) in moves {
            w.tally
                .add(split_areas(&o.areas), &o.crime, o.day, -1, o.victims);
            w.tally
                .add(split_areas(new_areas), &o.crime, o.day, 1, o.victims);
            on_tx!(self, |c| {
                sqlx::query("UPDATE occurrences SET areas = $1 WHERE id = $2")
                    .bind(new_areas)
                    .bind(o.id)
                    .execute(c)
                    .await?;
            });
        }
        w.finish(self).await
    }
}

/// One recorded reclassification.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    /// BO/REDS number.
    pub source_id: String,
    /// Import that changed it.
    pub import_id: i64,
    /// When (UTC).
    pub changed_at: NaiveDateTime,
    /// Which fields changed (`crime`, `occurred_at`, `location`, `areas`, `victims`, `unit_code`).
    pub changed_fields: String,
    /// Crime before.
    pub old_crime: String,
    /// Crime after.
    pub new_crime: String,
    /// Date before.
    pub old_occurred_at: NaiveDateTime,
    /// Date after.
    pub new_occurred_at: NaiveDateTime,
    /// Areas before.
    pub old_areas: String,
    /// Areas after.
    pub new_areas: String,
}

/// A cell of the daily aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyCount {
    pub territory_code: String,
    pub crime: String,
    pub day: NaiveDate,
    pub occurrences: i64,
    pub victims: i64,
}

impl Db {
    /// Reclassifications of one occurrence (or of all, newest first, when `source_id` is `None`).
    pub async fn occurrence_changes(
        &self,
        source_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChangeRecord>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT source_id, import_id, changed_at, changed_fields, old_crime, new_crime,
                        old_occurred_at, new_occurred_at, old_areas, new_areas
                 FROM occurrence_changes WHERE ($1 IS NULL OR source_id = $1)
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(source_id)
            .bind(limit)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<ChangeRecord> {
                    Ok(ChangeRecord {
                        source_id: r.try_get("source_id")?,
                        import_id: r.try_get("import_id")?,
                        changed_at: r.try_get("changed_at")?,
                        changed_fields: r.try_get("changed_fields")?,
                        old_crime: r.try_get("old_crime")?,
                        new_crime: r.try_get("new_crime")?,
                        old_occurred_at: r.try_get("old_occurred_at")?,
                        new_occurred_at: r.try_get("new_occurred_at")?,
                        old_areas: r.try_get("old_areas")?,
                        new_areas: r.try_get("new_areas")?,
                    })
                })
                .collect()
        })
    }

    /// Every non-zero cell of the daily aggregate, ordered (for tests and exports).
    pub async fn daily_counts(&self) -> Result<Vec<DailyCount>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT territory_code, crime, day, occurrences, victims FROM daily_counts
                 WHERE occurrences <> 0 OR victims <> 0 ORDER BY territory_code, crime, day",
            )
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<DailyCount> {
                    Ok(DailyCount {
                        territory_code: r.try_get("territory_code")?,
                        crime: r.try_get("crime")?,
                        day: r.try_get("day")?,
                        occurrences: r.try_get("occurrences")?,
                        victims: r.try_get("victims")?,
                    })
                })
                .collect()
        })
    }

    /// The daily aggregate recomputed from the stored occurrences (what `daily_counts` must equal).
    pub async fn daily_counts_recomputed(&self) -> Result<Vec<DailyCount>> {
        let mut cells: std::collections::BTreeMap<(String, String, NaiveDate), (i64, i64)> =
            Default::default();
        on_db!(self, |c| {
            let rows = sqlx::query("SELECT occurred_at, crime, victims, areas FROM occurrences")
                .fetch_all(c)
                .await?;
            for r in rows {
                let day = r.try_get::<NaiveDateTime, _>("occurred_at")?.date();
                let crime: String = r.try_get("crime")?;
                let victims: i64 = r.try_get("victims")?;
                let areas: String = r.try_get("areas")?;
                for a in split_areas(&areas) {
                    let e = cells
                        .entry((a.to_string(), crime.clone(), day))
                        .or_insert((0, 0));
                    e.0 += 1;
                    e.1 += victims;
                }
            }
        });
        Ok(cells
            .into_iter()
            .map(|((t, c, d), (n, v))| DailyCount {
                territory_code: t,
                crime: c,
                day: d,
                occurrences: n,
                victims: v,
            })
            .collect())
    }
}

/// Filters of the occurrence explorer.
#[derive(Debug, Clone, Default)]
pub struct OccurrenceFilter {
    /// Catalog crime.
    pub crime: Option<String>,
    /// First day (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day (inclusive).
    pub to: Option<NaiveDate>,
    /// Area the occurrence was assigned to.
    pub area: Option<String>,
    /// The requester's scope: only occurrences in one of these areas (`None` = no restriction;
    /// an empty list shows nothing).
    pub allowed_areas: Option<Vec<String>>,
    /// Only rows with an id below this one (keyset paging, newest first).
    pub before_id: Option<i64>,
    /// At most this many rows.
    pub limit: i64,
}

/// An occurrence as the explorer lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccurrenceRow {
    /// Row id (paging key).
    pub id: i64,
    /// BO/REDS number.
    pub source_id: String,
    /// Date and time of the fact (local).
    pub occurred_at: NaiveDateTime,
    /// Catalog crime.
    pub crime: String,
    /// Source crime code, when the crime map translated it.
    pub source_crime: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Territory code given in the file.
    pub territory_code: Option<String>,
    pub victims: i64,
    /// Registering unit.
    pub unit_code: Option<String>,
    /// Assigned areas, `|`-separated.
    pub areas: String,
    /// Synthetic (demo).
    pub synthetic: bool,
}

impl Db {
    /// Occurrences matching `f`, newest import first (by id: keyset paging stays fast on millions of
    /// rows without an extra index that every import would have to maintain).
    pub async fn occurrences_page(&self, f: &OccurrenceFilter) -> Result<Vec<OccurrenceRow>> {
        // Bounds as date-times: the last day runs to its end.
        let from = f.from.map(|d| d.and_time(chrono::NaiveTime::MIN));
        let to =
            f.to.and_then(|d| d.succ_opt())
                .map(|d| d.and_time(chrono::NaiveTime::MIN));
        let area = f.area.as_ref().map(|a| format!("%|{a}|%"));
        let scope = match &f.allowed_areas {
            None => String::new(),
            Some(list) if list.is_empty() => " AND 1 = 0".to_string(),
            Some(list) => format!(
                " AND ({})",
                (0..list.len())
                    .map(|i| format!("('|' || areas || '|') LIKE {}", pn(7 + i)))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
        };
        let sql = format!(
            "SELECT id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
                    victims, unit_code, areas, synthetic
             FROM occurrences
             WHERE (CAST({p1} AS TEXT) IS NULL OR crime = {p1})
               AND (CAST({p2} AS TIMESTAMP) IS NULL OR occurred_at >= {p2})
               AND (CAST({p3} AS TIMESTAMP) IS NULL OR occurred_at < {p3})
               AND (CAST({p4} AS TEXT) IS NULL OR ('|' || areas || '|') LIKE {p4})
               AND (CAST({p5} AS BIGINT) IS NULL OR id < {p5}){scope}
             ORDER BY id DESC LIMIT {p6}",
            p1 = pn(1),
            p2 = pn(2),
            p3 = pn(3),
            p4 = pn(4),
            p5 = pn(5),
            p6 = pn(6),
        );
        on_db!(self, |c| {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(&f.crime)
                .bind(from)
                .bind(to)
                .bind(&area)
                .bind(f.before_id)
                .bind(f.limit);
            for a in f.allowed_areas.iter().flatten() {
                q = q.bind(format!("%|{a}|%"));
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(|r| -> Result<OccurrenceRow> {
                    Ok(OccurrenceRow {
                        id: r.try_get("id")?,
                        source_id: r.try_get("source_id")?,
                        occurred_at: r.try_get("occurred_at")?,
                        crime: r.try_get("crime")?,
                        source_crime: r.try_get("source_crime")?,
                        lat: r.try_get("lat")?,
                        lon: r.try_get("lon")?,
                        territory_code: r.try_get("territory_code")?,
                        victims: r.try_get("victims")?,
                        unit_code: r.try_get("unit_code")?,
                        areas: r.try_get("areas")?,
                        synthetic: r.try_get("synthetic")?,
                    })
                })
                .collect()
        })
    }
}

/// `$n` on both backends here: SQLite reuses a numbered parameter where it appears twice, and these
/// statements have a handful of them (the quadratic cost of `$n` on SQLite is for thousands).
fn pn(n: usize) -> String {
    format!("${n}")
}

impl Db {
    /// Areas of a unit's circunscrição in force on `day`.
    pub async fn unit_areas_on(&self, unit_code: &str, day: NaiveDate) -> Result<Vec<String>> {
        on_db!(self, |c| {
            Ok(sqlx::query_scalar(
                "SELECT a.territory_code FROM unit_areas a JOIN units u ON u.id = a.unit_id
                 WHERE u.code = $1 AND u.valid_from <= $2 AND (u.valid_to IS NULL OR u.valid_to >= $2)
                 ORDER BY a.territory_code",
            )
            .bind(unit_code)
            .bind(day)
            .fetch_all(c)
            .await?)
        })
    }
}
