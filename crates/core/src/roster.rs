//! The eligible roster of a quarter (Decreto 7.872/2013, Art. 9; goias-cidadao-seguro.md §4): where each
//! operator served — the unit of most days, a loan (à disposição, Art. 9 §ú) counting where it is served,
//! ties going to the latest — and whether they were away from service long enough to be excluded.
//!
//! Art. 9 pays the operators "efetivamente no exercício de suas funções" and excludes those absent "por
//! qualquer motivo" for `absence_max_pct` of the period or more. We read a day covered by no assignment
//! to a unit of the program (before being hired or transferred in, after retiring or leaving) as such an
//! absence, just as a recorded one: the days *out* of a quarter are its recorded absent days while
//! assigned plus its days not in service, and they exclude when they reach the share. Decided in whole
//! days and exact integer arithmetic: in a 91-day quarter at 60 %, 55 days out exclude and 54 do not — so
//! an officer assigned 10 days of 91 (81 not in service) is excluded.
//!
//! Art. 9 also names who operates the program (policial militar, bombeiro militar, policial civil,
//! policial técnico-científico, agente de segurança prisional): anyone else assigned to a unit is listed
//! and excluded for their institution (`eligible` of [`roster_entry`], from the program configuration).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::Quarter;
use crate::recap::Pct;

/// Lotação or disposição.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    /// The operator's own unit.
    Lotacao,
    /// A loan: service at another unit, which counts there (Art. 9 §ú).
    Disposicao,
}

/// An assignment to a unit over an inclusive date range (`to` = `None`: still there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Unit code.
    pub unit: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    pub kind: AssignmentKind,
}

/// An absence over an inclusive date range (leave, vacation, suspension, sick leave…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Absence {
    /// First day.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

/// Why an operator is out of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RosterReason {
    /// Absent for `absence_max_pct` of the quarter or more.
    Absence,
    /// No assignment to any unit in the quarter.
    NoAssignment,
    /// An institution that does not operate the program (Art. 9).
    InstitutionNotEligible,
}

/// One operator's line of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RosterEntry {
    /// The unit credited with the operator's service.
    pub unit: Option<String>,
    /// Days served there.
    pub days_served: u32,
    /// Days served per unit (for the memória de cálculo).
    pub days_by_unit: BTreeMap<String, u32>,
    /// Distinct days recorded absent inside the quarter while assigned to a unit.
    pub absent_days: u32,
    /// Days of the quarter covered by no assignment (absent from service all the same, Art. 9). Absent
    /// from rosters frozen before it was counted: 0.
    #[serde(default)]
    pub not_in_service_days: u32,
    /// Days in the quarter.
    pub quarter_days: u32,
    /// Out of the roster, and why.
    pub excluded: Option<RosterReason>,
}

fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Computes an operator's roster line for `quarter`; `eligible` says whether their institution operates
/// the program (see the module's doc).
pub fn roster_entry(
    quarter: Quarter,
    eligible: bool,
    assignments: &[Assignment],
    absences: &[Absence],
    absence_max_pct: Pct,
) -> RosterEntry {
    let (q0, q1) = (quarter.first_day(), quarter.last_day());
    let quarter_days = quarter.days();
    let mut days_by_unit: BTreeMap<String, u32> = BTreeMap::new();
    // The latest day each unit was served, for ties.
    let mut last_day: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for day in days_between(q0, q1) {
        let on = |a: &&Assignment| a.from <= day && a.to.is_none_or(|t| day <= t);
        // A loan in force takes the day; among several, the one that started last.
        let served = assignments
            .iter()
            .filter(on)
            .filter(|a| a.kind == AssignmentKind::Disposicao)
            .max_by_key(|a| a.from)
            .or_else(|| {
                assignments
                    .iter()
                    .filter(on)
                    .filter(|a| a.kind == AssignmentKind::Lotacao)
                    .max_by_key(|a| a.from)
            });
        if let Some(a) = served {
            *days_by_unit.entry(a.unit.clone()).or_default() += 1;
            last_day.insert(a.unit.clone(), day);
        }
    }
    let unit = days_by_unit
        .iter()
        .max_by_key(|(u, n)| (**n, last_day.get(*u).copied()))
        .map(|(u, n)| (u.clone(), *n));
    let in_service: u32 = days_by_unit.values().sum();
    let not_in_service_days = quarter_days - in_service;
    let mut absent: Vec<NaiveDate> = absences
        .iter()
        .flat_map(|a| days_between(a.from.max(q0), a.to.min(q1)))
        .filter(|day| {
            assignments
                .iter()
                .any(|a| a.from <= *day && a.to.is_none_or(|t| *day <= t))
        })
        .collect();
    absent.sort();
    absent.dedup();
    let absent_days = absent.len() as u32;
    // out / quarter_days ≥ pct / 100, in millionths of a percentage point.
    let out = absent_days + not_in_service_days;
    let over = i128::from(out) * 100 * 1_000_000
        >= (absence_max_pct.points() * 1_000_000.0).round() as i128 * i128::from(quarter_days);
    let excluded = if !eligible {
        Some(RosterReason::InstitutionNotEligible)
    } else if unit.is_none() {
        Some(RosterReason::NoAssignment)
    } else if over {
        Some(RosterReason::Absence)
    } else {
        None
    };
    RosterEntry {
        days_served: unit.as_ref().map(|u| u.1).unwrap_or(0),
        unit: unit.map(|u| u.0),
        days_by_unit,
        absent_days,
        not_in_service_days,
        quarter_days,
        excluded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn lot(unit: &str, from: NaiveDate, to: Option<NaiveDate>) -> Assignment {
        Assignment {
            unit: unit.into(),
            from,
            to,
            kind: AssignmentKind::Lotacao,
        }
    }

    fn sixty() -> Pct {
        Pct::new(60.0).unwrap()
    }

    /// 2023-Q3 has 92 days; 2024-Q2 has 91 (April 30 + May 31 + June 30).
    #[test]
    fn fifty_four_absent_days_stay_fifty_five_leave() {
        let q = Quarter::parse("2024-Q2").unwrap();
        assert_eq!(q.days(), 91);
        let a = [lot("PM-1BPM", d(2020, 1, 1), None)];
        // 54 days: April 1 .. May 24.
        let r = roster_entry(
            q,
            true,
            &a,
            &[Absence {
                from: d(2024, 4, 1),
                to: d(2024, 5, 24),
            }],
            sixty(),
        );
        assert_eq!((r.absent_days, r.excluded.clone()), (54, None));
        // 55 days, in two overlapping records counted once: March 20 .. April 30 and April 15 .. May 25.
        let r = roster_entry(
            q,
            true,
            &a,
            &[
                Absence {
                    from: d(2024, 3, 20),
                    to: d(2024, 4, 30),
                },
                Absence {
                    from: d(2024, 4, 15),
                    to: d(2024, 5, 25),
                },
            ],
            sixty(),
        );
        assert_eq!(
            (r.absent_days, r.excluded),
            (55, Some(RosterReason::Absence))
        );
        assert_eq!((r.unit.as_deref(), r.days_served), (Some("PM-1BPM"), 91));
    }

    /// Art. 9: "efetivamente no exercício de suas funções" — an officer assigned for 10 days of a 91-day
    /// quarter (June 21 .. 30 of 2024-Q2) was out of service for 81, and is excluded.
    #[test]
    fn art_9_ten_days_assigned_of_ninety_one_is_excluded() {
        let q = Quarter::parse("2024-Q2").unwrap();
        let r = roster_entry(
            q,
            true,
            &[lot("PM-1BPM", d(2024, 6, 21), None)],
            &[],
            sixty(),
        );
        assert_eq!(
            (r.days_served, r.not_in_service_days, r.absent_days),
            (10, 81, 0)
        );
        assert_eq!(r.excluded, Some(RosterReason::Absence));
    }

    /// Art. 9, "ausentes por qualquer motivo": days not in service and recorded absences add up, each
    /// day once, against the same 60 % of 91 days — 54 out stay, 55 out leave.
    #[test]
    fn art_9_days_not_in_service_count_as_absence() {
        let q = Quarter::parse("2024-Q2").unwrap();
        // Hired on May 25: April (30) + May 1..24 (24) = 54 days not in service.
        let hired = [lot("PM-1BPM", d(2024, 5, 25), None)];
        let r = roster_entry(q, true, &hired, &[], sixty());
        assert_eq!((r.not_in_service_days, r.excluded.clone()), (54, None));
        // An absence recorded before the hiring is the same days, not more.
        let before = [Absence {
            from: d(2024, 4, 1),
            to: d(2024, 4, 10),
        }];
        let r = roster_entry(q, true, &hired, &before, sixty());
        assert_eq!((r.absent_days, r.excluded.clone()), (0, None));
        // One more day away while assigned: 54 + 1 = 55.
        let one = [Absence {
            from: d(2024, 6, 3),
            to: d(2024, 6, 3),
        }];
        let r = roster_entry(q, true, &hired, &one, sixty());
        assert_eq!(
            (r.absent_days, r.not_in_service_days, r.excluded),
            (1, 54, Some(RosterReason::Absence))
        );
        // Retired on June 5: 25 days not in service, and 30 absent days before it: 55.
        let retired = [lot("PM-1BPM", d(2019, 1, 1), Some(d(2024, 6, 5)))];
        let leave = [Absence {
            from: d(2024, 5, 1),
            to: d(2024, 5, 30),
        }];
        let r = roster_entry(q, true, &retired, &leave, sixty());
        assert_eq!(
            (r.absent_days, r.not_in_service_days, r.excluded),
            (30, 25, Some(RosterReason::Absence))
        );
    }

    /// Art. 9 names the operators: anyone else assigned to a unit (a municipal guard, an administrative
    /// employee) is listed and excluded for their institution, whatever their days.
    #[test]
    fn art_9_an_institution_not_named_is_excluded() {
        let q = Quarter::parse("2024-Q2").unwrap();
        let r = roster_entry(
            q,
            false,
            &[lot("PM-1BPM", d(2019, 1, 1), None)],
            &[],
            sixty(),
        );
        assert_eq!(
            (r.unit.as_deref(), r.days_served, r.excluded),
            (
                Some("PM-1BPM"),
                91,
                Some(RosterReason::InstitutionNotEligible)
            )
        );
    }

    #[test]
    fn a_loan_counts_where_it_is_served() {
        let q = Quarter::parse("2024-Q1").unwrap(); // 91 days (leap February)
        let a = [
            lot("PM-1BPM", d(2019, 1, 1), None),
            Assignment {
                unit: "PM-7BPM".into(),
                from: d(2024, 1, 10),
                to: Some(d(2024, 3, 1)),
                kind: AssignmentKind::Disposicao,
            },
        ];
        let r = roster_entry(q, true, &a, &[], sixty());
        // Jan 10 .. Mar 1 = 22 + 29 + 1 = 52 days on loan; 39 at home.
        assert_eq!(r.days_by_unit["PM-7BPM"], 52);
        assert_eq!(r.days_by_unit["PM-1BPM"], 39);
        assert_eq!(r.unit.as_deref(), Some("PM-7BPM"));
        assert_eq!(r.excluded, None);
    }

    #[test]
    fn ties_go_to_the_latest_and_no_assignment_excludes() {
        let q = Quarter::parse("2024-Q2").unwrap(); // 91 days: split 45 / 46 and a 45 / 45 tie below
        let a = [
            lot("A", d(2024, 4, 1), Some(d(2024, 5, 15))),
            lot("B", d(2024, 5, 16), Some(d(2024, 6, 29))),
        ];
        let r = roster_entry(q, true, &a, &[], sixty());
        assert_eq!((r.days_by_unit["A"], r.days_by_unit["B"]), (45, 45));
        assert_eq!(r.unit.as_deref(), Some("B"), "tie: the latest served");
        let r = roster_entry(q, true, &[], &[], sixty());
        assert_eq!(
            (r.unit, r.excluded),
            (None, Some(RosterReason::NoAssignment))
        );
    }
}
