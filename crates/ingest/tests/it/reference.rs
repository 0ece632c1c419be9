//! Reference kinds: population, units, operators, assignments, absences, counts — good rows in, bad
//! rows out with reasons, re-import unchanged.

use atalaia_ingest::Kind;
use atalaia_store::per_backend;

use crate::{import, rejects, squares_geojson};

/// (file, kind, content, expected (inserted, rejected), rejected lines with a fragment of each reason).
type Case = (
    &'static str,
    Kind,
    &'static str,
    (u64, u64),
    Vec<(u64, &'static str)>,
);

per_backend! {
    async fn reference_kinds_import_reject_and_reimport(t) {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let terr = p("t.geojson", &squares_geojson());
        import(&t.db, Kind::Territories, &terr).await;

        let cases: Vec<Case> = vec![
            (
                "pop.csv",
                Kind::Population,
                "territory_code;year;population\nX;2023;200000\nX;2024;201500\nZ;2024;10\nX;24;5\nX;2025;-3\n",
                (2, 3),
                vec![(4, "desconhecido"), (5, "`year`"), (6, "`population`")],
            ),
            (
                "units.csv",
                Kind::Units,
                "code,name,institution,territory_codes,valid_from\nPM-1BPM,1º BPM,PM,X,2020-01-01\nPM-2BPM,2º BPM,pm,X;Y,01/01/2020\nPC-1DP,1ª DP,XX@,X,2020-01-01\nBM-1,1º BBM,BM,Q,2020-01-01\n",
                (2, 2),
                vec![(4, "`institution`"), (5, "`territory_codes`")],
            ),
            (
                "ops.csv",
                Kind::Operators,
                "registration,name,institution,cpf\n123456,Ana Silva,PM,529.982.247-25\n654321,João Lima,PC,\n777,Zé,PM,529.982.247-24\n",
                (2, 1),
                vec![(4, "`cpf`")],
            ),
            (
                "asg.csv",
                Kind::Assignments,
                "registration,unit_code,from,to,kind\n123456,PM-1BPM,2020-01-01,,lotacao\n654321,PM-2BPM,2020-01-01,2024-12-31,\n123456,PM-2BPM,2024-04-01,2024-06-30,disposicao\n999,PM-1BPM,2020-01-01,,\n123456,PM-9BPM,2020-01-01,,\n123456,PM-1BPM,2024-01-01,2023-01-01,\n123456,PM-1BPM,2024-01-01,,emprestimo\n",
                (3, 4),
                vec![
                    (5, "operador desconhecido"),
                    (6, "unidade desconhecida"),
                    (7, "anterior"),
                    (8, "`kind`"),
                ],
            ),
            (
                "abs.csv",
                Kind::Absences,
                "registration,from,to,reason\n123456,2024-01-10,2024-03-04,licença\n123456,2024-05-01,2024-04-01,férias\n",
                (1, 1),
                vec![(3, "anterior")],
            ),
            (
                "counts.csv",
                Kind::Counts,
                "territory_code,month,crime,count\nX,2024-01,roubo_veiculo,4\nX,2024-02,roubo_veiculo,6\nX,2024-13,roubo_veiculo,1\nX,2024-03,roubo_de_nave,1\nX,2024-03,furto_veiculo,1.5\n",
                (2, 3),
                vec![(4, "`month`"), (5, "`crime`"), (6, "`count`")],
            ),
        ];
        for (name, kind, content, (ins, rej), expected) in cases {
            let path = p(name, content);
            let s = import(&t.db, kind, &path).await;
            assert_eq!(
                (s.inserted, s.rejected),
                (ins, rej),
                "{} {name}: {s:?}",
                t.label
            );
            let got = rejects(&s.rejects_file);
            assert_eq!(got.len(), expected.len(), "{name}: {got:?}");
            for ((line, reason), (el, frag)) in got.iter().zip(&expected) {
                assert_eq!(line, el, "{name}");
                assert!(
                    reason.contains(frag),
                    "{name} line {line}: {reason:?} lacks {frag:?}"
                );
            }
            let again = import(&t.db, kind, &path).await;
            assert_eq!(
                (again.inserted, again.updated, again.unchanged),
                (0, 0, ins),
                "{name} re-import"
            );
        }
        // A revised estimate updates the population.
        let path = p(
            "pop2.csv",
            "territory_code,year,population\nX,2024,202000\n",
        );
        assert_eq!(import(&t.db, Kind::Population, &path).await.updated, 1);
        assert_eq!(
            t.db.population_for("X", 2025).await.unwrap(),
            Some((2024, 202_000))
        );
        println!("backend {}: reference kinds ok", t.label);
        t.cleanup().await.unwrap();
    }
}
