//! `Db::evaluate` (igesp.md §6) on both backends: T and C from the aggregates (monthly totals of
//! count-only imports included), D from geocoded occurrences in the ring, the rest of the parent as the
//! default control, and the errors.

use atalaia_core::CrimeCode;
use atalaia_store::Db;
use atalaia_store::evaluation::{ControlRule, EvaluationError, EvaluationQuery};
use atalaia_store::occurrences::{OccurrenceRecord, OccurrenceWriter};
use atalaia_store::per_backend;
use atalaia_store::territories::{SINCE_ALWAYS, TerritoryInput};

use super::{d, dt, new_import};

/// A lon/lat box as a GeoJSON polygon and its bbox.
fn square(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> (String, [f64; 4]) {
    let g = serde_json::json!({"type": "Polygon", "coordinates": [[
        [lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]});
    (g.to_string(), [lon0, lat0, lon1, lat1])
}

fn area(
    code: &str,
    kind: &str,
    parent: Option<&str>,
    from: chrono::NaiveDate,
    geo: Option<(String, [f64; 4])>,
) -> TerritoryInput {
    TerritoryInput {
        code: code.into(),
        name: format!("Área {code}"),
        kind: kind.into(),
        parent_code: parent.map(Into::into),
        ibge: None,
        valid_from: from,
        valid_to: None,
        bbox: geo.as_ref().map(|g| g.1),
        geometry: geo.map(|g| g.0),
    }
}

fn point(
    id: &str,
    at: chrono::NaiveDateTime,
    lon: f64,
    lat: f64,
    areas: &[&str],
    line: u64,
) -> OccurrenceRecord {
    OccurrenceRecord {
        line,
        source_id: id.into(),
        occurred_at: at,
        crime: "roubo_transeunte".into(),
        source_crime: None,
        lat: Some(lat),
        lon: Some(lon),
        territory_code: None,
        victims: 1,
        unit_code: None,
        areas: areas.iter().map(|s| s.to_string()).collect(),
    }
}

/// T is the box −49.30…−49.29 × −16.70…−16.69 (≈ 1.07 km × 1.11 km), child of P; C has counts only.
async fn story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "territories").await;
    for t in [
        area(
            "P",
            "municipality",
            None,
            SINCE_ALWAYS,
            Some(square(-49.40, -16.80, -49.20, -16.60)),
        ),
        area(
            "T",
            "intervention",
            Some("P"),
            d(2024, 1, 1),
            Some(square(-49.30, -16.70, -49.29, -16.69)),
        ),
        area("C", "aisp", None, SINCE_ALWAYS, None),
    ] {
        tx.put_territory(&t, imp, false).await.unwrap().unwrap();
    }
    // In T: one in January, one in March. In the ring: 0.002° (≈ 213 m) east of T in January; 0.002°
    // north and 0.003° (≈ 320 m) west in March. Out of the ring, in P: 0.01° (≈ 1.07 km) east in January
    // and April. Outside the window: in the ring in May.
    let batch = vec![
        point("E-1", dt(2024, 1, 10, 9), -49.295, -16.695, &["P", "T"], 2),
        point("E-2", dt(2024, 3, 10, 9), -49.295, -16.695, &["P", "T"], 3),
        point("E-3", dt(2024, 1, 11, 9), -49.288, -16.695, &["P"], 4),
        point("E-4", dt(2024, 3, 11, 9), -49.295, -16.688, &["P"], 5),
        point("E-5", dt(2024, 3, 12, 9), -49.303, -16.695, &["P"], 6),
        point("E-6", dt(2024, 1, 12, 9), -49.280, -16.695, &["P"], 7),
        point("E-7", dt(2024, 4, 12, 9), -49.280, -16.695, &["P"], 8),
        point("E-8", dt(2024, 5, 12, 9), -49.288, -16.695, &["P"], 9),
    ];
    let mut w = OccurrenceWriter::new(imp, false, dt(2024, 6, 1, 12));
    w.write(&mut tx, &batch).await.unwrap();
    w.finish(&mut tx).await.unwrap();
    // Monthly totals (count-only sources): C 4 in January, 2 in March; P 3 in February.
    for (code, month, n) in [
        ("C", d(2024, 1, 1), 4),
        ("C", d(2024, 3, 1), 2),
        ("P", d(2024, 2, 1), 3),
    ] {
        tx.put_monthly_count(code, "roubo_transeunte", month, n, imp, false)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let q = |control: Option<&str>| EvaluationQuery {
        area: "T".into(),
        start: d(2024, 3, 1),
        months: 2,
        buffer_m: None,
        control: control.map(Into::into),
        control_buffer: None,
        crimes: vec![],
        today: d(2024, 6, 1),
    };
    // C chosen: T (1, 1), D (1, 2), C from its monthly totals (4, 2).
    let run = db.evaluate(&q(Some("C"))).await.unwrap();
    let e = &run.evaluation;
    assert_eq!((e.target.before, e.target.after), (1, 1));
    assert_eq!((e.buffer.before, e.buffer.after), (1, 2));
    assert_eq!((e.control.before, e.control.after), (4, 2));
    assert_eq!(run.control_rule, ControlRule::Chosen);
    // WDD = 0 − (−2) + 1 − (−2) = 5; SE = √(1 + 1 + 4 + 2 + 1 + 2 + 4 + 2) = √17.
    assert_eq!(e.wdd, 5.0);
    assert!((e.wdd_se - 17f64.sqrt()).abs() < 1e-12);
    // The rest of P: before 1 (T) + 1 (ring) + 1 (1 km east) + 3 (monthly) − 1 − 1 = 4;
    // after 1 (T) + 2 (ring) + 1 (1 km east, April) − 1 − 2 = 1.
    let run = db.evaluate(&q(None)).await.unwrap();
    assert_eq!(run.control_rule, ControlRule::RestOfParent);
    assert_eq!(run.control.code, "P");
    let c = &run.evaluation.control;
    assert_eq!((c.before, c.after), (4, 1));
    let monthly: Vec<(String, i64, i64, i64)> = run
        .monthly
        .iter()
        .map(|m| (m.month.to_string(), m.target, m.buffer, m.control))
        .collect();
    assert_eq!(
        monthly,
        [
            ("2024-01".into(), 1, 1, 1),
            ("2024-02".into(), 0, 0, 3),
            ("2024-03".into(), 1, 2, 0),
            ("2024-04".into(), 0, 0, 1),
        ]
    );
    // A crime filter that leaves nothing.
    let mut none = q(Some("C"));
    none.crimes = vec![CrimeCode::parse("furto_celular").unwrap()];
    let run = db.evaluate(&none).await.unwrap();
    assert_eq!(
        run.evaluation.target.before + run.evaluation.buffer.after,
        0
    );
    assert_eq!(run.evaluation.wdq, None);

    // Errors.
    let mut early = q(Some("C"));
    early.start = d(2024, 2, 1);
    let err = db.evaluate(&early).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "a área `T` não vigora em todo o período avaliado, de 2023-12-01 a 2024-03-31 (vigora desde \
         2024-01-01): escolha outra data de início ou menos meses"
    );
    let mut long = q(Some("C"));
    long.months = 37;
    assert!(matches!(
        db.evaluate(&long).await,
        Err(EvaluationError::Months(37))
    ));
    let mut wide = q(Some("C"));
    wide.buffer_m = Some(0.0);
    assert_eq!(
        db.evaluate(&wide).await.unwrap_err().to_string(),
        "largura do entorno `0` inválida: esperado um número de metros maior que 0 e até 10000"
    );
    let mut same = q(Some("C"));
    same.control_buffer = Some("T".into());
    assert!(
        matches!(db.evaluate(&same).await, Err(EvaluationError::ControlIsTarget(c)) if c == "T")
    );
    let mut unknown = q(Some("X"));
    unknown.area = "T".into();
    assert!(
        matches!(db.evaluate(&unknown).await, Err(EvaluationError::UnknownArea(c)) if c == "X")
    );
    let mut no_parent = q(None);
    no_parent.area = "P".into();
    assert!(matches!(db.evaluate(&no_parent).await, Err(EvaluationError::NoParent(c)) if c == "P"));
    let mut not_over = q(Some("C"));
    not_over.today = d(2024, 4, 30);
    assert!(matches!(
        db.evaluate(&not_over).await,
        Err(EvaluationError::NotOver { .. })
    ));
}

per_backend! {
    async fn evaluation_counts_before_and_after(t) {
        story(&t.db).await;
        println!("backend {}: evaluation ok", t.label);
        t.cleanup().await.unwrap();
    }
}
