//! Which areas contain a point on a given day: an R-tree over the bounding boxes of every territory
//! version, then the exact test of [`PreparedArea`], keeping only versions in force on that day
//! (Decreto 7.872/2013 Art. 2 §ú: boundaries are versioned, and a fact belongs to the areas of its date).

use chrono::NaiveDate;
use geo::MultiPolygon;
use rstar::{AABB, RTree, RTreeObject};

use crate::pip::PreparedArea;

/// One territory version with its geometry.
#[derive(Debug, Clone)]
pub struct AreaVersion {
    /// Territory code.
    pub code: String,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force (inclusive); `None` = open.
    pub valid_to: Option<NaiveDate>,
    /// Geometry, WGS84 lon/lat.
    pub geometry: MultiPolygon<f64>,
}

#[derive(Debug)]
struct Entry {
    idx: u32,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

#[derive(Debug)]
struct Prepared {
    code: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    area: PreparedArea,
}

/// Spatial index of territory versions.
#[derive(Debug, Default)]
pub struct AreaIndex {
    areas: Vec<Prepared>,
    tree: RTree<Entry>,
}

impl AreaIndex {
    /// Builds the index (empty geometries are skipped).
    pub fn new(versions: Vec<AreaVersion>) -> Self {
        let mut areas = Vec::with_capacity(versions.len());
        for v in versions {
            if let Some(area) = PreparedArea::new(&v.geometry) {
                areas.push(Prepared {
                    code: v.code,
                    valid_from: v.valid_from,
                    valid_to: v.valid_to,
                    area,
                });
            }
        }
        let entries = areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let [x0, y0, x1, y1] = a.area.bbox();
                Entry {
                    idx: i as u32,
                    envelope: AABB::from_corners([x0, y0], [x1, y1]),
                }
            })
            .collect();
        AreaIndex {
            areas,
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of indexed versions.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether no version is indexed.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Codes of every area containing (`lon`, `lat`) on `day`, sorted, without repeats.
    pub fn areas_at(&self, lon: f64, lat: f64, day: NaiveDate) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
        {
            let a = &self.areas[e.idx as usize];
            if a.valid_from <= day
                && a.valid_to.is_none_or(|to| day <= to)
                && a.area.contains(lon, lat)
            {
                out.push(a.code.clone());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    #[test]
    fn nested_areas_and_versions_by_date() {
        let idx = AreaIndex::new(vec![
            AreaVersion {
                code: "MUN".into(),
                valid_from: d(1900, 1, 1),
                valid_to: None,
                geometry: sq(0.0, 0.0, 10.0, 10.0),
            },
            // AISP1 was redrawn on 2024-01-01: before, it covered the west half; after, the south half.
            AreaVersion {
                code: "AISP1".into(),
                valid_from: d(1900, 1, 1),
                valid_to: Some(d(2023, 12, 31)),
                geometry: sq(0.0, 0.0, 5.0, 10.0),
            },
            AreaVersion {
                code: "AISP1".into(),
                valid_from: d(2024, 1, 1),
                valid_to: None,
                geometry: sq(0.0, 0.0, 10.0, 5.0),
            },
        ]);
        assert_eq!(idx.areas_at(2.0, 8.0, d(2023, 6, 1)), vec!["AISP1", "MUN"]);
        assert_eq!(idx.areas_at(2.0, 8.0, d(2024, 6, 1)), vec!["MUN"]);
        assert_eq!(idx.areas_at(8.0, 2.0, d(2023, 6, 1)), vec!["MUN"]);
        assert_eq!(idx.areas_at(8.0, 2.0, d(2024, 1, 1)), vec!["AISP1", "MUN"]);
        assert!(idx.areas_at(20.0, 2.0, d(2024, 1, 1)).is_empty());
    }
}
