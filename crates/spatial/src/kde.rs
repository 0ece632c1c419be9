//! Kernel density (igesp.md §3): the quartic (biweight) kernel of bandwidth `h` metres, evaluated at the
//! centres of a square grid's cells, as maps show it. A point of weight `w` at distance `d < h` adds
//! `w · 3 / (π h²) · (1 − d²/h²)²` (the kernel integrates to 1, so the surface is in points per m²).

use std::f64::consts::PI;

use crate::grid::SquareGrid;

/// The density at each cell centre of `grid` (row-major), from points `(x, y, weight)` in metres. Each
/// point visits only the cells within `bandwidth` of it, so the cost is the points times (h / cell)².
pub fn quartic(
    grid: &SquareGrid,
    points: impl IntoIterator<Item = (f64, f64, f64)>,
    bandwidth: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; grid.nx * grid.ny];
    if !bandwidth.is_finite() || bandwidth <= 0.0 {
        return out;
    }
    let h2 = bandwidth * bandwidth;
    let norm = 3.0 / (PI * h2);
    let reach = (bandwidth / grid.cell).ceil() as i64 + 1;
    for (x, y, w) in points {
        if !x.is_finite() || !y.is_finite() || !w.is_finite() {
            continue;
        }
        // The cell whose centre is nearest, then the square of cells around it.
        let ci = ((x - grid.x0) / grid.cell - 0.5).round() as i64;
        let cj = ((y - grid.y0) / grid.cell - 0.5).round() as i64;
        let (i0, i1) = ((ci - reach).max(0), (ci + reach).min(grid.nx as i64 - 1));
        let (j0, j1) = ((cj - reach).max(0), (cj + reach).min(grid.ny as i64 - 1));
        for j in j0..=j1 {
            let cy = grid.y0 + (j as f64 + 0.5) * grid.cell;
            let dy2 = (cy - y) * (cy - y);
            if dy2 >= h2 {
                continue;
            }
            let row = j as usize * grid.nx;
            for i in i0..=i1 {
                let cx = grid.x0 + (i as f64 + 0.5) * grid.cell;
                let d2 = (cx - x) * (cx - x) + dy2;
                if d2 < h2 {
                    let u = 1.0 - d2 / h2;
                    out[row + i as usize] += w * norm * u * u;
                }
            }
        }
    }
    out
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
}
