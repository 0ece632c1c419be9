//! Synthetic polygons for the seven AISPs of Goiânia.
//!
//! Decreto 7.872/2013 (Goiás), Art. 2, divides Goiânia into seven Áreas
//! Integradas de Segurança Pública (AISPs): Região Central, Noroeste, Norte,
//! Sudoeste, Oeste, Sul and Leste. No official polygons are published, so this
//! module derives *synthetic* ones from the real municipal boundary (IBGE
//! 5208707):
//!
//! * **AISP1 — Região Central**: the municipality intersected with a 48-gon
//!   "disc" centred on the historical centre (Praça Cívica). The radius is
//!   found by bisection so that the central region holds about 15% of the
//!   municipality's area.
//! * **AISP2..AISP7**: the rest of the municipality cut into six angular
//!   sectors around the same centre, with bearings (clockwise from north)
//!   matching the names: Noroeste `[292.5°, 337.5°)`, Norte `[337.5°, 37.5°)`,
//!   Leste `[37.5°, 105°)`, Sul `[105°, 185°)`, Sudoeste `[185°, 247.5°)` and
//!   Oeste `[247.5°, 292.5°)`. The six wedges tile the full circle.
//!
//! Leste and Sul are wider than the nominal 90°/67.5° wedges because the
//! municipal boundary runs close to Praça Cívica to the east and south: with
//! a plain Sul `[135°, 202.5°)` that area would hold under 3% of the
//! municipality. Sudoeste starts at 185° so the small piece of land just west
//! of the point where the boundary nearly touches the central disc joins
//! Sudoeste (its neighbour) instead of becoming a detached fragment of Sul.
//! With these bearings every area of Goiânia is a single polygon holding at
//! least ~6% of the municipality's area.
//!
//! Disc and sector wedges are built in a local equirectangular projection
//! (`x = Δlon·cos(lat0)`, `y = Δlat`) and mapped back to lon/lat, where the
//! clipping itself happens, so the municipal boundary vertices are used as
//! given. Since that projection is affine, straight wedge edges stay straight
//! and area *shares* are the same in both coordinate systems.
//!
//! The output is deterministic, with counter-clockwise exterior rings
//! (RFC 7946), and every area is labelled as synthetic when exported with
//! [`to_feature_collection`].

use geo::orient::Direction;
use geo::{
    Area, BooleanOps, Centroid, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Orient,
    Point, Polygon,
};
use geojson::{Feature, FeatureCollection, Geometry, JsonObject, JsonValue};

/// IBGE code of the municipality of Goiânia.
pub const GOIANIA_IBGE: &str = "5208707";

/// Approximate location of Praça Cívica, the historical centre of Goiânia,
/// as `(lon, lat)` in WGS84.
pub const PRACA_CIVICA: (f64, f64) = (-49.2550, -16.6799);

/// Note attached to every exported feature (user-visible, Portuguese).
pub const SYNTHETIC_NOTE: &str =
    "Polígono sintético derivado do limite municipal do IBGE; não é a delimitação oficial";

/// Share of the municipality's area targeted for the central region.
const CENTRAL_SHARE_TARGET: f64 = 0.15;

/// Number of vertices of the polygonal "disc" of the central region.
const DISC_SEGMENTS: usize = 48;

/// Fixed number of bisection steps used to find the disc radius (fixed, so
/// the result is deterministic).
const RADIUS_BISECTION_STEPS: usize = 60;

/// Maximum angular step (degrees) between consecutive far vertices of a
/// sector wedge.
const WEDGE_ARC_STEP_DEG: f64 = 7.5;

/// A derived (synthetic) area.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedArea {
    /// Area code, e.g. `"AISP1"`.
    pub code: &'static str,
    /// Area name in Portuguese, e.g. `"Região Central"`.
    pub name: &'static str,
    /// Geometry in WGS84 lon/lat, exterior rings counter-clockwise.
    pub polygon: MultiPolygon<f64>,
}

/// An angular sector: code, name and bearing range `[start, end)` in degrees
/// clockwise from north (`end` may exceed 360 for sectors crossing north).
struct Sector {
    code: &'static str,
    name: &'static str,
    start_deg: f64,
    end_deg: f64,
}

const CENTRAL: (&str, &str) = ("AISP1", "Região Central");

/// The six outer sectors, tiling the full circle, in AISP-number order.
const SECTORS: [Sector; 6] = [
    Sector {
        code: "AISP2",
        name: "Noroeste",
        start_deg: 292.5,
        end_deg: 337.5,
    },
    Sector {
        code: "AISP3",
        name: "Norte",
        start_deg: 337.5,
        end_deg: 397.5,
    },
    Sector {
        code: "AISP4",
        name: "Sudoeste",
        start_deg: 185.0,
        end_deg: 247.5,
    },
    Sector {
        code: "AISP5",
        name: "Oeste",
        start_deg: 247.5,
        end_deg: 292.5,
    },
    Sector {
        code: "AISP6",
        name: "Sul",
        start_deg: 105.0,
        end_deg: 185.0,
    },
    Sector {
        code: "AISP7",
        name: "Leste",
        start_deg: 37.5,
        end_deg: 105.0,
    },
];

/// Local equirectangular frame around a centre point.
struct Frame {
    lon0: f64,
    lat0: f64,
    /// `cos(lat0)`, clamped away from zero.
    k: f64,
}

impl Frame {
    fn new(center: Coord<f64>) -> Self {
        let k = center.y.to_radians().cos().abs().max(1e-3);
        Self {
            lon0: center.x,
            lat0: center.y,
            k,
        }
    }

    /// Projected distance of a lon/lat coordinate from the centre.
    fn distance(&self, c: Coord<f64>) -> f64 {
        let dx = (c.x - self.lon0) * self.k;
        let dy = c.y - self.lat0;
        dx.hypot(dy)
    }

    /// Lon/lat coordinate at projected distance `r` along `bearing_deg`
    /// (clockwise from north).
    fn at(&self, bearing_deg: f64, r: f64) -> Coord<f64> {
        let b = bearing_deg.to_radians();
        Coord {
            x: self.lon0 + r * b.sin() / self.k,
            y: self.lat0 + r * b.cos(),
        }
    }

    fn center(&self) -> Coord<f64> {
        Coord {
            x: self.lon0,
            y: self.lat0,
        }
    }

    /// Regular `DISC_SEGMENTS`-gon of circumradius `r` around the centre.
    fn disc(&self, r: f64) -> Polygon<f64> {
        let step = 360.0 / DISC_SEGMENTS as f64;
        // Walk bearings downwards (counter-clockwise in lon/lat).
        let coords: Vec<Coord<f64>> = (0..DISC_SEGMENTS)
            .map(|i| self.at(360.0 - i as f64 * step, r))
            .collect();
        Polygon::new(LineString::from(coords), vec![])
    }

    /// Fan polygon from the centre out to distance `reach`, covering bearings
    /// `[start_deg, end_deg]`. The two straight edges depend only on their own
    /// bearing, so adjacent wedges share them exactly.
    fn wedge(&self, start_deg: f64, end_deg: f64, reach: f64) -> Polygon<f64> {
        let span = end_deg - start_deg;
        let steps = (span / WEDGE_ARC_STEP_DEG).ceil().max(1.0) as usize;
        // Far vertices must lie outside a circle of radius `reach` even
        // between arc vertices; the same `far` for every wedge keeps the
        // shared edges identical.
        let far = reach / (WEDGE_ARC_STEP_DEG / 2.0).to_radians().cos();
        let mut coords = Vec::with_capacity(steps + 2);
        coords.push(self.center());
        // Bearings decreasing = counter-clockwise in lon/lat.
        for i in 0..=steps {
            let bearing = if i == 0 {
                end_deg
            } else if i == steps {
                start_deg
            } else {
                end_deg - span * i as f64 / steps as f64
            };
            coords.push(self.at(normalize_deg(bearing), far));
        }
        Polygon::new(LineString::from(coords), vec![])
    }
}

fn normalize_deg(d: f64) -> f64 {
    d.rem_euclid(360.0)
}

/// Whether every coordinate of the polygon is finite.
fn all_finite(p: &Polygon<f64>) -> bool {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|ring| ring.0.iter())
        .all(|c| c.x.is_finite() && c.y.is_finite())
}

/// Pick the centre: Praça Cívica if inside, else the centroid if inside,
/// else an interior point.
fn choose_center(m: &Polygon<f64>) -> Option<Coord<f64>> {
    let praca = Point::new(PRACA_CIVICA.0, PRACA_CIVICA.1);
    if m.contains(&praca) {
        return Some(praca.0);
    }
    if let Some(c) = m.centroid()
        && m.contains(&c)
    {
        return Some(c.0);
    }
    m.interior_point().filter(|p| m.contains(p)).map(|p| p.0)
}

/// Keep only polygons with positive area and orient them RFC 7946-style.
fn clean(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> =
        mp.0.into_iter()
            .filter(|p| p.exterior().0.len() >= 4 && p.unsigned_area() > 0.0)
            .collect();
    MultiPolygon(polys).orient(Direction::Default)
}

/// Derive the seven synthetic AISPs of Goiânia from the municipal polygon
/// (WGS84 lon/lat).
///
/// Returns the areas in order AISP1..AISP7. The result is either all seven
/// non-empty areas or, if the input is degenerate (empty, non-finite
/// coordinates, zero area, no usable centre) or some area would come out
/// empty, an empty `Vec`. Never panics.
pub fn goiania_aisps(municipality: &Polygon<f64>) -> Vec<DerivedArea> {
    if municipality.exterior().0.len() < 4 || !all_finite(municipality) {
        return Vec::new();
    }
    let m = municipality.orient(Direction::Default);
    let total = m.unsigned_area();
    if !(total.is_finite() && total > 0.0) {
        return Vec::new();
    }
    let Some(center) = choose_center(&m) else {
        return Vec::new();
    };
    let frame = Frame::new(center);

    let max_dist = std::iter::once(m.exterior())
        .chain(m.interiors())
        .flat_map(|ring| ring.0.iter())
        .map(|&c| frame.distance(c))
        .fold(0.0_f64, f64::max);
    if !(max_dist.is_finite() && max_dist > 0.0) {
        return Vec::new();
    }

    // Bisection on the disc radius for the central share. The circumradius
    // `hi` makes the inscribed circle of the 48-gon reach every vertex.
    let mut lo = 0.0_f64;
    let mut hi = max_dist / (std::f64::consts::PI / DISC_SEGMENTS as f64).cos() * 1.01;
    for _ in 0..RADIUS_BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        let share = m.intersection(&frame.disc(mid)).unsigned_area() / total;
        if share < CENTRAL_SHARE_TARGET {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let radius = 0.5 * (lo + hi);
    let disc = frame.disc(radius);

    let mut areas = Vec::with_capacity(1 + SECTORS.len());
    areas.push(DerivedArea {
        code: CENTRAL.0,
        name: CENTRAL.1,
        polygon: clean(m.intersection(&disc)),
    });

    let rest = m.difference(&disc);
    let reach = 2.0 * max_dist + radius;
    for s in &SECTORS {
        let wedge = frame.wedge(s.start_deg, s.end_deg, reach);
        areas.push(DerivedArea {
            code: s.code,
            name: s.name,
            polygon: clean(rest.intersection(&wedge)),
        });
    }

    if areas.iter().any(|a| a.polygon.0.is_empty()) {
        return Vec::new();
    }
    areas
}

/// Display name of an area, e.g. `"AISP 1 — Região Central"`.
fn display_name(area: &DerivedArea) -> String {
    match area.code.strip_prefix("AISP") {
        Some(n) if !n.is_empty() => format!("AISP {n} — {}", area.name),
        _ => format!("{} — {}", area.code, area.name),
    }
}

/// Export the areas as a GeoJSON `FeatureCollection`.
///
/// Each feature carries the properties `code`, `name` (e.g.
/// `"AISP 1 — Região Central"`), `kind` = `"aisp"`, `parent` = `parent_code`,
/// `ibge` = `"5208707"`, `synthetic` = `true` and a Portuguese `note` stating
/// that the polygon is not the official delimitation.
pub fn to_feature_collection(areas: &[DerivedArea], parent_code: &str) -> FeatureCollection {
    let features = areas
        .iter()
        .map(|area| {
            let mut props = JsonObject::new();
            props.insert("code".into(), JsonValue::from(area.code));
            props.insert("name".into(), JsonValue::from(display_name(area)));
            props.insert("kind".into(), JsonValue::from("aisp"));
            props.insert("parent".into(), JsonValue::from(parent_code));
            props.insert("ibge".into(), JsonValue::from(GOIANIA_IBGE));
            props.insert("synthetic".into(), JsonValue::from(true));
            props.insert("note".into(), JsonValue::from(SYNTHETIC_NOTE));
            Feature {
                bbox: None,
                geometry: Some(Geometry::new(geojson::Value::from(&area.polygon))),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}
