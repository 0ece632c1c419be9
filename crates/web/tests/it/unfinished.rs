//! No result for an unfinished period (issue 18, "money first"), over HTTP on both backends: on
//! 2026-12-06 the committee sees 2026-Q4 and December 2026 as figures so far, without levels or
//! payments, and can neither save a run nor open a cycle for them; 2027-Q1 and January 2027 are bad
//! requests. 2026-Q3 and November 2026, over, still offer both.

use atalaia_store::per_backend;

use super::*;

per_backend! {
    async fn arts_5_6_and_anexo_unico_an_unfinished_period_pays_nothing(t) {
        let today = ymd(2026, 12, 6);
        let config = demo_config(&t.db, today, 0.03).await;
        let app = App::new(t.db.clone(), config).await;
        let label = t.label;
        let comite = app.login("comite", "demo-comite-7872").await.unwrap();
        let csrf = app.csrf(&comite).await;

        // The quarter running: figures so far, every level withheld with its reason, no act offered.
        let page = app.get("/recap?trimestre=2026-Q4", Some(&comite)).await;
        assert_eq!(page.status, 200, "{label}: {}", page.body);
        assert!(
            page.body.contains(
                "<strong>Parcial.</strong> O 4º trimestre de 2026 termina em 31/12/2026: nenhum nível, pagamento ou execução antes disso."
            ),
            "{label}: {}",
            page.body
        );
        assert!(
            page.body.contains("trimestre não encerrado: sem nível"),
            "{label}"
        );
        for offered in ["Salvar execução", "Abrir o ciclo", ">RECAP1<", ">RECAP2<"] {
            assert!(
                !page.body.contains(offered),
                "{label}: {offered} offered on 2026-Q4"
            );
        }
        // The quarter over offers both.
        let closed = app.get("/recap?trimestre=2026-Q3", Some(&comite)).await;
        assert!(!closed.body.contains("Parcial."), "{label}");
        for offered in ["Salvar execução", "Abrir o ciclo"] {
            assert!(
                closed.body.contains(offered),
                "{label}: {offered} missing on 2026-Q3"
            );
        }
        // The map of the running quarter has no level either.
        let map = app
            .get("/recap/mapa.geojson?trimestre=2026-Q4", Some(&comite))
            .await;
        assert_eq!(map.status, 200, "{label}");
        let map: serde_json::Value = serde_json::from_str(&map.body).unwrap();
        let features = map["features"].as_array().unwrap();
        assert!(!features.is_empty(), "{label}");
        assert!(
            features.iter().all(|f| f["properties"]["level"].is_null()),
            "{label}: {map}"
        );

        // Acts on it are refused with the reason, and change nothing.
        let refusals = [
            ("/recap/execucoes", "trimestre=2026-Q4"),
            ("/recap/ciclo", "trimestre=2026-Q4"),
            ("/ipei/execucoes", "mes=2026-12"),
            ("/ipei/ciclo", "mes=2026-12"),
        ];
        for (path, form) in refusals {
            let r = app
                .post_form(path, Some(&comite), &format!("csrf_token={csrf}&{form}"))
                .await;
            assert_eq!(r.status, 400, "{label}: {path} {form}: {}", r.body);
            assert!(
                r.body.contains("termina em 31/12/2026"),
                "{label}: {}",
                r.body
            );
        }
        assert!(
            t.db.saved_runs(atalaia_core::cycle::CycleKind::Recap, Some("2026-Q4"))
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        let december = atalaia_core::Month::parse("2026-12").unwrap();
        assert!(
            t.db.saved_runs(atalaia_core::cycle::CycleKind::Ipei, Some("2026-12"))
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );
        for period in [
            atalaia_core::cycle::CyclePeriod::Quarter("2026-Q4".parse().unwrap()),
            atalaia_core::cycle::CyclePeriod::Month(december),
        ] {
            assert!(t.db.cycle(period).await.unwrap().is_none(), "{label}");
        }

        // The IPEI of the month running: no payment, no act offered.
        let ipei = app.get("/ipei?mes=2026-12", Some(&comite)).await;
        assert_eq!(ipei.status, 200, "{label}: {}", ipei.body);
        assert!(
            ipei.body.contains(
                "<strong>Parcial.</strong> O mês de dezembro de 2026 termina em 31/12/2026"
            ),
            "{label}"
        );
        for offered in ["Salvar execução", "Abrir o ciclo"] {
            assert!(
                !ipei.body.contains(offered),
                "{label}: {offered} offered on 2026-12"
            );
        }
        let november = app.get("/ipei?mes=2026-11", Some(&comite)).await;
        assert!(!november.body.contains("Parcial."), "{label}");
        assert!(november.body.contains("Salvar execução"), "{label}");

        // A period not begun is a bad request, on pages and acts alike.
        for path in ["/recap?trimestre=2027-Q1", "/ipei?mes=2027-01"] {
            let r = app.get(path, Some(&comite)).await;
            assert_eq!(r.status, 400, "{label}: {path}");
            assert!(r.body.contains("ainda não começou"), "{label}: {}", r.body);
        }
        let r = app
            .post_form(
                "/recap/ciclo",
                Some(&comite),
                &format!("csrf_token={csrf}&trimestre=2027-Q1"),
            )
            .await;
        assert_eq!(r.status, 400, "{label}");
        t.cleanup().await.unwrap();
    }
}
