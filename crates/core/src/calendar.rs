//! Business days (calendar.md): national, state and municipal holidays, the pontos facultativos, the
//! default policy of which days offices close, and each year's decrees on top. The program's deadlines
//! (Anexo Único of Decreto 7.872/2013: 5th, 10th, 12th, 14th, 15th business day) are counted with it.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Serialize;

use crate::{IbgeCode, Month, Uf};

/// Who declares a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The Union.
    National,
    /// The state.
    State,
    /// The municipality.
    Municipal,
}

/// A holiday (feriado) or an optional day (ponto facultativo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// The day.
    pub date: NaiveDate,
    /// Its name (pt-BR).
    pub name: String,
    /// Who declares it.
    pub scope: Scope,
    /// Whether offices work that day under the policy (Ash Wednesday: yes, from 14h).
    pub business_day: bool,
    /// A ponto facultativo rather than a feriado.
    #[serde(skip)]
    pub optional: bool,
}

/// Easter Sunday of `year` (Gregorian computus, the "anonymous" algorithm of Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// A change made by decree for one day (calendar.md, "each year's decrees").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decree {
    /// The day.
    pub date: NaiveDate,
    /// Closed (a day off added) or open (a day off cancelled, e.g. moved elsewhere).
    pub closed: bool,
    /// What the day is (pt-BR).
    pub name: String,
    /// The act: number and date.
    pub act: String,
}

/// The calendar of an office: a state, optionally a municipality, and the year table of decrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    uf: Uf,
    municipality: Option<IbgeCode>,
    decrees: Vec<Decree>,
}

/// Goiânia's IBGE code: the committee sits there.
pub const GOIANIA: &str = "5208707";

impl Calendar {
    /// The rule-based calendar of `uf` (and `municipality`), no decrees.
    pub fn new(uf: Uf, municipality: Option<IbgeCode>) -> Calendar {
        Calendar {
            uf,
            municipality,
            decrees: Vec::new(),
        }
    }

    /// With the year table of decrees (applied after the rules; the last word on a day wins).
    pub fn with_decrees(mut self, decrees: Vec<Decree>) -> Calendar {
        self.decrees = decrees;
        self
    }

    /// The year table of decrees this calendar applies.
    pub fn decrees(&self) -> &[Decree] {
        &self.decrees
    }

    /// Every holiday and optional day of `year`, by date, with the policy's business-day flag and the
    /// decrees applied.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let mut out = Vec::new();
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
        let mut push = |date: Option<NaiveDate>,
                        name: &str,
                        scope: Scope,
                        optional: bool,
                        business_day: bool| {
            if let Some(date) = date {
                out.push(Holiday {
                    date,
                    name: name.to_string(),
                    scope,
                    business_day,
                    optional,
                });
            }
        };
        let e = easter(year);
        use Scope::{Municipal, National, State};
        // Feriados nacionais (Lei 662/1949, Lei 6.802/1980, Lei 14.759/2023).
        push(
            day(1, 1),
            "Confraternização Universal",
            National,
            false,
            false,
        );
        push(
            Some(e - Duration::days(2)),
            "Sexta-feira Santa",
            National,
            false,
            false,
        );
        push(day(4, 21), "Tiradentes", National, false, false);
        push(day(5, 1), "Dia do Trabalho", National, false, false);
        push(day(9, 7), "Independência do Brasil", National, false, false);
        push(
            day(10, 12),
            "Nossa Senhora Aparecida",
            National,
            false,
            false,
        );
        push(day(11, 2), "Finados", National, false, false);
        push(
            day(11, 15),
            "Proclamação da República",
            National,
            false,
            false,
        );
        if year >= 2024 {
            push(
                day(11, 20),
                "Dia Nacional de Zumbi e da Consciência Negra",
                National,
                false,
                false,
            );
        }
        push(day(12, 25), "Natal", National, false, false);
        // Pontos facultativos; the default policy closes all but Ash Wednesday (open from 14h).
        push(
            Some(e - Duration::days(48)),
            "Carnaval (segunda-feira)",
            National,
            true,
            false,
        );
        let carnival_tuesday_law = self.uf == Uf::GO && year >= 2020;
        push(
            Some(e - Duration::days(47)),
            if carnival_tuesday_law {
                "Carnaval (terça-feira; feriado em Goiás, Lei 20.756/2020)"
            } else {
                "Carnaval (terça-feira)"
            },
            if carnival_tuesday_law {
                State
            } else {
                National
            },
            !carnival_tuesday_law,
            false,
        );
        push(
            Some(e - Duration::days(46)),
            "Quarta-feira de Cinzas (expediente a partir das 14h)",
            National,
            true,
            true,
        );
        push(
            Some(e + Duration::days(60)),
            "Corpus Christi",
            National,
            true,
            false,
        );
        push(
            day(10, 28),
            "Dia do Servidor Público",
            National,
            true,
            false,
        );
        push(day(12, 24), "Véspera de Natal", National, true, false);
        push(day(12, 31), "Véspera de Ano-Novo", National, true, false);
        // Feriados estaduais.
        match self.uf {
            Uf::GO => push(
                day(7, 26),
                "Fundação da Cidade de Goiás",
                State,
                false,
                false,
            ),
            Uf::MG => push(
                day(4, 21),
                "Data Magna de Minas Gerais",
                State,
                false,
                false,
            ),
            _ => {}
        }
        // Feriados municipais.
        if self
            .municipality
            .as_ref()
            .is_some_and(|m| m.as_str() == GOIANIA)
        {
            push(
                day(10, 24),
                "Pedra Fundamental de Goiânia",
                Municipal,
                false,
                false,
            );
        }
        for d in self.decrees.iter().filter(|d| d.date.year() == year) {
            if !d.closed {
                for h in out.iter_mut().filter(|h| h.date == d.date) {
                    h.business_day = true;
                }
            }
            if d.closed {
                out.push(Holiday {
                    date: d.date,
                    name: format!("{} ({})", d.name, d.act),
                    scope: State,
                    business_day: false,
                    optional: true,
                });
            } else {
                out.push(Holiday {
                    date: d.date,
                    name: format!("{} — expediente normal ({})", d.name, d.act),
                    scope: State,
                    business_day: true,
                    optional: true,
                });
            }
        }
        out.sort_by(|a, b| (a.date, a.scope, &a.name).cmp(&(b.date, b.scope, &b.name)));
        out
    }

    /// Whether offices work on `date`: Monday to Friday and not closed by a holiday, the policy or a decree.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        if let Some(last) = self.decrees.iter().rev().find(|d| d.date == date) {
            return !last.closed;
        }
        self.holidays(date.year())
            .iter()
            .filter(|h| h.date == date)
            .all(|h| h.business_day)
    }

    /// Business days after `from` up to and including `to` (0 when `to` is not after `from`): what is
    /// left before a deadline `to`, seen on `from`.
    pub fn business_days_after(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_business_day(*d))
            .count() as u32
    }

    /// The `n`-th business day of `month` (1-based), if the month has that many.
    pub fn nth_business_day(&self, month: Month, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return None;
        }
        let mut count = 0;
        let mut d = month.first_day();
        while d <= month.last_day() {
            if self.is_business_day(d) {
                count += 1;
                if count == n {
                    return Some(d);
                }
            }
            d = d.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates() {
        // Known Easter Sundays.
        for (y, m, day) in [
            (2000, 4, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2038, 4, 25),
            (2008, 3, 23),
        ] {
            assert_eq!(easter(y), d(y, m, day), "{y}");
        }
    }

    #[test]
    fn business_days_of_goiania() {
        let goiania: IbgeCode = GOIANIA.parse().unwrap();
        let c = Calendar::new(Uf::GO, Some(goiania));
        // Carnival 2024: Mon 12 and Tue 13 Feb closed, Ash Wednesday 14 open.
        assert!(!c.is_business_day(d(2024, 2, 12)));
        assert!(!c.is_business_day(d(2024, 2, 13)));
        assert!(c.is_business_day(d(2024, 2, 14)));
        // March 2024: Good Friday is 29; the 5th business day is Thursday 7 (contracts.md's example).
        let march = Month::new(2024, 3).unwrap();
        assert_eq!(c.nth_business_day(march, 5), Some(d(2024, 3, 7)));
        assert!(!c.is_business_day(d(2024, 3, 29)));
        // A countdown over Carnival: after Friday 9 Feb up to Thursday 15, only Wed 14 and Thu 15 work.
        assert_eq!(c.business_days_after(d(2024, 2, 9), d(2024, 2, 15)), 2);
        assert_eq!(c.business_days_after(d(2024, 2, 15), d(2024, 2, 15)), 0);
        assert_eq!(c.business_days_after(d(2024, 2, 16), d(2024, 2, 14)), 0);
        // Goiânia's Oct 24 only with the municipality.
        assert!(!c.is_business_day(d(2024, 10, 24)));
        assert!(Calendar::new(Uf::GO, None).is_business_day(d(2024, 10, 24)));
        // Zumbi from 2024 only.
        assert!(Calendar::new(Uf::GO, None).is_business_day(d(2023, 11, 20)));
        assert!(!Calendar::new(Uf::GO, None).is_business_day(d(2024, 11, 20)));
    }

    #[test]
    fn decrees_add_and_cancel_days() {
        let c = Calendar::new(Uf::GO, None).with_decrees(vec![
            Decree {
                date: d(2025, 5, 2),
                closed: true,
                name: "Ponto facultativo (ponte)".into(),
                act: "Decreto 10.680/2025".into(),
            },
            Decree {
                date: d(2025, 10, 28),
                closed: false,
                name: "Dia do Servidor transferido".into(),
                act: "Decreto 10.700/2025".into(),
            },
            Decree {
                date: d(2025, 10, 27),
                closed: true,
                name: "Dia do Servidor (transferido)".into(),
                act: "Decreto 10.700/2025".into(),
            },
        ]);
        assert!(!c.is_business_day(d(2025, 5, 2)));
        assert!(c.is_business_day(d(2025, 10, 28)));
        assert!(!c.is_business_day(d(2025, 10, 27)));
        let may = Month::new(2025, 5).unwrap();
        // May 2025: Thu 1 holiday, Fri 2 decree, so the 1st business day is Monday 5.
        assert_eq!(c.nth_business_day(may, 1), Some(d(2025, 5, 5)));
        assert_eq!(c.nth_business_day(may, 0), None);
        assert_eq!(c.nth_business_day(may, 40), None);
    }
}
