//! An Igesp cycle in a real browser, from the coordinator's meeting to the partner's report on an action.

use super::super::*;
use super::*;
use atalaia_store::testing::TestDb;
use fantoccini::{Client, Locator};
use std::time::Duration;

/// Sets a form field's value by script (date inputs take typed text in the browser's locale).
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1]",
        vec![id.into(), value.into()],
    )
    .await
    .unwrap();
}

/// igesp.md §4–5, §7 in the browser: the coordinator schedules an articulation meeting with the
/// Ministério Público and records its decision; the MP's user signs in, sees the agenda with its open
/// (overdue) action, updates it; it cannot open the internal meeting; the public page needs no sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_igesp_cycle_from_the_coordinator_to_the_partner() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 10, 1);
    let config = demo_config(&t.db, today, 0.05).await;
    let addr = serve(t.db.clone(), config).await;
    let base = format!("http://{addr}");
    let inst = |code: &'static str| institution_id(&t.db, code);
    let (ssp, pm, mp) = (inst("SSP-GO").await, inst("PMGO").await, inst("MPGO").await);

    sign_in(&c, &base, "coordenador", "demo-coordenador-7872").await;
    let m = menu(&c).await;
    assert!(m.contains(&"Reuniões".to_string()) && m.contains(&"Ações".to_string()));
    // An internal meeting, police only.
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    c.find(Locator::Id("tipo"))
        .await
        .unwrap()
        .select_by_value("internal")
        .await
        .unwrap();
    fill(&c, "#titulo", "Diagnóstico interno de outubro").await;
    set_value(&c, "data", "2026-10-06").await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{ssp}']")),
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{pm}']")),
    )
    .await;
    submit(&c, Locator::Css("#agendar-form button[type=submit]")).await;
    let internal_url = c.current_url().await.unwrap().to_string();
    assert!(internal_url.contains("/reunioes/"), "{internal_url}");
    // The articulation meeting with the MP.
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    c.find(Locator::Id("tipo"))
        .await
        .unwrap()
        .select_by_value("articulation")
        .await
        .unwrap();
    fill(&c, "#titulo", "Articulação — roubos no centro").await;
    set_value(&c, "data", "2026-10-08").await;
    fill(&c, "#local", "Ministério Público, sala 3").await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{ssp}']")),
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{mp}']")),
    )
    .await;
    shot_full(&c, "igesp-schedule").await;
    submit(&c, Locator::Css("#agendar-form button[type=submit]")).await;
    let meeting_url = c.current_url().await.unwrap().to_string();
    // Its decision: the MP's action, already past due (due 28 September).
    fill(&c, "#o_que", "Audiências de custódia em 24 h").await;
    fill(
        &c,
        "#por_que",
        "Reincidência dos presos por roubo no centro",
    )
    .await;
    c.find(Locator::Id("responsavel"))
        .await
        .unwrap()
        .select_by_value(&mp.to_string())
        .await
        .unwrap();
    set_value(&c, "inicio", "2026-09-01").await;
    set_value(&c, "prazo", "2026-09-28").await;
    fill(&c, "#indicador", "roubo_transeunte").await;
    submit(&c, Locator::Css("#decisao-form button[type=submit]")).await;
    let decisions = text_at(&c, "table.decisions").await;
    assert!(
        decisions.contains("Audiências de custódia em 24 h") && decisions.contains("MPGO"),
        "{decisions}"
    );
    shot_full(&c, "igesp-meeting-coordinator").await;
    // Did it work? The evaluation of AISP 1 (igesp.md §6): the page draws its chart and a verdict.
    c.goto(&format!(
        "{base}/avaliacao?area=AISP1&inicio=2026-04-01&meses=3"
    ))
    .await
    .unwrap();
    wait_for(&c, "canvas#grafico-avaliacao").await;
    let verdict = text_at(&c, ".verdict").await;
    assert!(!verdict.is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot_full(&c, "evaluation-aisp1").await;
    sign_out(&c).await;

    // The partner.
    sign_in(&c, &base, "parceiro", "demo-parceiro-7872").await;
    let m = menu(&c).await;
    assert!(m.contains(&"Reuniões".to_string()), "{m:?}");
    assert!(!m.contains(&"Zonas quentes".to_string()), "{m:?}");
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    let list = text_at(&c, "main").await;
    assert!(list.contains("Articulação — roubos no centro"), "{list}");
    assert!(!list.contains("Diagnóstico interno"), "{list}");
    click(&c, Locator::LinkText("Articulação — roubos no centro")).await;
    let overdue = text_at(&c, "table.agenda-overdue").await;
    assert!(
        overdue.contains("Audiências de custódia em 24 h")
            && overdue.contains("28/09/2026 — em atraso"),
        "{overdue}"
    );
    shot_full(&c, "igesp-meeting-partner").await;
    click(&c, Locator::LinkText("Audiências de custódia em 24 h")).await;
    wait_for(&c, "#andamento-form").await;
    c.find(Locator::Id("nova-situacao"))
        .await
        .unwrap()
        .select_by_value("in_progress")
        .await
        .unwrap();
    fill(
        &c,
        "#nota",
        "Plantão judicial combinado com o TJ a partir de 5/10",
    )
    .await;
    submit(&c, Locator::Css("#andamento-form button[type=submit]")).await;
    let notice = text_at(&c, ".br-message.success[role=status]").await;
    assert_eq!(notice, "Andamento registrado.");
    assert_eq!(text_of(&c, "situacao").await, "em andamento");
    let history = text_at(&c, "table.history").await;
    assert!(history.contains("planejada → em andamento"), "{history}");
    shot_full(&c, "igesp-action-partner").await;
    // The internal meeting does not exist for the partner.
    c.goto(&internal_url).await.unwrap();
    let body = text_at(&c, "main").await;
    assert!(body.contains("Não encontramos a reunião"), "{body}");
    assert!(!body.contains("Diagnóstico interno"), "{body}");
    let _ = meeting_url;
    c.goto(&format!("{base}/")).await.unwrap();
    sign_out(&c).await;

    // The public page, signed out.
    c.goto(&format!("{base}/transparencia")).await.unwrap();
    let h1 = text_at(&c, "main h1").await;
    assert!(h1.starts_with("Indicadores de criminalidade"), "{h1}");
    shot_full(&c, "public-transparency").await;
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
    println!("browser: Igesp cycle coordinator → partner, public page");
}
