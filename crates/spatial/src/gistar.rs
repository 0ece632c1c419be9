//! Getis–Ord Gi* hot spots (igesp.md §3): binary weights with the cell itself included, the analytic
//! z-score exactly as PySAL esda's `G_Local(y, w, transform='B', star=True)` computes it (s² the population
//! variance), two-sided normal p-values as ArcGIS reports them, Benjamini–Hochberg adjustment, and the
//! hot/cold classes at 99/95/90 % confidence.

use crate::grid::Neighbours;

/// The Gi* z-score of each cell of a study area (`y` in the order of `nb`'s cells). With every count
/// equal (no variance) there is no hot spot: every z is 0.
///
/// esda, with `star=True`: `G_i = Σ_j w_ij y_j / Σ y`, `E[G_i] = W_i / n`,
/// `V[G_i] = W_i (n − W_i) / ((n − 1) n²) · s² / ȳ²`, where `W_i` counts the cell and its neighbours and
/// `s²` is the population variance of `y`.
pub fn gi_star(y: &[f64], nb: &Neighbours) -> Vec<f64> {
    let n = y.len() as f64;
    let sum: f64 = y.iter().sum();
    let mean = sum / n;
    let mean_sq = y.iter().map(|v| v * v).sum::<f64>() / n;
    let var = mean_sq - mean * mean;
    if y.is_empty() || var.is_nan() || var <= 0.0 || sum == 0.0 {
        return vec![0.0; y.len()];
    }
    (0..y.len())
        .map(|k| {
            let ids = nb.of(k);
            let local: f64 = y[k] + ids.iter().map(|&j| y[j as usize]).sum::<f64>();
            let w = ids.len() as f64 + 1.0;
            let g = local / sum;
            let e = w / n;
            let mut v = w * (n - w);
            v /= n - 1.0;
            v *= 1.0 / (n * n);
            v *= var / (mean * mean);
            if v > 0.0 { (g - e) / v.sqrt() } else { 0.0 }
        })
        .collect()
}

/// The two-sided normal p-value of a z-score.
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Benjamini–Hochberg adjusted p-values (as `scipy.stats.false_discovery_control(p, method='bh')`): sorted
/// ascending, `p_(k) · m / k`, made monotone from the largest down, capped at 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running = 1.0_f64;
    for rank in (0..m).rev() {
        let k = order[rank];
        let v = (p[k] * m as f64 / (rank + 1) as f64).min(running);
        running = v;
        out[k] = v.min(1.0);
    }
    out
}

/// A cell's class (contracts.md §3): the sign of z, and p below 0.01, 0.05 or 0.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotClass {
    /// Hot at 99 %.
    Hot99,
    /// Hot at 95 %.
    Hot95,
    /// Hot at 90 %.
    Hot90,
    /// Cold at 99 %.
    Cold99,
    /// Cold at 95 %.
    Cold95,
    /// Cold at 90 %.
    Cold90,
    /// Not significant.
    NotSignificant,
}

impl HotClass {
    /// The class of a cell from its z and the p-value used (adjusted or not).
    pub fn of(z: f64, p: f64) -> HotClass {
        let level = if p < 0.01 {
            0
        } else if p < 0.05 {
            1
        } else if p < 0.10 {
            2
        } else {
            return HotClass::NotSignificant;
        };
        match (z > 0.0, level) {
            (true, 0) => HotClass::Hot99,
            (true, 1) => HotClass::Hot95,
            (true, _) => HotClass::Hot90,
            (false, 0) => HotClass::Cold99,
            (false, 1) => HotClass::Cold95,
            (false, _) => HotClass::Cold90,
        }
    }

    /// The code of contracts.md: `hot_99` … `cold_90`, `not_significant`.
    pub fn as_str(self) -> &'static str {
        match self {
            HotClass::Hot99 => "hot_99",
            HotClass::Hot95 => "hot_95",
            HotClass::Hot90 => "hot_90",
            HotClass::Cold99 => "cold_99",
            HotClass::Cold95 => "cold_95",
            HotClass::Cold90 => "cold_90",
            HotClass::NotSignificant => "not_significant",
        }
    }
}

/// Gi* by conditional randomisation (igesp.md §3: skewed counts make the analytic p lopsided): for each
/// cell, its own count stays and its neighbours' are drawn `permutations` times without replacement from
/// the other cells' counts; the pseudo p is two-sided, `2 · (m + 1) / (permutations + 1)` capped at 1,
/// where `m` counts the draws at least as extreme on the observed side (esda's folded count, doubled to
/// read like the analytic two-sided p). Seeded per cell (ChaCha8 with `seed` and the cell's index), so the
/// result does not depend on how many threads share the work; `threads` 0 means all cores.
pub fn gi_star_permutation_p(
    y: &[f64],
    nb: &Neighbours,
    permutations: usize,
    seed: u64,
    threads: usize,
) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let n = y.len();
    if n < 2 || permutations == 0 {
        return vec![1.0; n];
    }
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |t| t.get())
    } else {
        threads
    }
    .clamp(1, n);
    let mut out = vec![1.0; n];
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        for (c, slice) in out.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                let mut chosen: Vec<usize> = Vec::new();
                for (off, p) in slice.iter_mut().enumerate() {
                    let i = c * chunk + off;
                    let ids = nb.of(i);
                    let k = ids.len();
                    if k == 0 || k >= n {
                        continue;
                    }
                    let observed: f64 = ids.iter().map(|&j| y[j as usize]).sum();
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
                        seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    );
                    let (mut above, mut below) = (0usize, 0usize);
                    let others = n - 1;
                    for _ in 0..permutations {
                        // Floyd's sampling of k distinct values of 0..n−1; a value ≥ i stands for the
                        // next cell, so cell i is never drawn.
                        chosen.clear();
                        for j in others - k..others {
                            let t = rng.random_range(0..=j);
                            chosen.push(if chosen.contains(&t) { j } else { t });
                        }
                        let sum: f64 = chosen
                            .iter()
                            .map(|&v| y[if v >= i { v + 1 } else { v }])
                            .sum();
                        if sum >= observed {
                            above += 1;
                        }
                        if sum <= observed {
                            below += 1;
                        }
                    }
                    let m = above.min(below);
                    *p = (2.0 * (m as f64 + 1.0) / (permutations as f64 + 1.0)).min(1.0);
                }
            });
        }
    });
    out
}
