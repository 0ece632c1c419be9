//! Whether a period may pay: no level, payment, saved run or cycle for a quarter (RECAP) or month (IPEI)
//! that is not over, or whose data are not yet complete.
//!
//! Art. 5 and 6 of Decreto 7.872/2013 compare the crimes *of the quarter* with its baseline, and the Anexo
//! Único pays the IPEI of a month from the deliveries made after it: a period still running has no index
//! to compare, only figures so far. A period is therefore
//! - **future** before its first day: nothing to show, a bad request;
//! - **partial** from its first day until its data cut-off — the day after its last day, plus the
//!   program's `data_cutoff_days` (default 0) for data that arrive late: figures so far, never a level;
//! - **closed** from the cut-off on: levels and payments.

use crate::dates::BrDate;
use chrono::NaiveDate;

use crate::cycle::CyclePeriod;
use crate::period::{Month, Quarter};

/// Where a period stands on a day (see the module's doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The period has not begun.
    Future {
        /// Its first day.
        starts: NaiveDate,
    },
    /// Running, or over but before its data are complete.
    Partial {
        /// Its last day.
        ends: NaiveDate,
        /// The first day its figures may pay.
        complete_on: NaiveDate,
    },
    /// Over and complete.
    Closed,
}

/// A period of the program: a RECAP quarter or an IPEI month.
pub trait Period: Copy {
    /// Its first day.
    fn first(self) -> NaiveDate;
    /// Its last day.
    fn last(self) -> NaiveDate;
    /// Its name in a sentence, with its article (pt-BR): "o 4º trimestre de 2026", "o mês de outubro de 2026".
    fn named_pt(self) -> String;

    /// Where the period stands on `today` with a data cut-off of `cutoff_days` after its end.
    fn closing(self, cutoff_days: u32, today: NaiveDate) -> Closing {
        let complete_on = self
            .last()
            .checked_add_days(chrono::Days::new(1 + u64::from(cutoff_days)))
            .unwrap_or(NaiveDate::MAX);
        if today < self.first() {
            Closing::Future {
                starts: self.first(),
            }
        } else if today < complete_on {
            Closing::Partial {
                ends: self.last(),
                complete_on,
            }
        } else {
            Closing::Closed
        }
    }

    /// `Ok` when the period may pay on `today`; otherwise why not, in a sentence for users (pt-BR).
    fn require_closed(self, cutoff_days: u32, today: NaiveDate) -> Result<(), NotClosed> {
        match self.closing(cutoff_days, today) {
            Closing::Closed => Ok(()),
            Closing::Future { starts } => Err(NotClosed::Future(format!(
                "{} ainda não começou (começa em {}): não há resultado de um período futuro",
                capitalised(&self.named_pt()),
                starts.br_date()
            ))),
            Closing::Partial { ends, complete_on } => Err(NotClosed::Partial(format!(
                "{}: nenhum nível, pagamento ou execução antes disso",
                partial_pt(&self.named_pt(), ends, complete_on)
            ))),
        }
    }
}

/// Why a period may not pay yet; the text is for users (pt-BR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotClosed {
    /// The period has not begun (a bad request).
    #[error("{0}")]
    Future(String),
    /// The period runs, or its data are not complete.
    #[error("{0}")]
    Partial(String),
}

/// "o 4º trimestre de 2026 termina em 31/12/2026", or, once over, "os dados do … fecham em …".
pub fn partial_pt(named: &str, ends: NaiveDate, complete_on: NaiveDate) -> String {
    let last_day_before_cutoff = complete_on.pred_opt().unwrap_or(complete_on);
    if last_day_before_cutoff == ends {
        format!("{} termina em {}", capitalised(named), ends.br_date())
    } else {
        format!(
            "{} terminou em {}, e os seus dados fecham em {}",
            capitalised(named),
            ends.br_date(),
            complete_on.br_date()
        )
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Period for Quarter {
    fn first(self) -> NaiveDate {
        self.first_day()
    }
    fn last(self) -> NaiveDate {
        self.last_day()
    }
    fn named_pt(self) -> String {
        format!("o {}", self.label_pt())
    }
}

impl Period for Month {
    fn first(self) -> NaiveDate {
        self.first_day()
    }
    fn last(self) -> NaiveDate {
        self.last_day()
    }
    fn named_pt(self) -> String {
        format!("o mês de {}", self.label_pt())
    }
}

impl Period for CyclePeriod {
    fn first(self) -> NaiveDate {
        match self {
            CyclePeriod::Quarter(q) => q.first(),
            CyclePeriod::Month(m) => m.first(),
        }
    }
    fn last(self) -> NaiveDate {
        match self {
            CyclePeriod::Quarter(q) => q.last(),
            CyclePeriod::Month(m) => m.last(),
        }
    }
    fn named_pt(self) -> String {
        match self {
            CyclePeriod::Quarter(q) => q.named_pt(),
            CyclePeriod::Month(m) => m.named_pt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::parse_date(s).unwrap()
    }

    /// The example: on 2026-12-06, 2026-Q4 has run two months and six days; 2027-Q1 has not
    /// begun; 2026-Q3 closed on 2026-10-01.
    #[test]
    fn arts_5_6_a_quarter_pays_only_once_over() {
        let today = d("2026-12-06");
        let q4 = Quarter::parse("2026-Q4").unwrap();
        assert_eq!(
            q4.closing(0, today),
            Closing::Partial {
                ends: d("2026-12-31"),
                complete_on: d("2027-01-01")
            }
        );
        assert_eq!(
            q4.require_closed(0, today).unwrap_err().to_string(),
            "O 4º trimestre de 2026 termina em 31/12/2026: nenhum nível, pagamento ou execução antes disso"
        );
        assert_eq!(q4.closing(0, d("2026-12-31")), q4.closing(0, today));
        assert_eq!(q4.closing(0, d("2027-01-01")), Closing::Closed);
        let q1 = Quarter::parse("2027-Q1").unwrap();
        assert_eq!(
            q1.require_closed(0, today),
            Err(NotClosed::Future(
                "O 1º trimestre de 2027 ainda não começou (começa em 01/01/2027): não há resultado de um período futuro"
                    .into()
            ))
        );
        let q3 = Quarter::parse("2026-Q3").unwrap();
        assert_eq!(
            q3.closing(0, d("2026-09-30")),
            Closing::Partial {
                ends: d("2026-09-30"),
                complete_on: d("2026-10-01")
            }
        );
        assert_eq!(q3.closing(0, d("2026-10-01")), Closing::Closed);
    }

    /// A cut-off of 10 days: 2026-Q3's data are complete on 2026-10-11 (30/09 + 1 + 10).
    #[test]
    fn arts_5_6_the_data_cut_off_delays_the_close() {
        let q3 = Quarter::parse("2026-Q3").unwrap();
        assert!(matches!(
            q3.closing(10, d("2026-10-10")),
            Closing::Partial { .. }
        ));
        assert_eq!(
            q3.require_closed(10, d("2026-10-10"))
                .unwrap_err()
                .to_string(),
            "O 3º trimestre de 2026 terminou em 30/09/2026, e os seus dados fecham em 11/10/2026: nenhum nível, pagamento ou execução antes disso"
        );
        assert_eq!(q3.closing(10, d("2026-10-11")), Closing::Closed);
    }

    #[test]
    fn anexo_unico_a_month_pays_from_the_day_after_its_last() {
        let nov = Month::parse("2026-11").unwrap();
        assert!(nov.require_closed(0, d("2026-11-30")).is_err());
        assert_eq!(nov.require_closed(0, d("2026-12-01")), Ok(()));
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(
            dec.require_closed(0, d("2026-12-06"))
                .unwrap_err()
                .to_string(),
            "O mês de dezembro de 2026 termina em 31/12/2026: nenhum nível, pagamento ou execução antes disso"
        );
    }
}
