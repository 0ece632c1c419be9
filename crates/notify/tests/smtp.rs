//! Reminders sent to a real SMTP conversation: a local sink (a TCP server speaking enough SMTP to take
//! messages) receives what lettre sends, on SQLite and, when configured, PostgreSQL.
//!
//! October 2026's IPEI cycle on the GO + Goiânia calendar: units send by Monday 9 November (business
//! days 3, 4, 5, 6, 9), the committee publishes the partial result by Monday 16 (10, 11, 12, 13, 16).

use atalaia_store::per_backend;
use std::sync::{Arc, Mutex};

use atalaia_core::Month;
use atalaia_core::access::Role;
use atalaia_core::cycle::{Schedule, StepKey};
use atalaia_notify::{Mailer, SendReport, send_due};
use atalaia_store::Db;
use atalaia_store::accounts::{Grant, NewUser, Scope};
use atalaia_store::cycles::ActRequest;
use chrono::{NaiveDate, NaiveDateTime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as the sink got it: the envelope's recipients and the raw DATA.
#[derive(Debug, Clone)]
struct Received {
    to: Vec<String>,
    data: String,
}

/// A local SMTP sink on a free port; returns its port and what it received.
async fn sink() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r);
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut to = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("RCPT TO:") {
                        to.push(
                            line.trim_end()[8..]
                                .trim_matches(['<', '>', ' '])
                                .to_string(),
                        );
                        b"250 OK\r\n"
                    } else if cmd.starts_with("DATA") {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            lines.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        store.lock().unwrap().push(Received {
                            to: std::mem::take(&mut to),
                            data,
                        });
                        b"250 queued\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

fn nov(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn at(day: u32) -> NaiveDateTime {
    nov(day).and_hms_opt(13, 0, 0).unwrap()
}

async fn person(db: &Db, inst: i64, login: &str, email: Option<&str>, grant: Grant) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = tx
        .create_user(
            &NewUser {
                login,
                name: &format!("Pessoa {login}"),
                email,
                institution_id: inst,
                password_hash: None,
                demo: false,
            },
            at(1),
        )
        .await
        .unwrap();
    tx.set_grants(id, &[grant]).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The message body, quoted-printable decoded (soft line breaks joined, `=XX` bytes restored).
fn body(r: &Received) -> String {
    let raw = r.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let joined = raw.replace("=\r\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

async fn story(db: &Db) {
    // The demo data of 1 October (its IPEI seizures are of September).
    atalaia_demo::load_scaled(
        db,
        7872,
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        0.01,
    )
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let inst = tx
        .create_institution("TESTE", "Instituição de teste", "PM", false, at(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let head = |u: &str| Grant {
        role: Role::UnitHead,
        scope: Scope::Unit(u.into()),
    };
    person(
        db,
        inst,
        "chefe1",
        Some("chefe1@pm.go.gov.br"),
        head("PM-1BPM"),
    )
    .await;
    person(
        db,
        inst,
        "chefe7",
        Some("chefe7@pm.go.gov.br"),
        head("PM-7BPM"),
    )
    .await;
    person(db, inst, "chefe9", None, head("PM-9BPM")).await;
    person(
        db,
        inst,
        "comite1",
        Some("comite@ssp.go.gov.br"),
        Grant {
            role: Role::Committee,
            scope: Scope::All,
        },
    )
    .await;
    let month = Month::parse("2026-10").unwrap();
    let cycle = db
        .open_cycle(month, &Schedule::ANEXO_UNICO, "user:comite1", at(3), nov(3))
        .await
        .unwrap()
        .id;
    db.cycle_act(
        cycle,
        &ActRequest::Deliver {
            unit: "PM-1BPM".into(),
            justification: String::new(),
        },
        "user:chefe1",
        nov(4),
        at(4),
    )
    .await
    .unwrap();

    let (port, got) = sink().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Atalaia <atalaia@ssp.go.gov.br>",
        Some("https://atalaia.exemplo.gov.br/".into()),
    )
    .unwrap();

    // Thursday 5: two business days to send. PM-1BPM has sent; PM-9BPM's head has no e-mail. A server
    // that does not answer fails the sending, which is then not recorded: the next run sends it.
    let dead = Mailer::new(
        "smtp://127.0.0.1:1",
        "Atalaia <atalaia@ssp.go.gov.br>",
        None,
    )
    .unwrap();
    let r = send_due(db, &dead, nov(5), at(5)).await.unwrap();
    assert_eq!((r.sent, r.failed.len()), (0, 1));
    assert!(
        r.failed[0].starts_with("chefe7@pm.go.gov.br (chefe7): "),
        "{:?}",
        r.failed
    );
    let r = send_due(db, &mailer, nov(5), at(5)).await.unwrap();
    assert_eq!(
        r,
        SendReport {
            due: 1,
            // The demo's three open Igesp actions, all past due on 5 November (the Prefeitura's due
            // 28 September, the Consep's 11 October, the MP's 21 October); their institutions have no
            // user here, so no e-mail.
            igesp_due: 3,
            sent: 1,
            already: 0,
            without_email: 1,
            failed: Vec::new(),
        }
    );
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].to, ["chefe7@pm.go.gov.br"]);
        assert!(
            got[0]
                .data
                .contains("To: \"Pessoa chefe7\" <chefe7@pm.go.gov.br>")
        );
        let text = body(&got[0]);
        assert!(
            text.starts_with("Prezado(a) Pessoa chefe7,\r\n\r\nIPEI de outubro de 2026: faltam 2 dias úteis — Envio das informações (planilha e BOs) — prazo 09/11/2026."),
            "{text}"
        );
        assert!(
            text.contains("https://atalaia.exemplo.gov.br/ipei/unidade?mes=2026-10"),
            "{text}"
        );
    }
    // The same day again: nothing new. The next day: one more.
    let again = send_due(db, &mailer, nov(5), at(5)).await.unwrap();
    assert_eq!((again.sent, again.already), (0, 1));
    assert_eq!(send_due(db, &mailer, nov(6), at(6)).await.unwrap().sent, 1);

    // The committee closes the sending step; on Wednesday 11 the partial result is 3 business days
    // away: the committee is reminded, the units are not.
    db.cycle_act(
        cycle,
        &ActRequest::close(StepKey::Submissions, None),
        "user:comite1",
        nov(9),
        at(9),
    )
    .await
    .unwrap();
    let r = send_due(db, &mailer, nov(11), at(11)).await.unwrap();
    assert_eq!((r.due, r.sent), (1, 1));
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].to, ["comite@ssp.go.gov.br"]);
    assert!(
        body(&got[2]).contains("https://atalaia.exemplo.gov.br/ipei?mes=2026-10"),
        "{}",
        body(&got[2])
    );
}

per_backend! {
    async fn reminders_reach_an_smtp_server_once_per_person_and_day(t) {
        story(&t.db).await;
        t.cleanup().await.unwrap();
    }
}

#[test]
fn a_bad_sender_is_refused_before_anything_is_sent() {
    let e = Mailer::new("smtp://127.0.0.1:25", "não é endereço", None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("configuração de e-mail inválida: remetente `não é endereço`"),
        "{e}"
    );
    assert!(Mailer::new("ftp://x", "a@b.c", None).is_err());
}

/// Igesp follow-up by e-mail: the MP's user is told of the articulation meeting and of its action due
/// soon, not of the internal meeting nor of the Prefeitura's action; the coordinator of Goiânia is told
/// of everything there; nobody twice.
async fn igesp_story(db: &Db) {
    use atalaia_core::igesp::MeetingKind;
    use atalaia_store::accounts::Scope;
    use atalaia_store::igesp::{Actor, NewAction, NewMeeting};
    let mut tx = db.begin().await.unwrap();
    let ssp = tx
        .create_institution("SSP-T", "Secretaria", "SSP", false, at(1))
        .await
        .unwrap();
    let pm = tx
        .create_institution("PM-T", "PM", "PM", false, at(1))
        .await
        .unwrap();
    let mp = tx
        .create_institution("MP-T", "MP", "MP", false, at(1))
        .await
        .unwrap();
    let pref = tx
        .create_institution("PREF-T", "Prefeitura", "PREF", false, at(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    person(
        db,
        mp,
        "promotora",
        Some("promotora@mp.go.gov.br"),
        Grant {
            role: Role::Partner,
            scope: Scope::All,
        },
    )
    .await;
    person(
        db,
        ssp,
        "coord",
        Some("coord@ssp.go.gov.br"),
        Grant {
            role: Role::Coordinator,
            scope: Scope::Municipality("5208707".into()),
        },
    )
    .await;
    let who = Actor {
        actor: "test",
        name: "Teste",
        institution_id: ssp,
        ip: "",
    };
    let meeting = |kind, title: &str, inst: Vec<i64>| NewMeeting {
        kind,
        title: title.into(),
        municipality_code: "5208707".into(),
        area_code: None,
        starts_at: at(12) + chrono::Duration::hours(20),
        ends_at: at(12) + chrono::Duration::hours(22),
        place: String::new(),
        institutions: inst,
        attendees: vec![],
        synthetic: false,
    };
    db.create_meeting(
        &meeting(MeetingKind::Articulation, "Articulação", vec![ssp, mp]),
        who,
        at(1),
    )
    .await
    .unwrap();
    db.create_meeting(
        &meeting(MeetingKind::Internal, "Interna", vec![ssp, pm]),
        who,
        at(1),
    )
    .await
    .unwrap();
    let action = |title: &str, resp: i64, due: u32| NewAction {
        plan_id: None,
        municipality_code: "5208707".into(),
        area_code: None,
        meeting_id: None,
        title: title.into(),
        reason: String::new(),
        responsible_institution_id: resp,
        responsible_person: String::new(),
        partners: vec![],
        starts_on: nov(1),
        due_on: nov(due),
        indicator: String::new(),
        joint_operation: false,
        operation_on: None,
        synthetic: false,
    };
    db.create_action(&action("Audiências", mp, 14), who, at(1))
        .await
        .unwrap();
    db.create_action(&action("Iluminação", pref, 13), who, at(1))
        .await
        .unwrap();
    let (port, got) = sink().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Atalaia <atalaia@ssp.go.gov.br>",
        Some("https://atalaia.exemplo.gov.br".into()),
    )
    .unwrap();
    // 12 November: both meetings are the next day (the 13th, 09:00),
    // both actions due within three days.
    let r = send_due(db, &mailer, nov(12), at(12)).await.unwrap();
    assert_eq!(r.igesp_due, 4);
    let got_now = got.lock().unwrap().clone();
    let to = |addr: &str| -> Vec<String> {
        got_now
            .iter()
            .filter(|m| m.to == [addr.to_string()])
            .map(body)
            .collect()
    };
    let mp_mail = to("promotora@mp.go.gov.br");
    assert_eq!(mp_mail.len(), 2, "{mp_mail:?}");
    assert!(
        mp_mail
            .iter()
            .any(|b| b.contains("Reunião de articulação «Articulação»"))
    );
    assert!(
        mp_mail
            .iter()
            .any(|b| b.contains("A ação «Audiências» vence em 14/11/2026 (em 2 dias)."))
    );
    assert!(
        mp_mail
            .iter()
            .all(|b| !b.contains("Interna") && !b.contains("Iluminação"))
    );
    assert!(
        mp_mail
            .iter()
            .any(|b| b.contains("https://atalaia.exemplo.gov.br/reunioes/"))
    );
    assert_eq!(to("coord@ssp.go.gov.br").len(), 4);
    drop(got_now);
    // Again the same day: nothing new.
    let r = send_due(db, &mailer, nov(12), at(12)).await.unwrap();
    assert_eq!((r.sent, r.already), (0, 6));
}

per_backend! {
    async fn igesp_reminders_reach_the_institutions_concerned_once(t) {
        igesp_story(&t.db).await;
        t.cleanup().await.unwrap();
    }
}
