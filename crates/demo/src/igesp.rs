//! Igesp in Goiânia and Anápolis (igesp.md §4–5): institutions, meetings held and scheduled, their
//! minutes and decisions, and the actions they became.

use crate::*;
use atalaia_store::Db;
use chrono::NaiveDate;

/// The demo's institutions at the Igesp table: (code, name, kind).
pub(crate) const DEMO_INSTITUTIONS: [(&str, &str, &str); 8] = [
    (
        "SSP-GO",
        "Secretaria de Segurança Pública de Goiás (demonstração)",
        "SSP",
    ),
    ("PMGO", "Polícia Militar de Goiás (demonstração)", "PM"),
    ("PCGO", "Polícia Civil de Goiás (demonstração)", "PC"),
    ("MPGO", "Ministério Público de Goiás (demonstração)", "MP"),
    ("TJGO", "Tribunal de Justiça de Goiás (demonstração)", "TJ"),
    ("PREF-GYN", "Prefeitura de Goiânia (demonstração)", "PREF"),
    (
        "CONSEP-GYN",
        "Conselho Comunitário de Segurança de Goiânia (demonstração)",
        "CONSEP",
    ),
    ("CDL-GYN", "CDL Goiânia (demonstração)", "CDL"),
];

pub(crate) async fn igesp(db: &Db, today: NaiveDate) -> Result<(), DemoError> {
    use atalaia_core::igesp::{ActionStatus, MeetingKind};
    use atalaia_store::igesp::{ActionProgress, Actor, NewAction, NewAttendee, NewMeeting};
    let fail = |e: atalaia_store::igesp::IgespError| DemoError::Embedded(format!("Igesp: {e}"));
    let now = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    let existing = db.institutions().await?;
    let mut ids = std::collections::HashMap::new();
    let mut tx = db.begin().await?;
    for (code, name, kind) in DEMO_INSTITUTIONS {
        let id = match existing.iter().find(|i| i.code == code) {
            Some(i) => i.id,
            None => tx.create_institution(code, name, kind, true, now).await?,
        };
        ids.insert(code, id);
    }
    tx.commit().await?;
    let id = |c: &str| ids.get(c).copied().unwrap_or_default();
    let who = Actor {
        actor: "demo",
        name: "Demonstração",
        institution_id: id("SSP-GO"),
        ip: "",
    };
    let day = |n: i64| today + chrono::Duration::days(n);
    let at = |n: i64, h: u32| day(n).and_hms_opt(h, 0, 0).unwrap_or_default();
    let meeting =
        |kind: MeetingKind, title: &str, municipality: &str, n: i64, inst: &[&str]| NewMeeting {
            kind,
            title: title.into(),
            municipality_code: municipality.into(),
            area_code: None,
            starts_at: at(n, 9),
            ends_at: at(n, 11),
            place: "Sala de situação da SSP (demonstração)".into(),
            institutions: inst.iter().map(|c| id(c)).collect(),
            attendees: vec![],
            synthetic: true,
        };
    let person = |name: &str, position: &str, inst: &str| NewAttendee {
        name: name.into(),
        position: position.into(),
        institution_id: id(inst),
        user_id: None,
    };
    // The internal meeting, held three weeks ago.
    let mut internal = meeting(
        MeetingKind::Internal,
        "Diagnóstico dos roubos no centro",
        GOIANIA,
        -21,
        &["SSP-GO", "PMGO", "PCGO"],
    );
    internal.attendees = vec![
        person("Cel. Dario Souza", "Comandante do 1º BPM", "PMGO"),
        person("Dra. Helena Castro", "Delegada regional", "PCGO"),
    ];
    let internal_id = db.create_meeting(&internal, who, now).await.map_err(fail)?;
    // The articulation meeting, held two weeks ago, and its decisions.
    let mut articulation = meeting(
        MeetingKind::Articulation,
        "Articulação — roubos a transeunte no centro",
        GOIANIA,
        -14,
        &[
            "SSP-GO",
            "PMGO",
            "MPGO",
            "PREF-GYN",
            "CONSEP-GYN",
            "CDL-GYN",
        ],
    );
    articulation.attendees = vec![
        person("Cel. Dario Souza", "Comandante do 1º BPM", "PMGO"),
        person("Dra. Fernanda Lima", "Promotora de Justiça", "MPGO"),
        person(
            "Marcos Prado",
            "Secretário municipal de Ordem Pública",
            "PREF-GYN",
        ),
        person("Lúcia Ramos", "Presidente do Consep Centro", "CONSEP-GYN"),
    ];
    let articulation_id = db
        .create_meeting(&articulation, who, now)
        .await
        .map_err(fail)?;
    let action = |title: &str, reason: &str, resp: &str, partners: &[&str], due: i64| NewAction {
        plan_id: None,
        municipality_code: String::new(),
        area_code: None,
        meeting_id: Some(articulation_id),
        title: title.into(),
        reason: reason.into(),
        responsible_institution_id: id(resp),
        responsible_person: String::new(),
        partners: partners.iter().map(|c| id(c)).collect(),
        starts_on: day(-14),
        due_on: day(due),
        indicator: "roubo_transeunte".into(),
        joint_operation: false,
        operation_on: None,
        synthetic: true,
    };
    db.create_action(
        &action(
            "Iluminação e poda na Praça do Trabalhador",
            "Roubos à noite nos pontos escuros da praça (zona quente do centro)",
            "PREF-GYN",
            &[],
            -3,
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    let hearings = db
        .create_action(
            &action(
                "Audiências de custódia em 24 h para presos por roubo no centro",
                "Reincidência: os mesmos autores voltam ao centro em dias",
                "MPGO",
                &["TJGO"],
                20,
            ),
            who,
            now,
        )
        .await
        .map_err(fail)?;
    let mut joint = action(
        "Operação conjunta de fiscalização de ferros-velhos e receptação de celulares",
        "Celulares roubados no centro revendidos na região",
        "PMGO",
        &["PCGO", "PREF-GYN"],
        -2,
    );
    joint.joint_operation = true;
    joint.operation_on = Some(day(-5));
    let joint_id = db.create_action(&joint, who, now).await.map_err(fail)?;
    db.create_action(
        &action(
            "Reunião do Consep com os comerciantes do centro",
            "Subnotificação de furtos no comércio",
            "CONSEP-GYN",
            &["CDL-GYN"],
            10,
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    let dir = tempfile::tempdir()?;
    for (aid, status, note) in [
        (
            hearings,
            ActionStatus::InProgress,
            "Plantão judicial combinado com o TJ; primeira semana com 31 audiências",
        ),
        (
            joint_id,
            ActionStatus::Done,
            "Operação realizada: 12 estabelecimentos fiscalizados, 47 celulares apreendidos",
        ),
    ] {
        db.update_action(
            aid,
            &ActionProgress {
                status: Some(status),
                note,
                evidence: None,
            },
            dir.path(),
            who,
            now,
        )
        .await
        .map_err(fail)?;
    }
    // Minutes of both held meetings, their agendas frozen as of their days.
    for (mid, text) in [
        (
            internal_id,
            "Apresentado o mapa de zonas quentes do centro. PM e PC concordam em levar à articulação a iluminação da praça e a receptação de celulares.",
        ),
        (
            articulation_id,
            "Discutidos os roubos a transeunte no centro. A Prefeitura assume a iluminação da praça; o MP, com o TJ, as audiências de custódia; PM, PC e Prefeitura uma operação conjunta contra a receptação.",
        ),
    ] {
        let Some(m) = db.meeting(mid).await? else {
            continue;
        };
        let agenda = db.agenda(&m, m.starts_at.date()).await?;
        let json =
            serde_json::to_string(&agenda).map_err(|e| DemoError::Embedded(e.to_string()))?;
        let present: Vec<i64> = m.institutions.iter().map(|i| i.id).collect();
        let people: Vec<i64> = m.attendees.iter().map(|a| a.id).collect();
        db.record_minutes(mid, text, &present, &people, &json, who, now)
            .await
            .map_err(fail)?;
    }
    // The next articulation meeting, and an internal meeting in Anápolis.
    db.create_meeting(
        &meeting(
            MeetingKind::Articulation,
            "Articulação — acompanhamento do plano do centro",
            GOIANIA,
            7,
            &["SSP-GO", "PMGO", "MPGO", "PREF-GYN", "CONSEP-GYN"],
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    db.create_meeting(
        &meeting(
            MeetingKind::Internal,
            "Diagnóstico de Anápolis",
            ANAPOLIS,
            3,
            &["SSP-GO", "PMGO", "PCGO"],
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
