//! The application clock is the only clock (issue 19): RECAP's cycle deadlines move with it like
//! IPEI's. 2026-Q3's cycle counts business days of October 2026 (Anexo Único); its first step is due well
//! before the 20th and well after the 2nd.

use atalaia_core::cycle::CyclePeriod;
use atalaia_store::testing::TestDb;

use super::*;

#[tokio::test]
async fn recap_cycle_deadlines_follow_the_application_clock() {
    let t = TestDb::sqlite().await.unwrap();
    let demo_day = ymd(2026, 10, 1);
    load_demo(&t.db, demo_day, 0.01).await;
    let at = |day: u32| ymd(2026, 10, day).and_hms_opt(13, 0, 0).unwrap();
    let clock = atalaia_web::Clock::fixed(at(20));
    let config = WebConfig {
        clock: clock.clone(),
        ..test_config()
    };
    let app = App::new(t.db.clone(), config).await;
    let comite = app.login("comite", "demo-comite-7872").await.unwrap();
    let csrf = app.csrf(&comite).await;
    app.post_ok(
        "/recap/ciclo",
        &comite,
        &format!("csrf_token={csrf}&trimestre=2026-Q3"),
    )
    .await;
    let quarter = CyclePeriod::Quarter("2026-Q3".parse().unwrap());
    let cycle = t.db.cycle(quarter).await.unwrap().unwrap();
    let close = format!("csrf_token={csrf}&acao=close&etapa=submissions&justificativa=");
    // On the application's 20 October the first step is late: refused without a justification.
    let r = app
        .post_form(&format!("/recap/ciclo/{}", cycle.id), Some(&comite), &close)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_has("Ato não registrado");
    // On its 2 October (whatever the machine's date) the same act is on time.
    clock.set(at(2));
    app.post_ok(&format!("/recap/ciclo/{}", cycle.id), &comite, &close)
        .await;
    let cycle = t.db.cycle(quarter).await.unwrap().unwrap();
    let act = cycle.acts.iter().find(|a| a.act == "close").unwrap();
    assert!(!act.late, "closed on time by the application's clock");
    assert_eq!(act.at, at(2), "recorded at the application's instant");
    t.cleanup().await.unwrap();
}
