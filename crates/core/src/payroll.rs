//! The unit head's exclusion list and the named payroll of a RECAP quarter (Art. 9;
//! goias-cidadao-seguro.md §4): the system proposes each unit's list from the absence records and the
//! days out of service, the head confirms or amends it (every amendment with a reason), and the payroll
//! accounts for everyone assigned in the quarter — each line paid at a level (or at zero below the
//! levels), or excluded with a [`PayrollReason`]. Nobody is dropped without a word.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::{Decision, Effect};
use crate::recap::{Level, Report, UnitResult};
use crate::roster::{RosterEntry, RosterReason};

/// One operator of the roster as the payroll needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    pub registration: &'a str,
    pub name: &'a str,
    /// Institution code.
    pub institution: &'a str,
    /// The roster rule's line.
    pub entry: &'a RosterEntry,
}

/// A head's amendment to the proposal: exclude someone the system kept, or keep someone it excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Amendment {
    pub registration: String,
    /// The head's word: excluded or not.
    pub excluded: bool,
    /// Why (required).
    pub reason: String,
}

/// One line of a unit's exclusion list: the proposal and the head's word side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExclusionLine {
    pub registration: String,
    pub name: String,
    /// Days recorded absent in the quarter while assigned.
    pub absent_days: u32,
    /// Days of the quarter not in service (covered by no assignment).
    pub not_in_service_days: u32,
    /// Days in the quarter.
    pub quarter_days: u32,
    /// Whether the system proposes to exclude (days out ≥ `absence_max_pct`).
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
                not_in_service_days: p.entry.not_in_service_days,
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
    pub recap1_cents: i64,
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

/// Why a line of the payroll is not paid (contracts.md: the `reason` of `recap payroll`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayrollReason {
    /// Out of service (recorded absences and days not in service) for `absence_max_pct` or more (Art. 9).
    Absence,
    /// No assignment to a unit of the program in the quarter.
    NoAssignment,
    /// An institution that does not operate the program (Art. 9).
    InstitutionNotEligible,
    /// The unit has no index (an area of its circunscrição has none, Art. 7).
    UnitWithoutIndex,
    /// The unit credited with the service is not in force at the quarter's end.
    UnitNotInForce,
    /// Excluded by the unit head's list, with the head's reason.
    ListedByUnitHead,
    /// Excluded by the committee's decision (Art. 13, or an appeal under Art. 14).
    CommitteeDecision,
}

impl PayrollReason {
    /// The reason as users read it (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            PayrollReason::Absence => "ausência de 60% ou mais do trimestre (Art. 9)",
            PayrollReason::NoAssignment => "sem lotação no trimestre",
            PayrollReason::InstitutionNotEligible => "instituição fora do programa (Art. 9)",
            PayrollReason::UnitWithoutIndex => "unidade sem índice (Art. 7)",
            PayrollReason::UnitNotInForce => {
                "unidade extinta ou fora de vigência no fim do trimestre"
            }
            PayrollReason::ListedByUnitHead => "excluído pela chefia da unidade",
            PayrollReason::CommitteeDecision => "decisão do Comitê Gestor",
        }
    }
}

/// One line of the named payroll: an operator assigned in the quarter, paid or excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayLine {
    pub registration: String,
    pub name: String,
    pub institution: String,
    /// The unit credited with their service (none without an assignment).
    pub unit: Option<String>,
    /// The unit's areas (empty for a unit not in force).
    pub areas: Vec<String>,
    /// Days in the quarter.
    pub days_in_quarter: u32,
    /// Days served at the unit credited.
    pub days_served: u32,
    /// Days recorded absent while assigned.
    pub absent_days: u32,
    /// Days not in service.
    pub not_in_service_days: u32,
    /// The level paid (none when excluded, or below the levels).
    pub level: Option<Level>,
    pub amount_cents: i64,
    /// Why not paid; `None` for a paid line.
    pub reason: Option<PayrollReason>,
    /// The committee's decision that included or excluded them, cited (`crate::decision`).
    pub decision: Option<String>,
}

impl PayLine {
    /// Excluded (with [`PayLine::reason`]) rather than paid.
    pub fn excluded(&self) -> bool {
        self.reason.is_some()
    }
}

/// Per unit: how many are paid and how many were left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitSummary {
    pub unit: String,
    /// Its name.
    pub name: String,
    /// Its areas.
    pub areas: Vec<String>,
    /// Its level.
    pub level: Option<Level>,
    /// Operators paid (at the unit's level, or at zero below the levels).
    pub eligible: u32,
    /// Excluded by the absence rule and not kept by the head.
    pub excluded_absence: u32,
    /// Excluded by the head's amendment.
    pub excluded_by_head: u32,
    /// Excluded for another reason (institution, the unit without an index).
    pub excluded_other: u32,
    /// Amount per operator, centavos.
    pub amount_cents: i64,
    /// Total, centavos.
    pub total_cents: i64,
}

/// Why `p` is not paid, given their unit's result (`None`: not in force), the head's amendments and the
/// committee's decision about them (Art. 13/14: it includes over the absence rule and the head's list, or
/// excludes; it cannot pay an institution the decree does not name, nor a unit without a level).
fn reason_of(
    p: &Person,
    unit: Option<&UnitResult>,
    amendments: &[Amendment],
    decided: Option<&Effect>,
) -> Option<PayrollReason> {
    match p.entry.excluded {
        Some(RosterReason::InstitutionNotEligible) => {
            return Some(PayrollReason::InstitutionNotEligible);
        }
        Some(RosterReason::NoAssignment) => return Some(PayrollReason::NoAssignment),
        _ => {}
    }
    if matches!(decided, Some(Effect::ExcludeOperator { .. })) {
        return Some(PayrollReason::CommitteeDecision);
    }
    let Some(unit) = unit else {
        return Some(PayrollReason::UnitNotInForce);
    };
    if matches!(decided, Some(Effect::IncludeOperator { .. })) {
        return unit
            .index
            .is_none()
            .then_some(PayrollReason::UnitWithoutIndex);
    }
    let proposed = p.entry.excluded == Some(RosterReason::Absence);
    let word = amendments
        .iter()
        .rev()
        .find(|a| a.registration == p.registration)
        .map_or(proposed, |a| a.excluded);
    match (word, proposed) {
        (true, true) => Some(PayrollReason::Absence),
        (true, false) => Some(PayrollReason::ListedByUnitHead),
        _ if unit.index.is_none() => Some(PayrollReason::UnitWithoutIndex),
        _ => None,
    }
}

/// The named payroll of a quarter: one line for everyone assigned in it (`people` with a day of
/// service), by unit then registration — paid their unit's level (Arts. 5, 6, 9; zero below the levels),
/// or excluded with the first reason that applies: the institution, the committee's exclusion, the unit
/// not in force, the absence rule or the head's list (the head's word where they amended the proposal,
/// the committee's where it included them), the unit without an index.
/// Also one summary per unit of the report.
pub fn payroll(
    report: &Report,
    people: &[Person],
    amendments_by_unit: &BTreeMap<String, Vec<Amendment>>,
    decisions: &[Decision],
    amounts: Amounts,
) -> (Vec<PayLine>, Vec<UnitSummary>) {
    let none = Vec::new();
    let units: BTreeMap<&str, &UnitResult> =
        report.units.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut lines: Vec<PayLine> = people
        .iter()
        .filter(|p| p.entry.unit.is_some())
        .map(|p| {
            let code = p.entry.unit.as_deref().unwrap_or_default();
            let unit = units.get(code).copied();
            let amendments = amendments_by_unit.get(code).unwrap_or(&none);
            let decision = crate::decision::latest(decisions, |e| {
                matches!(e, Effect::IncludeOperator { registration } | Effect::ExcludeOperator { registration }
                    if registration == p.registration)
            });
            let reason = reason_of(p, unit, amendments, decision.map(|d| &d.effect));
            let level = unit.and_then(|u| u.level).filter(|_| reason.is_none());
            PayLine {
                registration: p.registration.to_string(),
                name: p.name.to_string(),
                institution: p.institution.to_string(),
                unit: p.entry.unit.clone(),
                areas: unit.map(|u| u.areas.clone()).unwrap_or_default(),
                days_in_quarter: p.entry.quarter_days,
                days_served: p.entry.days_served,
                absent_days: p.entry.absent_days,
                not_in_service_days: p.entry.not_in_service_days,
                level,
                amount_cents: amounts.of(level),
                reason,
                decision: decision.map(Decision::cite_pt),
            }
        })
        .collect();
    lines.sort_by(|a, b| (&a.unit, &a.registration).cmp(&(&b.unit, &b.registration)));
    let summaries = report
        .units
        .iter()
        .map(|unit| {
            let mut s = UnitSummary {
                unit: unit.code.clone(),
                name: unit.name.clone(),
                areas: unit.areas.clone(),
                level: unit.level,
                eligible: 0,
                excluded_absence: 0,
                excluded_by_head: 0,
                excluded_other: 0,
                amount_cents: amounts.of(unit.level),
                total_cents: 0,
            };
            for l in lines.iter().filter(|l| l.unit.as_ref() == Some(&unit.code)) {
                match l.reason {
                    None => {
                        s.eligible += 1;
                        s.total_cents += l.amount_cents;
                    }
                    Some(PayrollReason::Absence) => s.excluded_absence += 1,
                    Some(PayrollReason::ListedByUnitHead) => s.excluded_by_head += 1,
                    Some(_) => s.excluded_other += 1,
                }
            }
            s
        })
        .collect();
    (lines, summaries)
}

/// One person whose pay differs between the run paid and another run of the same period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayChange {
    pub registration: String,
    pub name: String,
    /// Centavos in the run paid (`None`: not on it).
    pub paid_cents: Option<i64>,
    /// Centavos in the other run (`None`: not on it).
    pub now_cents: Option<i64>,
}

/// What changed between the run paid and another (the Anexo Único pays once: a later run of a paid
/// period is read against it): everyone whose amount differs or who is on one payroll only, by
/// registration. Each side is (registration, name, centavos).
pub fn changes_since_paid(
    paid: &[(String, String, i64)],
    now: &[(String, String, i64)],
) -> Vec<PayChange> {
    let paid_by: BTreeMap<&str, (&str, i64)> = paid
        .iter()
        .map(|(r, n, c)| (r.as_str(), (n.as_str(), *c)))
        .collect();
    let now_by: BTreeMap<&str, (&str, i64)> = now
        .iter()
        .map(|(r, n, c)| (r.as_str(), (n.as_str(), *c)))
        .collect();
    let mut regs: Vec<&str> = paid_by.keys().chain(now_by.keys()).copied().collect();
    regs.sort_unstable();
    regs.dedup();
    regs.into_iter()
        .filter_map(|r| {
            let (p, n) = (paid_by.get(r), now_by.get(r));
            let (pc, nc) = (p.map(|x| x.1), n.map(|x| x.1));
            (pc.unwrap_or(0) != nc.unwrap_or(0)).then(|| PayChange {
                registration: r.to_string(),
                name: n.or(p).map(|x| x.0.to_string()).unwrap_or_default(),
                paid_cents: pc,
                now_cents: nc,
            })
        })
        .collect()
}

/// What a run freezes of the roster (Art. 9): every operator's line and the heads' amendments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosterSnapshot {
    /// The roster, by registration.
    pub lines: Vec<RosterLine>,
    /// Each unit's amendments received by the time of the run.
    pub amendments: std::collections::BTreeMap<String, Vec<Amendment>>,
    /// The committee's decisions including or excluding operators by then (absent from runs saved
    /// before them).
    #[serde(default)]
    pub decisions: Vec<crate::decision::Decision>,
}

/// One operator of a quarter's roster, as the store reads it and a [`RosterSnapshot`] freezes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosterLine {
    pub registration: String,
    pub name: String,
    pub institution: String,
    /// The roster rule's line.
    pub entry: crate::roster::RosterEntry,
}

impl RosterLine {
    /// The line as the payroll and the exclusion list read it.
    pub fn person(&self) -> Person<'_> {
        Person {
            registration: &self.registration,
            name: &self.name,
            institution: &self.institution,
            entry: &self.entry,
        }
    }
}

impl RosterSnapshot {
    /// The named payroll of `report` over this roster (core::payroll).
    pub fn payroll(
        &self,
        report: &crate::recap::Report,
        amounts: Amounts,
    ) -> (Vec<PayLine>, Vec<UnitSummary>) {
        let people: Vec<Person> = self.lines.iter().map(RosterLine::person).collect();
        payroll(report, &people, &self.amendments, &self.decisions, amounts)
    }
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
            not_in_service_days: 0,
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
            memoria: vec![],
        }
    }

    #[test]
    fn art_9_everyone_on_the_payroll_paid_or_excluded_with_a_reason() {
        let e1 = entry("1BPM", 10, false);
        let e2 = entry("1BPM", 55, true); // proposed out; the head keeps them (records were wrong)
        let e3 = entry("1BPM", 0, false); // the head excludes them (suspended, say)
        let e4 = entry("1BPM", 60, true); // stays out
        let e5 = entry("2BPM", 0, false); // unit without a level
        let e6 = entry("9BPM", 0, false); // unit not in force at the quarter's end
        let mut e7 = entry("1BPM", 0, false); // a municipal guard assigned to the unit
        e7.excluded = Some(RosterReason::InstitutionNotEligible);
        let e8 = entry("3BPM", 0, false); // unit without an index
        let people = [
            ("100", &e1),
            ("200", &e2),
            ("300", &e3),
            ("400", &e4),
            ("500", &e5),
            ("600", &e6),
            ("700", &e7),
            ("800", &e8),
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
        let list = exclusion_list("1BPM", &people[..4], &amendments["1BPM"]);
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
            units: vec![
                unit("1BPM", Some(Level::Recap1)),
                unit("2BPM", None),
                UnitResult {
                    index: None,
                    reduction_pct: None,
                    reasons: vec![crate::recap::Reason::AreaWithoutIndex],
                    ..unit("3BPM", None)
                },
            ],
        };
        let (lines, summaries) = payroll(
            &report,
            &people,
            &amendments,
            &[],
            Amounts::from_reais(1200.0, 600.5),
        );
        // Everyone is on it: paid, paid at zero, or excluded with the reason.
        use PayrollReason as R;
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.registration.as_str(), l.amount_cents, l.reason))
                .collect::<Vec<_>>(),
            vec![
                ("100", 120_000, None),
                ("200", 120_000, None),
                ("300", 0, Some(R::ListedByUnitHead)),
                ("400", 0, Some(R::Absence)),
                ("700", 0, Some(R::InstitutionNotEligible)),
                ("500", 0, None),
                ("800", 0, Some(R::UnitWithoutIndex)),
                ("600", 0, Some(R::UnitNotInForce)),
            ]
        );
        assert_eq!(lines[0].level, Some(Level::Recap1));
        assert_eq!(lines[2].level, None, "an excluded line has no level");
        assert_eq!(
            (
                summaries[0].eligible,
                summaries[0].excluded_absence,
                summaries[0].excluded_by_head,
                summaries[0].excluded_other,
                summaries[0].total_cents
            ),
            (2, 1, 1, 1, 240_000)
        );
        assert_eq!((summaries[1].eligible, summaries[1].total_cents), (1, 0));
        assert_eq!((summaries[2].eligible, summaries[2].excluded_other), (0, 1));

        // Arts. 13/14: the committee keeps 400 (the head confirmed the proposal) and excludes 100; it
        // cannot pay the guard (700: Art. 9 names the operators).
        let decided = |act_id, effect| Decision {
            act_id,
            decided_on: chrono::NaiveDate::from_ymd_opt(2024, 4, 20).unwrap(),
            text: "Recurso provido".into(),
            effect,
        };
        let decisions = [
            decided(
                5,
                Effect::IncludeOperator {
                    registration: "400".into(),
                },
            ),
            decided(
                6,
                Effect::ExcludeOperator {
                    registration: "100".into(),
                },
            ),
            decided(
                7,
                Effect::IncludeOperator {
                    registration: "700".into(),
                },
            ),
        ];
        let (lines, summaries) = payroll(
            &report,
            &people,
            &amendments,
            &decisions,
            Amounts::from_reais(1200.0, 600.5),
        );
        let of = |reg: &str| lines.iter().find(|l| l.registration == reg).unwrap();
        assert_eq!((of("400").amount_cents, of("400").reason), (120_000, None));
        assert_eq!(
            of("400").decision.as_deref(),
            Some("decisão do Comitê Gestor, ato nº 5 de 20/04/2024: Recurso provido")
        );
        assert_eq!(
            (of("100").amount_cents, of("100").reason),
            (0, Some(R::CommitteeDecision))
        );
        assert_eq!(of("700").reason, Some(R::InstitutionNotEligible));
        assert_eq!(
            (
                summaries[0].eligible,
                summaries[0].excluded_absence,
                summaries[0].excluded_other
            ),
            (2, 0, 2)
        );
        assert_eq!(Amounts::from_reais(1200.0, 600.5).recap2_cents, 60_050);
    }

    /// A second run of a paid period says who would get a different amount; equal amounts (also 0 against
    /// absent) are no change.
    #[test]
    fn a_later_run_is_read_against_the_one_paid() {
        let line = |r: &str, c: i64| (r.to_string(), format!("Servidor {r}"), c);
        let paid = [line("A", 120_000), line("B", 120_000), line("C", 0)];
        let now = [line("A", 120_000), line("B", 60_050), line("D", 60_050)];
        let got: Vec<(String, Option<i64>, Option<i64>)> = changes_since_paid(&paid, &now)
            .into_iter()
            .map(|c| (c.registration, c.paid_cents, c.now_cents))
            .collect();
        assert_eq!(
            got,
            [
                ("B".to_string(), Some(120_000), Some(60_050)),
                ("D".to_string(), None, Some(60_050)),
            ]
        );
    }
}
