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

pub(super) fn day_from_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MIN)
}

pub(super) fn split_areas(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').filter(|a| !a.is_empty())
}

/// PostgreSQL: the stored versions of the batch's ids. `occurrence_keys` says which exist and in which
/// month's partition; only those partitions are read (a fresh import's batches stop at the first query).
pub(super) async fn lookup(
    c: &mut sqlx::PgConnection,
    batch: &[OccurrenceRecord],
    out: &mut HashMap<String, Existing>,
) -> Result<()> {
    let ids: Vec<&str> = batch.iter().map(|r| r.source_id.as_str()).collect();
    let keys: Vec<(i64, NaiveDateTime)> =
        sqlx::query_as("SELECT id, occurred_at FROM occurrence_keys WHERE source_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *c)
            .await?;
    if keys.is_empty() {
        return Ok(());
    }
    let (first, last) = keys
        .iter()
        .fold((keys[0].1, keys[0].1), |(lo, hi), (_, at)| {
            (lo.min(*at), hi.max(*at))
        });
    let (key_ids, key_ats): (Vec<i64>, Vec<NaiveDateTime>) = keys.into_iter().unzip();
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

/// Appends `r`'s line of `occurrence_keys` (source_id, id, occurred_at) in `COPY` text format.
pub(super) fn copy_key(r: &OccurrenceRecord, id: i64, out: &mut String) {
    use std::fmt::Write;
    copy_text(out, Some(&r.source_id));
    let _ = writeln!(out, "\t{id}\t{}", r.occurred_at.format("%F %T%.f"));
}
