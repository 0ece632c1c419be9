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

/// A value for [`BulkStatement::execute`]. Texts are borrowed: SQLite reads them in place.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Value::Null, Value::Text)
    }
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(x: Option<f64>) -> Self {
        x.map_or(Value::Null, Value::Real)
    }
}

/// A prepared statement for bulk writes that binds texts without copying them.
///
/// rusqlite binds every text as `SQLITE_TRANSIENT`, so SQLite allocates and copies each one (and frees
/// the copy at the next bind): with 14 parameters per row that was about a quarter of the import's
/// loader thread (BENCHMARKS.md, issue #2). Here texts are bound `SQLITE_STATIC` for the duration of
/// one [`execute`](Self::execute) call. SQLite reads a bound text only while the statement runs (or
/// when asked for its expanded SQL, which this type never does), and `execute` runs it only right
/// after binding every parameter afresh; so pointers left bound after a call are never read again —
/// clearing them each time would cost a pass over all parameters.
pub(crate) struct BulkStatement<'c> {
    stmt: std::ptr::NonNull<rusqlite::ffi::sqlite3_stmt>,
    db: *mut rusqlite::ffi::sqlite3,
    params: usize,
    _conn: std::marker::PhantomData<&'c rusqlite::Connection>,
}

#[allow(unsafe_code)]
impl<'c> BulkStatement<'c> {
    /// Compiles `sql` (one statement) on `conn`.
    pub(crate) fn prepare(conn: &'c rusqlite::Connection, sql: &str) -> Result<Self> {
        use rusqlite::ffi;
        let len = std::ffi::c_int::try_from(sql.len())
            .map_err(|_| crate::StoreError::Corrupt("instrução SQL longa demais".into()))?;
        // SAFETY: `conn` is open for `'c`, which bounds this statement's life; sqlite3_prepare_v3 reads
        // `len` bytes of `sql` and writes the statement pointer (or NULL) into `stmt`.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(failure(db, rc));
        }
        let stmt = std::ptr::NonNull::new(stmt)
            .ok_or_else(|| crate::StoreError::Corrupt("instrução SQL vazia".into()))?;
        // SAFETY: `stmt` is a live statement of `db`.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) } as usize;
        Ok(BulkStatement {
            stmt,
            db,
            params,
            _conn: std::marker::PhantomData,
        })
    }

    /// Binds `values` to `?1`, `?2`… in order, runs the statement to its end and returns how many rows
    /// it changed (`sqlite3_changes64`).
    pub(crate) fn execute(&mut self, values: &[Value<'_>]) -> Result<usize> {
        if values.len() != self.params {
            return Err(crate::StoreError::Corrupt(format!(
                "{} valores para {} parâmetros",
                values.len(),
                self.params
            )));
        }
        let result = self.bind_and_run(values);
        // SAFETY: `stmt` is live. Reset makes it runnable again (its code repeats the step's error,
        // already reported). After a failure the bindings are cleared as well: a bind may have failed
        // half-way, leaving earlier pointers bound (harmless, see above, but not worth keeping).
        unsafe {
            rusqlite::ffi::sqlite3_reset(self.stmt.as_ptr());
            if result.is_err() {
                rusqlite::ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
            }
        }
        result
    }

    fn bind_and_run(&mut self, values: &[Value<'_>]) -> Result<usize> {
        use rusqlite::ffi;
        let stmt = self.stmt.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let col = (i + 1) as std::ffi::c_int;
            // SAFETY: `stmt` is live and `col` within its parameter count (checked above). A text is
            // bound SQLITE_STATIC: SQLite reads it in place until `execute` clears the bindings, and
            // `values` outlives that call.
            let rc = unsafe {
                match *v {
                    Value::Null => ffi::sqlite3_bind_null(stmt, col),
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, col, n),
                    Value::Real(x) => ffi::sqlite3_bind_double(stmt, col, x),
                    Value::Text(s) => ffi::sqlite3_bind_text64(
                        stmt,
                        col,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(failure(self.db, rc));
            }
        }
        loop {
            // SAFETY: `stmt` is live, its parameters bound.
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_DONE => break,
                ffi::SQLITE_ROW => continue,
                rc => return Err(failure(self.db, rc)),
            }
        }
        // SAFETY: `db` is the statement's open connection.
        Ok(unsafe { ffi::sqlite3_changes64(self.db) } as usize)
    }
}

#[allow(unsafe_code)]
impl Drop for BulkStatement<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` was prepared by us, is finalized once, here.
        unsafe {
            rusqlite::ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The error SQLite reports for `rc` on `db`, as rusqlite would give it.
#[allow(unsafe_code)]
fn failure(db: *mut rusqlite::ffi::sqlite3, rc: std::ffi::c_int) -> crate::StoreError {
    use rusqlite::ffi;
    // SAFETY: `db` is an open connection; sqlite3_errmsg returns a NUL-terminated string it owns,
    // copied out here before any other call on `db`.
    let (code, message) = unsafe {
        let code = ffi::sqlite3_extended_errcode(db);
        let msg = ffi::sqlite3_errmsg(db);
        let message =
            (!msg.is_null()).then(|| std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned());
        (code, message)
    };
    let code = if code == ffi::SQLITE_OK { rc } else { code };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), message).into()
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
    fn bulk_statement_binds_in_place_and_reports_sqlite_errors() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE, o TEXT, x REAL, n INTEGER CHECK (n >= 1))",
        )
        .unwrap();
        let mut insert = BulkStatement::prepare(
            &conn,
            "INSERT INTO t (s, o, x, n) VALUES (?, ?, ?, ?), (?, ?, ?, ?) ON CONFLICT (s) DO NOTHING",
        )
        .unwrap();
        let owned = String::from("São Luís de Montes Belos");
        let rows = [
            Value::from(owned.as_str()),
            Value::from(None::<&str>),
            Value::from(Some(-16.5)),
            Value::from(2i64),
            Value::from(""),
            Value::from(Some("ç")),
            Value::from(None::<f64>),
            Value::Int(1),
        ];
        assert_eq!(insert.execute(&rows).unwrap(), 2);
        drop(owned);
        // The same ids again: nothing inserted, and the statement is reusable after the call.
        let again = [
            Value::from("São Luís de Montes Belos"),
            Value::Null,
            Value::Null,
            Value::Int(1),
            Value::from("novo"),
            Value::Null,
            Value::Null,
            Value::Int(1),
        ];
        assert_eq!(insert.execute(&again).unwrap(), 1);
        type Row = (String, Option<String>, Option<f64>, i64, String);
        let stored: Vec<Row> = conn
            .prepare("SELECT s, o, x, n, typeof(s) FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        assert_eq!(
            stored,
            vec![
                (
                    "São Luís de Montes Belos".into(),
                    None,
                    Some(-16.5),
                    2,
                    "text".into()
                ),
                (String::new(), Some("ç".into()), None, 1, "text".into()),
                ("novo".into(), None, None, 1, "text".into()),
            ]
        );
        // A CHECK failure is SQLite's error, and the statement still works afterwards.
        let bad = [
            Value::from("a"),
            Value::Null,
            Value::Null,
            Value::Int(0),
            Value::from("b"),
            Value::Null,
            Value::Null,
            Value::Int(1),
        ];
        let err = insert.execute(&bad).unwrap_err().to_string();
        assert!(err.contains("CHECK constraint failed"), "{err}");
        let good = [&bad[4..], &again[4..]].concat();
        assert_eq!(
            insert.execute(&good).unwrap(),
            1,
            "`b` new, `novo` already there"
        );
        // Too few values for the parameters: refused before SQLite sees them.
        let err = insert.execute(&bad[..4]).unwrap_err().to_string();
        assert!(err.contains("4 valores para 8 parâmetros"), "{err}");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 4, "nothing of the failed statement stayed");
    }

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
