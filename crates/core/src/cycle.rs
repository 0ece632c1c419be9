//! The cycle of a program period (goias-cidadao-seguro.md §6, the Anexo Único): steps with deadlines in
//! business days of the month after the period, closed in order by explicit acts; submissions and appeals
//! of the units inside their windows; appeal decisions and committee decisions with text. Shared by the
//! quarterly RECAP cycle and (issue #5) the monthly IPEI cycle.
//!
//! The rules here are pure: the store reads a cycle's acts into a [`CycleState`], asks these functions
//! whether an act is allowed and whether it is late, then writes the act and its audit entry together.

use crate::dates::BrDate;
use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{Calendar, Decree};
use crate::{Month, Quarter};

/// Which program a cycle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleKind {
    /// The quarterly RECAP (Arts. 4–9).
    Recap,
    /// The monthly IPEI (Arts. 10–15).
    Ipei,
}

impl CycleKind {
    /// The program's name as people write it: "RECAP", "IPEI".
    pub fn name_pt(self) -> &'static str {
        match self {
            CycleKind::Recap => "RECAP",
            CycleKind::Ipei => "IPEI",
        }
    }

    /// The code stored and shown in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleKind::Recap => "recap",
            CycleKind::Ipei => "ipei",
        }
    }
}

/// The period a cycle is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CyclePeriod {
    /// A RECAP quarter.
    Quarter(Quarter),
    /// An IPEI month.
    Month(Month),
}

impl From<Quarter> for CyclePeriod {
    fn from(q: Quarter) -> Self {
        CyclePeriod::Quarter(q)
    }
}

impl From<Month> for CyclePeriod {
    fn from(m: Month) -> Self {
        CyclePeriod::Month(m)
    }
}

impl CyclePeriod {
    /// Whose cycle runs over this period: RECAP's are quarterly, IPEI's monthly (Anexo Único).
    pub fn kind(self) -> CycleKind {
        match self {
            CyclePeriod::Quarter(_) => CycleKind::Recap,
            CyclePeriod::Month(_) => CycleKind::Ipei,
        }
    }

    /// The month whose business days the deadlines count (Anexo Único: the month after the reference
    /// period; for a quarter, the month after its last month — our reading of "the same kind of cycle").
    pub fn counting_month(self) -> Option<Month> {
        match self {
            CyclePeriod::Quarter(q) => q.months()[2].succ(),
            CyclePeriod::Month(m) => m.succ(),
        }
    }

    /// A stored period code of `kind`'s cycle (`2024-Q1` for RECAP, `2024-03` for IPEI).
    pub fn parse(kind: CycleKind, code: &str) -> Option<CyclePeriod> {
        match kind {
            CycleKind::Recap => crate::Quarter::parse(code).ok().map(CyclePeriod::Quarter),
            CycleKind::Ipei => crate::Month::parse(code).ok().map(CyclePeriod::Month),
        }
    }

    /// The period as people write it: "3º trimestre de 2026", "outubro de 2026".
    pub fn label_pt(self) -> String {
        match self {
            CyclePeriod::Quarter(q) => q.label_pt(),
            CyclePeriod::Month(m) => m.label_pt(),
        }
    }

    /// The period after "RECAP", "ciclo"…, with its preposition: "do 3º trimestre de 2026", "de
    /// outubro de 2026".
    pub fn of_pt(self) -> String {
        match self {
            CyclePeriod::Quarter(q) => format!("do {}", q.label_pt()),
            CyclePeriod::Month(m) => format!("de {}", m.label_pt()),
        }
    }

    /// `2024-Q1` or `2024-03`.
    pub fn code(self) -> String {
        match self {
            CyclePeriod::Quarter(q) => q.to_string(),
            CyclePeriod::Month(m) => format!("{:04}-{:02}", m.year(), m.month()),
        }
    }
}

/// A step of the cycle, in order (Anexo Único).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKey {
    /// Units send their information (RECAP: the exclusion lists of Art. 9).
    Submissions,
    /// The committee publishes the partial result.
    PartialResult,
    /// Units may appeal (Art. 14: only to correct material already delivered).
    Appeals,
    /// The committee validates the data and sends them to the Secretary's office.
    Validation,
    /// The committee publishes the final result.
    FinalResult,
    /// The committee authorizes payment.
    PaymentAuthorization,
}

impl StepKey {
    /// Every step in order.
    pub const ALL: [StepKey; 6] = [
        StepKey::Submissions,
        StepKey::PartialResult,
        StepKey::Appeals,
        StepKey::Validation,
        StepKey::FinalResult,
        StepKey::PaymentAuthorization,
    ];

    /// The code stored.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKey::Submissions => "submissions",
            StepKey::PartialResult => "partial_result",
            StepKey::Appeals => "appeals",
            StepKey::Validation => "validation",
            StepKey::FinalResult => "final_result",
            StepKey::PaymentAuthorization => "payment_authorization",
        }
    }

    /// From the stored code.
    pub fn parse(s: &str) -> Option<StepKey> {
        StepKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The step's name for users (pt-BR).
    pub fn label_pt(self, kind: CycleKind) -> &'static str {
        match (self, kind) {
            (StepKey::Submissions, CycleKind::Recap) => "Envio das listas de exclusão (Art. 9)",
            (StepKey::Submissions, CycleKind::Ipei) => "Envio das informações (planilha e BOs)",
            (StepKey::PartialResult, _) => "Resultado parcial",
            (StepKey::Appeals, _) => "Recursos (Art. 14)",
            (StepKey::Validation, _) => "Validação dos dados",
            (StepKey::FinalResult, _) => "Resultado final",
            (StepKey::PaymentAuthorization, _) => "Autorização de pagamento",
        }
    }

    /// Who acts in the step (pt-BR: "from → to" of the Anexo Único).
    pub fn flow_pt(self) -> &'static str {
        match self {
            StepKey::Submissions => "unidades → Comitê",
            StepKey::PartialResult => "Comitê → unidades",
            StepKey::Appeals => "unidades → Comitê",
            StepKey::Validation => "Comitê → Gabinete do Secretário",
            StepKey::FinalResult => "Comitê → unidades",
            StepKey::PaymentAuthorization => "Comitê → Gabinete do Secretário",
        }
    }

    /// Steps whose acts come from the units (their window closes by the committee's act).
    pub fn is_units_window(self) -> bool {
        matches!(self, StepKey::Submissions | StepKey::Appeals)
    }
}

/// The deadline of each step, as the n-th business day of the counting month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// One per step of [`StepKey::ALL`], in that order.
    pub nth: [u32; 6],
}

impl Schedule {
    /// The Anexo Único: 5th, 10th, 12th, 14th, 15th and 15th business day.
    pub const ANEXO_UNICO: Schedule = Schedule {
        nth: [5, 10, 12, 14, 15, 15],
    };

    /// A schedule from six numbers, refused unless each is 1–20 and none comes before the previous one.
    pub fn new(nth: [u32; 6]) -> Result<Schedule, CycleError> {
        for (i, n) in nth.iter().enumerate() {
            if !(1..=20).contains(n) {
                return Err(CycleError::BadSchedule(format!(
                    "prazo de \"{}\": {n}º dia útil; esperado entre 1 e 20",
                    StepKey::ALL[i].label_pt(CycleKind::Recap)
                )));
            }
            if i > 0 && *n < nth[i - 1] {
                return Err(CycleError::BadSchedule(format!(
                    "prazo de \"{}\" ({n}º dia útil) antes do da etapa anterior ({}º)",
                    StepKey::ALL[i].label_pt(CycleKind::Recap),
                    nth[i - 1]
                )));
            }
        }
        Ok(Schedule { nth })
    }

    fn nth_of(&self, step: StepKey) -> u32 {
        self.nth[step as usize]
    }
}

/// A step's deadline and the decrees that moved business days in its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The step.
    pub step: StepKey,
    /// Which business day.
    pub nth: u32,
    /// The date.
    pub date: NaiveDate,
    /// Decrees of the year table that fall between the counting month's first day and the deadline:
    /// what changed the date from the rule-based calendar's (calendar.md, "deadlines already computed
    /// show what changed them").
    pub changed_by: Vec<Decree>,
}

/// The deadlines of a period's cycle.
pub fn deadlines(
    period: CyclePeriod,
    schedule: &Schedule,
    calendar: &Calendar,
) -> Result<Vec<Deadline>, CycleError> {
    let month = period.counting_month().ok_or(CycleError::OutOfRange)?;
    let kind = period.kind();
    StepKey::ALL
        .into_iter()
        .map(|step| {
            let nth = schedule.nth_of(step);
            // A committee's schedule may ask for a day a short month lacks (November 2026 has 19).
            let date = calendar.nth_business_day(month, nth).ok_or_else(|| {
                CycleError::NoSuchBusinessDay {
                    step: step.label_pt(kind),
                    nth,
                    month: month.label_pt(),
                    available: calendar.business_days_after(
                        month.first_day().pred_opt().unwrap_or(month.first_day()),
                        month.last_day(),
                    ),
                }
            })?;
            let changed_by = calendar
                .decrees()
                .iter()
                .filter(|d| d.date >= month.first_day() && d.date <= date)
                .cloned()
                .collect();
            Ok(Deadline {
                step,
                nth,
                date,
                changed_by,
            })
        })
        .collect()
}

/// What the rules need to know of a cycle to judge the next act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleState {
    /// The program.
    pub kind: CycleKind,
    /// The steps closed so far, in order (a prefix of [`StepKey::ALL`]).
    pub closed: Vec<StepKey>,
    /// Appeals filed and not yet decided.
    pub pending_appeals: u32,
}

impl CycleState {
    /// The step now open, or `None` when every step is closed.
    pub fn current(&self) -> Option<StepKey> {
        StepKey::ALL.get(self.closed.len()).copied()
    }

    fn is_closed(&self, step: StepKey) -> bool {
        self.closed.contains(&step)
    }
}

/// How an allowed act stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// The deadline it is measured against.
    pub deadline: NaiveDate,
    /// After the deadline (allowed only with a justification, and shown as late).
    pub late: bool,
}

/// Why an act is refused (pt-BR, for the person who tried it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    /// A schedule the rules do not allow.
    #[error("cronograma inválido: {0}")]
    BadSchedule(String),
    /// A period outside the calendar's range.
    #[error("período fora do calendário")]
    OutOfRange,
    /// A step's business day that its counting month does not have.
    #[error(
        "o prazo de \"{step}\" seria o {nth}º dia útil de {month}, que tem só {available} dias úteis"
    )]
    NoSuchBusinessDay {
        /// The step's label.
        step: &'static str,
        /// The business day asked for.
        nth: u32,
        /// The counting month, in words.
        month: String,
        /// How many business days that month has.
        available: u32,
    },
    /// Every step is already closed.
    #[error("o ciclo já está encerrado")]
    Finished,
    /// Steps close in order.
    #[error("a etapa aberta é \"{open}\"; as etapas são encerradas em ordem")]
    OutOfOrder {
        /// The step that is open.
        open: &'static str,
    },
    /// After the deadline without a reason.
    #[error("prazo vencido em {}: um ato fora do prazo exige justificativa", .0.br_date())]
    LateWithoutJustification(NaiveDate),
    /// A result step needs a saved calculation run of the period.
    #[error("informe a execução salva do cálculo deste período que fundamenta o resultado")]
    RunRequired,
    /// Appeals wait for a decision.
    #[error("há {0} recurso(s) sem decisão")]
    AppealsPending(u32),
    /// A units' act outside its window.
    #[error("fora da janela: {0}")]
    WindowClosed(&'static str),
    /// A text that must say something.
    #[error("{0} não pode ficar em branco")]
    TextRequired(&'static str),
}

fn deadline_of(deadlines: &[Deadline], step: StepKey) -> Result<NaiveDate, CycleError> {
    deadlines
        .iter()
        .find(|d| d.step == step)
        .map(|d| d.date)
        .ok_or(CycleError::OutOfRange)
}

fn timing(
    deadline: NaiveDate,
    today: NaiveDate,
    justification: &str,
) -> Result<Timing, CycleError> {
    let late = today > deadline;
    if late && justification.trim().is_empty() {
        return Err(CycleError::LateWithoutJustification(deadline));
    }
    Ok(Timing { deadline, late })
}

/// Whether the committee may close `step` today (goias-cidadao-seguro.md §6: "moving on is an explicit,
/// audited act by the role that owns it; a late act is allowed only with a recorded justification").
/// The result steps must name the saved run they publish; validation and the final result wait until
/// every appeal is decided.
pub fn check_close(
    state: &CycleState,
    deadlines: &[Deadline],
    step: StepKey,
    today: NaiveDate,
    justification: &str,
    run: Option<i64>,
) -> Result<Timing, CycleError> {
    let open = state.current().ok_or(CycleError::Finished)?;
    if step != open {
        return Err(CycleError::OutOfOrder {
            open: open.label_pt(state.kind),
        });
    }
    if matches!(step, StepKey::PartialResult | StepKey::FinalResult) && run.is_none() {
        return Err(CycleError::RunRequired);
    }
    if matches!(step, StepKey::Validation | StepKey::FinalResult) && state.pending_appeals > 0 {
        return Err(CycleError::AppealsPending(state.pending_appeals));
    }
    timing(deadline_of(deadlines, step)?, today, justification)
}

/// Whether a unit may send its submission (RECAP: its exclusion list) today: while the submissions step
/// is open, late after its deadline with a justification.
pub fn check_submission(
    state: &CycleState,
    deadlines: &[Deadline],
    today: NaiveDate,
    justification: &str,
) -> Result<Timing, CycleError> {
    if state.is_closed(StepKey::Submissions) {
        return Err(CycleError::WindowClosed(
            "o Comitê já encerrou o recebimento das listas",
        ));
    }
    timing(
        deadline_of(deadlines, StepKey::Submissions)?,
        today,
        justification,
    )
}

/// Whether a unit may appeal today: after the partial result and until the committee closes the appeals
/// step (late after its deadline with a justification). Art. 14: an appeal only corrects material
/// already delivered, so it must say what it contests.
pub fn check_appeal(
    state: &CycleState,
    deadlines: &[Deadline],
    today: NaiveDate,
    text: &str,
    justification: &str,
) -> Result<Timing, CycleError> {
    if !state.is_closed(StepKey::PartialResult) {
        return Err(CycleError::WindowClosed(
            "recursos só depois do resultado parcial",
        ));
    }
    if state.is_closed(StepKey::Appeals) {
        return Err(CycleError::WindowClosed(
            "o Comitê já encerrou a etapa de recursos",
        ));
    }
    if text.trim().is_empty() {
        return Err(CycleError::TextRequired("o recurso"));
    }
    timing(
        deadline_of(deadlines, StepKey::Appeals)?,
        today,
        justification,
    )
}

/// Whether the committee may decide an appeal: with a text, before validation closes.
pub fn check_appeal_decision(state: &CycleState, text: &str) -> Result<(), CycleError> {
    if state.is_closed(StepKey::Validation) {
        return Err(CycleError::WindowClosed("os dados já foram validados"));
    }
    if text.trim().is_empty() {
        return Err(CycleError::TextRequired("a fundamentação da decisão"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Uf;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn go() -> Calendar {
        Calendar::new(Uf::parse("GO").unwrap(), Some("5208707".parse().unwrap()))
    }

    fn state(closed: usize, pending: u32) -> CycleState {
        CycleState {
            kind: CycleKind::Recap,
            closed: StepKey::ALL[..closed].to_vec(),
            pending_appeals: pending,
        }
    }

    /// 2024-Q1 counts the business days of April 2024 in Goiânia: Apr 1 (Mon) … Apr 21 Tiradentes is a
    /// Sunday. Business days: 1–5 (5th = Apr 5), 8–12 (10th = Apr 12), 15, 16 (12th = Apr 16), 17, 18
    /// (14th = Apr 18), 19 (15th = Apr 19). Worked out by hand on a 2024 calendar.
    #[test]
    fn anexo_unico_deadlines_for_2024_q1() {
        let q = CyclePeriod::Quarter(Quarter::new(2024, 1).unwrap());
        let dl = deadlines(q, &Schedule::ANEXO_UNICO, &go()).unwrap();
        let dates: Vec<NaiveDate> = dl.iter().map(|x| x.date).collect();
        assert_eq!(
            dates,
            vec![
                d(2024, 4, 5),
                d(2024, 4, 12),
                d(2024, 4, 16),
                d(2024, 4, 18),
                d(2024, 4, 19),
                d(2024, 4, 19)
            ]
        );
        assert!(dl.iter().all(|x| x.changed_by.is_empty()));
    }

    /// November 2026 in Goiânia has 19 business days: 21 weekdays less Finados (Mon 2) and the Dia da
    /// Consciência Negra (Fri 20, national since Lei 14.759/2023). A committee schedule asking for the
    /// 20th is refused naming the step and the month, not "out of the calendar".
    #[test]
    fn a_schedule_past_the_months_last_business_day_is_refused_by_name() {
        let october = CyclePeriod::Month(Month::new(2026, 10).unwrap());
        let schedule = Schedule::new([15, 16, 17, 18, 19, 20]).unwrap();
        let err = deadlines(october, &schedule, &go()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "o prazo de \"Autorização de pagamento\" seria o 20º dia útil de novembro de 2026, que tem só 19 dias úteis"
        );
        let fits = Schedule::new([14, 15, 16, 17, 18, 19]).unwrap();
        assert_eq!(
            deadlines(october, &fits, &go()).unwrap()[5].date,
            d(2026, 11, 30)
        );
    }

    /// A decree closing Apr 3 2024 moves every deadline one business day later and is named beside it.
    #[test]
    fn a_decree_moves_deadlines_and_is_named() {
        let cal = go().with_decrees(vec![Decree {
            date: d(2024, 4, 3),
            closed: true,
            name: "Ponto facultativo".into(),
            act: "Decreto nº 1/2024".into(),
        }]);
        let q = CyclePeriod::Quarter(Quarter::new(2024, 1).unwrap());
        let dl = deadlines(q, &Schedule::ANEXO_UNICO, &cal).unwrap();
        assert_eq!(dl[0].date, d(2024, 4, 8));
        assert_eq!(dl[0].changed_by.len(), 1);
        assert_eq!(dl[0].changed_by[0].act, "Decreto nº 1/2024");
        assert_eq!(dl[5].date, d(2024, 4, 22));
    }

    #[test]
    fn monthly_ipei_counts_the_next_month() {
        // Reference month Oct 2024 counts November 2024 in Goiânia: Nov 1 (Fri) = 1st; Nov 2 is a Saturday;
        // 4–8 (2nd–6th, so the 5th is Nov 7), 11–14 (7th–10th), Nov 15 holiday, 18, 19 (11th, 12th), Nov 20 holiday (from
        // 2024), 21, 22 (13th, 14th), 25 (15th).
        let m = CyclePeriod::Month(Month::new(2024, 10).unwrap());
        let dl = deadlines(m, &Schedule::ANEXO_UNICO, &go()).unwrap();
        assert_eq!(dl[0].date, d(2024, 11, 7));
        assert_eq!(dl[1].date, d(2024, 11, 14));
        assert_eq!(dl[2].date, d(2024, 11, 19));
        assert_eq!(dl[3].date, d(2024, 11, 22));
        assert_eq!(dl[4].date, d(2024, 11, 25));
    }

    #[test]
    fn steps_close_in_order_and_late_needs_a_reason() {
        let q = CyclePeriod::Quarter(Quarter::new(2024, 1).unwrap());
        let dl = deadlines(q, &Schedule::ANEXO_UNICO, &go()).unwrap();
        let s = state(0, 0);
        assert!(matches!(
            check_close(&s, &dl, StepKey::PartialResult, d(2024, 4, 1), "", Some(1)),
            Err(CycleError::OutOfOrder { .. })
        ));
        assert_eq!(
            check_close(&s, &dl, StepKey::Submissions, d(2024, 4, 5), "", None),
            Ok(Timing {
                deadline: d(2024, 4, 5),
                late: false
            })
        );
        assert_eq!(
            check_close(&s, &dl, StepKey::Submissions, d(2024, 4, 8), " ", None),
            Err(CycleError::LateWithoutJustification(d(2024, 4, 5)))
        );
        assert_eq!(
            check_close(&s, &dl, StepKey::Submissions, d(2024, 4, 8), "greve", None),
            Ok(Timing {
                deadline: d(2024, 4, 5),
                late: true
            })
        );
        let s = state(1, 0);
        assert_eq!(
            check_close(&s, &dl, StepKey::PartialResult, d(2024, 4, 8), "", None),
            Err(CycleError::RunRequired)
        );
        let s = state(3, 2);
        assert_eq!(
            check_close(&s, &dl, StepKey::Validation, d(2024, 4, 8), "", None),
            Err(CycleError::AppealsPending(2))
        );
        assert_eq!(
            check_close(
                &state(6, 0),
                &dl,
                StepKey::Validation,
                d(2024, 4, 8),
                "",
                None
            ),
            Err(CycleError::Finished)
        );
    }

    #[test]
    fn unit_windows() {
        let q = CyclePeriod::Quarter(Quarter::new(2024, 1).unwrap());
        let dl = deadlines(q, &Schedule::ANEXO_UNICO, &go()).unwrap();
        // Submissions: open until the committee closes the step; late after Apr 5.
        assert!(check_submission(&state(0, 0), &dl, d(2024, 4, 5), "").is_ok());
        assert_eq!(
            check_submission(&state(0, 0), &dl, d(2024, 4, 6), ""),
            Err(CycleError::LateWithoutJustification(d(2024, 4, 5)))
        );
        assert!(matches!(
            check_submission(&state(1, 0), &dl, d(2024, 4, 2), ""),
            Err(CycleError::WindowClosed(_))
        ));
        // Appeals: only after the partial result, with a text, until the appeals step closes.
        assert!(matches!(
            check_appeal(&state(1, 0), &dl, d(2024, 4, 12), "x", ""),
            Err(CycleError::WindowClosed(_))
        ));
        assert_eq!(
            check_appeal(&state(2, 0), &dl, d(2024, 4, 12), "  ", ""),
            Err(CycleError::TextRequired("o recurso"))
        );
        assert_eq!(
            check_appeal(&state(2, 0), &dl, d(2024, 4, 16), "contagem errada", ""),
            Ok(Timing {
                deadline: d(2024, 4, 16),
                late: false
            })
        );
        assert!(matches!(
            check_appeal(&state(3, 0), &dl, d(2024, 4, 16), "x", ""),
            Err(CycleError::WindowClosed(_))
        ));
        assert!(check_appeal_decision(&state(3, 1), "indeferido: sem prova").is_ok());
        assert!(check_appeal_decision(&state(3, 1), "").is_err());
        assert!(check_appeal_decision(&state(4, 0), "x").is_err());
    }

    #[test]
    fn schedules_are_validated() {
        assert_eq!(
            Schedule::new([5, 10, 12, 14, 15, 15]),
            Ok(Schedule::ANEXO_UNICO)
        );
        assert!(Schedule::new([5, 10, 9, 14, 15, 15]).is_err());
        assert!(Schedule::new([0, 10, 12, 14, 15, 15]).is_err());
        assert!(Schedule::new([5, 10, 12, 14, 15, 21]).is_err());
    }
}
