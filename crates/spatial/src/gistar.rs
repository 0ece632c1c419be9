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
/// read like the analytic two-sided p).
///
/// The draws: like esda's `crand`, one table of `permutations` ordered samples without replacement from
/// the `n − 1` other cells serves every cell (a cell with k neighbours takes each row's first k); unlike it,
/// each cell turns every row by its own random offset (modulo `n − 1`), so a cell's draws are still
/// independent uniform k-subsets while different cells no longer share the same ones. The table comes from
/// `seed`, the offsets from `seed` and the cell's index, so the result does not depend on how many threads
/// share the work; `threads` 0 means all cores.
pub fn gi_star_permutation_p(
    y: &[f64],
    nb: &Neighbours,
    permutations: usize,
    seed: u64,
    threads: usize,
) -> Vec<f64> {
    let n = y.len();
    if n < 2 || permutations == 0 || n > u32::MAX as usize {
        return vec![1.0; n];
    }
    let others = (n - 1) as u32;
    let width = (0..n)
        .map(|i| nb.of(i).len())
        .filter(|&k| k < n)
        .max()
        .unwrap_or(0);
    let table = sample_table(others, width, permutations, seed);
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |t| t.get())
    } else {
        threads
    }
    .clamp(1, n);
    let mut out = vec![1.0; n];
    // Blocks of cells handed out one at a time: a thread on a busy core takes fewer of them.
    const BLOCK: usize = 512;
    let blocks = std::sync::Mutex::new(out.chunks_mut(BLOCK).enumerate());
    let (blocks, table) = (&blocks, &table);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || {
                loop {
                    let next = blocks.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((b, slice)) = next else { break };
                    for (off, p) in slice.iter_mut().enumerate() {
                        let i = b * BLOCK + off;
                        *p = cell_permutation_p(y, nb.of(i), i, table, width, seed);
                    }
                }
            });
        }
    });
    out
}

/// `rows` ordered samples of `width` distinct values of `0..others`, row after row: each value drawn
/// uniformly and drawn again if the row already holds it, so every prefix of a row is a uniform sample.
fn sample_table(others: u32, width: usize, rows: usize, seed: u64) -> Vec<u32> {
    // Cells are numbered below 2³², so this stream is no cell's.
    let mut rng = WyRand::new(seed, u64::MAX);
    let mut table = Vec::with_capacity(rows * width);
    for _ in 0..rows {
        let row = table.len();
        while table.len() < row + width {
            let t = rng.below(others);
            if !table[row..].contains(&t) {
                table.push(t);
            }
        }
    }
    table
}

/// One cell's pseudo p (see [`gi_star_permutation_p`]).
fn cell_permutation_p(
    y: &[f64],
    ids: &[u32],
    i: usize,
    table: &[u32],
    width: usize,
    seed: u64,
) -> f64 {
    let n = y.len();
    let k = ids.len();
    if k == 0 || k >= n {
        return 1.0;
    }
    let observed: f64 = ids.iter().map(|&j| y[j as usize]).sum();
    let mut rng = WyRand::new(seed, i as u64);
    let others = (n - 1) as u32;
    let i = i as u32;
    let (mut above, mut below) = (0usize, 0usize);
    for row in table.chunks_exact(width) {
        let offset = rng.below(others);
        let mut sum = 0.0;
        for &t in &row[..k] {
            // (t + offset) mod (n − 1) without a branch: the subtraction wraps when it should not apply.
            let u = t + offset;
            let v = u.min(u.wrapping_sub(others));
            // Values ≥ i stand for the next cell, so cell i is never drawn.
            sum += y[(v + u32::from(v >= i)) as usize];
        }
        above += usize::from(sum >= observed);
        below += usize::from(sum <= observed);
    }
    let m = above.min(below);
    let permutations = table.len() / width;
    (2.0 * (m as f64 + 1.0) / (permutations as f64 + 1.0)).min(1.0)
}

/// wyrand (Wang Yi): a Weyl sequence through a 128-bit multiply; passes BigCrush and PractRand, and a
/// few thousand draws per cell are a sliver of its 2⁶⁴ period. ChaCha8 through `rand`'s `random_range`
/// was most of the permutation time. Each u64 gives two 32-bit draws.
struct WyRand {
    state: u64,
    spare: u64,
    has_spare: bool,
}

impl WyRand {
    /// The stream of cell `cell` under `seed`: both mixed by SplitMix64's finaliser, so that nearby cells
    /// and seeds start far apart.
    fn new(seed: u64, cell: u64) -> WyRand {
        fn mix(mut z: u64) -> u64 {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        WyRand {
            state: mix(seed ^ mix(cell)),
            spare: 0,
            has_spare: false,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    fn next_u32(&mut self) -> u32 {
        if self.has_spare {
            self.has_spare = false;
            (self.spare >> 32) as u32
        } else {
            self.spare = self.next_u64();
            self.has_spare = true;
            self.spare as u32
        }
    }

    /// Uniform in 0..range (range ≥ 1), without bias: Lemire's multiply-and-reject.
    fn below(&mut self, range: u32) -> u32 {
        let mut m = u64::from(self.next_u32()) * u64::from(range);
        if (m as u32) < range {
            let threshold = range.wrapping_neg() % range;
            while (m as u32) < threshold {
                m = u64::from(self.next_u32()) * u64::from(range);
            }
        }
        (m >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_distinct_and_every_cell_is_drawn_evenly() {
        let table = sample_table(9, 4, 3000, 11);
        for row in table.chunks_exact(4) {
            assert!(row.iter().all(|&v| v < 9));
            for (a, &v) in row.iter().enumerate() {
                assert!(!row[..a].contains(&v), "{row:?}");
            }
        }
        // One cell's draws after its offsets: each of the other 9 cells about 3000 · 4 / 9 times.
        let mut rng = WyRand::new(11, 3);
        let mut seen = [0usize; 10];
        for row in table.chunks_exact(4) {
            let offset = rng.below(9);
            for &t in row {
                let u = t + offset;
                let v = u.min(u.wrapping_sub(9));
                seen[(v + u32::from(v >= 3)) as usize] += 1;
            }
        }
        assert_eq!(seen[3], 0, "the cell itself is never drawn");
        for (c, &s) in seen.iter().enumerate().filter(|&(c, _)| c != 3) {
            assert!((1200..1467).contains(&s), "cell {c}: {s}");
        }
    }

    #[test]
    fn any_number_of_threads_gives_the_same_p() {
        use crate::grid::SquareGrid;
        let g = SquareGrid {
            x0: 0.0,
            y0: 0.0,
            cell: 1.0,
            nx: 45,
            ny: 40,
        };
        let cells: Vec<(usize, usize)> =
            (0..40).flat_map(|j| (0..45).map(move |i| (i, j))).collect();
        let nb = Neighbours::queen(&g, &cells);
        let y: Vec<f64> = (0..cells.len()).map(|k| ((k * 7919) % 13) as f64).collect();
        let one = gi_star_permutation_p(&y, &nb, 99, 5, 1);
        for threads in [2, 3, 7] {
            assert_eq!(one, gi_star_permutation_p(&y, &nb, 99, 5, threads));
        }
        assert!(one.iter().all(|&p| (0.02 - 1e-12..=1.0).contains(&p)));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = WyRand::new(1, 2);
        for range in [1, 2, 3, 7, 1000, u32::MAX] {
            for _ in 0..1000 {
                assert!(rng.below(range) < range);
            }
        }
    }
}
