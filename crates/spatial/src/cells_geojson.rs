//! The cells of a hot-spot analysis as GeoJSON, written as they are serialised (the map's download and
//! `atalaia hotspots area --format geojson`).

use crate::hotspot::{Analysis, Cell, class_pt};

impl Analysis {
    /// The cells as a GeoJSON FeatureCollection in WGS84, one feature per cell with its results:
    /// `id`, `count`, `z`, `p`, `p_fdr`, `class`, `class_label`, `emerging` (a code, or null),
    /// `emerging_label`, `density` (per km²), `series`, `z_series` and `class_series` (per time step;
    /// empty with one step).
    ///
    /// Written as it is serialized, never as a `serde_json::Value` tree: a tree of a large grid took
    /// fifteen times the size of its text (415 MB for 27 MB of GeoJSON). Keys come in the order a
    /// `Value` would print them (sorted), so the text is the same as before.
    pub fn feature_collection(&self) -> FeatureCollection<'_> {
        FeatureCollection {
            analysis: self,
            properties: None,
        }
    }
}

/// The cells of an [`Analysis`] as GeoJSON, with optional collection-level `properties`.
#[derive(Debug)]
pub struct FeatureCollection<'a> {
    analysis: &'a Analysis,
    /// The collection's own properties (area, months, method…), printed when set.
    pub properties: Option<serde_json::Value>,
}

impl std::fmt::Display for FeatureCollection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

fn round_to(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// One cell as a GeoJSON feature.
struct CellFeature<'a>(&'a Cell);

/// A cell's properties, keys sorted.
struct CellProperties<'a>(&'a Cell);

/// A cell's outline: `[[[lon, lat], …]]`, seven decimals.
struct Outline<'a>(&'a [(f64, f64)]);

impl serde::Serialize for FeatureCollection<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "features",
            &Seq(self.analysis.cells.iter().map(CellFeature)),
        )?;
        if let Some(p) = &self.properties {
            m.serialize_entry("properties", p)?;
        }
        m.serialize_entry("type", "FeatureCollection")?;
        m.end()
    }
}

/// A sequence serialized from an iterator, without collecting it.
struct Seq<I>(I);

impl<I, T> serde::Serialize for Seq<I>
where
    I: Iterator<Item = T> + Clone,
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

impl serde::Serialize for CellFeature<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Geometry<'a>(&'a [(f64, f64)]);
        impl serde::Serialize for Geometry<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("coordinates", &Outline(self.0))?;
                m.serialize_entry("type", "Polygon")?;
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("geometry", &Geometry(&self.0.ring))?;
        m.serialize_entry("properties", &CellProperties(self.0))?;
        m.serialize_entry("type", "Feature")?;
        m.end()
    }
}

impl serde::Serialize for Outline<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ring = Seq(self
            .0
            .iter()
            .map(|&(x, y)| [round_to(x, 7), round_to(y, 7)]));
        s.collect_seq([ring])
    }
}

impl serde::Serialize for CellProperties<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let c = self.0;
        let mut m = s.serialize_map(Some(13))?;
        m.serialize_entry("class", c.class.as_str())?;
        m.serialize_entry("class_label", class_pt(c.class))?;
        m.serialize_entry(
            "class_series",
            &Seq(c.class_series.iter().map(|c| c.as_str())),
        )?;
        m.serialize_entry("count", &c.count)?;
        m.serialize_entry("density", &round_to(c.density, 4))?;
        m.serialize_entry("emerging", &c.emerging.map(|e| e.code()))?;
        m.serialize_entry("emerging_label", &c.emerging.map(|e| e.label_pt()))?;
        m.serialize_entry("id", &c.id)?;
        m.serialize_entry("p", &c.p)?;
        m.serialize_entry("p_fdr", &c.p_fdr)?;
        m.serialize_entry("series", &c.series)?;
        m.serialize_entry("z", &c.z)?;
        m.serialize_entry("z_series", &Seq(c.z_series.iter().map(|&z| round_to(z, 4))))?;
        m.end()
    }
}
