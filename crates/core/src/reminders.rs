//! Reminders of the program cycles' deadlines (issue #5, item 7): who must act, by when, counted in
//! business days of the committee's calendar. Pure: the cycles' facts in, the reminders out; the store
//! finds the people and the mailer sends.
//!
//! Who owns a deadline (Anexo Único): the units send (`Submissions`) and may appeal (`Appeals`); the
//! committee publishes the partial result, validates, publishes the final result and authorizes payment.
//! A reminder is due from [`WINDOW`] business days before the open step's deadline until the deadline,
//! and once more when the deadline has passed with the step still open (acts after it need a
//! justification). A unit that has already sent is not reminded to send.

use crate::dates::BrDate;
use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::cycle::{CycleKind, CyclePeriod, CycleState, Deadline, StepKey};

/// Business days before a deadline from which its owners are reminded.
pub const WINDOW: u32 = 3;

/// What the rules need of one open cycle.
#[derive(Debug, Clone)]
pub struct CycleFacts {
    /// The program.
    pub kind: CycleKind,
    /// The period.
    pub period: CyclePeriod,
    /// Its deadlines.
    pub deadlines: Vec<Deadline>,
    /// Its steps closed so far.
    pub state: CycleState,
    /// Units that have sent (IPEI delivery or RECAP list).
    pub submitted: BTreeSet<String>,
}

/// Who a reminder is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The heads of every unit except these (they have sent).
    UnitsExcept(BTreeSet<String>),
    /// The heads of every unit.
    AllUnits,
    /// The program committee.
    Committee,
}

/// When, relative to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// This many business days after today, up to and including the deadline (0: today is the day).
    In(u32),
    /// The deadline has passed and the step is still open.
    Overdue,
}

/// One reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// The program.
    pub kind: CycleKind,
    /// The period.
    pub period: CyclePeriod,
    /// The open step.
    pub step: StepKey,
    /// Its deadline.
    pub deadline: NaiveDate,
    /// How far.
    pub due: Due,
    /// For whom.
    pub audience: Audience,
}

impl Reminder {
    /// A stable key of this reminder on its day: the same reminder is sent once per day while due, and
    /// once when overdue.
    pub fn key(&self, today: NaiveDate) -> String {
        let when = match self.due {
            Due::In(_) => today.to_string(),
            Due::Overdue => "vencido".to_string(),
        };
        format!(
            "{}:{}:{}:{when}",
            self.kind.as_str(),
            self.period.code(),
            self.step.as_str()
        )
    }

    /// The subject of its e-mail (pt-BR).
    pub fn subject_pt(&self) -> String {
        let program = self.kind.name_pt();
        let what = self.step.label_pt(self.kind);
        // The period as people write it ("IPEI de outubro de 2026"), never its code.
        let period = self.period.of_pt();
        match self.due {
            Due::In(0) => format!("{program} {period}: último dia — {what}"),
            Due::In(1) => format!("{program} {period}: falta 1 dia útil — {what}"),
            Due::In(n) => format!("{program} {period}: faltam {n} dias úteis — {what}"),
            Due::Overdue => format!("{program} {period}: prazo vencido — {what}"),
        }
    }

    /// One line for the page and the e-mail's body (pt-BR).
    pub fn text_pt(&self) -> String {
        let date = self.deadline.br_date();
        match self.due {
            Due::Overdue => format!(
                "{} — o prazo venceu em {date}; o ato ainda pode ser registrado, com justificativa.",
                self.subject_pt()
            ),
            _ => format!("{} — prazo {date}.", self.subject_pt()),
        }
    }
}

/// Who owns a step (Anexo Único).
fn audience(step: StepKey, c: &CycleFacts) -> Audience {
    match step {
        StepKey::Submissions => Audience::UnitsExcept(c.submitted.clone()),
        StepKey::Appeals => Audience::AllUnits,
        _ => Audience::Committee,
    }
}

/// The reminders due on `today` for the open step of each cycle: overdue, or at most [`WINDOW`]
/// business days away.
pub fn due(cycles: &[CycleFacts], calendar: &Calendar, today: NaiveDate) -> Vec<Reminder> {
    open_steps(cycles, calendar, today)
        .into_iter()
        .filter(|r| match r.due {
            Due::Overdue => true,
            Due::In(left) => left <= WINDOW,
        })
        .collect()
}

/// The open step of every cycle with its deadline, however far (the committee's week on its home page).
pub fn open_steps(cycles: &[CycleFacts], calendar: &Calendar, today: NaiveDate) -> Vec<Reminder> {
    let mut out = Vec::new();
    for c in cycles {
        let Some(step) = c.state.current() else {
            continue;
        };
        let Some(deadline) = c.deadlines.iter().find(|d| d.step == step).map(|d| d.date) else {
            continue;
        };
        let due = if today > deadline {
            Due::Overdue
        } else {
            Due::In(calendar.business_days_after(today, deadline))
        };
        out.push(Reminder {
            kind: c.kind,
            period: c.period,
            step,
            deadline,
            due,
            audience: audience(step, c),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::GOIANIA;
    use crate::cycle::{Schedule, deadlines};
    use crate::{IbgeCode, Month};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn october(closed: Vec<StepKey>, submitted: &[&str]) -> (CycleFacts, Calendar) {
        let goiania: IbgeCode = GOIANIA.parse().unwrap();
        let cal = Calendar::new(crate::ids::Uf::GO, Some(goiania));
        let period = CyclePeriod::Month(Month::new(2026, 10).unwrap());
        let facts = CycleFacts {
            kind: CycleKind::Ipei,
            period,
            deadlines: deadlines(period, &Schedule::ANEXO_UNICO, &cal).unwrap(),
            state: CycleState {
                kind: CycleKind::Ipei,
                closed,
                pending_appeals: 0,
            },
            submitted: submitted.iter().map(|s| s.to_string()).collect(),
        };
        (facts, cal)
    }

    /// November 2026 in Goiânia: business days 3, 4, 5, 6, 9 (the 5th, sending), 10, 11, 12, 13, 16
    /// (the 10th, partial result), 17, 18 (the 12th, appeals).
    #[test]
    fn units_are_reminded_in_the_last_three_business_days_then_once_overdue() {
        let (c, cal) = october(Vec::new(), &["PM-1BPM"]);
        let cycles = [c];
        assert!(
            due(&cycles, &cal, d(11, 3)).is_empty(),
            "4 business days left"
        );
        let r = due(&cycles, &cal, d(11, 4));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].due, Due::In(3));
        assert_eq!(r[0].deadline, d(11, 9));
        assert_eq!(
            r[0].audience,
            Audience::UnitsExcept(BTreeSet::from(["PM-1BPM".to_string()]))
        );
        assert_eq!(
            r[0].subject_pt(),
            "IPEI de outubro de 2026: faltam 3 dias úteis — Envio das informações (planilha e BOs)"
        );
        // Friday 6: Monday 9 is 1 business day away; on Saturday 7 too.
        assert_eq!(due(&cycles, &cal, d(11, 6))[0].due, Due::In(1));
        assert_eq!(due(&cycles, &cal, d(11, 7))[0].due, Due::In(1));
        assert_eq!(due(&cycles, &cal, d(11, 9))[0].due, Due::In(0));
        let late = due(&cycles, &cal, d(11, 10));
        assert_eq!(late[0].due, Due::Overdue);
        assert_eq!(
            late[0].text_pt(),
            "IPEI de outubro de 2026: prazo vencido — Envio das informações (planilha e BOs) — o prazo venceu em 09/11/2026; o ato ainda pode ser registrado, com justificativa."
        );
        assert_eq!(late[0].key(d(11, 10)), late[0].key(d(11, 11)));
        assert_ne!(
            due(&cycles, &cal, d(11, 4))[0].key(d(11, 4)),
            due(&cycles, &cal, d(11, 5))[0].key(d(11, 5))
        );
    }

    #[test]
    fn each_open_step_reminds_its_owner() {
        let (c, cal) = october(vec![StepKey::Submissions], &[]);
        let r = due(&[c], &cal, d(11, 11));
        assert_eq!((r[0].step, r[0].due), (StepKey::PartialResult, Due::In(3)));
        assert_eq!(r[0].audience, Audience::Committee);
        let (c, cal) = october(vec![StepKey::Submissions, StepKey::PartialResult], &[]);
        let r = due(&[c], &cal, d(11, 16));
        assert_eq!(
            (r[0].step, r[0].due, r[0].audience.clone()),
            (StepKey::Appeals, Due::In(2), Audience::AllUnits)
        );
        let (c, cal) = october(StepKey::ALL.to_vec(), &[]);
        assert!(due(&[c], &cal, d(11, 24)).is_empty(), "a finished cycle");
    }
}
