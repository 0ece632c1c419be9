//! Tests for the synthetic AISP polygons of Goiânia, using the real IBGE
//! municipal boundary.

use atalaia_demo::goiania::{
    DerivedArea, GOIANIA_IBGE, PRACA_CIVICA, SYNTHETIC_NOTE, goiania_aisps, to_feature_collection,
};
use geo::{
    Area, BooleanOps, Centroid, Contains, Coord, CoordsIter, LineString, MultiPolygon, Point,
    Polygon, Validation, Winding,
};

const GO_MUNICIPIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/geojs-52-mun.json");

fn goiania_polygon() -> Polygon<f64> {
    let text = std::fs::read_to_string(GO_MUNICIPIOS).expect("read IBGE GeoJSON for Goiás");
    let gj: geojson::GeoJson = text.parse().expect("parse GeoJSON");
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("expected a FeatureCollection");
    };
    let feature = fc
        .features
        .into_iter()
        .find(|f| f.property("id").and_then(|v| v.as_str()) == Some(GOIANIA_IBGE))
        .expect("feature 5208707 present");
    let geometry = feature.geometry.expect("feature has geometry");
    Polygon::<f64>::try_from(&geometry.value).expect("Goiânia is a single Polygon")
}

fn areas() -> (Polygon<f64>, Vec<DerivedArea>) {
    let m = goiania_polygon();
    let areas = goiania_aisps(&m);
    (m, areas)
}

fn find<'a>(areas: &'a [DerivedArea], code: &str) -> &'a DerivedArea {
    areas.iter().find(|a| a.code == code).expect("area present")
}

fn centroid(area: &DerivedArea) -> Point<f64> {
    area.polygon
        .centroid()
        .expect("non-empty area has a centroid")
}

#[test]
fn seven_areas_with_expected_codes_and_names() {
    let (_, areas) = areas();
    let got: Vec<(&str, &str)> = areas.iter().map(|a| (a.code, a.name)).collect();
    assert_eq!(
        got,
        vec![
            ("AISP1", "Região Central"),
            ("AISP2", "Noroeste"),
            ("AISP3", "Norte"),
            ("AISP4", "Sudoeste"),
            ("AISP5", "Oeste"),
            ("AISP6", "Sul"),
            ("AISP7", "Leste"),
        ]
    );
}

#[test]
fn areas_partition_the_municipality() {
    let (m, areas) = areas();
    let total = m.unsigned_area();
    assert!(total > 0.0);

    // Sum of the areas equals the municipality's area.
    let sum: f64 = areas.iter().map(|a| a.polygon.unsigned_area()).sum();
    let rel = (sum - total).abs() / total;
    println!(
        "municipality area = {total:.9} deg², sum of areas = {sum:.9} deg², rel. error = {rel:.3e}"
    );
    assert!(rel < 1e-6, "relative error {rel}");

    // Each area lies inside the municipality.
    for a in &areas {
        let outside = a.polygon.difference(&m).unsigned_area();
        assert!(
            outside < 1e-9 * total,
            "{} sticks out of the municipality: {outside}",
            a.code
        );
    }

    // No overlaps.
    for (i, a) in areas.iter().enumerate() {
        for b in &areas[i + 1..] {
            let overlap = a.polygon.intersection(&b.polygon).unsigned_area();
            assert!(
                overlap < 1e-9 * total,
                "{} and {} overlap by {overlap}",
                a.code,
                b.code
            );
        }
    }
}

#[test]
fn every_area_is_meaningful_and_shares_are_reported() {
    let (m, areas) = areas();
    let total = m.unsigned_area();
    for a in &areas {
        let share = a.polygon.unsigned_area() / total;
        println!(
            "{} {:<15} {:>6.2}% ({} polygon(s))",
            a.code,
            a.name,
            share * 100.0,
            a.polygon.0.len()
        );
        assert!(share >= 0.05, "{} holds only {:.2}%", a.code, share * 100.0);
    }
    let central = find(&areas, "AISP1").polygon.unsigned_area() / total;
    assert!((0.12..=0.18).contains(&central), "central share {central}");
}

#[test]
fn polygons_are_valid_non_empty_and_ccw() {
    let (_, areas) = areas();
    for a in &areas {
        assert!(!a.polygon.0.is_empty(), "{} is empty", a.code);
        assert!(
            a.polygon.is_valid(),
            "{} invalid: {:?}",
            a.code,
            a.polygon.validation_errors()
        );
        for p in &a.polygon.0 {
            assert!(p.exterior().is_ccw(), "{} exterior ring not CCW", a.code);
            for hole in p.interiors() {
                assert!(hole.is_cw(), "{} interior ring not CW", a.code);
            }
        }
    }
}

#[test]
fn names_fit_the_geography() {
    let (_, areas) = areas();
    let center = centroid(find(&areas, "AISP1"));
    let norte = centroid(find(&areas, "AISP3"));
    let oeste = centroid(find(&areas, "AISP5"));
    let sul = centroid(find(&areas, "AISP6"));
    let leste = centroid(find(&areas, "AISP7"));
    let noroeste = centroid(find(&areas, "AISP2"));
    let sudoeste = centroid(find(&areas, "AISP4"));
    assert!(norte.y() > center.y(), "Norte is not north of the centre");
    assert!(sul.y() < center.y(), "Sul is not south of the centre");
    assert!(leste.x() > center.x(), "Leste is not east of the centre");
    assert!(oeste.x() < center.x(), "Oeste is not west of the centre");
    assert!(
        noroeste.x() < center.x() && noroeste.y() > center.y(),
        "Noroeste misplaced"
    );
    assert!(
        sudoeste.x() < center.x() && sudoeste.y() < center.y(),
        "Sudoeste misplaced"
    );
}

#[test]
fn praca_civica_is_in_the_central_region() {
    let (_, areas) = areas();
    let praca = Point::new(PRACA_CIVICA.0, PRACA_CIVICA.1);
    assert!(find(&areas, "AISP1").polygon.contains(&praca));
    for a in areas.iter().filter(|a| a.code != "AISP1") {
        assert!(
            !a.polygon.contains(&praca),
            "{} contains Praça Cívica",
            a.code
        );
    }
}

#[test]
fn output_is_deterministic() {
    let m = goiania_polygon();
    assert_eq!(goiania_aisps(&m), goiania_aisps(&m));
}

#[test]
fn feature_collection_is_labelled_synthetic() {
    let (_, areas) = areas();
    let fc = to_feature_collection(&areas, "GO-CAPITAL");
    assert_eq!(fc.features.len(), 7);
    let first = &fc.features[0];
    let prop = |k: &str| first.property(k).cloned().expect("property present");
    assert_eq!(prop("code"), "AISP1");
    assert_eq!(prop("name"), "AISP 1 — Região Central");
    assert_eq!(prop("kind"), "aisp");
    assert_eq!(prop("parent"), "GO-CAPITAL");
    assert_eq!(prop("ibge"), "5208707");
    assert_eq!(prop("synthetic"), true);
    assert_eq!(prop("note"), SYNTHETIC_NOTE);
    assert_eq!(
        fc.features[6].property("name").cloned().expect("name"),
        "AISP 7 — Leste"
    );

    // Round-trips through JSON text as MultiPolygons.
    let text = fc.to_string();
    let back: geojson::FeatureCollection = text.parse().expect("re-parse");
    for (f, a) in back.features.iter().zip(&areas) {
        let geom = f.geometry.as_ref().expect("geometry");
        let mp = MultiPolygon::<f64>::try_from(&geom.value).expect("MultiPolygon");
        // serde_json may differ from the original in the last ulp.
        let original: Vec<Coord<f64>> = a.polygon.coords_iter().collect();
        let parsed: Vec<Coord<f64>> = mp.coords_iter().collect();
        assert_eq!(original.len(), parsed.len(), "{}", a.code);
        for (p, q) in original.iter().zip(&parsed) {
            assert!(
                (p.x - q.x).abs() < 1e-12 && (p.y - q.y).abs() < 1e-12,
                "{}",
                a.code
            );
        }
    }
}

#[test]
fn each_area_of_goiania_is_contiguous() {
    let (_, areas) = areas();
    for a in &areas {
        assert_eq!(
            a.polygon.0.len(),
            1,
            "{} is split into {} parts",
            a.code,
            a.polygon.0.len()
        );
    }
}

#[test]
fn degenerate_inputs_yield_no_areas() {
    let empty = Polygon::<f64>::new(LineString::new(vec![]), vec![]);
    assert!(goiania_aisps(&empty).is_empty());

    let line = Polygon::new(
        LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (0.0, 0.0)]),
        vec![],
    );
    assert!(goiania_aisps(&line).is_empty());

    let point = Polygon::new(LineString::from(vec![(1.0, 1.0); 4]), vec![]);
    assert!(goiania_aisps(&point).is_empty());

    let nan = Polygon::new(
        LineString::from(vec![(0.0, 0.0), (f64::NAN, 0.0), (1.0, 1.0), (0.0, 0.0)]),
        vec![],
    );
    assert!(goiania_aisps(&nan).is_empty());

    let inf = Polygon::new(
        LineString::from(vec![
            (0.0, 0.0),
            (f64::INFINITY, 0.0),
            (1.0, 1.0),
            (0.0, 0.0),
        ]),
        vec![],
    );
    assert!(goiania_aisps(&inf).is_empty());
}

#[test]
fn other_inputs_do_not_panic() {
    // A square around the origin: Praça Cívica is outside, so the centroid
    // is used; all seven areas exist.
    let square = Polygon::new(
        LineString::from(vec![
            (-1.0, -1.0),
            (1.0, -1.0),
            (1.0, 1.0),
            (-1.0, 1.0),
            (-1.0, -1.0),
        ]),
        vec![],
    );
    let areas = goiania_aisps(&square);
    assert_eq!(areas.len(), 7);
    let sum: f64 = areas.iter().map(|a| a.polygon.unsigned_area()).sum();
    assert!((sum - 4.0).abs() < 1e-6 * 4.0);

    // A thin C shape whose centroid is outside it; clockwise exterior ring.
    let c_shape = Polygon::new(
        LineString::from(vec![
            (0.0, 0.0),
            (0.0, 3.0),
            (3.0, 3.0),
            (3.0, 2.9),
            (0.1, 2.9),
            (0.1, 0.1),
            (3.0, 0.1),
            (3.0, 0.0),
            (0.0, 0.0),
        ]),
        vec![],
    );
    let areas = goiania_aisps(&c_shape);
    assert!(areas.is_empty() || areas.len() == 7);

    // Near a pole and with a hole.
    let polar = Polygon::new(
        LineString::from(vec![
            Coord { x: 0.0, y: 89.0 },
            Coord { x: 10.0, y: 89.0 },
            Coord { x: 10.0, y: 89.9 },
            Coord { x: 0.0, y: 89.9 },
            Coord { x: 0.0, y: 89.0 },
        ]),
        vec![LineString::from(vec![
            (4.0, 89.4),
            (4.0, 89.5),
            (6.0, 89.5),
            (6.0, 89.4),
            (4.0, 89.4),
        ])],
    );
    let areas = goiania_aisps(&polar);
    assert!(areas.is_empty() || areas.len() == 7);

    // Self-intersecting "bowtie".
    let bowtie = Polygon::new(
        LineString::from(vec![
            (0.0, 0.0),
            (2.0, 2.0),
            (2.0, 0.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ]),
        vec![],
    );
    let areas = goiania_aisps(&bowtie);
    assert!(areas.is_empty() || areas.len() == 7);

    // Very large and very small coordinates.
    for scale in [1e150, 1e200, 1e-12] {
        let p = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (scale, 0.0),
                (scale, scale),
                (0.0, scale),
                (0.0, 0.0),
            ]),
            vec![],
        );
        let areas = goiania_aisps(&p);
        assert!(areas.is_empty() || areas.len() == 7, "scale {scale}");
    }
}
