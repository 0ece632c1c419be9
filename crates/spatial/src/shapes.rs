//! Area geometries from GeoJSON (territories are stored as GeoJSON text).

use geo::MultiPolygon;
use serde_json::Value;

/// Converts a GeoJSON geometry (Polygon or MultiPolygon) to a `MultiPolygon`.
pub fn to_multipolygon(g: &Value) -> Result<MultiPolygon<f64>, String> {
    let geom = geojson::Geometry::from_json_value(g.clone())
        .map_err(|e| format!("geometria GeoJSON inválida: {e}"))?;
    let geo: geo::Geometry<f64> = geom
        .try_into()
        .map_err(|e| format!("geometria GeoJSON inválida: {e}"))?;
    match geo {
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(format!(
            "geometria do tipo {} não é uma área; esperado Polygon ou MultiPolygon",
            geometry_type(&other)
        )),
    }
}

fn geometry_type(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "desconhecido",
    }
}
