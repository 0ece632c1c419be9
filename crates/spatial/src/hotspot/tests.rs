//! The whole hot-spot analysis of an area on small grids whose classes are worked out by hand.

use super::*;
use crate::gistar::HotClass;

#[test]
fn bandwidth_rule_by_hand() {
    // (0,0), (100,0), (200,0), (300,0): mean centre (150, 0); SD = √(50 000 / 4) = 111.803399;
    // distances 150, 50, 50, 150 → median 100, × √(1/ln 2) = 120.112240; min = 111.803399;
    // 0.9 · 111.803399 · 4^(−0.2) = 76.258…
    let xy = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (300.0, 0.0)];
    let h = default_bandwidth(&xy, 10.0);
    let by_hand = 0.9 * 12_500f64.sqrt() * 4f64.powf(-0.2);
    assert!((h - by_hand).abs() < 1e-9, "{h} vs {by_hand}");
    assert!((h - 76.258).abs() < 1e-3, "{h}");
    // Never below one cell.
    assert_eq!(default_bandwidth(&xy, 100.0), 100.0);
    assert_eq!(default_bandwidth(&[], 100.0), 100.0);
}

#[test]
fn kde_at_centres_equals_the_grid_kde() {
    let grid = SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: 100.0,
        nx: 20,
        ny: 15,
    };
    let pts = [
        (510.0, 730.0, 1.0),
        (530.0, 760.0, 2.0),
        (1_250.0, 300.0, 1.0),
        (40.0, 1_490.0, 1.0),
    ];
    let on_grid = crate::kde::quartic(&grid, pts.iter().copied(), 450.0);
    let centres: Vec<_> = (0..grid.ny)
        .flat_map(|j| (0..grid.nx).map(move |i| (i, j)))
        .map(|(i, j)| grid.centre(i, j))
        .collect();
    let at = quartic_at(&centres, &pts, 450.0);
    for (a, b) in at.iter().zip(&on_grid) {
        // per km² vs per m².
        assert!((a - b * 1e6).abs() < 1e-9, "{a} vs {}", b * 1e6);
    }
    // By hand at the centre (550, 750): the points at distances √(40²+20²) and √(20²+10²).
    let h2 = 450.0f64 * 450.0;
    let k = |d2: f64| (1.0 - d2 / h2).powi(2);
    let by_hand = 3.0 / (std::f64::consts::PI * h2)
        * 1e6
        * (k(40.0 * 40.0 + 20.0 * 20.0) + 2.0 * k(20.0 * 20.0 + 10.0 * 10.0));
    let idx = grid.index(5, 7);
    assert!((at[idx] - by_hand).abs() < 1e-9);
}

/// A 20 km square near Goiânia with a planted cluster: found where planted, in the last months only.
#[test]
fn a_planted_emerging_hot_spot_is_found_where_planted() {
    let zone = Zone::of(-49.25, -16.68);
    let (x0, y0) = (680_000.0, 8_150_000.0);
    // Half a metre in, so the degrees' round trip cannot move the grid's origin a cell west.
    let ring: Vec<(f64, f64)> = [
        (0.5, 0.5),
        (20e3, 0.5),
        (20e3, 20e3),
        (0.5, 20e3),
        (0.5, 0.5),
    ]
    .iter()
    .map(|&(dx, dy)| from_utm(x0 + dx, y0 + dy, zone))
    .collect();
    let area = merge_cells(&[ring]);
    // Background: one point at the centre of every 1 km cell in every one of 6 months; the plant:
    // 12 more points a month in the cell (13, 6) in months 3–5.
    let mut pts = Vec::new();
    for t in 0..6 {
        for j in 0..20 {
            for i in 0..20 {
                let (lon, lat) = from_utm(
                    x0 + i as f64 * 1e3 + 500.0,
                    y0 + j as f64 * 1e3 + 500.0,
                    zone,
                );
                pts.push(Point {
                    lon,
                    lat,
                    step: t,
                    weight: 1.0,
                });
            }
        }
        if t >= 3 {
            for k in 0..12 {
                let (lon, lat) = from_utm(
                    x0 + 13_000.0 + 100.0 + 60.0 * k as f64,
                    y0 + 6_000.0 + 300.0,
                    zone,
                );
                pts.push(Point {
                    lon,
                    lat,
                    step: t,
                    weight: 1.0,
                });
            }
        }
    }
    let a = analyse(
        &area,
        &pts,
        6,
        Params {
            cell: Some(1_000.0),
            ..Params::default()
        },
    )
    .unwrap();
    // The polygon's corners come back from degrees within a millimetre of the metres; the grid's
    // east and north edge columns' centres are outside, so the 20 × 20 cells are the study area.
    assert_eq!(a.cells.len(), 400);
    assert_eq!(a.points_in, pts.len());
    assert_eq!((a.points_out, a.points_edge), (0, 0));
    let hot: Vec<&str> = a
        .cells
        .iter()
        .filter(|c| c.class != HotClass::NotSignificant)
        .map(|c| c.id.as_str())
        .collect();
    assert!(hot.contains(&"13,6"), "{hot:?}");
    let planted = a.cells.iter().find(|c| c.id == "13,6").unwrap();
    assert_eq!(planted.count, 6.0 + 36.0);
    assert_eq!(planted.series, vec![1.0, 1.0, 1.0, 13.0, 13.0, 13.0]);
    assert_eq!(planted.class, HotClass::Hot99);
    // Months 0–2 are flat (every z 0: no variance), months 3–5 hot: one run of three hot steps
    // ending in the last one, never hot before, hot in 50 % of steps → consecutive.
    assert_eq!(
        planted.emerging.map(|e| e.code()).as_deref(),
        Some("consecutive_hot")
    );
    assert_eq!(planted.z_series[0], 0.0);
    // A far corner is not hot, and no cell is cold (the background is flat).
    let corner = &a.cells[0];
    assert_eq!(corner.class, HotClass::NotSignificant);
    assert!(a.cells.iter().all(|c| c.z > -3.0));
    // The densest KDE centre is the planted cell.
    let densest = a
        .cells
        .iter()
        .max_by(|x, y| x.density.total_cmp(&y.density))
        .unwrap();
    assert_eq!(densest.id, "13,6");
    // The top 5 % (20 cells) hold the plant plus 19 background cells' 6 each: (42 + 19·6)/(2400+36).
    assert!((a.top5_share - (42.0 + 19.0 * 6.0) / 2_436.0).abs() < 1e-12);
    assert!(a.method_pt().contains("células quadradas de 1000 m"));
}

#[test]
fn concentration_of_an_area_by_hand() {
    // A 10 km square: default cell 10 000 / 50 = 200 m → 50 × 50 = 2 500 study cells; 30 points in
    // one cell and 10 spread over 10 others: the top 5 % (125 cells) hold all 40 (share 1).
    let zone = Zone::of(-49.25, -16.68);
    let (x0, y0) = (680_000.5, 8_150_000.5);
    let ring: Vec<(f64, f64)> = [(0.0, 0.0), (1e4, 0.0), (1e4, 1e4), (0.0, 1e4), (0.0, 0.0)]
        .iter()
        .map(|&(dx, dy)| from_utm(x0 + dx, y0 + dy, zone))
        .collect();
    let area = merge_cells(&[ring]);
    let mut pts = vec![from_utm(x0 + 5_050.0, y0 + 5_050.0, zone); 30];
    for k in 0..10 {
        pts.push(from_utm(x0 + 100.0 + 400.0 * k as f64, y0 + 150.0, zone));
    }
    let (top5, gini) = concentration_in(&area, &pts).unwrap();
    assert_eq!(top5, 1.0);
    // Gini of 2 489 zeros, ten 1s and one 30 over n = 2 500 cells, by the formula
    // G = Σ(2i − n − 1)·x₍ᵢ₎ / (n Σx) with x sorted ascending: the ten 1s at i = 2 490..2 499 and the
    // 30 at i = 2 500.
    let n = 2_500.0;
    let num: f64 = (2_490..2_500)
        .map(|i| 2.0 * i as f64 - n - 1.0)
        .sum::<f64>()
        + 30.0 * (2.0 * 2_500.0 - n - 1.0);
    let by_hand = num / (n * 40.0);
    assert!((gini - by_hand).abs() < 1e-12, "{gini} vs {by_hand}");
    assert!(concentration_in(&area, &[]).is_none());
}

/// The same planted cluster on H3 hexagons, with permutation inference and a distance band.
#[test]
fn hexagons_and_permutations_find_the_plant_too() {
    let zone = Zone::of(-49.25, -16.68);
    let (x0, y0) = (680_000.5, 8_150_000.5);
    let ring: Vec<(f64, f64)> = [(0.0, 0.0), (1e4, 0.0), (1e4, 1e4), (0.0, 1e4), (0.0, 0.0)]
        .iter()
        .map(|&(dx, dy)| from_utm(x0 + dx, y0 + dy, zone))
        .collect();
    let area = merge_cells(&[ring]);
    let mut pts = Vec::new();
    // A point every 500 m, and a cluster of 100 within ~1 km of one place (conditional randomisation
    // holds the cell's own count and asks whether its neighbours are unusually high, so the plant
    // must spread over them).
    for j in 0..20 {
        for i in 0..20 {
            let (lon, lat) = from_utm(
                x0 + 250.0 + 500.0 * i as f64,
                y0 + 250.0 + 500.0 * j as f64,
                zone,
            );
            pts.push(Point {
                lon,
                lat,
                step: 0,
                weight: 1.0,
            });
        }
    }
    let (plon, plat) = from_utm(x0 + 6_100.0, y0 + 3_900.0, zone);
    for dj in -2..=2 {
        for di in -2..=2 {
            let (lon, lat) = from_utm(
                x0 + 6_100.0 + 400.0 * di as f64,
                y0 + 3_900.0 + 400.0 * dj as f64,
                zone,
            );
            for _ in 0..4 {
                pts.push(Point {
                    lon,
                    lat,
                    step: 0,
                    weight: 1.0,
                });
            }
        }
    }
    let params = Params {
        shape: Shape::Hexagon,
        cell: Some(1_000.0),
        contiguity: Contiguity::Band(2_000.0),
        inference: Inference::Permutation {
            permutations: 999,
            seed: 7,
        },
        ..Params::default()
    };
    let a = analyse(&area, &pts, 1, params).unwrap();
    // The 124 hexagons of resolution 8 that h3-py finds for this square (see `study`).
    assert_eq!((a.resolution, a.cells.len()), (Some(8), 124));
    let home = LatLng::new(plat, plon)
        .unwrap()
        .to_cell(Resolution::Eight)
        .to_string();
    let planted = a.cells.iter().find(|c| c.id == home).unwrap();
    assert!(planted.count >= 4.0);
    // The smallest pseudo p 999 draws can give, 2/1000; after FDR over 124 cells, several of them at
    // that floor, hot at 95 % at least (999 draws cannot take an adjusted p much below 0.01).
    assert_eq!(planted.p, 0.002);
    assert!(planted.p_fdr < 0.05, "{}", planted.p_fdr);
    assert!(matches!(planted.class, HotClass::Hot99 | HotClass::Hot95));
    assert!(a.method_pt().contains("999 permutações (semente 7)"));
    assert!(a.method_pt().contains("hexágonos H3 de resolução 8"));
    // The same seed gives the same p's.
    let b = analyse(&area, &pts, 1, params).unwrap();
    assert!(a.cells.iter().zip(&b.cells).all(|(x, y)| x.p == y.p));
}

#[test]
fn merging_cells_dissolves_shared_edges() {
    let sq = |x: f64, y: f64| {
        vec![
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ]
    };
    let m = merge_cells(&[sq(0.0, 0.0), sq(1.0, 0.0), sq(5.0, 5.0)]);
    assert_eq!(m.0.len(), 2);
    use geo::Area;
    assert!((m.unsigned_area() - 3.0).abs() < 1e-12);
    // The two touching squares became one 2 × 1 rectangle (4 distinct corners + closing point,
    // possibly with the shared edge's ends kept as collinear vertices).
    let big = m.0.iter().find(|p| p.unsigned_area() > 1.5).unwrap();
    assert!((big.unsigned_area() - 2.0).abs() < 1e-12);
    assert!(big.interiors().is_empty());
}

#[test]
fn bad_sizes_are_refused_in_portuguese() {
    let area = merge_cells(&[vec![
        (-49.3, -16.7),
        (-49.2, -16.7),
        (-49.2, -16.6),
        (-49.3, -16.6),
        (-49.3, -16.7),
    ]]);
    let e = analyse(
        &area,
        &[],
        1,
        Params {
            cell: Some(-5.0),
            ..Params::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "tamanho de célula inválido: -5 (esperado um número de metros maior que zero)"
    );
    let e = analyse(
        &area,
        &[],
        1,
        Params {
            cell: Some(1.0),
            ..Params::default()
        },
    )
    .unwrap_err();
    assert_eq!(e, Error::Exceeded(crate::budget::Exceeded::CellSize(1.0)));
    // The default rule: ~10.7 km × 11.1 km → 10 700 / 50 = 214 → 200 m.
    let a = analyse(&area, &[], 1, Params::default()).unwrap();
    assert_eq!(a.cell, 200.0);
    assert!(a.cell_from_rule());
    assert!(a.cells.iter().all(|c| c.emerging.is_none() && c.z == 0.0));
}
