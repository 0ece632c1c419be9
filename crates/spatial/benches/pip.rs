//! Point-in-polygon assignment throughput: 100 000 points drawn in Goiás' bounding box against the 246
//! real IBGE municipal polygons (R-tree, then the banded exact test), as the occurrence import does.

use atalaia_spatial::{AreaIndex, AreaVersion};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::MultiPolygon;

fn municipalities() -> Vec<AreaVersion> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../demo/data/geojs-52-mun.json"
    );
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
                _ => unreachable!(),
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

fn points(n: usize) -> Vec<(f64, f64)> {
    // A small deterministic LCG: no extra dependency, same points every run.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| (-53.3 + next() * 7.4, -19.5 + next() * 7.1))
        .collect()
}

fn bench(c: &mut Criterion) {
    let index = AreaIndex::new(municipalities());
    let pts = points(100_000);
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let mut g = c.benchmark_group("point_in_polygon");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("go_246_municipalities_100k_points", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for &(x, y) in &pts {
                hits += index.areas_at(x, y, day).len();
            }
            hits
        })
    });
    g.finish();
    c.bench_function("build_index_246_municipalities", |b| {
        b.iter(|| AreaIndex::new(municipalities()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
