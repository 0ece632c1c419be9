//! Gi*, Benjamini–Hochberg and UTM against peer tools' output committed as fixtures
//! (`scripts/fixtures/spatial_fixtures.py`: PySAL esda 2.9 / libpysal 4.14, scipy, pyproj 3.7).

use atalaia_spatial::gistar::{HotClass, benjamini_hochberg, gi_star, two_sided_p};
use atalaia_spatial::grid::{Neighbours, SquareGrid};
use atalaia_spatial::utm::{Zone, from_utm, to_utm};

struct Row {
    i: usize,
    j: usize,
    count: f64,
    z: f64,
    p: f64,
    p_fdr: f64,
}

fn fixture(name: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                i: f[0].parse().unwrap(),
                j: f[1].parse().unwrap(),
                count: f[2].parse().unwrap(),
                z: f[3].parse().unwrap(),
                p: f[4].parse().unwrap(),
                p_fdr: f[5].parse().unwrap(),
            }
        })
        .collect()
}

/// The 14 × 11 grid of the fixtures, 100 m cells.
fn grid() -> SquareGrid {
    SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: 100.0,
        nx: 14,
        ny: 11,
    }
}

fn check(name: &str, weights: impl Fn(&SquareGrid, &[(usize, usize)]) -> Neighbours) {
    let rows = fixture(name);
    let cells: Vec<(usize, usize)> = rows.iter().map(|r| (r.i, r.j)).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.count).collect();
    let z = gi_star(&y, &weights(&grid(), &cells));
    let p: Vec<f64> = z.iter().map(|&z| two_sided_p(z)).collect();
    let fdr = benjamini_hochberg(&p);
    for (k, r) in rows.iter().enumerate() {
        assert!(
            (z[k] - r.z).abs() < 1e-9,
            "{name} ({}, {}): z {} vs esda {}",
            r.i,
            r.j,
            z[k],
            r.z
        );
        assert!(
            (p[k] - r.p).abs() < 1e-12,
            "{name} ({}, {}): p {} vs {}",
            r.i,
            r.j,
            p[k],
            r.p
        );
        assert!(
            (fdr[k] - r.p_fdr).abs() < 1e-12,
            "{name} ({}, {}): p_fdr {} vs scipy {}",
            r.i,
            r.j,
            fdr[k],
            r.p_fdr
        );
    }
}

#[test]
fn gi_star_matches_esda_with_queen_contiguity() {
    check("gistar_queen.csv", Neighbours::queen);
}

#[test]
fn gi_star_matches_esda_with_a_distance_band() {
    check("gistar_band.csv", |g, c| Neighbours::band(g, c, 250.0));
}

#[test]
fn gi_star_matches_esda_on_a_study_area_that_does_not_fill_its_grid() {
    check("gistar_queen_cut.csv", Neighbours::queen);
}

#[test]
fn the_planted_hot_spot_is_found_where_it_was_planted() {
    let rows = fixture("gistar_queen.csv");
    let hottest = rows.iter().max_by(|a, b| a.z.total_cmp(&b.z)).unwrap();
    let cells: Vec<(usize, usize)> = rows.iter().map(|r| (r.i, r.j)).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.count).collect();
    let z = gi_star(&y, &Neighbours::queen(&grid(), &cells));
    let best = (0..z.len()).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap();
    assert_eq!(cells[best], (hottest.i, hottest.j));
    // Planted around (9, 7): the hottest cell is within one cell of it.
    assert!(
        cells[best].0.abs_diff(9) <= 1 && cells[best].1.abs_diff(7) <= 1,
        "{:?}",
        cells[best]
    );
    let p = two_sided_p(z[best]);
    assert_eq!(HotClass::of(z[best], p), HotClass::Hot99);
}

#[test]
fn benjamini_hochberg_by_hand() {
    // m = 5: sorted 0.01, 0.02, 0.03, 0.04, 0.20 → ×5/k = 0.05, 0.05, 0.05, 0.05, 0.20.
    let p = [0.04, 0.01, 0.20, 0.03, 0.02];
    let adj = benjamini_hochberg(&p);
    let want = [0.05, 0.05, 0.20, 0.05, 0.05];
    for (a, w) in adj.iter().zip(want) {
        assert!((a - w).abs() < 1e-15, "{adj:?}");
    }
    // Monotone from the top: 0.01, 0.04, 0.045 → 0.03, 0.06 → min(0.06, 0.045) = 0.045, 0.045.
    let adj = benjamini_hochberg(&[0.01, 0.04, 0.045]);
    for (a, w) in adj.iter().zip([0.03, 0.045, 0.045]) {
        assert!((a - w).abs() < 1e-15, "{adj:?}");
    }
    assert_eq!(benjamini_hochberg(&[]), Vec::<f64>::new());
}

#[test]
fn classes_by_sign_and_level() {
    assert_eq!(HotClass::of(3.0, 0.009).as_str(), "hot_99");
    assert_eq!(HotClass::of(2.0, 0.049).as_str(), "hot_95");
    assert_eq!(HotClass::of(1.7, 0.09).as_str(), "hot_90");
    assert_eq!(HotClass::of(-1.7, 0.09).as_str(), "cold_90");
    assert_eq!(HotClass::of(-3.0, 0.001).as_str(), "cold_99");
    assert_eq!(HotClass::of(5.0, 0.10).as_str(), "not_significant");
}

#[test]
fn no_variance_no_hot_spot() {
    let g = grid();
    let cells: Vec<(usize, usize)> = (0..3).flat_map(|j| (0..3).map(move |i| (i, j))).collect();
    assert_eq!(gi_star(&[2.0; 9], &Neighbours::queen(&g, &cells)), [0.0; 9]);
}

#[test]
fn grid_origin_and_edges_per_contract() {
    let g = SquareGrid::bounding([(1050.0, 2000.0), (1299.9, 2250.0)], 100.0).unwrap();
    assert_eq!((g.x0, g.y0, g.nx, g.ny), (1000.0, 2000.0, 3, 3));
    // A point on a cell's west or south edge belongs to that cell.
    assert_eq!(g.cell_of(1100.0, 2100.0), Some((1, 1)));
    assert_eq!(g.cell_of(1099.999, 2100.0), Some((0, 1)));
    assert_eq!(g.cell_of(999.0, 2100.0), None);
    assert_eq!(SquareGrid::bounding([(0.0, 0.0)], 0.0), None);
    assert_eq!(SquareGrid::bounding(std::iter::empty(), 100.0), None);
}

#[test]
fn utm_matches_pyproj_and_comes_back() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/utm.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut rdr = text.lines().skip(1).map(|l| {
        // The place may be quoted and hold a comma: read the six numbers from the right.
        let f: Vec<&str> = l.rsplitn(7, ',').collect();
        (
            f[6].trim_matches('"').to_string(),
            f[5].parse::<f64>().unwrap(),
            f[4].parse::<f64>().unwrap(),
            f[3].parse::<u8>().unwrap(),
            f[2] == "true",
            f[1].parse::<f64>().unwrap(),
            f[0].parse::<f64>().unwrap(),
        )
    });
    let mut n = 0;
    for (place, lon, lat, zone, south, e, nn) in rdr.by_ref() {
        let z = Zone::of(lon, lat);
        assert_eq!((z.number, z.south), (zone, south), "{place}");
        let (x, y) = to_utm(lon, lat, z);
        assert!(
            (x - e).abs() < 1e-6 && (y - nn).abs() < 1e-6,
            "{place}: ({x}, {y}) vs pyproj ({e}, {nn})"
        );
        let (lo, la) = from_utm(x, y, z);
        assert!(
            (lo - lon).abs() < 1e-10 && (la - lat).abs() < 1e-10,
            "{place}: back to ({lo}, {la})"
        );
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn permutation_inference_finds_the_planted_spot_and_is_reproducible() {
    use atalaia_spatial::gistar::gi_star_permutation_p;
    let rows = fixture("gistar_queen.csv");
    let cells: Vec<(usize, usize)> = rows.iter().map(|r| (r.i, r.j)).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.count).collect();
    let nb = Neighbours::queen(&grid(), &cells);
    let p = gi_star_permutation_p(&y, &nb, 999, 7872, 1);
    // The same seed gives the same p whatever the number of threads.
    assert_eq!(p, gi_star_permutation_p(&y, &nb, 999, 7872, 3));
    assert_ne!(p, gi_star_permutation_p(&y, &nb, 999, 1, 1));
    let z = gi_star(&y, &nb);
    let best = (0..z.len()).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap();
    // No draw beats the planted spot's neighbourhood: the smallest two-sided pseudo p, 2/1000.
    assert!((p[best] - 0.002).abs() < 1e-12, "{}", p[best]);
    assert!(p.iter().all(|&v| (0.002 - 1e-12..=1.0).contains(&v)));
    // Where the analytic test sees nothing (|z| < 0.5), neither do the permutations.
    for k in 0..z.len() {
        if z[k].abs() < 0.5 {
            assert!(p[k] > 0.2, "cell {k}: z {} p {}", z[k], p[k]);
        }
    }
}
