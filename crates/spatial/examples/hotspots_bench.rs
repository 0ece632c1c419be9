//! Our side of the hot-spot benchmark (issue #6), run by `bench/hotspots.sh` on the inputs that
//! `bench/hotspots_peer.py gen` wrote (raw little-endian f64), so both sides compute on identical data.
//!
//! ```text
//! hotspots_bench gistar DIR NX NY [--z-out F] [--repeat R]
//! hotspots_bench perm DIR NX NY [--perms 999] [--threads T] [--p-out F] [--repeat R]
//! hotspots_bench pip DIR GEOJSON [--threads T] [--pairs-out F] [--repeat R]
//! hotspots_bench kde DIR [--out F] [--repeat R]
//! ```
//!
//! Each prints one JSON line; times are wall seconds around the computation only (reading inputs and
//! parsing GeoJSON outside), the fastest of `--repeat` runs (default 3).

use std::collections::HashMap;
use std::time::Instant;

use atalaia_spatial::gistar::{gi_star, gi_star_permutation_p};
use atalaia_spatial::grid::{Neighbours, SquareGrid};
use atalaia_spatial::kde::quartic;
use atalaia_spatial::{AreaIndex, AreaVersion};
use chrono::NaiveDate;
use geo::MultiPolygon;

/// Must match `KDE_*` in bench/hotspots_peer.py.
const KDE_SIDE: f64 = 50_000.0;
const KDE_CELL: f64 = 100.0;
const KDE_BANDWIDTH: f64 = 1_000.0;

fn read_f64(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn write_f64(path: &str, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// `--name value` options after the positional arguments.
struct Opts(HashMap<String, String>);

impl Opts {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    fn num(&self, name: &str, default: usize) -> usize {
        self.get(name).map_or(default, |v| v.parse().unwrap())
    }
}

/// The fastest of `repeat` runs of `f`, and its last result.
fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn lattice(nx: usize, ny: usize) -> (SquareGrid, Vec<(usize, usize)>) {
    let grid = SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: 100.0,
        nx,
        ny,
    };
    // Row-major from the south-west: cell (i, j) is y[j * nx + i], as the generator writes it.
    let cells = (0..ny).flat_map(|j| (0..nx).map(move |i| (i, j))).collect();
    (grid, cells)
}

fn gistar(dir: &str, nx: usize, ny: usize, o: &Opts) {
    let y = read_f64(&format!("{dir}/gistar-{nx}x{ny}.f64"));
    assert_eq!(y.len(), nx * ny);
    let repeat = o.num("--repeat", 3);
    let (weights_s, nb) = best(repeat, || {
        let (grid, cells) = lattice(nx, ny);
        Neighbours::queen(&grid, &cells)
    });
    let (seconds, z) = best(repeat, || gi_star(&y, &nb));
    if let Some(p) = o.get("--z-out") {
        write_f64(p, &z);
    }
    println!(
        "{}",
        serde_json::json!({"case": format!("gistar-{}", nx * ny), "side": "gi_star",
            "weights_s": weights_s, "seconds": seconds, "cells": nx * ny})
    );
}

fn perm(dir: &str, nx: usize, ny: usize, o: &Opts) {
    let y = read_f64(&format!("{dir}/gistar-{nx}x{ny}.f64"));
    let (grid, cells) = lattice(nx, ny);
    let nb = Neighbours::queen(&grid, &cells);
    let perms = o.num("--perms", 999);
    let threads = o.num("--threads", 0);
    let used = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |t| t.get())
    } else {
        threads
    };
    let (seconds, p) = best(o.num("--repeat", 3), || {
        gi_star_permutation_p(&y, &nb, perms, 6003, threads)
    });
    if let Some(f) = o.get("--p-out") {
        write_f64(f, &p);
    }
    println!(
        "{}",
        serde_json::json!({"case": format!("perm-{}", nx * ny),
            "side": format!("gi_star_permutation_p, {used} thread{}", if used == 1 { "" } else { "s" }),
            "seconds": seconds, "cells": nx * ny, "permutations": perms})
    );
}

fn municipalities(path: &str) -> Vec<AreaVersion> {
    let fc: geojson::FeatureCollection = std::fs::read_to_string(path).unwrap().parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let code = f
                .property("id")
                .and_then(|v| v.as_str())
                .unwrap()
                .to_string();
            let g: geo::Geometry<f64> = f.geometry.unwrap().try_into().unwrap();
            let geometry = match g {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(mp) => mp,
                _ => panic!("not a polygon"),
            };
            AreaVersion {
                code,
                valid_from: NaiveDate::MIN,
                valid_to: None,
                geometry,
            }
        })
        .collect()
}

fn pip(dir: &str, geojson: &str, o: &Opts) {
    let flat = read_f64(&format!("{dir}/pip-points.f64"));
    let pts: Vec<(f64, f64)> = flat.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let versions = municipalities(geojson);
    let order: HashMap<String, u64> = versions
        .iter()
        .enumerate()
        .map(|(k, v)| (v.code.clone(), k as u64))
        .collect();
    let threads = o.num("--threads", 1).max(1);
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let repeat = o.num("--repeat", 3);
    let (mut build_s, mut query_s) = (f64::INFINITY, f64::INFINITY);
    let mut found: Vec<Vec<String>> = Vec::new();
    for _ in 0..repeat.max(1) {
        let v = versions.clone();
        let t = Instant::now();
        let index = AreaIndex::new(v);
        build_s = build_s.min(t.elapsed().as_secs_f64());
        // The previous run's results are freed before the clock starts, not inside it.
        drop(std::mem::take(&mut found));
        let t = Instant::now();
        // The occurrence import's call, once per point; blocks of points handed out to `threads`
        // threads one at a time (a thread on a busy core takes fewer), then put back in order.
        let blocks = std::sync::Mutex::new(pts.chunks(4096).enumerate());
        let mut done: Vec<(usize, Vec<Vec<String>>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (index, blocks) = (&index, &blocks);
                    s.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let next = blocks.lock().unwrap().next();
                            let Some((b, part)) = next else { break };
                            let codes = part.iter().map(|&(x, y)| index.areas_at(x, y, day));
                            mine.push((b, codes.collect()));
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        done.sort_unstable_by_key(|d| d.0);
        found = done.into_iter().flat_map(|d| d.1).collect();
        query_s = query_s.min(t.elapsed().as_secs_f64());
    }
    let pairs: usize = found.iter().map(Vec::len).sum();
    if let Some(f) = o.get("--pairs-out") {
        let order = &order;
        let mut keys: Vec<i64> = found
            .iter()
            .enumerate()
            .flat_map(|(k, codes)| {
                codes
                    .iter()
                    .map(move |c| (k as u64 * 100_000 + order[c]) as i64)
            })
            .collect();
        keys.sort_unstable();
        let bytes: Vec<u8> = keys.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(f, bytes).unwrap();
    }
    println!(
        "{}",
        serde_json::json!({"case": "pip",
            "side": format!("AreaIndex::new + areas_at, {threads} thread{}", if threads == 1 { "" } else { "s" }),
            "seconds": build_s + query_s, "build_s": build_s, "query_s": query_s, "pairs": pairs,
            "points": pts.len(), "polygons": versions.len()})
    );
}

fn kde(dir: &str, o: &Opts) {
    let flat = read_f64(&format!("{dir}/kde-points.f64"));
    let n = (KDE_SIDE / KDE_CELL).round() as usize;
    let grid = SquareGrid {
        x0: 0.0,
        y0: 0.0,
        cell: KDE_CELL,
        nx: n,
        ny: n,
    };
    let (seconds, d) = best(o.num("--repeat", 3), || {
        quartic(
            &grid,
            flat.chunks_exact(2).map(|p| (p[0], p[1], 1.0)),
            KDE_BANDWIDTH,
        )
    });
    if let Some(f) = o.get("--out") {
        write_f64(f, &d);
    }
    println!(
        "{}",
        serde_json::json!({"case": "kde", "side": "kde::quartic", "seconds": seconds,
            "points": flat.len() / 2, "cells": n * n})
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args
        .iter()
        .position(|a| a.starts_with("--"))
        .unwrap_or(args.len());
    let (pos, rest) = args.split_at(split);
    let opts = Opts(
        rest.chunks(2)
            .map(|kv| (kv[0].clone(), kv.get(1).cloned().unwrap_or_default()))
            .collect(),
    );
    let num = |i: usize| -> usize { pos[i].parse().unwrap() };
    match pos.first().map(String::as_str) {
        Some("gistar") => gistar(&pos[1], num(2), num(3), &opts),
        Some("perm") => perm(&pos[1], num(2), num(3), &opts),
        Some("pip") => pip(&pos[1], &pos[2], &opts),
        Some("kde") => kde(&pos[1], &opts),
        _ => {
            eprintln!("usage: hotspots_bench gistar|perm|pip|kde DIR … (see the source)");
            std::process::exit(2);
        }
    }
}
