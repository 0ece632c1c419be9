//! The real data path: ISP-RJ series converted to the public import kinds by
//! `scripts/rj_isp/convert.py`, and the quarterly CAP index (Decreto 7.872/2013, Art. 8) of a few
//! AISP-quarters computed independently from ISP's original file by `scripts/rj_isp/expected.py`.

use atalaia_core::{Quarter, Rate, cap_index};
use atalaia_ingest::Kind;
use atalaia_store::counts::CountBy;
use atalaia_store::per_backend;

use crate::import;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/rj-isp");

per_backend! {
    async fn isp_rj_quarterly_cap_index_matches_independent_computation(t) {
        let expected =
            std::fs::read_to_string(format!("{FIXTURES}/expected_cap_index.csv")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (kind, file) in [
            (Kind::Territories, "territories.geojson"),
            (Kind::Population, "population.csv"),
            (Kind::Counts, "counts.csv"),
        ] {
            // A copy per test case: the rejects file is written beside the file imported, and the
            // two backends' cases run at the same time.
            let path = dir.path().join(file);
            std::fs::copy(format!("{FIXTURES}/{file}"), &path).unwrap();
            let s = import(&t.db, kind, &path).await;
            assert_eq!(s.rejected, 0, "{file}: {s:?}");
        }
        let mut checked = 0;
        for line in expected.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (code, quarter) = (f[0], Quarter::parse(f[1]).unwrap());
            let counts: Vec<i64> = f[2..5].iter().map(|v| v.parse().unwrap()).collect();
            let population: i64 = f[5].parse().unwrap();
            let index: f64 = f[6].parse().unwrap();
            let mut rates = Vec::new();
            for (crime, want) in ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"]
                .iter()
                .zip(&counts)
            {
                let n =
                    t.db.count_in_period(
                        code,
                        crime,
                        quarter.first_day(),
                        quarter.last_day(),
                        CountBy::Occurrences,
                    )
                    .await
                    .unwrap();
                assert_eq!(n, *want, "{code} {quarter} {crime}");
                let (_, pop) =
                    t.db.population_for(code, quarter.year())
                        .await
                        .unwrap()
                        .unwrap();
                assert_eq!(pop, population, "{code} {quarter}");
                rates.push(Rate::per_100k(n as u64, pop as u64).unwrap());
            }
            let got = cap_index(&rates).unwrap();
            assert!(
                ((got - index) / index).abs() < 1e-12,
                "{code} {quarter}: {got} vs {index}"
            );
            checked += 1;
        }
        assert_eq!(checked, 8);
        // The batched reading the RECAP uses (`recap_inputs`: one grouped query per period) gives the same
        // counts and populations as the independent file.
        let params = atalaia_core::recap::RecapParams::decree_default();
        for line in expected.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (code, quarter) = (f[0], Quarter::parse(f[1]).unwrap());
            let counts: Vec<u64> = f[2..5].iter().map(|v| v.parse().unwrap()).collect();
            let population: u64 = f[5].parse().unwrap();
            let inputs =
                t.db.recap_inputs(&params, quarter, quarter.previous().unwrap())
                    .await
                    .unwrap();
            let a = inputs.iter().find(|a| a.code == code).unwrap();
            assert_eq!(a.counts, counts, "{code} {quarter}");
            assert_eq!(
                a.population,
                atalaia_core::recap::Population::Exact(population),
                "{code} {quarter}"
            );
        }
        // RECAP on real data: AISP06, 2017-Q3 against the previous quarter (both rows of the independent
        // file), through the core calculation with counts and populations read from the store.
        let idx = |code: &str, q: &str| -> f64 {
            expected
                .lines()
                .find(|l| l.starts_with(&format!("{code},{q},")))
                .and_then(|l| l.rsplit(',').next())
                .unwrap()
                .parse()
                .unwrap()
        };
        let mut params = atalaia_core::recap::RecapParams::decree_default();
        params.baseline = atalaia_core::recap::Baseline::PreviousQuarter;
        let period_counts = |q: Quarter| {
            let db = t.db.clone();
            async move {
                let mut v = Vec::new();
                for crime in ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"] {
                    v.push(
                        db.count_in_period(
                            "RJ-AISP06",
                            crime,
                            q.first_day(),
                            q.last_day(),
                            CountBy::Occurrences,
                        )
                        .await
                        .unwrap() as u64,
                    );
                }
                v
            }
        };
        let (q, qb) = (
            Quarter::parse("2017-Q3").unwrap(),
            Quarter::parse("2017-Q2").unwrap(),
        );
        let pop =
            t.db.population_for("RJ-AISP06", 2017)
                .await
                .unwrap()
                .unwrap()
                .1 as u64;
        let r = atalaia_core::recap::compute_area(
            &params,
            &atalaia_core::recap::AreaInput {
                code: "RJ-AISP06".into(),
                name: "AISP 06".into(),
                kind: atalaia_core::TerritoryKind::Aisp,
                population: atalaia_core::recap::Population::Exact(pop),
                baseline_population: atalaia_core::recap::Population::Exact(pop),
                counts: period_counts(q).await,
                baseline_counts: period_counts(qb).await,
            },
        );
        let (want, want_base) = (idx("RJ-AISP06", "2017-Q3"), idx("RJ-AISP06", "2017-Q2"));
        assert!(((r.index.unwrap() - want) / want).abs() < 1e-12);
        assert!(((r.baseline_index.unwrap() - want_base) / want_base).abs() < 1e-12);
        let want_reduction = (want_base - want) / want_base * 100.0;
        assert!((r.reduction_pct.unwrap() - want_reduction).abs() < 1e-9);
        assert!(want_reduction < -26.0, "crime rose: {want_reduction}");
        assert_eq!((r.level, r.reasons.len()), (None, 0));
        println!(
            "backend {}: ISP-RJ CAP index of {checked} AISP-quarters ok",
            t.label
        );
        t.cleanup().await.unwrap();
    }
}
