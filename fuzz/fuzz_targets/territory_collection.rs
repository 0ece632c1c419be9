//! A whole `territories` file: a GeoJSON FeatureCollection checked as the import checks it (crates/ingest
//! load.rs `territories`, private and async there: its checks are repeated here), every feature parsed,
//! a rejected feature shown as the rejects file shows it, and the accepted geometries, stored as text and
//! read back as `area_index` reads them, put in the point-in-polygon index and queried at their vertices.
#![no_main]
use atalaia_ingest::territories::{parse_feature, to_multipolygon};
use atalaia_spatial::{AreaIndex, AreaVersion};
use geo::{CoordsIter, MultiPolygon};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let features = match (
        value.get("type").and_then(|t| t.as_str()),
        value.get("features"),
    ) {
        (Some("FeatureCollection"), Some(Value::Array(f))) => f,
        _ => return,
    };
    let mut versions = Vec::new();
    let mut probes = Vec::new();
    for f in features {
        match parse_feature(f) {
            Err(_) => {
                let shown = f.to_string();
                let _ = if shown.len() > 500 {
                    format!("{}…", &shown[..shown.floor_char_boundary(500)])
                } else {
                    shown
                };
            }
            Ok(p) => {
                let Some(text) = &p.input.geometry else {
                    continue;
                };
                let stored: Value = serde_json::from_str(text).expect("a stored geometry is JSON");
                let mp = to_multipolygon(&stored).expect("a stored geometry reads back");
                same_shape(
                    &mp,
                    p.geometry.as_ref().expect("a stored geometry was parsed"),
                );
                probes.push((p.input.valid_from, p.input.bbox));
                probes.extend(
                    mp.coords_iter()
                        .take(64)
                        .map(|c| (p.input.valid_from, Some([c.x, c.y, c.x, c.y]))),
                );
                versions.push(AreaVersion {
                    code: p.input.code,
                    valid_from: p.input.valid_from,
                    valid_to: p.input.valid_to,
                    geometry: mp,
                });
            }
        }
    }
    let index = AreaIndex::new(versions);
    for (day, bbox) in probes {
        let Some([x0, y0, x1, y1]) = bbox else {
            continue;
        };
        for (x, y) in [(x0, y0), (x1, y1), ((x0 + x1) / 2.0, (y0 + y1) / 2.0)] {
            let _ = index.areas_at(x, y, day);
        }
    }
});

/// The geometry read back from its stored text is the one that was checked. Not to the last bit:
/// serde_json, without its `float_roundtrip` feature, may read a coordinate it wrote one unit in the
/// last place off (e.g. `-93.12406737576401`), harmless at 1e-14 degrees.
fn same_shape(stored: &MultiPolygon<f64>, checked: &MultiPolygon<f64>) {
    assert_eq!(stored.0.len(), checked.0.len());
    assert_eq!(stored.coords_count(), checked.coords_count());
    for (a, b) in stored.coords_iter().zip(checked.coords_iter()) {
        for (x, y) in [(a.x, b.x), (a.y, b.y)] {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{stored:?} != {checked:?}"
            );
        }
    }
}
