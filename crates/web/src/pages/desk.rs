//! What the home page shows according to who looks at it (issue 20): the committee's week, the
//! auditor's runs to check, the actions someone follows. (The unit head's standing is
//! `recap::unit::standing`; the CompStat totals, `igesp::compstat::home_brief`; the analyst's data
//! health, the cards and imports of `home::HomeModel`.)

use atalaia_core::access::Permission;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::dates::BrDate;
use atalaia_core::{Month, Quarter};

use crate::guard::Identity;
use crate::pages::{Actors, local_time};
use crate::{AppError, AppState};

/// A line of the home page that may lead somewhere.
pub(crate) struct DeskLine {
    pub(crate) text: String,
    pub(crate) href: Option<String>,
    /// Past its date: shown as late.
    pub(crate) late: bool,
}

/// The program's page opened on `period`.
fn program_page(kind: CycleKind, period: CyclePeriod) -> String {
    let param = match kind {
        CycleKind::Recap => "trimestre",
        CycleKind::Ipei => "mes",
    };
    format!("/{}?{param}={}", kind.as_str(), period.code())
}

/// The committee's week: every open cycle step with its deadline, then whether the last closed
/// quarter (RECAP) and month (IPEI) have a saved run. Empty for everyone else.
pub(crate) async fn committee_week(
    st: &AppState,
    id: &Identity,
) -> Result<Vec<DeskLine>, AppError> {
    if !id.may(Permission::ManageRecap) {
        return Ok(Vec::new());
    }
    let today = st.config.clock.today();
    let (facts, calendar) = st.db.reminder_facts().await?;
    let mut out: Vec<DeskLine> = atalaia_core::reminders::open_steps(&facts, &calendar, today)
        .iter()
        .map(|r| DeskLine {
            text: r.text_pt(),
            href: Some(program_page(r.kind, r.period)),
            late: r.deadline < today,
        })
        .collect();
    let last_quarter = Quarter::of(today).ok().and_then(Quarter::previous);
    let last_month = Month::of(today).ok().and_then(Month::pred);
    for (kind, period) in [
        (CycleKind::Recap, last_quarter.map(CyclePeriod::Quarter)),
        (CycleKind::Ipei, last_month.map(CyclePeriod::Month)),
    ] {
        let Some(period) = period else { continue };
        let program = kind.name_pt();
        if st.db.cycle(period).await?.is_none() {
            out.push(not_opened(program, period, &calendar, today));
        }
        let latest = st.db.run_listing(kind, Some(&period.code()), 1).await?;
        out.push(match latest.first() {
            Some(r) => DeskLine {
                text: format!(
                    "{program} {}: execução nº {} salva em {}.",
                    period.of_pt(),
                    r.id,
                    local_time(r.created_at)
                ),
                href: Some(format!("/{}/execucoes/{}", kind.as_str(), r.id)),
                late: false,
            },
            None => DeskLine {
                text: format!(
                    "{program} {}: nenhuma execução salva ainda.",
                    period.of_pt()
                ),
                href: Some(program_page(kind, period)),
                late: false,
            },
        });
    }
    Ok(out)
}

/// A period over whose cycle the committee has not opened: the units cannot send (the unit page says
/// so) while the Anexo Único's first deadline runs, so the committee's week says it first.
fn not_opened(
    program: &str,
    period: CyclePeriod,
    calendar: &atalaia_core::calendar::Calendar,
    today: chrono::NaiveDate,
) -> DeskLine {
    let due = atalaia_core::cycle::deadlines(period, &Schedule::ANEXO_UNICO, calendar)
        .ok()
        .and_then(|d| d.into_iter().find(|d| d.step == StepKey::Submissions))
        .map(|d| d.date);
    let when = match due {
        Some(d) if d < today => format!("; o envio das unidades venceu em {}", d.br_date()),
        Some(d) => format!("; o envio das unidades vence em {}", d.br_date()),
        None => String::new(),
    };
    DeskLine {
        text: format!(
            "{program} {}: ciclo ainda não aberto — as unidades só enviam depois que o Comitê o abre{when} (Anexo Único).",
            period.of_pt()
        ),
        href: Some(format!("{}#ciclo", program_page(period.kind(), period))),
        late: due.is_some_and(|d| d < today),
    }
}

/// The auditor's runs to check: the latest saved runs of both programs, newest first, each leading to
/// its page (which says whether it reproduces and what today's data would change). Empty for those
/// who do not audit.
pub(crate) async fn runs_to_check(st: &AppState, id: &Identity) -> Result<Vec<DeskLine>, AppError> {
    if !(id.may(Permission::ViewAudit) && id.may(Permission::ViewPayroll)) {
        return Ok(Vec::new());
    }
    let actors = Actors::load(st).await?;
    const SHOWN: u32 = 6;
    let mut runs = Vec::new();
    for program in [CycleKind::Recap, CycleKind::Ipei] {
        let listed = st.db.run_listing(program, None, SHOWN).await?;
        runs.extend(listed.into_iter().map(|r| (program, r)));
    }
    runs.sort_by(|(_, a), (_, b)| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(runs
        .iter()
        .take(SHOWN as usize)
        .map(|(program, r)| {
            let period = CyclePeriod::parse(*program, &r.period)
                .map_or_else(|| r.period.clone(), CyclePeriod::label_pt);
            DeskLine {
                text: format!(
                    "{} — {period}: execução nº {}, por {}, em {}",
                    program.name_pt(),
                    r.id,
                    actors.name(&r.created_by),
                    local_time(r.created_at)
                ),
                href: Some(format!("/{}/execucoes/{}", program.as_str(), r.id)),
                late: false,
            }
        })
        .collect())
}

/// The open actions someone follows (a partner's institution's, a coordinator's municipalities'),
/// soonest due first, at most eight; and how many are open and overdue in all.
pub(crate) async fn actions(
    st: &AppState,
    id: &Identity,
) -> Result<Option<(Vec<DeskLine>, usize, usize)>, AppError> {
    if !id.may(Permission::ViewMeetings) {
        return Ok(None);
    }
    let today = st.config.clock.today();
    let open = super::igesp::actions::my_open(st, id).await?;
    let overdue = open.iter().filter(|a| a.overdue(today)).count();
    let lines = open
        .iter()
        .take(8)
        .map(|a| DeskLine {
            text: format!(
                "{} — {}, prazo {}",
                a.title,
                a.status.label_pt(),
                a.due_on.br_date()
            ),
            href: Some(format!("/acoes/{}", a.id)),
            late: a.overdue(today),
        })
        .collect();
    Ok(Some((lines, open.len(), overdue)))
}
