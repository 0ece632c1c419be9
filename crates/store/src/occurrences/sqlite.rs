//! SQLite's direct path for occurrence batches: prepared statements on the connection sqlx holds
//! (`crate::direct`), the existing rows looked up one by one and the aggregate's deltas applied in place.

use super::*;
use crate::{Result, direct};

/// Multi-row inserts of new occurrences on the SQLite path: one compiled statement per row count, and
/// reused text buffers for the values SQLite stores as text.
pub(super) struct Inserter<'c> {
    conn: &'c rusqlite::Connection,
    synthetic: bool,
    import_id: i64,
    /// `statements[n]`: the statement inserting `n` rows, once compiled.
    statements: Vec<Option<direct::BulkStatement<'c>>>,
    when: Vec<String>,
    areas: Vec<String>,
}

impl<'c> Inserter<'c> {
    pub(super) fn new(conn: &'c rusqlite::Connection, synthetic: bool, import_id: i64) -> Self {
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
    pub(super) fn insert(&mut self, rows: &[OccurrenceRecord]) -> Result<usize> {
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
pub(super) fn select_one(conn: &rusqlite::Connection, source_id: &str) -> Result<Option<Existing>> {
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
pub(super) fn apply_deltas_direct(
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
