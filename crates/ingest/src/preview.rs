//! What an import would do, before anything is written (issue 22 §3): the file read and parsed as the
//! import reads it — through its profile, against the catalog, territories and units stored now — and
//! nothing stored. The first rows as they would be stored, the first rejected with their reasons and the
//! source's row, and the crime names nothing translates, with how many rows name each.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atalaia_store::Db;

use crate::fields::Columns;
use crate::kinds::{self, Context};
use crate::load::load_context;
use crate::profile::{Adapter, Profile};
use crate::read::{RawRecord, read_table};
use crate::{ImportError, ImportOptions, Kind};

/// Rows of each sample shown.
pub const SAMPLE: usize = 20;

/// What the import of a file would do.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Preview {
    /// The kind's columns, as the rows of `sample` hold them.
    pub header: Vec<String>,
    /// The file's own header, as the rows of `rejects` hold them.
    pub source_header: Vec<String>,
    /// Rows read (with an unpivoting profile, one per crime column of each line).
    pub read: u64,
    /// Rows that would be stored (new or changed or unchanged: the preview does not compare).
    pub accepted: u64,
    /// Rows that would go to the rejects file.
    pub rejected: u64,
    /// The first rows that would be stored: line, the kind's columns.
    pub sample: Vec<(u64, Vec<String>)>,
    /// The first rows that would be rejected: line, reason, the source's row.
    pub rejects: Vec<(u64, String, Vec<String>)>,
    /// Crime names in the file that neither the catalog nor the crime map nor the profile translate,
    /// with how many rows name each, most first.
    pub unknown_crimes: Vec<(String, u64)>,
    /// Whether the preview stopped at its row limit before the file's end.
    pub truncated: bool,
}

/// The preview of importing `path` as `kind` with `opts` (its profile), reading at most `max_rows` rows.
pub async fn preview(
    db: &Db,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions,
    max_rows: u64,
) -> Result<Preview, ImportError> {
    if kind == Kind::Territories {
        return Err(ImportError::Unreadable {
            file: path.display().to_string(),
            line: 0,
            detail: "a prévia é de planilhas; territórios chegam em GeoJSON".into(),
        });
    }
    let mut tx = db.begin().await?;
    let ctx = load_context(&mut tx, kind, opts).await?;
    // Only read: nothing to keep.
    drop(tx);
    let (path, profile): (PathBuf, Option<Profile>) = (path.to_path_buf(), opts.profile.clone());
    tokio::task::spawn_blocking(move || scan(kind, &path, profile.as_ref(), &ctx, max_rows))
        .await
        .map_err(|e| ImportError::Interrupted(format!("a prévia parou: {e}")))?
}

/// The reader's stop once the preview read enough.
const ENOUGH: &str = "prévia: linhas suficientes";

fn scan(
    kind: Kind,
    path: &Path,
    profile: Option<&Profile>,
    ctx: &Context,
    max_rows: u64,
) -> Result<Preview, ImportError> {
    let file = path.display().to_string();
    let (required, optional) = kinds::columns(kind);
    let columns: OnceCell<Columns> = OnceCell::new();
    let adapter: OnceCell<Adapter> = OnceCell::new();
    let headers: OnceCell<(Vec<String>, Vec<String>)> = OnceCell::new();
    let mut p = Preview::default();
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    let result = read_table(
        path,
        &mut |format, header| {
            let (c, a) =
                crate::profile::bind(&file, &header, format, (required, optional), profile)?;
            let target = a
                .as_ref()
                .map_or_else(|| header.clone(), |a| a.header().to_vec());
            if let Some(a) = a {
                let _ = adapter.set(a);
            }
            let _ = columns.set(c);
            let _ = headers.set((target, header));
            Ok(())
        },
        &mut |rec: RawRecord| {
            let Some(cols) = columns.get() else {
                return Err(ImportError::NoHeader(file.clone()));
            };
            if p.read >= max_rows {
                return Err(ImportError::Interrupted(ENOUGH.into()));
            }
            let target = headers.get().map(|h| h.0.as_slice()).unwrap_or_default();
            let crime_at = target.iter().position(|h| h == "crime");
            let computed = match adapter.get() {
                None => vec![rec.clone()],
                Some(a) => a.records(&rec),
            };
            for r in computed {
                p.read += 1;
                let parsed = cols
                    .row(&r)
                    .and_then(|row| kinds::parse(kind, &row, ctx))
                    .map_err(|why| cols.in_file_words(&why));
                match parsed {
                    Ok(_) => {
                        p.accepted += 1;
                        if p.sample.len() < SAMPLE {
                            p.sample.push((r.line, r.fields.clone()));
                        }
                    }
                    Err(why) => {
                        p.rejected += 1;
                        let crime = crime_at
                            .and_then(|i| r.fields.get(i))
                            .map(|v| v.trim())
                            .filter(|v| !v.is_empty());
                        if let Some(v) = crime
                            && kinds::catalog_crime(ctx, "crime", v).is_err()
                        {
                            *unknown.entry(v.to_string()).or_default() += 1;
                        }
                        if p.rejects.len() < SAMPLE {
                            p.rejects.push((r.line, why, rec.fields.clone()));
                        }
                    }
                }
            }
            Ok(())
        },
    );
    match result {
        Ok(()) => {}
        Err(ImportError::Interrupted(m)) if m == ENOUGH => p.truncated = true,
        Err(e) => return Err(e),
    }
    if let Some((target, source)) = headers.into_inner() {
        p.header = target;
        p.source_header = source;
    }
    let mut unknown: Vec<(String, u64)> = unknown.into_iter().collect();
    unknown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    p.unknown_crimes = unknown;
    Ok(p)
}
