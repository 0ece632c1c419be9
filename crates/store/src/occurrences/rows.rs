//! How an occurrence row is written and compared: its areas as one text, its day as a number for the
//! tally, the fields a re-import changed, and PostgreSQL's COPY text.

use super::*;
use crate::Result;
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::Row;
use std::collections::HashMap;

/// Names of the fields a re-import changed, as logged in `occurrence_changes.changed_fields`.
pub(super) fn changed_fields(rec: &OccurrenceRecord, old: &Existing, new_areas: &str) -> String {
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
pub(super) fn areas_len(areas: &[String]) -> usize {
    areas.iter().map(String::len).sum::<usize>() + areas.len().saturating_sub(1)
}

pub(super) fn join_areas(areas: &[String], out: &mut String) {
    out.clear();
    for (i, a) in areas.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        out.push_str(a);
    }
}

pub(super) fn day_number(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

/// The month (years × 12 + month) of a day given by [`day_number`].
pub(super) fn month_number(n: i32) -> i32 {
    use chrono::Datelike;
    let d = day_from_number(n);
    d.year() * 12 + d.month0() as i32
}

pub(super) fn day_from_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MIN)
}

pub(super) fn split_areas(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|a| !a.is_empty())
}

/// PostgreSQL: what `occurrence_keys` says of an id already stored.
#[derive(Debug)]
pub(super) struct Key {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    /// [`digest`] of the stored values; `None`: unknown, compare the row.
    pub digest: Option<i64>,
    /// The import that last wrote the occurrence, and the line it came from.
    pub import_id: i64,
    pub line: i64,
}

/// PostgreSQL: the keys of the batch's ids that are already stored.
pub(super) async fn lookup_keys(
    c: &mut sqlx::PgConnection,
    batch: &[OccurrenceRecord],
) -> Result<HashMap<String, Key>> {
    let ids: Vec<&str> = batch.iter().map(|r| r.source_id.as_str()).collect();
    let rows: Vec<(String, i64, NaiveDateTime, Option<i64>, i64, i64)> = sqlx::query_as(
        "SELECT source_id, id, occurred_at, digest, import_id, line
         FROM occurrence_keys WHERE source_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(source_id, id, occurred_at, digest, import_id, line)| {
            let key = Key {
                id,
                occurred_at,
                digest,
                import_id,
                line,
            };
            (source_id, key)
        })
        .collect())
}

/// PostgreSQL: the stored rows of `keys`, read from their months' partitions only.
pub(super) async fn fetch_rows(
    c: &mut sqlx::PgConnection,
    keys: &[&Key],
    out: &mut HashMap<String, Existing>,
) -> Result<()> {
    let Some(first) = keys.iter().map(|k| k.occurred_at).min() else {
        return Ok(());
    };
    let last = keys.iter().map(|k| k.occurred_at).max().unwrap_or(first);
    let key_ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
    let key_ats: Vec<NaiveDateTime> = keys.iter().map(|k| k.occurred_at).collect();
    // The bounds let the planner skip every partition outside the keys' months; the join on
    // (id, occurred_at) then reads each partition's primary key.
    let rows = sqlx::query(
        "SELECT o.id, source_id, o.occurred_at, crime, source_crime, lat, lon, territory_code, victims,
                unit_code, areas, seen_import_id, line
         FROM occurrences o
         JOIN UNNEST($1::BIGINT[], $2::TIMESTAMP[]) AS k(id, at) ON o.id = k.id AND o.occurred_at = k.at
         WHERE o.occurred_at >= $3 AND o.occurred_at <= $4",
    )
    .bind(&key_ids)
    .bind(&key_ats)
    .bind(first)
    .bind(last)
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

/// A hash of every stored value of `r` (FNV-1a, 64 bits, over a fixed encoding: it must not change
/// between versions, or every key would look changed — which only costs a read of the row, since a
/// digest that differs is checked against the row itself).
pub(super) fn digest(r: &OccurrenceRecord) -> i64 {
    struct Fnv(u64);
    impl Fnv {
        fn bytes(&mut self, b: &[u8]) {
            for &x in b {
                self.0 ^= u64::from(x);
                self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        fn text(&mut self, s: Option<&str>) {
            match s {
                Some(s) => {
                    self.bytes(&[1]);
                    self.bytes(&(s.len() as u64).to_le_bytes());
                    self.bytes(s.as_bytes());
                }
                None => self.bytes(&[0]),
            }
        }
        fn real(&mut self, x: Option<f64>) {
            match x {
                // 0.0 and -0.0 are equal as stored values: one encoding for both.
                Some(x) => {
                    self.bytes(&[1]);
                    self.bytes(&(if x == 0.0 { 0.0f64 } else { x }).to_bits().to_le_bytes());
                }
                None => self.bytes(&[0]),
            }
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let at = r.occurred_at.and_utc();
    h.bytes(&at.timestamp().to_le_bytes());
    h.bytes(&at.timestamp_subsec_nanos().to_le_bytes());
    h.text(Some(&r.crime));
    h.text(r.source_crime.as_deref());
    h.real(r.lat);
    h.real(r.lon);
    h.text(r.territory_code.as_deref());
    h.bytes(&r.victims.to_le_bytes());
    h.text(r.unit_code.as_deref());
    h.bytes(&(r.areas.len() as u64).to_le_bytes());
    for a in &r.areas {
        h.text(Some(a));
    }
    h.0 as i64
}

/// Appends `s` (or NULL) as a field of `COPY … FROM STDIN` text format.
fn copy_text(out: &mut String, s: Option<&str>) {
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

/// Appends `r` as one line of `COPY … FROM STDIN` text format, in the column order of `copy_new`,
/// under the id `id`.
pub(super) fn copy_row(
    r: &OccurrenceRecord,
    id: i64,
    synthetic: bool,
    import_id: i64,
    out: &mut String,
) {
    use std::fmt::Write;
    let text = copy_text;
    fn real(out: &mut String, x: Option<f64>) {
        match x {
            // `{}` prints the shortest text that reads back as the same f64.
            Some(x) => {
                let _ = write!(out, "{x}");
            }
            None => out.push_str("\\N"),
        }
    }
    let _ = write!(out, "{id}\t");
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

/// Appends `r`'s line of `occurrence_keys` in `COPY` text format, stored under `id` by `import_id`.
pub(super) fn copy_key(r: &OccurrenceRecord, id: i64, import_id: i64, out: &mut String) {
    use std::fmt::Write;
    copy_text(out, Some(&r.source_id));
    let _ = writeln!(
        out,
        "\t{id}\t{}\t{}\t{import_id}\t{}",
        r.occurred_at.format("%F %T%.f"),
        digest(r),
        r.line
    );
}

/// Appends `r`'s line of the import's `import_seen` (source_id, line) in `COPY` text format.
pub(super) fn copy_seen(r: &OccurrenceRecord, out: &mut String) {
    use std::fmt::Write;
    copy_text(out, Some(&r.source_id));
    let _ = writeln!(out, "\t{}", r.line);
}
