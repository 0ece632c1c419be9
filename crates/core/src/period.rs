//! Calendar periods: the reference month (`2024-03`) of the IPEI and the quarter (`2024-Q1`) of the RECAP.
//!
//! Years are limited to [`MIN_YEAR`]..=[`MAX_YEAR`] (1900 to 2200): wide enough for every historical series
//! and every plausible plan, narrow enough that a typo such as `20244` is caught at the edge. Because of that
//! limit, stepping past either end ([`Month::succ`] of 2200-12, [`Quarter::previous`] of 1900-Q1) gives `None`.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::serde_str::parsed_from_text;

/// The first year accepted for periods and dates (1900).
pub const MIN_YEAR: i32 = 1900;
/// The last year accepted for periods and dates (2200).
pub const MAX_YEAR: i32 = 2200;

/// Why a month or quarter could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not `YYYY-MM`.
    #[error("esperado mês no formato AAAA-MM (ex.: 2024-03)")]
    MonthFormat,
    /// The text is none of the quarter's forms.
    #[error("esperado trimestre como 2024-Q1, 1T2024 ou 1º trimestre de 2024 (trimestre de 1 a 4)")]
    QuarterFormat,
    /// The year is outside 1900..=2200.
    #[error("ano {year} fora do intervalo aceito (1900 a 2200)")]
    YearOutOfRange {
        /// The year given.
        year: i32,
    },
    /// The month number is outside 1..=12.
    #[error("mês {month} inexistente: esperado de 01 a 12")]
    MonthOutOfRange {
        /// The month number given.
        month: u32,
    },
    /// The quarter number is outside 1..=4.
    #[error("trimestre {quarter} inexistente: esperado de 1 a 4")]
    QuarterOutOfRange {
        /// The quarter number given.
        quarter: u32,
    },
}

/// Reads a run of one to nine ASCII digits as a number (nine digits cannot overflow a `u32`).
pub(crate) fn ascii_number(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn check_year(year: i32) -> Result<i32, PeriodError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(PeriodError::YearOutOfRange { year })
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// A date the caller has already proven valid (year in range, day within its month).
///
/// The fallback is unreachable: every month of 1900..=2200 is checked exhaustively by the test
/// `every_month_in_range_has_consistent_dates`. It exists so that no input can make this crate panic.
fn known_date(year: i32, month: u8, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, u32::from(month), day).unwrap_or(NaiveDate::MIN)
}

/// A calendar month, e.g. `2024-03`: the IPEI's reference month.
///
/// Parsed from `YYYY-MM` (surrounding whitespace ignored); displayed and serialised the same way.
/// Ordered chronologically. The year is within 1900..=2200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    /// The month `month` (1..=12) of `year` (1900..=2200).
    pub fn new(year: i32, month: u32) -> Result<Month, PeriodError> {
        let year = check_year(year)?;
        match u8::try_from(month) {
            Ok(m @ 1..=12) => Ok(Month { year, month: m }),
            _ => Err(PeriodError::MonthOutOfRange { month }),
        }
    }

    /// Parses `YYYY-MM`, e.g. `2024-03`.
    ///
    /// ```
    /// use atalaia_core::{Month, PeriodError};
    ///
    /// let feb = Month::parse("2024-02")?;
    /// assert_eq!(feb.last_day().to_string(), "2024-02-29");
    /// assert_eq!(feb.label_pt(), "fevereiro de 2024");
    /// assert_eq!(Month::parse("2024-12")?.label_pt(), "dezembro de 2024");
    /// assert_eq!(Month::parse("2024-13"), Err(PeriodError::MonthOutOfRange { month: 13 }));
    /// assert_eq!(
    ///     Month::parse("03/2024").unwrap_err().to_string(),
    ///     "esperado mês no formato AAAA-MM (ex.: 2024-03)"
    /// );
    /// # Ok::<(), PeriodError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Month, PeriodError> {
        let b = s.trim().as_bytes();
        match b {
            [y0, y1, y2, y3, b'-', m0, m1] => {
                let year = ascii_number(&[*y0, *y1, *y2, *y3]).ok_or(PeriodError::MonthFormat)?;
                let month = ascii_number(&[*m0, *m1]).ok_or(PeriodError::MonthFormat)?;
                // Four digits always fit in an i32.
                Month::new(i32::try_from(year).unwrap_or(i32::MAX), month)
            }
            _ => Err(PeriodError::MonthFormat),
        }
    }

    /// The month containing `date`; an error when the date's year is outside 1900..=2200.
    pub fn of(date: NaiveDate) -> Result<Month, PeriodError> {
        Month::new(date.year(), date.month())
    }

    /// The year (1900..=2200).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month number (1 = January ... 12 = December).
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        known_date(self.year, self.month, 1)
    }

    /// The month's last day (2024-02 → 2024-02-29).
    pub fn last_day(self) -> NaiveDate {
        known_date(self.year, self.month, self.days())
    }

    /// The number of days in the month (28 to 31).
    pub fn days(self) -> u32 {
        days_in_month(self.year, self.month)
    }

    /// Whether `date` falls within this month.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The next month; `None` after 2200-12.
    pub fn succ(self) -> Option<Month> {
        if self.month == 12 {
            Month::new(self.year + 1, 1).ok()
        } else {
            Some(Month {
                year: self.year,
                month: self.month + 1,
            })
        }
    }

    /// The previous month; `None` before 1900-01.
    pub fn pred(self) -> Option<Month> {
        if self.month == 1 {
            Month::new(self.year - 1, 12).ok()
        } else {
            Some(Month {
                year: self.year,
                month: self.month - 1,
            })
        }
    }

    /// The month as people write it: 2024-03 → "março de 2024".
    pub fn label_pt(self) -> String {
        const NAMES: [&str; 12] = [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ];
        format!("{} de {}", NAMES[usize::from(self.month - 1)], self.year)
    }

    /// The calendar quarter this month belongs to (2024-05 → 2024-Q2).
    pub fn quarter(self) -> Quarter {
        Quarter {
            year: self.year,
            quarter: (self.month - 1) / 3 + 1,
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

parsed_from_text!(Month, PeriodError, "a month as YYYY-MM");

/// A calendar quarter, e.g. `2024-Q1` (January to March): the RECAP's period.
///
/// Parsed from `YYYY-Qn` (or `YYYY-qn`; surrounding whitespace ignored); displayed and serialised as
/// `YYYY-Qn`. Ordered chronologically. The year is within 1900..=2200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    quarter: u8,
}

/// `3T2026`, `3º tri/2026`, `3º trimestre de 2026` → (3, 2026).
fn quarter_pt(s: &str) -> Option<(u32, i32)> {
    let s = s.trim().to_lowercase();
    let mut chars = s.chars();
    let quarter = chars.next()?.to_digit(10)?;
    let rest = chars
        .as_str()
        .trim_start_matches(['º', '°', 'ª'])
        .trim_start();
    let rest = ["trimestre", "tri", "t"]
        .iter()
        .find_map(|w| rest.strip_prefix(w))?;
    let rest = rest.trim_start_matches([' ', '/', '-', '.']);
    let year = rest.strip_prefix("de ").unwrap_or(rest).trim();
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((quarter, year.parse().ok()?))
}

impl Quarter {
    /// Quarter `quarter` (1..=4) of `year` (1900..=2200).
    pub fn new(year: i32, quarter: u32) -> Result<Quarter, PeriodError> {
        let year = check_year(year)?;
        match u8::try_from(quarter) {
            Ok(q @ 1..=4) => Ok(Quarter { year, quarter: q }),
            _ => Err(PeriodError::QuarterOutOfRange { quarter }),
        }
    }

    /// Parses `YYYY-Qn` (the `Q` may be lower case), e.g. `2024-Q1`.
    ///
    /// ```
    /// use atalaia_core::Quarter;
    ///
    /// let q = Quarter::parse("2024-q1")?;
    /// assert_eq!(q.to_string(), "2024-Q1");
    /// assert_eq!(q.days(), 91);
    /// assert_eq!(q.same_quarter_previous_year().map(|b| b.to_string()), Some("2023-Q1".into()));
    /// # Ok::<(), atalaia_core::PeriodError>(())
    /// ```
    ///
    /// People's forms are read too, as charts and pages write them: `3T2026`, `3º tri/2026`,
    /// `3º trimestre de 2026`.
    pub fn parse(s: &str) -> Result<Quarter, PeriodError> {
        let b = s.trim().as_bytes();
        match b {
            [y0, y1, y2, y3, b'-', b'Q' | b'q', q] => {
                let year = ascii_number(&[*y0, *y1, *y2, *y3]).ok_or(PeriodError::QuarterFormat)?;
                let quarter = ascii_number(&[*q]).ok_or(PeriodError::QuarterFormat)?;
                Quarter::new(i32::try_from(year).unwrap_or(i32::MAX), quarter)
            }
            _ => {
                let (quarter, year) = quarter_pt(s).ok_or(PeriodError::QuarterFormat)?;
                Quarter::new(year, quarter)
            }
        }
    }

    /// The quarter containing `date`; an error when the date's year is outside 1900..=2200.
    pub fn of(date: NaiveDate) -> Result<Quarter, PeriodError> {
        Month::of(date).map(Month::quarter)
    }

    /// The year (1900..=2200).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The quarter number (1..=4).
    pub fn number(self) -> u32 {
        u32::from(self.quarter)
    }

    /// The quarter as people write it: 2026-Q3 → "3º trimestre de 2026".
    pub fn label_pt(self) -> String {
        format!("{}º trimestre de {}", self.quarter, self.year)
    }

    /// The quarter as charts and forms show it, short: "3T2026" ([`Quarter::parse`] reads it back).
    pub fn short_pt(self) -> String {
        format!("{}T{}", self.quarter, self.year)
    }

    /// The quarter's three months, in order.
    pub fn months(self) -> [Month; 3] {
        let first = (self.quarter - 1) * 3 + 1;
        [first, first + 1, first + 2].map(|month| Month {
            year: self.year,
            month,
        })
    }

    /// The quarter's first day (2024-Q2 → 2024-04-01).
    pub fn first_day(self) -> NaiveDate {
        self.months()[0].first_day()
    }

    /// The quarter's last day (2024-Q2 → 2024-06-30).
    pub fn last_day(self) -> NaiveDate {
        self.months()[2].last_day()
    }

    /// The number of days in the quarter: Q1 has 90 (91 in a leap year), Q2 91, Q3 and Q4 92.
    pub fn days(self) -> u32 {
        self.months().iter().map(|m| m.days()).sum()
    }

    /// Whether `date` falls within this quarter.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The quarter before this one (2024-Q1 → 2023-Q4); `None` before 1900-Q1.
    pub fn previous(self) -> Option<Quarter> {
        if self.quarter == 1 {
            Quarter::new(self.year - 1, 4).ok()
        } else {
            Some(Quarter {
                year: self.year,
                quarter: self.quarter - 1,
            })
        }
    }

    /// The quarter after this one (2023-Q4 → 2024-Q1); `None` after 2200-Q4.
    pub fn next(self) -> Option<Quarter> {
        if self.quarter == 4 {
            Quarter::new(self.year + 1, 1).ok()
        } else {
            Some(Quarter {
                year: self.year,
                quarter: self.quarter + 1,
            })
        }
    }

    /// The same quarter one year earlier (2024-Q1 → 2023-Q1): the RECAP's default baseline
    /// (`same_quarter_previous_year`, which removes seasonality). `None` for quarters of 1900.
    pub fn same_quarter_previous_year(self) -> Option<Quarter> {
        Quarter::new(self.year - 1, u32::from(self.quarter)).ok()
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.quarter)
    }
}

parsed_from_text!(Quarter, PeriodError, "a quarter as YYYY-Qn");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    fn quarter(s: &str) -> Quarter {
        s.parse().unwrap()
    }

    #[test]
    fn month_parses_and_displays() {
        let m = month("2024-03");
        assert_eq!((m.year(), m.month()), (2024, 3));
        assert_eq!(m.to_string(), "2024-03");
        assert_eq!(month(" 1900-01 ").to_string(), "1900-01");
        assert_eq!(Month::new(2200, 12).unwrap().to_string(), "2200-12");
    }

    #[test]
    fn month_rejects_bad_text() {
        use PeriodError::*;
        let cases = [
            ("", MonthFormat),
            ("2024-3", MonthFormat),
            ("2024/03", MonthFormat),
            ("03/2024", MonthFormat),
            ("2024-03-01", MonthFormat),
            ("+024-03", MonthFormat),
            ("2024-+3", MonthFormat),
            ("２０２４-03", MonthFormat),
            ("2024-13", MonthOutOfRange { month: 13 }),
            ("2024-00", MonthOutOfRange { month: 0 }),
            ("1899-12", YearOutOfRange { year: 1899 }),
            ("2201-01", YearOutOfRange { year: 2201 }),
        ];
        for (text, err) in cases {
            assert_eq!(Month::parse(text), Err(err), "{text:?}");
        }
        assert_eq!(
            Month::new(2024, u32::MAX),
            Err(MonthOutOfRange { month: u32::MAX })
        );
    }

    #[test]
    fn month_days_and_bounds() {
        let feb = month("2024-02");
        assert_eq!(feb.first_day(), d(2024, 2, 1));
        assert_eq!(feb.last_day(), d(2024, 2, 29));
        assert_eq!(feb.days(), 29);
        assert_eq!(month("2023-02").days(), 28);
        assert_eq!(month("1900-02").days(), 28);
        assert_eq!(month("2000-02").days(), 29);
        assert_eq!(month("2024-04").last_day(), d(2024, 4, 30));
        assert_eq!(month("2024-12").last_day(), d(2024, 12, 31));
        assert!(feb.contains(d(2024, 2, 29)));
        assert!(!feb.contains(d(2024, 3, 1)));
    }

    #[test]
    fn month_steps() {
        assert_eq!(month("2024-12").succ(), Some(month("2025-01")));
        assert_eq!(month("2024-01").pred(), Some(month("2023-12")));
        assert_eq!(month("2024-06").succ(), Some(month("2024-07")));
        assert_eq!(month("2200-12").succ(), None);
        assert_eq!(month("1900-01").pred(), None);
    }

    #[test]
    fn month_of_date_and_quarter() {
        assert_eq!(Month::of(d(2024, 5, 17)), Ok(month("2024-05")));
        assert_eq!(
            Month::of(d(1850, 5, 17)),
            Err(PeriodError::YearOutOfRange { year: 1850 })
        );
        assert_eq!(month("2024-05").quarter(), quarter("2024-Q2"));
        assert_eq!(month("2024-03").quarter(), quarter("2024-Q1"));
        assert_eq!(month("2024-10").quarter(), quarter("2024-Q4"));
    }

    #[test]
    fn quarter_parses_and_displays() {
        let q = quarter("2024-Q1");
        assert_eq!((q.year(), q.number()), (2024, 1));
        assert_eq!(q.to_string(), "2024-Q1");
        assert_eq!(quarter("2024-q3").to_string(), "2024-Q3");
        use PeriodError::*;
        let cases = [
            ("2024Q1", QuarterFormat),
            ("2024-1", QuarterFormat),
            ("2024-T1", QuarterFormat),
            ("2024-Q10", QuarterFormat),
            ("24-Q1", QuarterFormat),
            ("2024-Q5", QuarterOutOfRange { quarter: 5 }),
            ("2024-Q0", QuarterOutOfRange { quarter: 0 }),
            ("1899-Q4", YearOutOfRange { year: 1899 }),
        ];
        for (text, err) in cases {
            assert_eq!(Quarter::parse(text), Err(err), "{text:?}");
        }
    }

    /// The forms pages and charts write are read back: "3T2026", "3º tri/2026", "3º trimestre de 2026".
    #[test]
    fn quarter_reads_the_forms_people_write() {
        for text in [
            "3T2026",
            "3t2026",
            "3º tri/2026",
            " 3º Trimestre de 2026 ",
            "3° trimestre 2026",
        ] {
            assert_eq!(Quarter::parse(text), Ok(quarter("2026-Q3")), "{text:?}");
        }
        assert_eq!(
            Quarter::parse(&quarter("2026-Q3").label_pt()),
            Ok(quarter("2026-Q3"))
        );
        use PeriodError::*;
        for (text, err) in [
            ("5T2026", QuarterOutOfRange { quarter: 5 }),
            ("3T26", QuarterFormat),
            ("3 de 2026", QuarterFormat),
            ("T2026", QuarterFormat),
        ] {
            assert_eq!(Quarter::parse(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn quarter_days() {
        assert_eq!(quarter("2024-Q1").days(), 91);
        assert_eq!(quarter("2023-Q1").days(), 90);
        assert_eq!(quarter("2023-Q2").days(), 91);
        assert_eq!(quarter("2023-Q3").days(), 92);
        assert_eq!(quarter("2023-Q4").days(), 92);
    }

    #[test]
    fn quarter_bounds_and_months() {
        let q = quarter("2024-Q2");
        assert_eq!(q.first_day(), d(2024, 4, 1));
        assert_eq!(q.last_day(), d(2024, 6, 30));
        assert_eq!(
            q.months(),
            [month("2024-04"), month("2024-05"), month("2024-06")]
        );
        assert!(q.contains(d(2024, 4, 1)));
        assert!(q.contains(d(2024, 6, 30)));
        assert!(!q.contains(d(2024, 3, 31)));
        assert!(!q.contains(d(2024, 7, 1)));
        assert_eq!(Quarter::of(d(2024, 5, 17)), Ok(quarter("2024-Q2")));
        assert_eq!(Quarter::of(d(2024, 12, 31)), Ok(quarter("2024-Q4")));
        assert!(Quarter::of(d(2201, 1, 1)).is_err());
    }

    #[test]
    fn quarter_steps() {
        assert_eq!(quarter("2024-Q1").previous(), Some(quarter("2023-Q4")));
        assert_eq!(quarter("2024-Q3").previous(), Some(quarter("2024-Q2")));
        assert_eq!(quarter("2023-Q4").next(), Some(quarter("2024-Q1")));
        assert_eq!(
            quarter("2024-Q1").same_quarter_previous_year(),
            Some(quarter("2023-Q1"))
        );
        assert_eq!(quarter("1900-Q1").previous(), None);
        assert_eq!(quarter("1900-Q3").same_quarter_previous_year(), None);
        assert_eq!(quarter("2200-Q4").next(), None);
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(month("2023-12") < month("2024-01"));
        assert!(month("2024-02") < month("2024-10"));
        assert!(quarter("2023-Q4") < quarter("2024-Q1"));
    }

    #[test]
    fn serde_as_strings() {
        let m = month("2024-03");
        let q = quarter("2024-Q1");
        assert_eq!(
            serde_json::to_string(&(m, q)).unwrap(),
            r#"["2024-03","2024-Q1"]"#
        );
        assert_eq!(
            serde_json::from_str::<(Month, Quarter)>(r#"["2024-03","2024-q1"]"#).unwrap(),
            (m, q)
        );
        let err = serde_json::from_str::<Month>(r#""2024-13""#).unwrap_err();
        assert!(err.to_string().contains("mês 13 inexistente"), "{err}");
        assert!(serde_json::from_str::<Month>("202403").is_err());
    }

    /// Exhaustive: proves `known_date`'s fallback is unreachable and the calendar arithmetic agrees with chrono.
    #[test]
    fn every_month_in_range_has_consistent_dates() {
        let mut m = Some(Month::new(MIN_YEAR, 1).unwrap());
        let mut count = 0;
        let mut previous_last: Option<NaiveDate> = None;
        while let Some(cur) = m {
            let first = cur.first_day();
            let last = cur.last_day();
            assert_ne!(first, NaiveDate::MIN);
            assert_ne!(last, NaiveDate::MIN);
            assert_eq!(first.day(), 1);
            assert_eq!(last.succ_opt().unwrap().day(), 1);
            assert_eq!(
                (last - first).num_days() + 1,
                i64::from(cur.days()),
                "{cur}"
            );
            if let Some(prev) = previous_last {
                assert_eq!(prev.succ_opt(), Some(first));
            }
            assert_eq!(Month::of(first), Ok(cur));
            assert_eq!(Month::of(last), Ok(cur));
            previous_last = Some(last);
            count += 1;
            m = cur.succ();
        }
        assert_eq!(count, (MAX_YEAR - MIN_YEAR + 1) * 12);
    }

    fn any_month() -> impl Strategy<Value = Month> {
        (MIN_YEAR..=MAX_YEAR, 1u32..=12).prop_map(|(y, m)| Month::new(y, m).unwrap())
    }

    fn any_quarter() -> impl Strategy<Value = Quarter> {
        (MIN_YEAR..=MAX_YEAR, 1u32..=4).prop_map(|(y, q)| Quarter::new(y, q).unwrap())
    }

    proptest! {
        #[test]
        fn month_round_trips(m in any_month()) {
            prop_assert_eq!(Month::parse(&m.to_string()), Ok(m));
        }

        #[test]
        fn quarter_round_trips(q in any_quarter()) {
            prop_assert_eq!(Quarter::parse(&q.to_string()), Ok(q));
            prop_assert_eq!(Quarter::parse(&q.to_string().to_lowercase()), Ok(q));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,12}") {
            let _ = Month::parse(&s);
            let _ = Quarter::parse(&s);
        }

        #[test]
        fn parsers_never_panic_near_the_format(s in "[0-9+\\- Qq]{0,9}") {
            let _ = Month::parse(&s);
            let _ = Quarter::parse(&s);
        }

        #[test]
        fn quarter_contains_its_months(q in any_quarter()) {
            let ms = q.months();
            prop_assert_eq!(ms.map(|m| m.quarter()), [q, q, q]);
            prop_assert_eq!(q.first_day(), ms[0].first_day());
            prop_assert_eq!(q.last_day(), ms[2].last_day());
            prop_assert_eq!((q.last_day() - q.first_day()).num_days() + 1, i64::from(q.days()));
            prop_assert!(q.contains(q.first_day()) && q.contains(q.last_day()));
            if let Some(p) = q.previous() {
                prop_assert_eq!(p.last_day().succ_opt(), Some(q.first_day()));
                prop_assert_eq!(p.next(), Some(q));
            }
        }

        #[test]
        fn of_date_is_consistent(m in any_month(), day in 1u32..=31) {
            if let Some(date) = NaiveDate::from_ymd_opt(m.year(), m.month(), day) {
                prop_assert_eq!(Month::of(date), Ok(m));
                prop_assert_eq!(Quarter::of(date), Ok(m.quarter()));
                prop_assert!(m.quarter().contains(date));
            }
        }
    }
}
