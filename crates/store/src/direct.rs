//! Direct SQLite access for bulk writes, on the connection (and so inside the transaction) sqlx holds.
//!
//! sqlx runs every SQLite statement on a worker thread and copies its arguments across a channel; for an
//! import of millions of rows that hand-off cost more than SQLite's own work (BENCHMARKS.md, issue #2).
//! Here the caller locks sqlx's handle away from its worker and runs prepared statements through
//! `rusqlite` on the calling thread, in the transaction already open on that connection.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use sqlx::sqlite::LockedSqliteHandle;

use crate::Result;

/// Runs `f` with a `rusqlite` connection over the handle sqlx locked for us. The connection cannot
/// outlive `f`, and `f` cannot outlive the lock, so sqlx's worker never touches the handle meanwhile.
pub(crate) fn with_connection<R>(
    handle: &mut LockedSqliteHandle<'_>,
    f: impl FnOnce(&rusqlite::Connection) -> Result<R>,
) -> Result<R> {
    let raw = handle.as_raw_handle();
    // SAFETY: `raw` is the live `sqlite3*` of an open sqlx connection, exclusively ours while `handle`
    // (the worker's lock) is held, which outlasts the borrowed connection: it is created here and
    // dropped at the end of this function. `from_handle` does not take ownership: dropping the
    // connection finalizes the statements it prepared and leaves the handle open for sqlx. Both crates
    // link the same libsqlite3-sys (Cargo allows one crate linking `sqlite3`).
    #[allow(unsafe_code)]
    let conn = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
    f(&conn)
}

/// Formats a date-time as sqlx stores `NaiveDateTime` in SQLite (`%F %T%.f`), so rows written here and
/// rows written through sqlx compare and sort the same.
pub(crate) fn datetime_text(t: NaiveDateTime, out: &mut String) {
    out.clear();
    if t.nanosecond() != 0 || !(0..=9999).contains(&t.year()) {
        use std::fmt::Write;
        let _ = write!(out, "{}", t.format("%F %T%.f"));
        return;
    }
    push_date(t.date(), out);
    out.push(' ');
    push2(t.hour(), out);
    out.push(':');
    push2(t.minute(), out);
    out.push(':');
    push2(t.second(), out);
}

/// Formats a date as sqlx stores `NaiveDate` in SQLite (`%F`).
pub(crate) fn date_text(d: NaiveDate, out: &mut String) {
    out.clear();
    if !(0..=9999).contains(&d.year()) {
        use std::fmt::Write;
        let _ = write!(out, "{}", d.format("%F"));
        return;
    }
    push_date(d, out);
}

fn push_date(d: NaiveDate, out: &mut String) {
    let y = d.year() as u32;
    out.push(digit(y / 1000));
    out.push(digit(y / 100 % 10));
    out.push(digit(y / 10 % 10));
    out.push(digit(y % 10));
    out.push('-');
    push2(d.month(), out);
    out.push('-');
    push2(d.day(), out);
}

fn push2(n: u32, out: &mut String) {
    out.push(digit(n / 10 % 10));
    out.push(digit(n % 10));
}

fn digit(n: u32) -> char {
    char::from(b'0' + (n % 10) as u8)
}

/// Reads a date-time written by [`datetime_text`] or by sqlx.
pub(crate) fn parse_datetime_text(s: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%F %T%.f")
        .map_err(|_| crate::StoreError::Corrupt(format!("data e hora `{s}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_chrono() {
        let mut s = String::new();
        for (y, mo, d, h, mi, se, ns) in [
            (2024, 1, 5, 0, 0, 0, 0),
            (1999, 12, 31, 23, 59, 59, 0),
            (2013, 4, 30, 7, 8, 9, 500_000_000),
            (10000, 1, 1, 0, 0, 0, 0),
            (33, 2, 3, 4, 5, 6, 0),
        ] {
            let t = NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_nano_opt(h, mi, se, ns)
                .unwrap();
            datetime_text(t, &mut s);
            assert_eq!(s, t.format("%F %T%.f").to_string());
            assert_eq!(parse_datetime_text(&s).unwrap(), t);
            date_text(t.date(), &mut s);
            assert_eq!(s, t.date().format("%F").to_string());
        }
    }
}
