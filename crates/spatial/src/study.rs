//! The study area of a hot-spot analysis (igesp.md §3): the cells that enter the statistic are those
//! whose centre lies inside the area's polygon, zeros included, on a square grid laid in UTM metres or on
//! H3 hexagons. Also the default cell size (sfhotspot's rule) and the hexagon resolution for a size.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};

use crate::grid::{Neighbours, SquareGrid};
use crate::pip::{PreparedArea, all_rings_rect};
use crate::utm::{Zone, from_utm, to_utm};

/// Default cell size when the team gives none (igesp.md §3, sfhotspot's rule): the shorter side of the
/// study area's bounding box / 50, rounded down to a multiple of 100 m, never below 50 m.
pub fn default_cell_size(width: f64, height: f64) -> f64 {
    let side = width.min(height);
    if !side.is_finite() || side <= 0.0 {
        return 50.0;
    }
    ((side / 50.0 / 100.0).floor() * 100.0).max(50.0)
}

/// A polygon in UTM metres of one zone, prepared for centre tests.
#[derive(Debug, Clone)]
pub struct ProjectedArea {
    /// The zone of the polygon's bounding-box centre.
    pub zone: Zone,
    /// The polygon in metres.
    pub metres: MultiPolygon<f64>,
    /// Prepared for containment, in metres.
    pub prepared: PreparedArea,
    /// Bounding box in metres: `[min_x, min_y, max_x, max_y]`.
    pub bbox: [f64; 4],
    /// The original polygon's bounding box in degrees: `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox_degrees: [f64; 4],
    /// The original polygon prepared for containment in degrees (points are tested in degrees, as the
    /// occurrence import assigns them: the same answer for a point on the same plane).
    pub prepared_degrees: PreparedArea,
}

impl ProjectedArea {
    /// Projects a WGS84 polygon to the UTM zone of its bounding-box centre; `None` when empty.
    pub fn new(area: &MultiPolygon<f64>) -> Option<ProjectedArea> {
        let r = all_rings_rect(area)?;
        let zone = Zone::of((r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0);
        let ring = |ls: &LineString<f64>| {
            LineString::new(
                ls.0.iter()
                    .map(|c| {
                        let (x, y) = to_utm(c.x, c.y, zone);
                        Coord { x, y }
                    })
                    .collect(),
            )
        };
        let metres = MultiPolygon::new(
            area.0
                .iter()
                .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
                .collect(),
        );
        let prepared = PreparedArea::new(&metres)?;
        let prepared_degrees = PreparedArea::new(area)?;
        Some(ProjectedArea {
            zone,
            bbox: prepared.bbox(),
            bbox_degrees: [r.min().x, r.min().y, r.max().x, r.max().y],
            metres,
            prepared,
            prepared_degrees,
        })
    }

    /// Width and height of the bounding box in metres.
    pub fn extent(&self) -> (f64, f64) {
        (self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1])
    }
}

/// The square grid over the area's bounding box (origin as contracts.md §3) and the cells whose centre
/// lies inside the polygon, in row-major order from the south-west.
pub fn square_cells(area: &ProjectedArea, cell: f64) -> Option<(SquareGrid, Vec<(usize, usize)>)> {
    let [x0, y0, x1, y1] = area.bbox;
    let grid = SquareGrid::bounding([(x0, y0), (x1, y1)], cell)?;
    let mut cells = Vec::new();
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let (cx, cy) = grid.centre(i, j);
            if area.prepared.contains(cx, cy) {
                cells.push((i, j));
            }
        }
    }
    Some((grid, cells))
}

/// The H3 resolution whose mean hexagon area is nearest (by ratio) to a square of side `cell` metres.
pub fn hex_resolution(cell: f64) -> Resolution {
    let target = (cell * cell).max(1.0).ln();
    Resolution::range(Resolution::Zero, Resolution::Fifteen)
        .min_by(|a, b| {
            let da = (a.area_m2().ln() - target).abs();
            let db = (b.area_m2().ln() - target).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(Resolution::Nine)
}

/// The H3 cells of `resolution` whose centre lies inside the area, sorted by index (a stable order).
///
/// Walks outwards from the cell at the box's centre over neighbours, keeping to cells whose centre is
/// within the box grown by two hexagon edges (that set is connected), then keeps the centres inside.
pub fn hex_cells(area: &ProjectedArea, resolution: Resolution) -> Vec<CellIndex> {
    let [x0, y0, x1, y1] = area.bbox;
    let margin = 2.0 * resolution.edge_length_m();
    let inside_box = |c: CellIndex| {
        let ll = LatLng::from(c);
        let (x, y) = to_utm(ll.lng(), ll.lat(), area.zone);
        x >= x0 - margin && x <= x1 + margin && y >= y0 - margin && y <= y1 + margin
    };
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (lon, lat) = from_utm(cx, cy, area.zone);
    let Ok(start) = LatLng::new(lat, lon) else {
        return Vec::new();
    };
    let start = start.to_cell(resolution);
    let mut seen = std::collections::HashSet::new();
    let mut queue = vec![start];
    seen.insert(start);
    let mut out = Vec::new();
    while let Some(c) = queue.pop() {
        let ll = LatLng::from(c);
        let (x, y) = to_utm(ll.lng(), ll.lat(), area.zone);
        if area.prepared.contains(x, y) {
            out.push(c);
        }
        for n in c.grid_disk_safe(1) {
            if n != c && !seen.contains(&n) && inside_box(n) {
                seen.insert(n);
                queue.push(n);
            }
        }
    }
    out.sort_unstable();
    out
}

/// Hexagon neighbours within the study cells: the six that share an edge ("queen" on hexagons), or,
/// with `band`, every cell whose centre is within that many metres (centres in `centres`, metres).
pub fn hex_neighbours(
    cells: &[CellIndex],
    centres: &[(f64, f64)],
    band: Option<f64>,
) -> Neighbours {
    let slot: std::collections::HashMap<CellIndex, u32> = cells
        .iter()
        .enumerate()
        .map(|(k, &c)| (c, k as u32))
        .collect();
    let mut start = Vec::with_capacity(cells.len() + 1);
    let mut ids = Vec::new();
    start.push(0);
    for (k, &c) in cells.iter().enumerate() {
        let first = ids.len();
        match band {
            None => {
                for n in c.grid_disk_safe(1) {
                    if n != c
                        && let Some(&s) = slot.get(&n)
                    {
                        ids.push(s);
                    }
                }
            }
            Some(d) => {
                // Neighbouring centres are √3 edges apart: rings up to d / (√3 edge) + 1 hold them all.
                let edge = c.resolution().edge_length_m();
                let rings = (d / (3f64.sqrt() * edge * 0.85)).ceil() as u32 + 1;
                let (x, y) = centres[k];
                for n in c.grid_disk_safe(rings) {
                    if n == c {
                        continue;
                    }
                    if let Some(&s) = slot.get(&n) {
                        let (nx, ny) = centres[s as usize];
                        if (nx - x).hypot(ny - y) <= d + 1e-9 {
                            ids.push(s);
                        }
                    }
                }
            }
        }
        ids[first..].sort_unstable();
        start.push(ids.len());
    }
    Neighbours { start, ids }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn default_cell_size_follows_the_rule() {
        // 40 km × 52 km: 40 000 / 50 = 800 m.
        assert_eq!(default_cell_size(40_000.0, 52_000.0), 800.0);
        // 12 345 m: 246.9 → 200 m.
        assert_eq!(default_cell_size(30_000.0, 12_345.0), 200.0);
        // 4 000 m: 80 → 0 → 50 m (the floor).
        assert_eq!(default_cell_size(4_000.0, 9_000.0), 50.0);
        assert_eq!(default_cell_size(0.0, 9_000.0), 50.0);
    }

    /// A 10 km square in zone 22S around Goiânia (its corners projected back to degrees).
    fn square_area() -> (ProjectedArea, (f64, f64)) {
        let zone = Zone::of(-49.25, -16.68);
        // Half a metre in, so the degrees' round trip cannot move the grid's origin a cell west.
        let (x0, y0) = (680_000.5, 8_150_000.5);
        let c = |x: f64, y: f64| from_utm(x, y, zone);
        let pts = [
            c(x0, y0),
            c(x0 + 10_000.0, y0),
            c(x0 + 10_000.0, y0 + 10_000.0),
            c(x0, y0 + 10_000.0),
        ];
        let p = polygon![
            (x: pts[0].0, y: pts[0].1),
            (x: pts[1].0, y: pts[1].1),
            (x: pts[2].0, y: pts[2].1),
            (x: pts[3].0, y: pts[3].1),
        ];
        (
            ProjectedArea::new(&MultiPolygon::new(vec![p])).unwrap(),
            (x0, y0),
        )
    }

    #[test]
    fn square_cells_are_the_centres_inside() {
        let (area, (x0, y0)) = square_area();
        assert_eq!(
            area.zone,
            Zone {
                number: 22,
                south: true
            }
        );
        // The corners come back to the metres they were made from (to a millimetre).
        assert!((area.bbox[0] - x0).abs() < 1e-3 && (area.bbox[1] - y0).abs() < 1e-3);
        let (grid, cells) = square_cells(&area, 1_000.0).unwrap();
        // Origin floor(680 000 / 1 000) × 1 000: the box's corner; 10 columns (+1 for the east edge).
        assert_eq!((grid.x0, grid.y0), (680_000.0, 8_150_000.0));
        assert_eq!((grid.nx, grid.ny), (11, 11));
        // Exactly the 10 × 10 cells whose centres are inside; the eleventh column/row's centres are out.
        assert_eq!(cells.len(), 100);
        assert_eq!(cells[0], (0, 0));
        assert_eq!(cells[99], (9, 9));
    }

    #[test]
    fn hexagons_cover_the_area_and_have_six_neighbours_inside() {
        let (area, _) = square_area();
        let res = hex_resolution(1_000.0);
        // Resolution 8's mean hexagon is ~0.74 km², the nearest to 1 km² (res 7: 5.2 km²).
        assert_eq!(res, Resolution::Eight);
        let cells = hex_cells(&area, res);
        // h3-py 4 (`polygon_to_cells(LatLngPoly(corners), 8)`, centroid containment) gives 124 cells,
        // from 88a8c0c521fffff to 88a8c0cf5dfffff.
        assert_eq!(
            (
                cells.len(),
                cells[0].to_string(),
                cells[cells.len() - 1].to_string()
            ),
            (
                124,
                "88a8c0c521fffff".to_string(),
                "88a8c0cf5dfffff".to_string()
            )
        );
        let centres: Vec<_> = cells
            .iter()
            .map(|&c| {
                let ll = LatLng::from(c);
                to_utm(ll.lng(), ll.lat(), area.zone)
            })
            .collect();
        let nb = hex_neighbours(&cells, &centres, None);
        let six = (0..nb.len()).filter(|&k| nb.of(k).len() == 6).count();
        assert!(six > cells.len() / 2);
        assert!((0..nb.len()).all(|k| nb.of(k).len() <= 6));
        // A band of 1.1 × the centre spacing gives the same six.
        let spacing = 3f64.sqrt() * res.edge_length_m();
        let band = hex_neighbours(&cells, &centres, Some(spacing * 1.1));
        // Edge lengths vary over the globe, so the band may differ from contiguity for a few cells.
        let same = (0..nb.len()).filter(|&k| nb.of(k) == band.of(k)).count();
        assert!(same * 10 >= cells.len() * 9, "{same} of {}", cells.len());
    }
}
