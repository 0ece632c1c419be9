//! Dates and date-times as written in input files: ISO (`2024-03-15`, `2024-03-15T14:30`) and Brazilian
//! (`15/03/2024`, `15/03/2024 14:30:00`) order.
//!
//! The results are **local wall-clock times of America/Sao_Paulo** (contracts.md §2: date-times without a
//! zone are São Paulo time). No time-zone conversion happens here, and zone suffixes (`Z`, `-03:00`) are
//! rejected rather than silently dropped. Years are limited to 1900..=2200 like [`crate::period`].

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::period::{MAX_YEAR, MIN_YEAR, ascii_number};

/// Why a date or date-time could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Neither `YYYY-MM-DD` nor `DD/MM/YYYY` (optionally followed by a time), or extra text after it.
    #[error("esperado AAAA-MM-DD ou DD/MM/AAAA, com hora opcional HH:MM ou HH:MM:SS")]
    Format,
    /// The format is right but no such day exists (31/02/2024, 2023-02-29, month 13).
    #[error("data inexistente")]
    Nonexistent,
    /// The year is outside 1900..=2200.
    #[error("ano {year} fora do intervalo aceito (1900 a 2200)")]
    YearOutOfRange {
        /// The year given.
        year: i32,
    },
    /// The time is not `HH:MM` or `HH:MM:SS` between 00:00:00 and 23:59:59.
    #[error("hora inválida: esperado HH:MM ou HH:MM:SS, de 00:00 a 23:59:59")]
    Time,
}

/// Dates as people in Brazil write them, `15/03/2024` — the one home of that format for pages, documents,
/// messages and the CLI.
pub trait BrDate {
    /// `dd/mm/aaaa`.
    fn br_date(&self) -> String;
}

impl BrDate for NaiveDate {
    fn br_date(&self) -> String {
        self.format("%d/%m/%Y").to_string()
    }
}

impl BrDate for NaiveDateTime {
    fn br_date(&self) -> String {
        self.date().br_date()
    }
}

/// The one place that knows Brasília time (America/Sao_Paulo, where Goiás and Minas Gerais are): UTC−3
/// all year since daylight saving time ended in 2019 (Decreto 9.772/2019). The program keeps instants in
/// UTC and turns them into local dates and times here.
pub const SAO_PAULO_OFFSET_HOURS: i64 = -3;

/// The local time in Brasília of a UTC instant.
pub fn sao_paulo_local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + chrono::Duration::hours(SAO_PAULO_OFFSET_HOURS)
}

/// The UTC instant of a local time in Brasília.
pub fn sao_paulo_to_utc(local: NaiveDateTime) -> NaiveDateTime {
    local - chrono::Duration::hours(SAO_PAULO_OFFSET_HOURS)
}

/// Parses a date: `YYYY-MM-DD` or `DD/MM/YYYY`, or a date-time in either format (see [`parse_datetime`]),
/// of which the date part is kept (the time part must still be valid). Surrounding whitespace is ignored.
///
/// ```
/// use atalaia_core::{DateError, parse_date};
///
/// assert_eq!(parse_date("15/03/2024")?, parse_date("2024-03-15")?);
/// assert_eq!(parse_date("15/03/2024 14:30")?.to_string(), "2024-03-15");
/// assert_eq!(parse_date("31/02/2024"), Err(DateError::Nonexistent));
/// # Ok::<(), DateError>(())
/// ```
pub fn parse_date(s: &str) -> Result<NaiveDate, DateError> {
    parse_datetime(s).map(|dt| dt.date())
}

/// Parses a local (America/Sao_Paulo) date-time. Surrounding whitespace is ignored. Accepted:
///
/// - `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, and the same with a space instead of `T`;
/// - `DD/MM/YYYY`, `DD/MM/YYYY HH:MM`, `DD/MM/YYYY HH:MM:SS`.
///
/// Every field has exactly the digits shown; a date alone means midnight.
///
/// ```
/// use atalaia_core::{DateError, parse_datetime};
///
/// assert_eq!(parse_datetime("15/03/2024 14:30")?.to_string(), "2024-03-15 14:30:00");
/// assert_eq!(parse_datetime("2024-03-15")?.to_string(), "2024-03-15 00:00:00");
/// assert_eq!(parse_datetime("2024-03-15T14:30Z"), Err(DateError::Time));
/// # Ok::<(), DateError>(())
/// ```
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, DateError> {
    let b = s.trim().as_bytes();
    let (date, rest) = match b {
        [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, rest @ ..] => {
            let date = date_from(&[*y0, *y1, *y2, *y3], &[*m0, *m1], &[*d0, *d1])?;
            let time = match rest {
                [] => None,
                [b'T' | b' ', time @ ..] => Some(time),
                _ => return Err(DateError::Format),
            };
            (date, time)
        }
        [d0, d1, b'/', m0, m1, b'/', y0, y1, y2, y3, rest @ ..] => {
            let date = date_from(&[*y0, *y1, *y2, *y3], &[*m0, *m1], &[*d0, *d1])?;
            let time = match rest {
                [] => None,
                [b' ', time @ ..] => Some(time),
                _ => return Err(DateError::Format),
            };
            (date, time)
        }
        _ => return Err(DateError::Format),
    };
    let time = match rest {
        None => NaiveTime::MIN,
        Some(time) => time_from(time)?,
    };
    Ok(date.and_time(time))
}

fn date_from(year: &[u8], month: &[u8], day: &[u8]) -> Result<NaiveDate, DateError> {
    let (Some(year), Some(month), Some(day)) =
        (ascii_number(year), ascii_number(month), ascii_number(day))
    else {
        return Err(DateError::Format);
    };
    // Four digits always fit in an i32.
    let year = i32::try_from(year).map_err(|_| DateError::Format)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(DateError::YearOutOfRange { year });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Nonexistent)
}

fn time_from(b: &[u8]) -> Result<NaiveTime, DateError> {
    let (h, m, s) = match b {
        [h0, h1, b':', m0, m1] => ([*h0, *h1], [*m0, *m1], None),
        [h0, h1, b':', m0, m1, b':', s0, s1] => ([*h0, *h1], [*m0, *m1], Some([*s0, *s1])),
        _ => return Err(DateError::Time),
    };
    let h = ascii_number(&h).ok_or(DateError::Time)?;
    let m = ascii_number(&m).ok_or(DateError::Time)?;
    let s = match s {
        None => 0,
        Some(s) => ascii_number(&s).ok_or(DateError::Time)?,
    };
    // from_hms_opt rejects 24:00 and minutes/seconds of 60 and more.
    NaiveTime::from_hms_opt(h, m, s).ok_or(DateError::Time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dt(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, s).unwrap()
    }

    #[test]
    fn accepted_dates() {
        let cases = [
            ("2024-03-15", d(2024, 3, 15)),
            ("15/03/2024", d(2024, 3, 15)),
            ("  15/03/2024\t", d(2024, 3, 15)),
            ("2024-02-29", d(2024, 2, 29)),
            ("01/01/1900", d(1900, 1, 1)),
            ("2200-12-31", d(2200, 12, 31)),
            ("2024-03-15T23:59:59", d(2024, 3, 15)),
            ("15/03/2024 08:30", d(2024, 3, 15)),
        ];
        for (text, date) in cases {
            assert_eq!(parse_date(text), Ok(date), "{text:?}");
        }
    }

    #[test]
    fn accepted_datetimes() {
        let cases = [
            ("2024-03-15", dt(2024, 3, 15, 0, 0, 0)),
            ("2024-03-15T14:30", dt(2024, 3, 15, 14, 30, 0)),
            ("2024-03-15T14:30:59", dt(2024, 3, 15, 14, 30, 59)),
            ("2024-03-15 14:30", dt(2024, 3, 15, 14, 30, 0)),
            ("2024-03-15 00:00:01", dt(2024, 3, 15, 0, 0, 1)),
            ("15/03/2024", dt(2024, 3, 15, 0, 0, 0)),
            ("15/03/2024 14:30", dt(2024, 3, 15, 14, 30, 0)),
            ("15/03/2024 23:59:59", dt(2024, 3, 15, 23, 59, 59)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_datetime(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn rejected() {
        use DateError::*;
        let cases = [
            ("", Format),
            ("2024-3-15", Format),
            ("15/3/2024", Format),
            ("15-03-2024", Format),
            ("2024/03/15", Format),
            ("20240315", Format),
            ("15/03/24", Format),
            ("2024-03-15x", Format),
            ("2024-03-15T", Time),
            ("2024-03-15 14", Time),
            ("2024-03-15T14:30Z", Time),
            ("2024-03-15T14:30:00-03:00", Time),
            ("2024-03-15T14:30:00.000", Time),
            ("2024-03-15  14:30", Time),
            ("15/03/2024T14:30", Format),
            ("15/03/2024 24:00", Time),
            ("15/03/2024 12:60", Time),
            ("15/03/2024 12:00:60", Time),
            ("15/03/2024 1:00", Time),
            ("31/02/2024", Nonexistent),
            ("2023-02-29", Nonexistent),
            ("2024-13-01", Nonexistent),
            ("00/01/2024", Nonexistent),
            ("2024-04-31", Nonexistent),
            ("1899-12-31", YearOutOfRange { year: 1899 }),
            ("01/01/2201", YearOutOfRange { year: 2201 }),
            ("0000-01-01", YearOutOfRange { year: 0 }),
            ("+024-01-01", Format),
            ("２０２４-03-15", Format),
        ];
        for (text, err) in cases {
            assert_eq!(parse_datetime(text), Err(err), "{text:?}");
            assert_eq!(parse_date(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn messages() {
        assert_eq!(DateError::Nonexistent.to_string(), "data inexistente");
        assert!(
            DateError::Format
                .to_string()
                .starts_with("esperado AAAA-MM-DD ou DD/MM/AAAA")
        );
    }

    fn any_datetime() -> impl Strategy<Value = NaiveDateTime> {
        let first = d(MIN_YEAR, 1, 1);
        let days = (d(MAX_YEAR, 12, 31) - first).num_days();
        (0..=days, 0u32..86_400).prop_map(move |(day, secs)| {
            (first + chrono::Duration::days(day))
                .and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap())
        })
    }

    proptest! {
        #[test]
        fn round_trip_both_formats(x in any_datetime()) {
            let date = x.date();
            prop_assert_eq!(parse_date(&date.format("%Y-%m-%d").to_string()), Ok(date));
            prop_assert_eq!(parse_date(&date.format("%d/%m/%Y").to_string()), Ok(date));
            for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S"] {
                prop_assert_eq!(parse_datetime(&x.format(fmt).to_string()), Ok(x));
                prop_assert_eq!(parse_date(&x.format(fmt).to_string()), Ok(date));
            }
            let minute = chrono::Timelike::with_second(&x, 0).unwrap();
            for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"] {
                prop_assert_eq!(parse_datetime(&x.format(fmt).to_string()), Ok(minute));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = parse_date(&s);
            let _ = parse_datetime(&s);
        }

        #[test]
        fn never_panics_near_the_format(s in "[0-9/:\\-T ]{0,22}") {
            let _ = parse_date(&s);
            let _ = parse_datetime(&s);
        }
    }
}
