//! A meeting's ata as PDF (igesp.md §4): who attended, what was decided, signed by the meeting's
//! coordinator.

use crate::AppError;
use crate::guard::Ctx;
use crate::pages::igesp::agenda_of;
use crate::pages::igesp::br_date;
use crate::pages::igesp::br_datetime;
use crate::pages::igesp::decisions_of;
use crate::pages::igesp::meetings::ActionRow;
use crate::pages::igesp::meetings::agenda_view;
use crate::pages::igesp::meetings::visible_meeting;
use crate::pages::igesp::name_of;
use crate::pages::igesp::names;
use crate::pages::igesp::partner_codes;
use crate::pages::igesp::viewer;
use atalaia_core::igesp::{MeetingKind, MeetingStatus};
use axum::extract::Path;
use axum::response::Response;

/// `GET /reunioes/{id}/ata.pdf`: the ata of a held meeting as PDF, with what this reader may see.
pub async fn ata_pdf(Ctx { st, id }: Ctx, Path(mid): Path<i64>) -> Result<Response, AppError> {
    let v = viewer(&id);
    let m = visible_meeting(&st, &v, mid).await?;
    if m.status != MeetingStatus::Held {
        return Err(AppError::NotFound(format!(
            "a ata da reunião {mid} (ainda não registrada)"
        )));
    }
    let today = st.config.clock.today();
    let names = names(&st).await?;
    let (agenda, _) = agenda_of(&st, &m, today).await?;
    let view = agenda_view(&agenda, &m.municipality_code, &v, &names, false, true);
    let yes = |b: bool| if b { "sim" } else { "não" }.to_string();
    let action_row = |a: &ActionRow| {
        [
            a.title.clone(),
            a.responsible.clone(),
            a.due.clone(),
            a.status.to_string(),
        ]
    };
    let decisions = decisions_of(&st, &v, mid)
        .await?
        .into_iter()
        .map(|a| {
            [
                a.title.clone(),
                a.responsible.code.clone(),
                partner_codes(&a),
                br_date(a.due_on),
                a.status.label_pt().to_string(),
            ]
        })
        .collect();
    let mut facts = vec![[
        "Município".to_string(),
        name_of(&names, &m.municipality_code),
    ]];
    if let Some(a) = &m.area_code {
        facts.push(["Área".into(), name_of(&names, a)]);
    }
    facts.push([
        "Quando".into(),
        format!(
            "{} – {}",
            br_datetime(m.starts_at),
            m.ends_at.format("%H:%M")
        ),
    ]);
    facts.push(["Local".into(), m.place.clone()]);
    let doc = atalaia_reports::AtaDocument {
        id: m.id,
        title: m.title.clone(),
        kind: m.kind.label_pt().into(),
        internal: m.kind == MeetingKind::Internal,
        when: br_datetime(m.starts_at),
        facts,
        institutions: m
            .institutions
            .iter()
            .map(|i| {
                [
                    i.code.clone(),
                    i.name.clone(),
                    yes(i.invited),
                    yes(i.present),
                ]
            })
            .collect(),
        people: m
            .attendees
            .iter()
            .map(|p| {
                [
                    p.name.clone(),
                    p.position.clone(),
                    p.institution_code.clone(),
                    if p.present {
                        String::new()
                    } else {
                        "ausente".into()
                    },
                ]
            })
            .collect(),
        overdue: view.overdue.iter().map(action_row).collect(),
        open: view.open.iter().map(action_row).collect(),
        indicators_caption: format!(
            "{} — ocorrências de {}, contra {}",
            view.area, view.window, view.previous_window
        ),
        indicators: view
            .indicators
            .iter()
            .map(|i| {
                [
                    i.label.clone(),
                    i.current.to_string(),
                    i.previous.to_string(),
                    i.change.clone(),
                ]
            })
            .collect(),
        minutes: m
            .minutes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        decisions,
    };
    let bytes =
        crate::pages::on_blocking_pool("ata", move || atalaia_reports::ata_pdf(&doc)).await?;
    Ok(crate::pages::download(
        bytes,
        "application/pdf",
        format!("ata-reuniao-{mid}.pdf"),
    ))
}
