//! `atalaia hotspots`: Gi* from a points file and from the database, against esda's output.

use super::*;

/// The esda fixture of a queen grid: rows of `i, j, count, z, p, p_fdr` (scripts/fixtures/spatial_fixtures.py).
fn esda_queen_fixture() -> Vec<Vec<f64>> {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spatial/tests/fixtures/gistar_queen.csv"
    ))
    .unwrap()
    .lines()
    .skip(1)
    .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
    .collect()
}

/// `hotspots gistar` on the points of esda's queen fixture (each cell's count as that many points at its
/// centre, one cell given by weight): the same grid and z to 1e-9, the classes from the BH-adjusted p,
/// and a bad row rejected with exit 3.
#[test]
fn hotspots_gistar_matches_esda() {
    let dir = tempfile::tempdir().unwrap();
    let rows = esda_queen_fixture();
    let mut points = String::from("x;y;weight\n");
    for (k, r) in rows.iter().enumerate() {
        let (i, j, c) = (r[0], r[1], r[2] as u32);
        let (x, y) = (i * 100.0 + 50.0, j * 100.0 + 50.0);
        if k == 5 && c > 0 {
            // One weighted point instead of c points, in `;`-separated decimal-comma form.
            points.push_str(&format!(
                "{};{};{c},0\n",
                x.to_string().replace('.', ","),
                y
            ));
        } else {
            for _ in 0..c {
                points.push_str(&format!("{x};{y};\n"));
            }
        }
    }
    points.push_str("abc;10;\n");
    let file = dir.path().join("pontos.csv");
    std::fs::write(&file, points).unwrap();
    let out = atalaia(dir.path())
        .args(words("--format json hotspots gistar --points"))
        .arg(&file)
        .args(["--cell", "100"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cells: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cells.len(), rows.len());
    for (c, r) in cells.iter().zip(&rows) {
        assert_eq!(c["i"].as_u64().unwrap() as f64, r[0]);
        assert_eq!(c["j"].as_u64().unwrap() as f64, r[1]);
        let z = c["z"].as_f64().unwrap();
        let want = r[3];
        assert!(
            (z - want).abs() < 1e-9,
            "({}, {}): {z} vs esda {want}",
            r[0],
            r[1]
        );
        let p_fdr = r[5];
        let class = c["class"].as_str().unwrap();
        let expected = if p_fdr >= 0.10 {
            "not_significant".to_string()
        } else {
            let level = if p_fdr < 0.01 {
                "99"
            } else if p_fdr < 0.05 {
                "95"
            } else {
                "90"
            };
            format!("{}_{level}", if want > 0.0 { "hot" } else { "cold" })
        };
        assert_eq!(class, expected, "({}, {})", r[0], r[1]);
    }
    assert_eq!(
        (cells[0]["x_min"].as_f64(), cells[0]["y_min"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    let rejects = std::fs::read_to_string(dir.path().join("pontos.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("coluna `x`"), "{rejects}");
}

/// `hotspots area` reads a stored area and its occurrences: the esda fixture's counts, planted as
/// geocoded occurrences at the cell centres of a grid laid in UTM 22S and imported through the real
/// importers, come back with esda's z-scores — the database path changes nothing in the statistic.
#[test]
fn hotspots_area_from_the_database_matches_esda() {
    use atalaia_spatial::utm::{Zone, from_utm};
    let dir = tempfile::tempdir().unwrap();
    let rows = esda_queen_fixture();
    let nx = rows.iter().map(|r| r[0] as usize).max().unwrap() + 1;
    let ny = rows.iter().map(|r| r[1] as usize).max().unwrap() + 1;
    let zone = Zone {
        number: 22,
        south: true,
    };
    let (x0, y0) = (680_000.0, 8_150_000.0);
    // The area: the grid's extent, half a metre in (so the grid's origin is (x0, y0) exactly).
    let corners = [
        (x0 + 0.5, y0 + 0.5),
        (x0 + nx as f64 * 100.0 - 0.5, y0 + 0.5),
        (x0 + nx as f64 * 100.0 - 0.5, y0 + ny as f64 * 100.0 - 0.5),
        (x0 + 0.5, y0 + ny as f64 * 100.0 - 0.5),
        (x0 + 0.5, y0 + 0.5),
    ];
    let ring: Vec<[f64; 2]> = corners
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = from_utm(x, y, zone);
            [lon, lat]
        })
        .collect();
    let territory = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"code": "GRADE", "name": "Grade de teste", "kind": "intervention"}}]});
    std::fs::write(dir.path().join("t.geojson"), territory.to_string()).unwrap();
    let mut occ = String::from("id,occurred_at,crime,lat,lon\n");
    let mut n = 0;
    for r in &rows {
        let (lon, lat) = from_utm(x0 + r[0] * 100.0 + 50.0, y0 + r[1] * 100.0 + 50.0, zone);
        for _ in 0..r[2] as usize {
            n += 1;
            occ.push_str(&format!(
                "BO-{n},2026-01-15T10:00,roubo_transeunte,{lat:.9},{lon:.9}\n"
            ));
        }
    }
    std::fs::write(dir.path().join("o.csv"), occ).unwrap();
    for (kind, file) in [("territories", "t.geojson"), ("occurrences", "o.csv")] {
        succeeds(dir.path(), &["import", kind, file]);
    }
    let out = succeeds(
        dir.path(),
        &words("--format json hotspots area --area GRADE --from 2026-01 --to 2026-01 --cell 100"),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["points_in"], n);
    assert_eq!(v["points_edge"], 0);
    assert_eq!(v["utm_zone"], "22S");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), rows.len());
    for (c, r) in cells.iter().zip(&rows) {
        assert_eq!(c["id"], format!("{},{}", r[0], r[1]));
        assert_eq!(c["count"].as_f64().unwrap(), r[2]);
        let z = c["z"].as_f64().unwrap();
        assert!((z - r[3]).abs() < 1e-9, "{}: {z} vs esda {}", c["id"], r[3]);
        assert!((c["p_fdr"].as_f64().unwrap() - r[5]).abs() < 1e-9);
        // One month: no emerging class.
        assert!(c["emerging"].is_null());
    }
    // GeoJSON: one polygon per cell; CSV: a header and one row per cell.
    let out = atalaia(dir.path())
        .args(words(
            "--format geojson hotspots area --area GRADE --from 2026-01 --to 2026-01 --cell 100",
        ))
        .output()
        .unwrap();
    let fc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), rows.len());
    assert_eq!(fc["properties"]["area"], "GRADE");
    // Errors say what was expected, with exit 2.
    let out = exits(
        dir.path(),
        "hotspots area --area NADA --from 2026-01 --to 2026-01",
        2,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "erro: área desconhecida: `NADA`"
    );
    let out = exits(
        dir.path(),
        "hotspots area --area GRADE --from 2026-13 --to 2026-01",
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from `2026-13` inválido"));
}
