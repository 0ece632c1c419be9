//! The `territories` kind: a GeoJSON FeatureCollection (WGS84) whose features carry `code`, `name`,
//! `kind`, and optionally `parent`, `ibge`, `valid_from`, `valid_to` (contracts.md §2). Features are
//! numbered from 1 in rejects and messages ("feição N").

use atalaia_core::{IbgeCode, TerritoryCode, TerritoryKind};
use atalaia_store::territories::TerritoryInput;
use geo::{CoordsIter, MultiPolygon, Validation};
use serde_json::{Map, Value};

pub use atalaia_store::territories::SINCE_ALWAYS;

use crate::ImportError;
use crate::fields::bad;
use crate::load::{ImportOptions, ImportSummary, area_index, count};
use crate::rejects::Rejects;
use atalaia_store::Tx;
use atalaia_store::territories::Upsert;
use std::path::Path;

/// A parsed feature: the version to store, whether it says it is synthetic, and warnings.
#[derive(Debug, Clone)]
pub struct ParsedFeature {
    /// The territory version.
    pub input: TerritoryInput,
    /// The geometry, parsed.
    pub geometry: Option<MultiPolygon<f64>>,
    /// `synthetic: true` in the properties.
    pub synthetic: bool,
    /// Problems that do not reject the feature (e.g. a self-intersecting ring).
    pub warnings: Vec<String>,
}

fn prop_str(props: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(bad(key, &other.to_string(), "esperado texto")),
    }
}

/// An optional property parsed by a domain parser; its error becomes the row's reason.
fn parse_opt<T, E: std::fmt::Display>(
    props: &Map<String, Value>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, String> {
    match prop_str(props, key)? {
        Some(v) => parse(&v).map(Some).map_err(|e| bad(key, &v, e)),
        None => Ok(None),
    }
}

fn req(props: &Map<String, Value>, key: &str) -> Result<String, String> {
    prop_str(props, key)?
        .ok_or_else(|| format!("propriedade `{key}`: valor vazio; o campo é obrigatório"))
}

/// Parses one feature (already known to be a JSON object).
pub fn parse_feature(feature: &Value) -> Result<ParsedFeature, String> {
    let empty = Map::new();
    let props = match feature.get("properties") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err("`properties` deve ser um objeto".into()),
    };
    let code = req(props, "code")?;
    let code = TerritoryCode::parse(&code).map_err(|e| bad("code", &code, e))?;
    let name = req(props, "name")?;
    let kind_raw = req(props, "kind")?;
    let kind =
        TerritoryKind::parse(&kind_raw.to_lowercase()).map_err(|e| bad("kind", &kind_raw, e))?;
    let parent = parse_opt(props, "parent", |v| {
        TerritoryCode::parse(v).map(|c| c.as_str().to_string())
    })?;
    let ibge = parse_opt(props, "ibge", |v| {
        IbgeCode::parse(v).map(|c| c.as_str().to_string())
    })?;
    let date = |key: &str| parse_opt(props, key, atalaia_core::dates::parse_date);
    let valid_from = date("valid_from")?.unwrap_or(SINCE_ALWAYS);
    let valid_to = date("valid_to")?;
    if let Some(t) = valid_to
        && t < valid_from
    {
        return Err(bad(
            "valid_to",
            &t.to_string(),
            "a data final é anterior à inicial (`valid_from`)",
        ));
    }
    let synthetic = matches!(props.get("synthetic"), Some(Value::Bool(true)));
    let mut warnings = Vec::new();
    let (geometry, text, bbox) = match feature.get("geometry") {
        None | Some(Value::Null) => (None, None, None),
        Some(g) => {
            let mp = to_multipolygon(g)?;
            check_coordinates(&mp)?;
            let problems = mp.validation_errors();
            if !problems.is_empty() {
                warnings.push(format!(
                    "território `{}`: geometria com {} problema(s) topológico(s) (ex.: {}); importada assim mesmo",
                    code.as_str(),
                    problems.len(),
                    problems[0]
                ));
            }
            let rect = atalaia_spatial::pip::all_rings_rect(&mp)
                .ok_or_else(|| "geometria vazia".to_string())?;
            let bbox = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
            (Some(mp), Some(g.to_string()), Some(bbox))
        }
    };
    Ok(ParsedFeature {
        input: TerritoryInput {
            code: code.as_str().to_string(),
            name,
            kind: kind.as_str().to_string(),
            parent_code: parent,
            ibge,
            valid_from,
            valid_to,
            geometry: text,
            bbox,
        },
        geometry,
        synthetic,
        warnings,
    })
}

pub use atalaia_spatial::shapes::to_multipolygon;

fn check_coordinates(mp: &MultiPolygon<f64>) -> Result<(), String> {
    if mp.0.is_empty() {
        return Err("geometria vazia".into());
    }
    for c in mp.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0 {
            return Err(format!(
                "coordenada ({}, {}) fora de longitude/latitude WGS84; esperado graus em [-180, 180] × [-90, 90]",
                c.x, c.y
            ));
        }
    }
    for p in &mp.0 {
        if p.exterior().0.len() < 4 {
            return Err("anel com menos de 4 pontos; esperado polígono fechado".into());
        }
    }
    Ok(())
}

/// Loads a territories file: each feature a version (or a refusal in the rejects file), then the
/// occurrences inside the changed areas' boxes re-assigned.
pub(crate) async fn load(
    tx: &mut Tx,
    path: &Path,
    opts: &ImportOptions,
    import_id: i64,
    rejects: &mut Rejects,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| ImportError::Io(file.clone(), e))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| ImportError::Unreadable {
            file: file.clone(),
            line: e.line() as u64,
            detail: format!("JSON inválido: {e}"),
        })?;
    let features = match (
        value.get("type").and_then(|t| t.as_str()),
        value.get("features"),
    ) {
        (Some("FeatureCollection"), Some(serde_json::Value::Array(f))) => f,
        _ => {
            return Err(ImportError::Unreadable {
                file,
                line: 1,
                detail: "esperado um GeoJSON FeatureCollection (tipo `territories`)".into(),
            });
        }
    };
    rejects.header(&["feature".to_string()])?;
    // Codes whose versions changed: a new version also closes the previous one, so every version's box
    // is re-examined, not only the new polygon's.
    let mut changed_codes: Vec<String> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        summary.read += 1;
        let n = i as u64 + 1;
        let parsed = parse_feature(f);
        let result = match parsed {
            Err(reason) => Err(reason),
            Ok(p) => {
                summary.warnings.extend(p.warnings.iter().cloned());
                let r = tx
                    .put_territory(&p.input, import_id, opts.synthetic || p.synthetic)
                    .await?;
                if matches!(r, Ok(Upsert::Inserted | Upsert::Updated)) {
                    changed_codes.push(p.input.code.clone());
                }
                r
            }
        };
        match result {
            Ok(u) => count(summary, u),
            Err(reason) => {
                summary.rejected += 1;
                let shown = f.to_string();
                let shown = if shown.len() > 500 {
                    format!("{}…", &shown[..shown.floor_char_boundary(500)])
                } else {
                    shown
                };
                rejects.write(n, &format!("feição {n}: {reason}"), &[shown])?;
            }
        }
    }
    changed_codes.sort();
    changed_codes.dedup();
    let mut changed_bboxes: Vec<[f64; 4]> = Vec::new();
    for code in &changed_codes {
        changed_bboxes.extend(
            tx.territory_versions(code)
                .await?
                .iter()
                .filter_map(|v| v.bbox),
        );
    }
    summary.reassigned = Some(reassign(tx, &changed_bboxes).await?);
    Ok(())
}

/// Re-assigns the occurrences inside the boxes of changed territories, moving their counts.
async fn reassign(tx: &mut Tx, boxes: &[[f64; 4]]) -> Result<u64, ImportError> {
    if boxes.is_empty() {
        return Ok(0);
    }
    let index = area_index(tx).await?;
    let union = boxes.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        },
    );
    let mut moved = 0u64;
    let mut after = 0i64;
    loop {
        let page = tx.located_in(union, after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let moves: Vec<_> = page
            .iter()
            .filter_map(|o| {
                let new = index.areas_at(o.lon, o.lat, o.day()).join("|");
                (new != o.areas).then_some((o, new))
            })
            .collect();
        moved += moves.len() as u64;
        tx.reassign(&moves).await?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_feature_and_rejects_bad_ones() {
        let f = json!({"type": "Feature", "properties": {"code": "AISP1", "name": "Central", "kind": "AISP",
              "valid_from": "01/01/2024"},
              "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}});
        let p = parse_feature(&f).unwrap();
        assert_eq!(p.input.kind, "aisp");
        assert_eq!(
            p.input.valid_from,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
        assert_eq!(p.input.bbox, Some([0.0, 0.0, 1.0, 1.0]));
        let no_code = json!({"type": "Feature", "properties": {"name": "x", "kind": "ais"}, "geometry": null});
        assert!(parse_feature(&no_code).unwrap_err().contains("`code`"));
        let point = json!({"type": "Feature", "properties": {"code": "A", "name": "x", "kind": "ais"},
              "geometry": {"type": "Point", "coordinates": [0, 1]}});
        assert!(parse_feature(&point).unwrap_err().contains("Point"));
        let far = json!({"type": "Feature", "properties": {"code": "A", "name": "x", "kind": "ais"},
              "geometry": {"type": "Polygon", "coordinates": [[[0,0],[500,0],[1,1],[0,0]]]}});
        assert!(parse_feature(&far).unwrap_err().contains("WGS84"));
    }
}
