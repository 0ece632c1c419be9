//! The unit head's exclusion list and the named payroll of a RECAP quarter (Art. 9;
//! goias-cidadao-seguro.md §4): the system proposes each unit's list from the absence records, the head
//! confirms or amends it (every amendment with a reason), and the payroll pays each operator who stays
//! the amount of their unit's level.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::recap::{Level, Report};
use crate::roster::{RosterEntry, RosterReason};

/// One operator of the roster as the payroll needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    /// Matrícula.
    pub registration: &'a str,
    /// Name.
    pub name: &'a str,
    /// Institution code.
    pub institution: &'a str,
    /// The roster rule's line.
    pub entry: &'a RosterEntry,
}

/// A head's amendment to the proposal: exclude someone the system kept, or keep someone it excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Amendment {
    /// Matrícula.
    pub registration: String,
    /// The head's word: excluded or not.
    pub excluded: bool,
    /// Why (required).
    pub reason: String,
}

/// One line of a unit's exclusion list: the proposal and the head's word side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExclusionLine {
    /// Matrícula.
    pub registration: String,
    /// Name.
    pub name: String,
    /// Absent days in the quarter.
    pub absent_days: u32,
    /// Days in the quarter.
    pub quarter_days: u32,
    /// Whether the system proposes to exclude (absence ≥ `absence_max_pct`).
    pub proposed: bool,
    /// The final word: the head's amendment if any, else the proposal.
    pub excluded: bool,
    /// The head's reason when they amended the proposal.
    pub amendment: Option<String>,
}

/// A unit's exclusion list: every operator credited to `unit` in the quarter, proposal and amendments.
/// An amendment for someone not on the unit's roster is ignored (they are someone else's to judge).
pub fn exclusion_list(
    unit: &str,
    people: &[Person],
    amendments: &[Amendment],
) -> Vec<ExclusionLine> {
    people
        .iter()
        .filter(|p| p.entry.unit.as_deref() == Some(unit))
        .map(|p| {
            let proposed = p.entry.excluded == Some(RosterReason::Absence);
            let amendment = amendments
                .iter()
                .rev()
                .find(|a| a.registration == p.registration);
            ExclusionLine {
                registration: p.registration.to_string(),
                name: p.name.to_string(),
                absent_days: p.entry.absent_days,
                quarter_days: p.entry.quarter_days,
                proposed,
                excluded: amendment.map_or(proposed, |a| a.excluded),
                amendment: amendment
                    .filter(|a| a.excluded != proposed)
                    .map(|a| a.reason.clone()),
            }
        })
        .collect()
}

/// Amounts per operator per level, in centavos (parameter `payment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Amounts {
    /// RECAP1.
    pub recap1_cents: i64,
    /// RECAP2.
    pub recap2_cents: i64,
}

impl Amounts {
    /// From the configuration's reais (rounded to the centavo).
    pub fn from_reais(recap1: f64, recap2: f64) -> Amounts {
        Amounts {
            recap1_cents: (recap1 * 100.0).round() as i64,
            recap2_cents: (recap2 * 100.0).round() as i64,
        }
    }

    /// The amount for a level (none without a level).
    pub fn of(self, level: Option<Level>) -> i64 {
        match level {
            Some(Level::Recap1) => self.recap1_cents,
            Some(Level::Recap2) => self.recap2_cents,
            None => 0,
        }
    }
}

/// One line of the named payroll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayLine {
    /// Matrícula.
    pub registration: String,
    /// Name.
    pub name: String,
    /// Institution.
    pub institution: String,
    /// The unit credited with their service.
    pub unit: String,
    /// The unit's areas.
    pub areas: Vec<String>,
    /// The unit's level.
    pub level: Option<Level>,
    /// Centavos.
    pub amount_cents: i64,
}

/// Per unit: how many are paid and how many were left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitSummary {
    /// Unit.
    pub unit: String,
    /// Its name.
    pub name: String,
    /// Its areas.
    pub areas: Vec<String>,
    /// Its level.
    pub level: Option<Level>,
    /// Operators paid (on the roster and not excluded).
    pub eligible: u32,
    /// Excluded by the absence rule and not kept by the head.
    pub excluded_absence: u32,
    /// Excluded by the head's amendment.
    pub excluded_by_head: u32,
    /// Amount per operator, centavos.
    pub amount_cents: i64,
    /// Total, centavos.
    pub total_cents: i64,
}

/// The named payroll of a quarter: every operator credited to a unit of the report, not excluded (the
/// head's list where they amended it, the proposal elsewhere), paid their unit's level (Arts. 5, 6, 9).
/// Operators of units without a level appear with amount zero, so the payroll accounts for everyone
/// on the roster. Returns the lines (by unit, then registration) and one summary per unit.
pub fn payroll(
    report: &Report,
    people: &[Person],
    amendments_by_unit: &BTreeMap<String, Vec<Amendment>>,
    amounts: Amounts,
) -> (Vec<PayLine>, Vec<UnitSummary>) {
    let none = Vec::new();
    let mut lines = Vec::new();
    let mut summaries = Vec::new();
    for unit in &report.units {
        let list = exclusion_list(
            &unit.code,
            people,
            amendments_by_unit.get(&unit.code).unwrap_or(&none),
        );
        let amount = amounts.of(unit.level);
        let mut s = UnitSummary {
            unit: unit.code.clone(),
            name: unit.name.clone(),
            areas: unit.areas.clone(),
            level: unit.level,
            eligible: 0,
            excluded_absence: 0,
            excluded_by_head: 0,
            amount_cents: amount,
            total_cents: 0,
        };
        let mut mine: Vec<&ExclusionLine> = list.iter().collect();
        mine.sort_by(|a, b| a.registration.cmp(&b.registration));
        for l in mine {
            if l.excluded {
                if l.proposed {
                    s.excluded_absence += 1;
                } else {
                    s.excluded_by_head += 1;
                }
                continue;
            }
            s.eligible += 1;
            s.total_cents += amount;
            let person = people.iter().find(|p| p.registration == l.registration);
            lines.push(PayLine {
                registration: l.registration.clone(),
                name: l.name.clone(),
                institution: person
                    .map(|p| p.institution.to_string())
                    .unwrap_or_default(),
                unit: unit.code.clone(),
                areas: unit.areas.clone(),
                level: unit.level,
                amount_cents: amount,
            });
        }
        summaries.push(s);
    }
    (lines, summaries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recap::{Baseline, ReportParameters, UnitResult};

    fn entry(unit: &str, absent: u32, excluded: bool) -> RosterEntry {
        RosterEntry {
            unit: Some(unit.into()),
            days_served: 91,
            days_by_unit: BTreeMap::from([(unit.to_string(), 91)]),
            absent_days: absent,
            quarter_days: 91,
            excluded: excluded.then_some(RosterReason::Absence),
        }
    }

    fn unit(code: &str, level: Option<Level>) -> UnitResult {
        UnitResult {
            code: code.into(),
            name: format!("Unidade {code}"),
            areas: vec!["AISP1".into()],
            index: Some(1.0),
            baseline_index: Some(2.0),
            reduction_pct: Some(50.0),
            level,
            reasons: vec![],
        }
    }

    #[test]
    fn proposal_amendments_and_payroll() {
        let e1 = entry("1BPM", 10, false);
        let e2 = entry("1BPM", 55, true); // proposed out; the head keeps them (records were wrong)
        let e3 = entry("1BPM", 0, false); // the head excludes them (suspended, say)
        let e4 = entry("1BPM", 60, true); // stays out
        let e5 = entry("2BPM", 0, false); // unit without a level
        let people = [
            ("100", &e1),
            ("200", &e2),
            ("300", &e3),
            ("400", &e4),
            ("500", &e5),
        ]
        .map(|(r, e)| Person {
            registration: r,
            name: "Fulano",
            institution: "pm",
            entry: e,
        });
        let amendments = BTreeMap::from([(
            "1BPM".to_string(),
            vec![
                Amendment {
                    registration: "200".into(),
                    excluded: false,
                    reason: "férias lançadas em duplicidade".into(),
                },
                Amendment {
                    registration: "300".into(),
                    excluded: true,
                    reason: "suspensão disciplinar".into(),
                },
                // Confirms the proposal: not an amendment.
                Amendment {
                    registration: "400".into(),
                    excluded: true,
                    reason: "confirmado".into(),
                },
            ],
        )]);
        let list = exclusion_list("1BPM", &people, &amendments["1BPM"]);
        assert_eq!(list.len(), 4);
        assert_eq!(
            list.iter()
                .map(|l| (l.proposed, l.excluded, l.amendment.is_some()))
                .collect::<Vec<_>>(),
            vec![
                (false, false, false),
                (true, false, true),
                (false, true, true),
                (true, true, false)
            ]
        );
        let report = Report {
            quarter: "2024-Q1".into(),
            baseline_quarter: "2023-Q1".into(),
            parameters: ReportParameters {
                crimes: vec![],
                recap2_min_pct: 10.0,
                recap1_min_pct: 20.0,
                baseline: Baseline::SameQuarterPreviousYear,
            },
            areas: vec![],
            units: vec![unit("1BPM", Some(Level::Recap1)), unit("2BPM", None)],
        };
        let (lines, summaries) = payroll(
            &report,
            &people,
            &amendments,
            Amounts::from_reais(1200.0, 600.5),
        );
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.registration.as_str(), l.amount_cents))
                .collect::<Vec<_>>(),
            vec![("100", 120_000), ("200", 120_000), ("500", 0)]
        );
        assert_eq!(
            (
                summaries[0].eligible,
                summaries[0].excluded_absence,
                summaries[0].excluded_by_head,
                summaries[0].total_cents
            ),
            (2, 1, 1, 240_000)
        );
        assert_eq!((summaries[1].eligible, summaries[1].total_cents), (1, 0));
        assert_eq!(Amounts::from_reais(1200.0, 600.5).recap2_cents, 60_050);
    }
}
