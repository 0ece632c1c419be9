//! Which areas contain a point on a given day: a uniform grid of buckets over the bounding boxes of every
//! territory version, then the exact test of [`PreparedArea`], keeping only versions in force on that day
//! (Decreto 7.872/2013 Art. 2 §ú: boundaries are versioned, and a fact belongs to the areas of its date).

use chrono::NaiveDate;
use geo::MultiPolygon;

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

/// Buckets of a uniform grid over the union of the areas' boxes, each listing the areas whose box meets
/// it: a point's candidates are one bucket's list, found by arithmetic. It replaced an R-tree (rstar),
/// whose descent was a third of the time of a query with 853 municipalities.
#[derive(Debug, Default)]
struct Buckets {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    width: f64,
    height: f64,
    nx: usize,
    ny: usize,
    /// Bucket `b`'s areas are `ids[start[b]..start[b + 1]]`, ascending.
    start: Vec<u32>,
    ids: Vec<u32>,
}

impl Buckets {
    /// About four buckets per area, shaped like the union of the boxes; fewer when areas whose boxes
    /// cover much of the union (many versions of a large area) would fill too many buckets' lists.
    fn new(boxes: &[[f64; 4]]) -> Buckets {
        let Some(first) = boxes.first() else {
            return Buckets::default();
        };
        let mut u = *first;
        for b in boxes {
            u = [
                u[0].min(b[0]),
                u[1].min(b[1]),
                u[2].max(b[2]),
                u[3].max(b[3]),
            ];
        }
        let (w, h) = (
            (u[2] - u[0]).max(f64::MIN_POSITIVE),
            (u[3] - u[1]).max(f64::MIN_POSITIVE),
        );
        let mut target = (4 * boxes.len()).clamp(1, 1 << 22) as f64;
        let mut g = loop {
            let nx = ((target * w / h).sqrt().round() as usize).clamp(1, 1 << 12);
            let ny = ((target / nx as f64).round() as usize).clamp(1, 1 << 12);
            let g = Buckets {
                x0: u[0],
                y0: u[1],
                x1: u[2],
                y1: u[3],
                width: w / nx as f64,
                height: h / ny as f64,
                nx,
                ny,
                start: Vec::new(),
                ids: Vec::new(),
            };
            let entries: usize = boxes.iter().map(|b| g.count(b)).sum();
            if entries <= 32 * boxes.len() + 4096 || nx * ny == 1 {
                break g;
            }
            target /= 4.0;
        };
        let (nx, ny) = (g.nx, g.ny);
        g.start = vec![0; nx * ny + 1];
        // Two passes (count, then fill) into one array; areas in index order within each bucket.
        for b in boxes {
            for k in g.range(b) {
                g.start[k + 1] += 1;
            }
        }
        for k in 0..nx * ny {
            g.start[k + 1] += g.start[k];
        }
        let mut fill: Vec<u32> = g.start[..nx * ny].to_vec();
        g.ids = vec![0; g.start[nx * ny] as usize];
        for (i, b) in boxes.iter().enumerate() {
            for k in g.range(b) {
                g.ids[fill[k] as usize] = i as u32;
                fill[k] += 1;
            }
        }
        g
    }

    fn column(&self, x: f64) -> usize {
        (((x - self.x0) / self.width) as usize).min(self.nx - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.y0) / self.height) as usize).min(self.ny - 1)
    }

    /// The buckets a box meets. A point inside the box falls in one of them: `column` and `row` are
    /// monotonic, and the same functions place the point.
    fn range(&self, b: &[f64; 4]) -> impl Iterator<Item = usize> + use<> {
        let (i0, i1) = (self.column(b[0]), self.column(b[2]));
        let (j0, j1) = (self.row(b[1]), self.row(b[3]));
        let nx = self.nx;
        (j0..=j1).flat_map(move |j| (i0..=i1).map(move |i| j * nx + i))
    }

    /// How many buckets a box meets.
    fn count(&self, b: &[f64; 4]) -> usize {
        let columns = (self.column(b[2]) + 1).saturating_sub(self.column(b[0]));
        let rows = (self.row(b[3]) + 1).saturating_sub(self.row(b[1]));
        columns * rows
    }

    /// The areas whose box may hold the point.
    fn candidates(&self, x: f64, y: f64) -> &[u32] {
        if !(x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1) {
            return &[];
        }
        let k = self.row(y) * self.nx + self.column(x);
        &self.ids[self.start[k] as usize..self.start[k + 1] as usize]
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
    buckets: Buckets,
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
        let boxes: Vec<[f64; 4]> = areas.iter().map(|a| a.area.bbox()).collect();
        AreaIndex {
            buckets: Buckets::new(&boxes),
            areas,
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
        for &i in self.buckets.candidates(lon, lat) {
            let a = &self.areas[i as usize];
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

    /// The buckets find exactly what testing every area finds.
    #[test]
    fn buckets_agree_with_testing_every_area() {
        let mut s: u64 = 7;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut versions = Vec::new();
        for k in 0..60 {
            let (x, y) = (next() * 100.0, next() * 40.0);
            let (w, h) = (next() * 30.0 + 0.1, next() * 5.0 + 0.1);
            versions.push(AreaVersion {
                code: format!("A{k:02}"),
                valid_from: d(2000, 1, 1),
                valid_to: None,
                geometry: sq(x, y, x + w, y + h),
            });
        }
        let idx = AreaIndex::new(versions.clone());
        let day = d(2024, 1, 1);
        for _ in 0..5000 {
            let (x, y) = (next() * 140.0 - 5.0, next() * 50.0 - 5.0);
            let mut expected: Vec<String> = versions
                .iter()
                .filter(|v| PreparedArea::new(&v.geometry).unwrap().contains(x, y))
                .map(|v| v.code.clone())
                .collect();
            expected.sort();
            assert_eq!(idx.areas_at(x, y, day), expected, "({x}, {y})");
        }
        assert!(idx.areas_at(f64::NAN, 1.0, day).is_empty());
        // Many versions of one large area beside small ones: the lists stay bounded, the answers right.
        let mut many = versions.clone();
        for k in 0..300 {
            many.push(AreaVersion {
                code: format!("BIG{k:03}"),
                valid_from: d(2000, 1, 1),
                valid_to: None,
                geometry: sq(-1.0, -1.0, 131.0, 46.0),
            });
        }
        let big = AreaIndex::new(many);
        assert!(
            big.buckets.ids.len() <= 32 * 360 + 4096,
            "{}",
            big.buckets.ids.len()
        );
        assert_eq!(
            big.areas_at(50.0, 20.0, day).len(),
            300 + idx.areas_at(50.0, 20.0, day).len()
        );
        assert!(
            AreaIndex::new(Vec::new())
                .areas_at(1.0, 1.0, day)
                .is_empty()
        );
    }
}
