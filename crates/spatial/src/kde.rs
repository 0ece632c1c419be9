//! Kernel density (igesp.md §3): the quartic (biweight) kernel of bandwidth `h` metres, evaluated at the
//! centres of a square grid's cells, as maps show it. A point of weight `w` at distance `d < h` adds
//! `w · 3 / (π h²) · (1 − d²/h²)²` (the kernel integrates to 1, so the surface is in points per m²).

use std::f64::consts::PI;

use crate::grid::SquareGrid;

/// The density at each cell centre of `grid` (row-major), from points `(x, y, weight)` in metres. Each
/// point visits only the cells within `bandwidth` of it, so the cost is the points times (h / cell)².
///
/// The grid is worked in bands of rows that fit in a core's cache, each band over the points that reach
/// it, in their given order; bands are shared among the cores. A cell's sum thus takes the same terms in
/// the same order as one pass over the points would, whatever the number of cores: the same bits.
pub fn quartic(
    grid: &SquareGrid,
    points: impl IntoIterator<Item = (f64, f64, f64)>,
    bandwidth: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; grid.nx * grid.ny];
    if !bandwidth.is_finite() || bandwidth <= 0.0 || out.is_empty() {
        return out;
    }
    let reach = (bandwidth / grid.cell).ceil() as i64 + 1;
    // Each point with the cell whose centre is nearest; the square of cells around it is in reach.
    let pts: Vec<Point> = points
        .into_iter()
        .filter(|(x, y, w)| x.is_finite() && y.is_finite() && w.is_finite())
        .map(|(x, y, w)| Point {
            x,
            y,
            w,
            ci: ((x - grid.x0) / grid.cell - 0.5).round() as i64,
            cj: ((y - grid.y0) / grid.cell - 0.5).round() as i64,
        })
        .collect();
    let rows_of = |p: &Point| {
        (
            (p.cj - reach).max(0),
            (p.cj + reach).min(grid.ny as i64 - 1),
        )
    };
    // Rows per band: about 256 kB of the output, at least one row.
    let band_rows = (32_768 / grid.nx).max(1);
    let n_bands = grid.ny.div_ceil(band_rows);
    // The points reaching each band, in their order (counted, then filled into one array).
    let mut start = vec![0usize; n_bands + 1];
    let bands_of = |p: &Point| {
        let (j0, j1) = rows_of(p);
        (j0 <= j1).then(|| j0 as usize / band_rows..=j1 as usize / band_rows)
    };
    for p in &pts {
        for b in bands_of(p).into_iter().flatten() {
            start[b + 1] += 1;
        }
    }
    for b in 0..n_bands {
        start[b + 1] += start[b];
    }
    let mut fill = start[..n_bands].to_vec();
    let mut members = vec![0u32; start[n_bands]];
    for (k, p) in pts.iter().enumerate() {
        for b in bands_of(p).into_iter().flatten() {
            members[fill[b]] = k as u32;
            fill[b] += 1;
        }
    }
    let work = |b: usize, band: &mut [f64]| {
        let rows = (b * band_rows) as i64..((b + 1) * band_rows).min(grid.ny) as i64;
        for &k in &members[start[b]..start[b + 1]] {
            let p = &pts[k as usize];
            let (j0, j1) = rows_of(p);
            let j_range = j0.max(rows.start)..=j1.min(rows.end - 1);
            add_point(grid, p, bandwidth, reach, j_range, rows.start, band);
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n_bands);
    // Bands handed out one at a time: a thread on a busy core takes fewer of them.
    let bands = std::sync::Mutex::new(out.chunks_mut(band_rows * grid.nx).enumerate());
    let (bands, work) = (&bands, &work);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || {
                loop {
                    let next = bands.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((b, band)) = next else { break };
                    work(b, band);
                }
            });
        }
    });
    out
}

/// A point and the cell whose centre is nearest.
struct Point {
    x: f64,
    y: f64,
    w: f64,
    ci: i64,
    cj: i64,
}

/// Adds one point's kernel to the rows `rows` of a band whose first row is `first`.
fn add_point(
    grid: &SquareGrid,
    p: &Point,
    bandwidth: f64,
    reach: i64,
    rows: std::ops::RangeInclusive<i64>,
    first: i64,
    band: &mut [f64],
) {
    let h2 = bandwidth * bandwidth;
    let norm = 3.0 / (PI * h2);
    let (x, y, w) = (p.x, p.y, p.w);
    let (i0, i1) = (
        (p.ci - reach).max(0),
        (p.ci + reach).min(grid.nx as i64 - 1),
    );
    if i0 > i1 {
        return;
    }
    for j in rows {
        let cy = grid.y0 + (j as f64 + 0.5) * grid.cell;
        let dy2 = (cy - y) * (cy - y);
        if dy2 >= h2 {
            continue;
        }
        // The cells of this row within reach are one run (the distance to the centres falls, then rises,
        // along the row): bound it with a square root, then settle its ends with the exact test, so the
        // loop below adds to the same cells as testing each would, without a test (a branch the
        // processor mispredicted at both ends of every row).
        let d2_at = |i: i64| {
            let cx = grid.x0 + (i as f64 + 0.5) * grid.cell;
            (cx - x) * (cx - x) + dy2
        };
        let centre = (x - grid.x0) / grid.cell - 0.5;
        let half = (h2 - dy2).sqrt() / grid.cell;
        let mut a = ((centre - half).ceil() as i64).clamp(i0, i1 + 1);
        let mut b = ((centre + half).floor() as i64).clamp(i0 - 1, i1);
        while a > i0 && d2_at(a - 1) < h2 {
            a -= 1;
        }
        while a <= b && d2_at(a) >= h2 {
            a += 1;
        }
        while b < i1 && d2_at(b + 1) < h2 {
            b += 1;
        }
        while b >= a && d2_at(b) >= h2 {
            b -= 1;
        }
        if a > b {
            continue;
        }
        let row = (j - first) as usize * grid.nx;
        let run = &mut band[row + a as usize..=row + b as usize];
        for (i, v) in (a..).zip(run) {
            let u = 1.0 - d2_at(i) / h2;
            *v += w * norm * u * u;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, cell: f64) -> SquareGrid {
        SquareGrid {
            x0: 0.0,
            y0: 0.0,
            cell,
            nx: n,
            ny: n,
        }
    }

    #[test]
    fn one_point_by_hand() {
        // A point of weight 2 at the centre of cell (10, 10) of 50 m cells, h = 100 m.
        let g = grid(21, 50.0);
        let d = quartic(&g, [(525.0, 525.0, 2.0)], 100.0);
        let at = |i: usize, j: usize| d[g.index(i, j)];
        // At the point: 2 · 3/(π · 100²).
        assert!((at(10, 10) - 2.0 * 3.0 / (PI * 10_000.0)).abs() < 1e-15);
        // 50 m away: 2 · 3/(π · 100²) · (1 − 0.25)².
        assert!((at(11, 10) - 2.0 * 3.0 / (PI * 10_000.0) * 0.5625).abs() < 1e-15);
        assert_eq!(at(11, 10), at(10, 9), "symmetric");
        // 100 m away: the kernel's edge, nothing.
        assert_eq!(at(12, 10), 0.0);
    }

    #[test]
    fn the_surface_holds_the_points_weight() {
        // Cells much smaller than the bandwidth: Σ density × cell area ≈ the weight.
        let g = grid(200, 10.0);
        let d = quartic(&g, [(1000.0, 1000.0, 3.0)], 400.0);
        let total: f64 = d.iter().sum::<f64>() * 100.0;
        assert!((total - 3.0).abs() < 3e-3, "{total}");
        assert!(
            quartic(&g, [(1.0, 1.0, 1.0)], 0.0)
                .iter()
                .all(|v| *v == 0.0)
        );
    }

    /// Bands and threads change nothing: the same bits as one pass over the points testing every cell.
    #[test]
    fn bands_give_the_bits_of_one_pass() {
        let g = SquareGrid {
            x0: -250.0,
            y0: 130.0,
            cell: 10.0,
            nx: 300,
            ny: 240,
        };
        let mut s: u64 = 3;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        // Some points outside the grid, some beyond reach of it; weights of both signs.
        let pts: Vec<(f64, f64, f64)> = (0..600)
            .map(|_| {
                (
                    next() * 4000.0 - 800.0,
                    next() * 3400.0 - 300.0,
                    next() * 3.0 - 0.5,
                )
            })
            .collect();
        let h = 137.0;
        let h2 = h * h;
        let norm = 3.0 / (PI * h2);
        let mut naive = vec![0.0; g.nx * g.ny];
        for &(x, y, w) in &pts {
            for j in 0..g.ny {
                for i in 0..g.nx {
                    let (cx, cy) = g.centre(i, j);
                    let d2 = (cx - x) * (cx - x) + (cy - y) * (cy - y);
                    if d2 < h2 {
                        let u = 1.0 - d2 / h2;
                        naive[g.index(i, j)] += w * norm * u * u;
                    }
                }
            }
        }
        let banded = quartic(&g, pts.iter().copied(), h);
        assert!(
            banded
                .iter()
                .zip(&naive)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}
