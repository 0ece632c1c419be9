//! Igesp meetings and actions (igesp.md §4, §5, §7) on both backends: a refused act writes nothing,
//! decisions become actions in the municipality's plan, the sharing facts are what `core::igesp`
//! needs, and every act is audited.

use atalaia_core::access::Role;
use atalaia_core::igesp::{ActionStatus, MeetingKind, Viewer};
use atalaia_store::Db;
use atalaia_store::audit::{AuditFilter, ChainCheck};
use atalaia_store::igesp::{ActionProgress, Actor, IgespError, NewAction, NewAttendee, NewMeeting};
use atalaia_store::per_backend;
use chrono::{NaiveDate, NaiveDateTime};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

const GOIANIA: &str = "5208707";

async fn audit_count(db: &Db, prefix: &str) -> usize {
    db.audit_entries(&AuditFilter {
        actor: None,
        action_prefix: Some(prefix.into()),
        before_id: None,
        limit: 1000,
    })
    .await
    .unwrap()
    .len()
}

fn meeting(kind: MeetingKind, institutions: Vec<i64>) -> NewMeeting {
    NewMeeting {
        kind,
        title: format!("{} de março", kind.label_pt()),
        municipality_code: GOIANIA.into(),
        area_code: None,
        starts_at: dt("2026-03-02 09:00"),
        ends_at: dt("2026-03-02 11:00"),
        place: "Sala de situação".into(),
        institutions,
        attendees: vec![],
        synthetic: false,
    }
}

async fn story(db: &Db, dir: &std::path::Path) {
    let now = dt("2026-03-01 12:00");
    let mut tx = db.begin().await.unwrap();
    let ssp = tx
        .create_institution("SSP-GO", "Secretaria", "SSP", true, now)
        .await
        .unwrap();
    let pm = tx
        .create_institution("PMGO", "Polícia Militar", "PM", true, now)
        .await
        .unwrap();
    let mp = tx
        .create_institution("MPGO", "Ministério Público", "MP", true, now)
        .await
        .unwrap();
    let pref = tx
        .create_institution("PREF-GYN", "Prefeitura", "PREF", true, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let who = Actor {
        actor: "user:elisa",
        name: "Elisa",
        institution_id: ssp,
        ip: "127.0.0.1",
    };

    // An internal meeting is police-only: inviting the MP is refused and writes nothing.
    let err = db
        .create_meeting(&meeting(MeetingKind::Internal, vec![ssp, mp]), who, now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, IgespError::NotPoliceSide(ref c) if c == "MPGO"),
        "{err}"
    );
    assert!(db.meetings().await.unwrap().is_empty());
    assert_eq!(audit_count(db, "meeting.").await, 0);
    // So is an end before the start, and an intervention meeting without its area.
    let mut bad = meeting(MeetingKind::Articulation, vec![ssp]);
    bad.ends_at = dt("2026-03-02 08:00");
    assert!(matches!(
        db.create_meeting(&bad, who, now).await,
        Err(IgespError::EndsBeforeStart { .. })
    ));
    assert!(matches!(
        db.create_meeting(&meeting(MeetingKind::Intervention, vec![ssp]), who, now)
            .await,
        Err(IgespError::NoArea)
    ));

    let internal = db
        .create_meeting(&meeting(MeetingKind::Internal, vec![ssp, pm]), who, now)
        .await
        .unwrap();
    let mut art = meeting(MeetingKind::Articulation, vec![ssp]);
    art.starts_at = dt("2026-03-09 14:00");
    art.ends_at = dt("2026-03-09 16:00");
    art.attendees = vec![NewAttendee {
        name: "Dra. Fernanda".into(),
        position: "Promotora de Justiça".into(),
        institution_id: mp,
        user_id: None,
    }];
    let articulation = db.create_meeting(&art, who, now).await.unwrap();
    let m = db.meeting(articulation).await.unwrap().unwrap();
    // The attendee's institution is invited with her.
    assert_eq!(
        m.institutions
            .iter()
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>(),
        ["MPGO", "SSP-GO"]
    );
    assert_eq!(m.attendees.len(), 1);
    assert_eq!(m.status.as_str(), "scheduled");
    assert_eq!(
        db.previous_meeting(GOIANIA, art.starts_at).await.unwrap(),
        Some(dt("2026-03-02 09:00"))
    );

    // Decisions become actions, in the municipality's plan (created once).
    let action = |title: &str, resp: i64, partners: Vec<i64>, due: &str| NewAction {
        plan_id: None,
        municipality_code: String::new(),
        area_code: None,
        meeting_id: Some(articulation),
        title: title.into(),
        reason: "Roubos a transeunte no centro".into(),
        responsible_institution_id: resp,
        responsible_person: "Dra. Fernanda".into(),
        partners,
        starts_on: d("2026-03-09"),
        due_on: d(due),
        indicator: "roubo_transeunte".into(),
        joint_operation: false,
        operation_on: None,
        synthetic: false,
    };
    let lights = db
        .create_action(
            &action("Iluminação da Praça Cívica", pref, vec![mp], "2026-03-20"),
            who,
            now,
        )
        .await
        .unwrap();
    let hearings = db
        .create_action(
            &action("Audiências de custódia em 24 h", mp, vec![], "2026-04-30"),
            who,
            now,
        )
        .await
        .unwrap();
    assert_eq!(db.plans().await.unwrap().len(), 1);
    let mut bad = action("x", mp, vec![], "2026-03-01");
    let refused = db.create_action(&bad, who, now).await;
    assert!(matches!(refused, Err(IgespError::DueBeforeStart { .. })));
    // In the dates people write (DD/MM/AAAA), not the store's.
    let said = refused.unwrap_err().to_string();
    assert!(
        said.starts_with("o prazo (01/03/2026) é anterior ao início ("),
        "{said}"
    );
    bad.due_on = d("2026-03-30");
    bad.joint_operation = true;
    bad.operation_on = Some(d("2026-03-15"));
    assert!(matches!(
        db.create_action(&bad, who, now).await,
        Err(IgespError::JointOperation(_))
    ));
    assert_eq!(db.actions().await.unwrap().len(), 2);

    // The meeting now involves the institutions of its decisions too.
    let m = db.meeting(articulation).await.unwrap().unwrap();
    assert_eq!(m.institution_ids(), {
        let mut v = vec![ssp, mp, pref];
        v.sort();
        v
    });
    // Who sees what (the rule is core's; these are the facts it is given).
    let partner_mp = Viewer::of(mp, &[(Role::Partner, atalaia_core::scope::Scope::All)]);
    let partner_pref = Viewer::of(pref, &[(Role::Partner, atalaia_core::scope::Scope::All)]);
    let meetings = db.meetings().await.unwrap();
    let seen = |v: &Viewer| -> Vec<i64> {
        meetings
            .iter()
            .filter(|m| v.sees_meeting(m.kind, &m.municipality_code, &m.institution_ids()))
            .map(|m| m.id)
            .collect()
    };
    assert_eq!(seen(&partner_mp), [articulation]);
    assert_eq!(seen(&partner_pref), [articulation]);
    assert_eq!(
        seen(&Viewer::of(
            pm,
            &[(Role::UnitHead, atalaia_core::scope::Scope::All)]
        )),
        [internal]
    );
    let actions = db.actions().await.unwrap();
    let pref_sees: Vec<&str> = actions
        .iter()
        .filter(|a| partner_pref.sees_action(&a.plan.municipality_code, &a.institution_ids()))
        .map(|a| a.title.as_str())
        .collect();
    assert_eq!(pref_sees, ["Iluminação da Praça Cívica"]);

    // Progress: a status change needs its text; a file must be PDF/JPEG/PNG by content; neither
    // refusal writes anything.
    let mp_user = Actor {
        actor: "user:fabio",
        name: "Fábio",
        institution_id: mp,
        ip: "10.0.0.9",
    };
    let later = dt("2026-03-12 10:00");
    let no_text = ActionProgress {
        status: Some(ActionStatus::InProgress),
        note: "  ",
        evidence: None,
    };
    assert!(matches!(
        db.update_action(hearings, &no_text, dir, mp_user, later)
            .await,
        Err(IgespError::StatusWithoutNote("em andamento"))
    ));
    let fake = ActionProgress {
        status: None,
        note: "relatório",
        evidence: Some(("relatorio.pdf", b"MZ\x90\x00 not a pdf")),
    };
    assert!(matches!(
        db.update_action(hearings, &fake, dir, mp_user, later).await,
        Err(IgespError::Evidence(_))
    ));
    assert!(db.action_updates(hearings).await.unwrap().is_empty());
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    db.update_action(
        hearings,
        &ActionProgress {
            status: Some(ActionStatus::InProgress),
            note: "Plantão organizado com o TJ",
            evidence: Some(("escala.pdf", pdf)),
        },
        dir,
        mp_user,
        later,
    )
    .await
    .unwrap();
    let h = db.action_updates(hearings).await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].status_from, Some(ActionStatus::Planned));
    assert_eq!(h[0].status_to, Some(ActionStatus::InProgress));
    assert_eq!(h[0].institution_code, "MPGO");
    assert_eq!(h[0].evidence_name, "escala.pdf");
    // SHA-256 of the bytes above, by `sha256sum`.
    let sha = h[0].evidence_sha256.clone().unwrap();
    assert_eq!(
        sha,
        "5a838678058f6de375e8635b5f2fea47a4e5f07cb1a882a44b10f39abc6f34ff"
    );
    assert!(atalaia_store::ipei::evidence_path(dir, &sha).exists());
    let a = db.action(hearings).await.unwrap().unwrap();
    assert_eq!(a.status, ActionStatus::InProgress);
    assert_eq!(a.updated_at, later);
    // A note alone keeps the status.
    db.update_action(
        hearings,
        &ActionProgress {
            status: Some(ActionStatus::InProgress),
            note: "Primeira semana: 31 audiências",
            evidence: None,
        },
        dir,
        mp_user,
        later,
    )
    .await
    .unwrap();
    let h = db.action_updates(hearings).await.unwrap();
    assert_eq!((h[1].status_from, h[1].status_to), (None, None));

    // Overdue: the lights were due on 20 March and are still planned.
    let lights_rec = db.action(lights).await.unwrap().unwrap();
    assert!(!lights_rec.overdue(d("2026-03-20")));
    assert!(lights_rec.overdue(d("2026-03-21")));
    assert!(
        !db.action(hearings)
            .await
            .unwrap()
            .unwrap()
            .overdue(d("2026-03-21"))
    );

    // Minutes: the internal meeting refuses a partner as present; the articulation records attendance
    // and freezes its agenda.
    assert!(matches!(
        db.record_minutes(internal, "Diagnóstico", &[mp], &[], "{}", who, later)
            .await,
        Err(IgespError::NotPoliceSide(_))
    ));
    let m = db.meeting(articulation).await.unwrap().unwrap();
    db.record_minutes(
        articulation,
        "Discutidos os roubos no centro.",
        &[ssp, mp, pref],
        &[m.attendees[0].id],
        r#"{"actions":[1,2]}"#,
        who,
        later,
    )
    .await
    .unwrap();
    let m = db.meeting(articulation).await.unwrap().unwrap();
    assert_eq!(m.status.as_str(), "held");
    assert_eq!(m.agenda.as_deref(), Some(r#"{"actions":[1,2]}"#));
    let present: Vec<(&str, bool, bool)> = m
        .institutions
        .iter()
        .map(|i| (i.code.as_str(), i.invited, i.present))
        .collect();
    // The Prefeitura came without an invitation: added as present, not invited.
    assert_eq!(
        present,
        [
            ("MPGO", true, true),
            ("PREF-GYN", false, true),
            ("SSP-GO", true, true)
        ]
    );
    assert!(m.attendees[0].present);

    // Cancelling: once, and a cancelled meeting takes no decisions.
    db.cancel_meeting(internal, "Feriado", who, later)
        .await
        .unwrap();
    assert!(
        db.cancel_meeting(internal, "de novo", who, later)
            .await
            .is_err()
    );
    let mut decision = action("x", pm, vec![], "2026-03-30");
    decision.meeting_id = Some(internal);
    assert!(matches!(
        db.create_action(&decision, who, later).await,
        Err(IgespError::Cancelled(_))
    ));

    // Every act audited, the chain intact.
    assert_eq!(audit_count(db, "meeting.").await, 4);
    assert_eq!(audit_count(db, "action.").await, 4);
    assert!(matches!(
        db.verify_audit_chain().await.unwrap(),
        ChainCheck::Intact { .. }
    ));
}

per_backend! {
    async fn meetings_decisions_actions_and_their_history(t) {
        let dir = tempfile::tempdir().unwrap();
        story(&t.db, dir.path()).await;
        println!("backend {}: Igesp meetings and actions ok", t.label);
        t.cleanup().await.unwrap();
    }
}
