//! The points file of `atalaia hotspots gistar` (contracts.md §2): columns `x`, `y` in metres of a
//! projected system, or `lon`, `lat` (WGS84, then projected to the local UTM zone: the zone of the points'
//! mean position); optional `weight` (default 1). Bad rows go to the rejects file with their line and
//! reason, like every import; the good ones are kept.

use std::path::{Path, PathBuf};

use atalaia_spatial::utm::{Zone, to_utm};

use crate::ImportError;
use crate::fields::{Columns, bad};
use crate::read::read_table;
use crate::rejects::Rejects;

/// The points read.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// `(x, y, weight)` in metres.
    pub xyw: Vec<(f64, f64, f64)>,
    /// The UTM zone the WGS84 points were projected to (`None`: the file was in metres).
    pub zone: Option<Zone>,
    /// Data rows read.
    pub read: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Where the rejects went (only written when a row was rejected).
    pub rejects_file: Option<PathBuf>,
}

/// Reads a points file; `rejects` defaults to `FILE.rejects.csv`.
pub fn read_points(path: &Path, rejects: Option<&Path>) -> Result<Points, ImportError> {
    let file = path.display().to_string();
    let rejects_path = rejects.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut p = path.as_os_str().to_owned();
        p.push(".rejects.csv");
        PathBuf::from(p)
    });
    // The header callback sets what the record callback reads: shared through cells.
    let out = std::cell::RefCell::new(Rejects::create(rejects_path.clone())?);
    let cols: std::cell::RefCell<Option<Columns>> = std::cell::RefCell::new(None);
    let geographic = std::cell::Cell::new(false);
    let mut raw: Vec<(f64, f64, f64)> = Vec::new();
    let (mut read, mut rejected) = (0u64, 0u64);
    let result = read_table(
        path,
        &mut |format, header| {
            let c = Columns::new(
                &file,
                &header,
                &[],
                &["x", "y", "lon", "lat", "weight"],
                format.decimal_comma(),
            )?;
            let has = |n: &str| header.iter().any(|h| h.trim().eq_ignore_ascii_case(n));
            geographic.set(if has("x") && has("y") {
                false
            } else if has("lon") && has("lat") {
                true
            } else {
                return Err(ImportError::MissingColumns {
                    file: file.clone(),
                    missing: "x e y (metros) ou lon e lat (WGS84)".into(),
                    found: header
                        .iter()
                        .map(|h| h.trim())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            });
            out.borrow_mut().header(&header)?;
            *cols.borrow_mut() = Some(c);
            Ok(())
        },
        &mut |rec| {
            read += 1;
            let cols = cols.borrow();
            let Some(c) = cols.as_ref() else {
                return Ok(());
            };
            let geographic = geographic.get();
            let parsed = c.row(&rec).and_then(|row| {
                let (a, b) = if geographic {
                    ("lon", "lat")
                } else {
                    ("x", "y")
                };
                let need = |name: &str| -> Result<f64, String> {
                    row.f64_opt(name)?
                        .ok_or_else(|| bad(name, "", "valor vazio; esperado um número"))
                };
                let (u, v) = (need(a)?, need(b)?);
                if geographic {
                    atalaia_core::Wgs84::new(v, u)
                        .map_err(|e| bad("lat/lon", &format!("{v}, {u}"), e))?;
                } else if !u.is_finite() || !v.is_finite() {
                    return Err(bad(
                        "x/y",
                        &format!("{u}, {v}"),
                        "esperados números finitos",
                    ));
                }
                let w = row.f64_opt("weight")?.unwrap_or(1.0);
                if !w.is_finite() || w < 0.0 {
                    return Err(bad("weight", &w.to_string(), "esperado um número ≥ 0"));
                }
                Ok((u, v, w))
            });
            match parsed {
                Ok(p) => raw.push(p),
                Err(reason) => {
                    rejected += 1;
                    out.borrow_mut().write(rec.line, &reason, &rec.fields)?;
                }
            }
            Ok(())
        },
    );
    let out = out.into_inner();
    if let Err(e) = result {
        out.discard();
        return Err(e);
    }
    let geographic = geographic.get();
    let rejects_file = if rejected > 0 {
        out.commit()?;
        Some(rejects_path)
    } else {
        out.discard();
        None
    };
    let zone = (geographic && !raw.is_empty()).then(|| {
        let n = raw.len() as f64;
        let (lon, lat) = raw
            .iter()
            .fold((0.0, 0.0), |(a, b), (u, v, _)| (a + u / n, b + v / n));
        Zone::of(lon, lat)
    });
    let xyw = match zone {
        Some(z) => raw
            .into_iter()
            .map(|(lon, lat, w)| {
                let (x, y) = to_utm(lon, lat, z);
                (x, y, w)
            })
            .collect(),
        None => raw,
    };
    Ok(Points {
        xyw,
        zone,
        read,
        rejected,
        rejects_file,
    })
}
