//! The buffer ring of an evaluation (igesp.md §6): "buffer D = the ring of M metres around T (T
//! excluded)", i.e. buffer(T, M) minus T.
//!
//! T is projected to the UTM zone of its bounding box's centre (as [`crate::study`] does for hot spots),
//! moved to a local origin (its box's south-west corner, so the boolean operations of geo/i_overlay work
//! on small numbers), and buffered there with round joins (geo's `Buffer`, each arc drawn with chords of
//! about [`JOIN_ANGLE`] radians — a quarter circle in 31 — so for M = 500 m the polygon strays at most
//! 16 cm inside the true circle). A point is in the ring when it is inside the buffer (in those metres) and **not** inside T as
//! the occurrence import decides it (the same half-open test on the same WGS84 plane), so a point is
//! never in both T and its ring, and a point on T's border lands on the side the import put it.

use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::{Area, BooleanOps, Buffer, Coord, CoordsIter, LineString, MultiPolygon, Polygon};

use crate::pip::PreparedArea;
use crate::study::ProjectedArea;
use crate::utm::{Zone, from_utm, to_utm};

/// The largest angle (radians) of one segment of a rounded corner (i_overlay's `L / R`).
pub const JOIN_ANGLE: f64 = 0.05;

/// The widest ring accepted, in metres (beyond a few kilometres a "ring around a hot spot" is a region).
pub const MAX_METRES: f64 = 10_000.0;

/// Why a ring could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RingError {
    /// The width is not a positive number up to [`MAX_METRES`].
    #[error(
        "largura do entorno `{0}` inválida: esperado um número de metros maior que 0 e até 10000"
    )]
    Width(f64),
    /// The area has no polygon to buffer.
    #[error("a área não tem polígono")]
    Empty,
}

/// The ring buffer(T, M) − T, ready to test many points.
#[derive(Debug, Clone)]
pub struct BufferRing {
    zone: Zone,
    /// Local origin (UTM metres) subtracted from every coordinate.
    origin: (f64, f64),
    /// buffer(T, M) in local metres, prepared.
    outer: PreparedArea,
    /// T in degrees, prepared exactly as the import tests points.
    target_degrees: PreparedArea,
    /// The ring's geometry (buffer minus T) in local metres.
    ring: MultiPolygon<f64>,
    /// Box of the buffer in degrees, `[min_lon, min_lat, max_lon, max_lat]`, slightly widened.
    bbox_degrees: [f64; 4],
    metres: f64,
}

fn map_rings(mp: &MultiPolygon<f64>, f: impl Fn(Coord<f64>) -> Coord<f64>) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| LineString::new(ls.0.iter().map(|&c| f(c)).collect());
    MultiPolygon::new(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// Checks a ring's width: a finite number of metres above 0 and up to [`MAX_METRES`].
pub fn check_width(metres: f64) -> Result<f64, RingError> {
    if metres.is_finite() && metres > 0.0 && metres <= MAX_METRES {
        Ok(metres)
    } else {
        Err(RingError::Width(metres))
    }
}

/// A width as a user types it ("500" or "1,5", with either decimal point), within
/// [`check_width`]'s bounds; `None` for anything else.
pub fn parse_width(text: &str) -> Option<f64> {
    let metres = text.trim().replace(',', ".").parse::<f64>().ok()?;
    check_width(metres).ok()
}

impl BufferRing {
    /// The ring of `metres` around `target` (WGS84 lon/lat degrees).
    pub fn new(target: &MultiPolygon<f64>, metres: f64) -> Result<BufferRing, RingError> {
        check_width(metres)?;
        let projected = ProjectedArea::new(target).ok_or(RingError::Empty)?;
        let origin = (projected.bbox[0], projected.bbox[1]);
        let local = map_rings(&projected.metres, |c| Coord {
            x: c.x - origin.0,
            y: c.y - origin.1,
        });
        let style = BufferStyle::new(metres).line_join(LineJoin::Round(JOIN_ANGLE));
        let buffered = local.buffer_with_style(style);
        let outer = PreparedArea::new(&buffered).ok_or(RingError::Empty)?;
        let ring = buffered.difference(&local);
        let zone = projected.zone;
        let (mut min_lon, mut min_lat) = (f64::INFINITY, f64::INFINITY);
        let (mut max_lon, mut max_lat) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for c in buffered.coords_iter() {
            let (lon, lat) = from_utm(c.x + origin.0, c.y + origin.1, zone);
            min_lon = min_lon.min(lon);
            min_lat = min_lat.min(lat);
            max_lon = max_lon.max(lon);
            max_lat = max_lat.max(lat);
        }
        // Sides are straight in metres and very slightly curved in degrees: a margin of ~1 m keeps
        // every point of the buffer inside the box (the box is only a prefilter).
        let pad = 1e-5;
        Ok(BufferRing {
            zone,
            origin,
            outer,
            target_degrees: projected.prepared_degrees,
            ring,
            bbox_degrees: [min_lon - pad, min_lat - pad, max_lon + pad, max_lat + pad],
            metres,
        })
    }

    /// Whether the point (`lon`, `lat`, WGS84 degrees) lies in the ring: within the buffer and not in T.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let b = self.bbox_degrees;
        if !(lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) {
            return false;
        }
        let (x, y) = to_utm(lon, lat, self.zone);
        self.outer.contains(x - self.origin.0, y - self.origin.1)
            && !self.target_degrees.contains(lon, lat)
    }

    /// Box of the buffer (T and its ring) in degrees, `[min_lon, min_lat, max_lon, max_lat]`: every
    /// point of the ring lies inside it (for a database prefilter).
    pub fn bbox_degrees(&self) -> [f64; 4] {
        self.bbox_degrees
    }

    /// The ring's area in square metres (in the UTM plane).
    pub fn area_m2(&self) -> f64 {
        self.ring.unsigned_area()
    }

    /// The ring's width in metres.
    pub fn metres(&self) -> f64 {
        self.metres
    }

    /// The UTM zone it was drawn in.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// The ring (buffer minus T) in WGS84 degrees, for maps.
    pub fn to_wgs84(&self) -> MultiPolygon<f64> {
        let (zone, origin) = (self.zone, self.origin);
        map_rings(&self.ring, |c| {
            let (x, y) = from_utm(c.x + origin.0, c.y + origin.1, zone);
            Coord { x, y }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone {
            number: 22,
            south: true,
        }
    }

    /// A polygon drawn in UTM 22S metres (exterior and holes), returned in degrees.
    fn from_metres(exterior: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
        let ring = |pts: &[(f64, f64)]| {
            LineString::from(
                pts.iter()
                    .map(|&(x, y)| from_utm(x, y, zone()))
                    .collect::<Vec<_>>(),
            )
        };
        MultiPolygon::new(vec![Polygon::new(
            ring(exterior),
            holes.iter().map(|h| ring(h)).collect(),
        )])
    }

    fn square(x0: f64, y0: f64, s: f64) -> Vec<(f64, f64)> {
        vec![
            (x0, y0),
            (x0 + s, y0),
            (x0 + s, y0 + s),
            (x0, y0 + s),
            (x0, y0),
        ]
    }

    fn at(x: f64, y: f64) -> (f64, f64) {
        from_utm(x, y, zone())
    }

    /// A square of side s buffered by M: the ring is four s × M strips plus four quarter circles,
    /// 4sM + πM². With s = 1 000 m and M = 500 m: 2 000 000 + 785 398.16 = 2 785 398.16 m². The arcs are
    /// drawn as chords: i_overlay splits each quarter circle into ⌊(π/2) / 0.05⌋ = 31 chords of π/62 rad,
    /// so the polygon's area is exactly 4sM + 4 · 31 · ½M² sin(π/62) = 4sM + 62M² sin(π/62)
    /// = 2 785 062.117 m² (336 m², 0.012 %, under the true ring).
    #[test]
    fn a_square_ring_has_the_area_of_strips_and_quarter_circles() {
        let (x0, y0, s, m) = (680_000.0, 8_150_000.0, 1_000.0, 500.0);
        let ring = BufferRing::new(&from_metres(&square(x0, y0, s), &[]), m).unwrap();
        assert_eq!(ring.zone(), zone());
        let exact = 4.0 * s * m + std::f64::consts::PI * m * m;
        assert!((exact - 2_785_398.163_397_448).abs() < 1e-6);
        let chords = 4.0 * s * m + 62.0 * m * m * (std::f64::consts::PI / 62.0).sin();
        assert!((chords - 2_785_062.117_000_047).abs() < 1e-6);
        let area = ring.area_m2();
        assert!((area - chords).abs() < 0.01, "{area} vs {chords}");
        assert!((exact - area) / exact < 1.3e-4);
    }

    #[test]
    fn points_at_known_distances() {
        let (x0, y0, s, m) = (680_000.0, 8_150_000.0, 1_000.0, 500.0);
        let ring = BufferRing::new(&from_metres(&square(x0, y0, s), &[]), m).unwrap();
        let mid = y0 + s / 2.0;
        let cases = [
            // Inside T: never in its ring.
            ((x0 + 500.0, mid), false),
            ((x0 + 1.0, mid), false),
            // Just outside T, on each side.
            ((x0 + s + 1.0, mid), true),
            ((x0 - 1.0, mid), true),
            ((x0 + 500.0, y0 - 1.0), true),
            ((x0 + 500.0, y0 + s + 1.0), true),
            // 499 m and 501 m east of the east side, and west of the west side.
            ((x0 + s + 499.0, mid), true),
            ((x0 + s + 501.0, mid), false),
            ((x0 - 499.0, mid), true),
            ((x0 - 501.0, mid), false),
            // Off the north-east corner along the diagonal: 490 m in, 510 m out (a round corner; a
            // square one would reach 707 m).
            (
                (x0 + s + 490.0 / 2f64.sqrt(), y0 + s + 490.0 / 2f64.sqrt()),
                true,
            ),
            (
                (x0 + s + 510.0 / 2f64.sqrt(), y0 + s + 510.0 / 2f64.sqrt()),
                false,
            ),
            ((x0 + s + 400.0, y0 + s + 400.0), false),
            // Far away.
            ((x0 + 5_000.0, mid), false),
        ];
        for ((x, y), expected) in cases {
            let (lon, lat) = at(x, y);
            assert_eq!(ring.contains(lon, lat), expected, "({x}, {y})");
            let b = ring.bbox_degrees();
            if expected {
                assert!(lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]);
            }
        }
    }

    /// A hole in T wider than 2M: its edge band of M metres is in the ring, its middle is not.
    #[test]
    fn the_ring_reaches_into_a_hole_of_the_area() {
        let (x0, y0, m) = (680_000.0, 8_150_000.0, 200.0);
        let outer = square(x0, y0, 3_000.0);
        let hole = square(x0 + 500.0, y0 + 500.0, 2_000.0);
        let ring = BufferRing::new(&from_metres(&outer, &[&hole]), m).unwrap();
        let mid = y0 + 1_500.0;
        for ((x, y), expected) in [
            ((x0 + 500.0 + 100.0, mid), true),
            ((x0 + 500.0 + 199.0, mid), true),
            ((x0 + 500.0 + 201.0, mid), false),
            ((x0 + 1_500.0, mid), false),
            ((x0 + 250.0, mid), false),
            ((x0 - 150.0, mid), true),
        ] {
            let (lon, lat) = at(x, y);
            assert_eq!(ring.contains(lon, lat), expected, "({x}, {y})");
        }
        // Outer band 4·3000·200 plus the corners' 62·200²·sin(π/62) (as above); the hole's band has
        // square corners (the hole shrinks to a 1 600 m square): 2000² − 1600².
        let chords = 4.0 * 3_000.0 * 200.0
            + 62.0 * 200.0 * 200.0 * (std::f64::consts::PI / 62.0).sin()
            + (2_000.0f64.powi(2) - 1_600.0f64.powi(2));
        let area = ring.area_m2();
        assert!((area - chords).abs() < 0.01, "{area} vs {chords}");
    }

    #[test]
    fn bad_widths_and_empty_areas_are_refused() {
        let sq = from_metres(&square(680_000.0, 8_150_000.0, 100.0), &[]);
        for w in [0.0, -5.0, f64::NAN, f64::INFINITY, 10_001.0] {
            assert!(matches!(BufferRing::new(&sq, w), Err(RingError::Width(_))));
        }
        assert_eq!(
            BufferRing::new(&MultiPolygon::new(vec![]), 500.0).unwrap_err(),
            RingError::Empty
        );
        assert_eq!(
            RingError::Width(-5.0).to_string(),
            "largura do entorno `-5` inválida: esperado um número de metros maior que 0 e até 10000"
        );
    }

    /// The ring drawn back in degrees contains the points the test says are in it.
    #[test]
    fn the_ring_in_degrees_agrees_with_the_test() {
        use geo::Contains;
        let (x0, y0) = (680_000.0, 8_150_000.0);
        let ring = BufferRing::new(&from_metres(&square(x0, y0, 1_000.0), &[]), 300.0).unwrap();
        let drawn = ring.to_wgs84();
        for (x, y) in [(x0 - 150.0, y0 + 10.0), (x0 + 1_200.0, y0 + 999.0)] {
            let (lon, lat) = at(x, y);
            assert!(ring.contains(lon, lat));
            assert!(drawn.contains(&geo::Point::new(lon, lat)));
        }
        let (lon, lat) = at(x0 + 500.0, y0 + 500.0);
        assert!(!drawn.contains(&geo::Point::new(lon, lat)));
    }
}
