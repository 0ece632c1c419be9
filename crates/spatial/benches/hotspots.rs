//! Hot-spot statistics on synthetic lattices (issue #6): queen weights and the analytic Gi* at 100k and 1M
//! cells, 999 conditional permutations at 100k cells (all cores), and the quartic KDE of 1M points on a
//! 50 km square at 100 m cells. `bench/hotspots.sh` puts the same computations beside PySAL's.

use atalaia_spatial::gistar::{gi_star, gi_star_permutation_p};
use atalaia_spatial::grid::{Neighbours, SquareGrid};
use atalaia_spatial::kde::quartic;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A small deterministic LCG in [0, 1): no extra dependency, same data every run.
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An `n × n` lattice of counts: a background of 0–4 plus a few planted bumps.
fn lattice(n: usize) -> (SquareGrid, Vec<(usize, usize)>, Vec<f64>) {
    let grid = SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: 100.0,
        nx: n,
        ny: n,
    };
    let cells: Vec<(usize, usize)> = (0..n).flat_map(|j| (0..n).map(move |i| (i, j))).collect();
    let mut next = uniform(n as u64);
    let mut y: Vec<f64> = (0..n * n).map(|_| (next() * 5.0).floor()).collect();
    for _ in 0..(n * n / 5000).max(1) {
        let (ci, cj) = ((next() * n as f64) as i64, (next() * n as f64) as i64);
        for dj in -6..=6_i64 {
            for di in -6..=6_i64 {
                let (i, j) = (ci + di, cj + dj);
                if (0..n as i64).contains(&i) && (0..n as i64).contains(&j) {
                    let bump = 12.0 * (-((di * di + dj * dj) as f64) / 18.0).exp();
                    y[j as usize * n + i as usize] += bump.round();
                }
            }
        }
    }
    (grid, cells, y)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("gi_star");
    g.sample_size(20);
    for n in [316, 1000] {
        let (grid, cells, y) = lattice(n);
        g.throughput(Throughput::Elements(cells.len() as u64));
        g.bench_function(format!("queen_weights_{}_cells", cells.len()), |b| {
            b.iter(|| Neighbours::queen(&grid, &cells))
        });
        let nb = Neighbours::queen(&grid, &cells);
        g.bench_function(format!("analytic_{}_cells", cells.len()), |b| {
            b.iter(|| gi_star(&y, &nb))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("gi_star_permutations");
    g.sample_size(10);
    let (grid, cells, y) = lattice(316);
    let nb = Neighbours::queen(&grid, &cells);
    g.throughput(Throughput::Elements(cells.len() as u64));
    g.bench_function("999_permutations_99856_cells_all_cores", |b| {
        b.iter(|| gi_star_permutation_p(&y, &nb, 999, 6003, 0))
    });
    g.finish();

    let mut g = c.benchmark_group("kde");
    g.sample_size(10);
    let mut next = uniform(6002);
    let pts: Vec<(f64, f64, f64)> = (0..1_000_000)
        .map(|_| (next() * 50_000.0, next() * 50_000.0, 1.0))
        .collect();
    let grid = SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: 100.0,
        nx: 500,
        ny: 500,
    };
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("quartic_1m_points_500x500_cells_h1km", |b| {
        b.iter(|| quartic(&grid, pts.iter().copied(), 1_000.0))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
