//! Object-level scopes over HTTP, on both backends (issue 17): for every route that takes an area, a unit
//! or an id, a requester of another scope gets 404 — and a requester of the right scope does not, so that
//! each 404 says something.
//!
//! Not in the matrix, by design: territory pages and the RECAP map show aggregates every role may read
//! (the transparency page publishes them); imports, saved runs, cycles, the municipality selection and
//! administration are route-level permissions of roles whose scope is the whole state, held by the
//! route × role table of `access.rs` (403).

use atalaia_store::per_backend;
use std::collections::HashMap;

use super::*;

/// One request of the matrix; forms get the requester's CSRF token added.
enum Req {
    Get(String),
    Form(String, String),
    Multipart(String, Vec<(&'static str, String)>, Option<&'static [u8]>),
}

fn get(path: impl Into<String>) -> Req {
    Req::Get(path.into())
}

fn form(path: impl Into<String>, fields: impl Into<String>) -> Req {
    Req::Form(path.into(), fields.into())
}

impl Req {
    fn describe(&self) -> String {
        match self {
            Req::Get(p) => format!("GET {p}"),
            Req::Form(p, f) => format!("POST {p} {f}"),
            Req::Multipart(p, f, _) => format!("POST {p} (multipart) {f:?}"),
        }
    }
}

/// A signed-in requester: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn send(app: &App, req: &Req, s: &Session) -> Reply {
    match req {
        Req::Get(p) => app.get(p, Some(&s.cookie)).await,
        Req::Form(p, f) => {
            app.post_form(p, Some(&s.cookie), &format!("csrf_token={}&{f}", s.csrf))
                .await
        }
        Req::Multipart(p, fields, file) => {
            let mut all = vec![("csrf_token", s.csrf.as_str())];
            all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            app.post_multipart(p, Some(&s.cookie), &all, file.map(|b| ("anexo.pdf", b)))
                .await
        }
    }
}

const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";
const ANAPOLIS: &str = "5201108";
const GOIANIA: &str = "5208707";

/// The id at the end of a redirect to `/reunioes/{id}…` or `/acoes/{id}`.
fn id_after(location: &str, prefix: &str) -> i64 {
    location
        .trim_start_matches(prefix)
        .split(['#', '/', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The first meeting linked from a page.
fn first_meeting(html: &str) -> Option<i64> {
    html.split("href=\"/reunioes/")
        .skip(1)
        .find_map(|rest| rest.split('"').next()?.parse().ok())
}

per_backend! {
    async fn every_read_outside_the_requesters_scope_answers_404(t) {
        let today = ymd(2026, 10, 1);
        let config = demo_config(&t.db, today, 0.05).await;
        let evidence = config.evidence_dir();
        let app = App::new(t.db.clone(), config).await;
        let label = t.label;
        let institution = |code: &'static str| institution_id(&t.db, code);
        // The meeting of Anápolis invites only the CGE: no institution of the requesters below takes part
        // (whose members see what their institution takes part in, wherever it is).
        let (cge, pm) = (institution("CGE-GO").await, institution("PMGO").await);

        // A second unit head, of PM-7BPM, made as the administration would.
        let admin = app.login("admin", "demo-admin-7872").await.unwrap();
        let r = app
            .post_form(
                "/admin/usuarios",
                Some(&admin),
                &format!(
                    "csrf_token={}&login=chefe7bpm&nome=Ten.-Cel.+Elisa&email=&instituicao={pm}&senha=uma-senha-longa-7&papel=unit_head&escopo_unit_head=unidade:PM-7BPM",
                    app.csrf(&admin).await
                ),
            )
            .await;
        assert!(r.status < 400, "{label}: {}", r.body);
        let mut sessions = HashMap::new();
        for (login, password) in [
            ("analista", "demo-analista-7872"),
            ("coordenador", "demo-coordenador-7872"),
            ("chefe1bpm", "demo-chefe-7872"),
            ("chefe7bpm", "uma-senha-longa-7"),
            ("parceiro", "demo-parceiro-7872"),
        ] {
            let cookie = app.login(login, password).await.unwrap();
            let csrf = app.csrf(&cookie).await;
            sessions.insert(login, Session { cookie, csrf });
        }
        let as_ = |login: &str| &sessions[login];

        // Objects of Anápolis, made by the analyst (state-wide): a held meeting, its decision, and
        // progress with an evidence file.
        let day = (today + chrono::Duration::days(7)).to_string();
        let r = send(
            &app,
            &form(
                "/reunioes",
                format!(
                    "tipo=articulation&titulo=Anapolis&municipio={ANAPOLIS}&data={day}&inicio=09:00&fim=11:00&local=Sala&instituicao={cge}"
                ),
            ),
            as_("analista"),
        )
        .await;
        assert_eq!(r.status, 303, "{label}: {}", r.body);
        let meeting = id_after(r.location.as_deref().unwrap(), "/reunioes/");
        let decide = format!(
            "o_que=Ronda&por_que=Roubos&responsavel={cge}&pessoa=&inicio={today}&prazo={day}&indicador=roubo_transeunte"
        );
        let r = send(
            &app,
            &form(format!("/reunioes/{meeting}/decisoes"), decide.clone()),
            as_("analista"),
        )
        .await;
        assert_eq!(r.status, 303, "{label}: {}", r.body);
        let action =
            t.db.actions()
                .await
                .unwrap()
                .into_iter()
                .find(|a| a.meeting_id == Some(meeting))
                .unwrap()
                .id;
        let progress = |note: &str| {
            Req::Multipart(
                format!("/acoes/{action}/andamento"),
                vec![("nota", note.to_string())],
                Some(PDF),
            )
        };
        let r = send(&app, &progress("Escala"), as_("analista")).await;
        assert!(
            r.location
                .as_deref()
                .is_some_and(|l| l.contains("feito=andamento")),
            "{label}: {}",
            r.body
        );
        let update = t.db.action_updates(action).await.unwrap()[0].id;
        let r = send(
            &app,
            &form(
                format!("/reunioes/{meeting}/ata"),
                format!("ata=Realizada&presente_instituicao={cge}"),
            ),
            as_("analista"),
        )
        .await;
        assert!(r.status < 400, "{label}: {}", r.body);

        // A BO copy of each unit head's unit, and a spreadsheet of PM-1BPM with a rejected row.
        let mut copies = HashMap::new();
        for id in 1..=80 {
            if let Some(s) = t.db.seizure(id).await.unwrap() {
                copies
                    .entry(s.record.unit_code.to_string())
                    .or_insert((id, s.month));
            }
        }
        let now = today.and_hms_opt(15, 0, 0).unwrap();
        for unit in ["PM-1BPM", "PM-7BPM"] {
            let (id, _) = copies[unit];
            t.db.attach_bo_file(id, &evidence, "bo.pdf", PDF, 1 << 20, None, "teste", now)
                .await
                .unwrap();
        }
        let sheet: &'static [u8] =
            b"bo_number,seized_on,unit_code,registrations,flagrante,serial\n\
            1004/2026,2026-09-25,PM-1BPM,P100037,sim,AA444\n\
            2999/2026,2026-09-25,PM-7BPM,P100925,sim,ZZ999\n";
        let r = send(
            &app,
            &Req::Multipart(
                "/ipei/unidade/planilha".into(),
                vec![("mes", "2026-09".into())],
                Some(sheet),
            ),
            as_("chefe1bpm"),
        )
        .await;
        assert_eq!(r.status, 200, "{label}: {}", r.body);
        let upload = {
            let at = r
                .body
                .find("/ipei/unidade/planilha/")
                .expect("rejects link")
                + "/ipei/unidade/planilha/".len();
            r.body[at..]
                .split('/')
                .next()
                .unwrap()
                .parse::<i64>()
                .unwrap()
        };
        let own_area = t.db.unit_areas_on("PM-1BPM", today).await.unwrap()[0].clone();

        // (request, who must get 404). Areas: Anápolis is nobody's here; Goiânia as a whole is not the
        // unit head's. Units: PM-7BPM is not chefe1bpm's, PM-1BPM not chefe7bpm's.
        let unit_forms = |unit: &str| -> Vec<Req> {
            let (seizure, month) = copies[unit].clone();
            let m = month.as_str();
            vec![
                get(format!("/ipei/unidade/extrato.pdf?mes={m}&unidade={unit}")),
                get(format!("/ipei/apreensoes/{seizure}/bo")),
                form(
                    "/ipei/unidade/apreensoes",
                    format!(
                        "mes={m}&unidade={unit}&bo=9/2026&serie=X&data={m}-05&flagrante=sim&matriculas=P100925"
                    ),
                ),
                form("/ipei/unidade/envio", format!("mes={m}&unidade={unit}")),
                form(
                    "/ipei/unidade/recurso",
                    format!("mes={m}&unidade={unit}&texto=x"),
                ),
                form(
                    "/ipei/unidade/laudos",
                    format!("mes={m}&unidade={unit}&bo=9/2026"),
                ),
                Req::Multipart(
                    "/ipei/unidade/bo".into(),
                    vec![("mes", month.clone()), ("apreensao", seizure.to_string())],
                    Some(PDF),
                ),
                form(
                    "/recap/unidade/lista",
                    format!("trimestre=2026-Q3&unidade={unit}"),
                ),
                form(
                    "/recap/unidade/recurso",
                    format!("trimestre=2026-Q3&unidade={unit}&texto=x"),
                ),
            ]
        };
        let hot = |area: &str| {
            [
                "/zonas-quentes",
                "/zonas-quentes/celulas.csv",
                "/zonas-quentes/celulas.geojson",
            ]
            .map(|p| get(format!("{p}?area={area}&celula=1000")))
        };
        let occurrences = |area: &str| {
            [
                "/ocorrencias",
                "/ocorrencias/exportar.csv",
                "/ocorrencias/exportar.xlsx",
            ]
            .map(|p| get(format!("{p}?area={area}")))
        };
        let evaluation = |area: &str, control: &str| {
            ["/avaliacao", "/avaliacao/resultado.csv"].map(|p| {
                get(format!(
                    "{p}?area={area}&inicio=2026-03-01&meses=3&controle={control}"
                ))
            })
        };
        let meeting_reqs = || {
            vec![
                get(format!("/reunioes/{meeting}")),
                get(format!("/reunioes/{meeting}/ata.pdf")),
                form(
                    format!("/reunioes/{meeting}/participantes"),
                    format!("nome=X&cargo=Y&instituicao={cge}"),
                ),
                form(format!("/reunioes/{meeting}/ata"), "ata=x"),
                form(format!("/reunioes/{meeting}/decisoes"), decide.clone()),
                form(format!("/reunioes/{meeting}/cancelar"), "motivo=x"),
            ]
        };
        let action_reqs = || {
            vec![
                get(format!("/acoes/{action}")),
                progress("x"),
                get(format!("/acoes/{action}/evidencias/{update}")),
            ]
        };

        let mut hidden: Vec<(Req, &[&str])> = Vec::new();
        let police: &[&str] = &["coordenador", "chefe1bpm"];
        hidden.extend(hot(ANAPOLIS).map(|r| (r, police)));
        hidden.extend(hot(GOIANIA).map(|r| (r, &["chefe1bpm"][..])));
        hidden.extend(occurrences(ANAPOLIS).map(|r| (r, police)));
        hidden.extend(evaluation(ANAPOLIS, "").map(|r| (r, &["coordenador"][..])));
        hidden.extend(evaluation(GOIANIA, ANAPOLIS).map(|r| (r, &["coordenador"][..])));
        let all_igesp: &[&str] = &["coordenador", "chefe1bpm", "parceiro"];
        // Reading a meeting is for every Igesp role; running one only for coordinators (the others get
        // the route's 403 before any meeting is looked at).
        hidden.extend(meeting_reqs().into_iter().enumerate().map(|(i, r)| {
            (
                r,
                if i < 2 {
                    all_igesp
                } else {
                    &["coordenador"][..]
                },
            )
        }));
        hidden.extend(action_reqs().into_iter().map(|r| (r, all_igesp)));
        hidden.extend(
            unit_forms("PM-7BPM")
                .into_iter()
                .map(|r| (r, &["chefe1bpm"][..])),
        );
        hidden.extend(
            unit_forms("PM-1BPM")
                .into_iter()
                .map(|r| (r, &["chefe7bpm"][..])),
        );
        hidden.push((
            get(format!("/ipei/unidade/planilha/{upload}/rejeitadas")),
            &["chefe7bpm"],
        ));

        // The same requests by someone whose scope holds them: anything but 404 (and no 5xx).
        let mut shown: Vec<(Req, &str)> = Vec::new();
        shown.extend(hot(ANAPOLIS).map(|r| (r, "analista")));
        shown.extend(hot(GOIANIA).map(|r| (r, "coordenador")));
        shown.extend(hot(&own_area).map(|r| (r, "chefe1bpm")));
        shown.extend(occurrences(ANAPOLIS).map(|r| (r, "analista")));
        shown.extend(occurrences(&own_area).map(|r| (r, "chefe1bpm")));
        shown.extend(evaluation(ANAPOLIS, "").map(|r| (r, "analista")));
        shown.extend(evaluation(GOIANIA, ANAPOLIS).map(|r| (r, "analista")));
        shown.extend(action_reqs().into_iter().map(|r| (r, "analista")));
        shown.extend(meeting_reqs().into_iter().map(|r| (r, "analista")));
        for (unit, head) in [("PM-7BPM", "chefe7bpm"), ("PM-1BPM", "chefe1bpm")] {
            // The statement exists only once the committee publishes a result: not part of this check.
            shown.extend(unit_forms(unit).into_iter().skip(1).map(|r| (r, head)));
        }
        shown.push((
            get(format!("/ipei/unidade/planilha/{upload}/rejeitadas")),
            "chefe1bpm",
        ));

        for (req, who) in &hidden {
            for login in *who {
                let r = send(&app, req, as_(login)).await;
                assert_eq!(
                    r.status,
                    404,
                    "{label}: {} as {login}: {}",
                    req.describe(),
                    r.body
                );
                assert!(
                    !r.body.contains("Anapolis") && !r.body.contains("Ronda"),
                    "{label}: {} as {login} shows the hidden object",
                    req.describe()
                );
            }
        }
        for (req, login) in &shown {
            let r = send(&app, req, as_(login)).await;
            assert!(
                r.status != 404 && r.status < 500,
                "{label}: {} as {login}: {} {}",
                req.describe(),
                r.status,
                r.body
            );
        }
        // The copies that were opened are in the audit log.
        let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
        let audit = app.get("/auditoria", Some(&auditor)).await;
        for unit in ["PM-1BPM", "PM-7BPM"] {
            let object = format!("apreensão nº {}", copies[unit].0);
            assert!(
                audit.body.contains(&object),
                "{label}: {object} opened, not audited"
            );
        }
        println!(
            "backend {label}: {} hidden requests, {} shown",
            hidden.iter().map(|(_, w)| w.len()).sum::<usize>(),
            shown.len()
        );

        listings_show_only_the_scope(&app, &t.db, &sessions, &own_area).await;
        a_misfit_stored_scope_reads_nothing(&app, &t.db, &sessions).await;
        t.cleanup().await.unwrap();
    }
}

/// Pages that list rather than take an id show only what is in scope.
async fn listings_show_only_the_scope(
    app: &App,
    db: &atalaia_store::Db,
    sessions: &HashMap<&str, Session>,
    own_area: &str,
) {
    let chefe = &sessions["chefe1bpm"].cookie;
    // The hot-spot area picker lists only what may be analysed.
    let page = app.get_ok("/zonas-quentes", chefe).await;
    assert!(page.body.contains(&format!("value=\"{own_area}\"")));
    assert!(!page.body.contains(&format!("value=\"{ANAPOLIS}\"")));
    // The occurrence explorer without an area: rows of his areas only.
    let rows = app.get_ok("/ocorrencias/exportar.csv", chefe).await;
    let own = db.unit_areas_on("PM-1BPM", ymd(2026, 10, 1)).await.unwrap();
    let mut lines = rows.body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let areas = header.iter().position(|h| *h == "areas").unwrap();
    let mut n = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert!(
            cells[areas].split('|').any(|a| own.iter().any(|o| o == a)),
            "a row outside PM-1BPM's areas: {line}"
        );
        n += 1;
    }
    assert!(n > 0, "no rows at all: the check above would say nothing");
    // Today's levels of other units (their people's pay) are not on his RECAP page, nor saved runs.
    let recap = app.get_ok("/recap", chefe).await;
    assert!(!recap.body.contains("href=\"/recap/execucoes/"));
    assert!(recap.body.contains("PM-1BPM"));
    assert!(!recap.body.contains("PM-7BPM"), "another unit's level");
    // The unit pages list his units only.
    for path in [
        "/recap/unidade?trimestre=2026-Q3",
        "/ipei/unidade?mes=2026-09",
    ] {
        let page = app.get(path, Some(chefe)).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("PM-1BPM"), "{path}");
        assert!(!page.body.contains("PM-7BPM"), "{path}: another unit");
    }
}

/// A coordinator whose stored scope is a unit (a scope that does not fit the role, which used to read as
/// "everywhere") reads nothing.
async fn a_misfit_stored_scope_reads_nothing(
    app: &App,
    db: &atalaia_store::Db,
    sessions: &HashMap<&str, Session>,
) {
    let coord = &sessions["coordenador"].cookie;
    let analyst = &sessions["analista"].cookie;
    let meeting =
        first_meeting(&app.get("/reunioes", Some(analyst)).await.body).expect("a demo meeting");
    assert_eq!(
        app.get(&format!("/reunioes/{meeting}"), Some(coord))
            .await
            .status,
        200,
        "the coordinator of Goiânia sees its meeting"
    );
    let user = db.user_by_login("coordenador").await.unwrap().unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.set_grants(
        user.id,
        &[atalaia_store::accounts::Grant {
            role: atalaia_core::access::Role::Coordinator,
            scope: atalaia_store::accounts::Scope::Unit("PM-1BPM".into()),
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for path in [
        format!("/reunioes/{meeting}"),
        format!("/zonas-quentes/celulas.csv?area={GOIANIA}&celula=1000"),
        format!("/avaliacao?area={GOIANIA}&inicio=2026-03-01&meses=3"),
    ] {
        assert_eq!(
            app.get(&path, Some(coord)).await.status,
            404,
            "{path} as a coordinator scoped to a unit"
        );
    }
}
