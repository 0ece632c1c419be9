//! Imports from the browser: upload (streamed to disk, size-limited) queued as a job for the worker
//! (`crate::jobs`, which runs the command line's importer: one transaction, rejects file, audit entry;
//! its page is `import_jobs`), the summary, and the rejects file for download.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use askama::Template;
use atalaia_ingest::profile::Profile;
use atalaia_ingest::{ImportOptions, Kind};
use atalaia_store::imports::ImportRecord;
use atalaia_store::jobs::NewJob;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tokio::io::AsyncWriteExt;

use super::{Chrome, local_time, render, thousands};
use crate::guard::{Ctx, Identity};
use crate::pages::Declined;
use crate::pages::FormOption;
use crate::security::random_token;
use crate::{AppError, AppState};

/// An import as the lists show it (the imports page, the home page's latest).
pub(crate) struct ImportRow {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) file_name: String,
    pub(crate) actor: String,
    pub(crate) when: String,
    pub(crate) read: String,
    pub(crate) inserted: String,
    pub(crate) updated: String,
    pub(crate) unchanged: String,
    pub(crate) rejected: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ListPage {
    chrome: Chrome,
    error: Option<String>,
    kinds: Vec<FormOption>,
    guides: Vec<KindGuide>,
    /// The shipped import profiles: name, and what they read with the kind they feed.
    profiles: Vec<FormOption>,
    imports: Vec<ImportRow>,
    /// Files waiting or being imported.
    jobs: Vec<super::import_jobs::JobRow>,
    max_mb: usize,
}

fn kind_label(kind: &str) -> String {
    Kind::parse(kind)
        .map(|k| k.label_pt().to_string())
        .unwrap_or_else(|| kind.to_string())
}

pub(crate) fn row(i: ImportRecord, actors: &crate::pages::Actors) -> ImportRow {
    ImportRow {
        id: i.id,
        kind: kind_label(&i.kind),
        file_name: i.file_name,
        actor: actors.name(&i.actor),
        when: local_time(i.started_at),
        read: thousands(i.counts.read),
        inserted: thousands(i.counts.inserted),
        updated: thousands(i.counts.updated),
        unchanged: thousands(i.counts.unchanged),
        rejected: thousands(i.counts.rejected),
    }
}

/// The imports page; after a refused upload, with its reason and the kind that was chosen.
async fn list_page(
    st: &AppState,
    id: &Identity,
    status: StatusCode,
    error: Option<String>,
    chosen: Option<Kind>,
) -> Result<Response, AppError> {
    let actors = crate::pages::Actors::load(st).await?;
    let imports = st
        .db
        .recent_imports(50)
        .await?
        .into_iter()
        .map(|i| row(i, &actors))
        .collect();
    let mut resp = render(&ListPage {
        chrome: Chrome::new(st, id, "Importações", "/importacoes").await,
        error,
        kinds: Kind::ALL
            .iter()
            .map(|k| FormOption {
                chosen: Some(*k) == chosen,
                ..FormOption::new(k.as_str(), k.label_pt())
            })
            .collect(),
        guides: Kind::ALL
            .iter()
            .filter(|k| **k != Kind::Territories)
            .map(|k| KindGuide {
                kind: k.as_str(),
                label: k.label_pt(),
                columns: atalaia_ingest::help::column_help(*k),
            })
            .collect(),
        profiles: profile_options(st).await?,
        imports,
        jobs: super::import_jobs::open_rows(st, &actors).await?,
        max_mb: st.config.max_body_bytes / (1024 * 1024),
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// The profiles an upload may choose: the shipped ones, then those analysts saved, each by its
/// description and the kind it reads.
async fn profile_options(st: &AppState) -> Result<Vec<FormOption>, AppError> {
    let saved = st.db.import_profiles().await?;
    let saved = saved
        .iter()
        .filter_map(|p| serde_json::from_str::<Profile>(&p.document).ok());
    Ok(atalaia_ingest::profile::shipped()
        .into_iter()
        .chain(saved)
        .map(|p| {
            let kind = Kind::parse(&p.kind).map_or(p.kind.as_str(), |k| k.label_pt());
            FormOption::new(p.name.as_str(), format!("{} ({kind})", p.title))
        })
        .collect())
}

/// `GET /importacoes[?tipo=KIND]`: the kind comes chosen when a try is started again.
pub async fn list(
    Ctx { st, id }: Ctx,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let chosen = q.get("tipo").and_then(|k| Kind::parse(k));
    list_page(&st, &id, StatusCode::OK, None, chosen).await
}

/// `GET /importacoes/exportar?formato=csv|xlsx`: the imports table of the page, every import rather
/// than the latest 50, newest first.
pub async fn export(
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    use super::export::{Format, Table, XLSX_MAX_ROWS};
    let format = Format::parse(q.get("formato").map(String::as_str))?;
    let actors = crate::pages::Actors::load(&st).await?;
    let records = st.db.recent_imports(XLSX_MAX_ROWS as i64 + 1).await?;
    if records.len() > XLSX_MAX_ROWS {
        return Err(AppError::BadRequest(format!(
            "há mais de {} importações: a lista completa fica com o administrador do banco",
            thousands(XLSX_MAX_ROWS as u64)
        )));
    }
    let rows = records
        .into_iter()
        .map(|i| {
            let counts = i.counts;
            let r = row(i, &actors);
            vec![
                r.id.into(),
                r.kind.into(),
                r.file_name.into(),
                r.actor.into(),
                r.when.into(),
                (counts.read as i64).into(),
                (counts.inserted as i64).into(),
                (counts.updated as i64).into(),
                (counts.unchanged as i64).into(),
                (counts.rejected as i64).into(),
            ]
        })
        .collect();
    let table = Table {
        name: "importacoes".into(),
        sheet: "Importações",
        header: vec![
            "#",
            "Tipo",
            "Arquivo",
            "Por",
            "Quando",
            "Lidas",
            "Incluídas",
            "Alteradas",
            "Sem mudança",
            "Rejeitadas",
        ],
        rows,
    };
    super::export::send(table, format).await
}

/// A new folder, not yet made, for one upload in the server's `data_dir` (`envios/<random>`): web
/// uploads and `atalaia import --background` wait there for their import.
pub fn new_upload_dir(data_dir: &FsPath) -> PathBuf {
    data_dir.join("envios").join(&random_token()[..16])
}

/// Keeps letters, digits, `.`, `-`, `_` of an uploaded file's name (never a path).
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "arquivo".into()
    } else {
        cleaned
    }
}

/// Where the rejects file of an import is kept.
pub(crate) fn rejects_path(data_dir: &FsPath, import_id: i64) -> PathBuf {
    atalaia_ingest::load::kept_rejects_path(&data_dir.join("rejeitadas"), import_id)
}

/// `POST /importacoes` (multipart: `tipo`, `arquivo`).
pub async fn upload(
    Ctx { st, id }: Ctx,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let dir = new_upload_dir(&st.config.data_dir);
    let mut kind: Option<Kind> = None;
    let mut saved: Option<PathBuf> = None;
    let mut profile: Option<String> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return fail(
                    &st,
                    &id,
                    wants_json,
                    kind,
                    format!("envio interrompido ou grande demais: {e}"),
                )
                .await;
            }
        };
        match field.name() {
            Some("tipo") => {
                let v = field.text().await.unwrap_or_default();
                kind = Kind::parse(v.trim());
                if kind.is_none() {
                    return fail(
                        &st,
                        &id,
                        wants_json,
                        None,
                        format!(
                            "tipo de importação `{}` desconhecido; esperado um de: {}",
                            v.trim(),
                            Kind::ALL.map(|k| k.label_pt()).join(", ")
                        ),
                    )
                    .await;
                }
            }
            Some("perfil") => {
                let v = field.text().await.unwrap_or_default();
                profile = Some(v.trim().to_string()).filter(|p| !p.is_empty());
            }
            // A file already sent for its preview, imported as it was seen.
            Some("previa") => {
                let token = field.text().await.unwrap_or_default();
                match super::import_preview::previewed_file(&st.config.data_dir, token.trim()) {
                    Ok(path) => saved = Some(path),
                    Err(why) => return fail(&st, &id, wants_json, kind, why).await,
                }
            }
            Some("arquivo") => match save_upload(field, &dir).await {
                Ok(path) => saved = Some(path),
                Err(e) => return fail(&st, &id, wants_json, kind, e.reason()?).await,
            },
            _ => {}
        }
    }
    let (Some(kind), Some(path)) = (kind, saved) else {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        let msg = "escolha o tipo e o arquivo".into();
        return fail(&st, &id, wants_json, kind, msg).await;
    };
    if let Some(name) = &profile {
        match profile_for(&st, name, kind).await {
            Ok(_) => {}
            Err(AppError::BadRequest(why)) => {
                let _ = tokio::fs::remove_dir_all(&dir).await;
                return fail(&st, &id, wants_json, Some(kind), why).await;
            }
            Err(e) => return Err(e),
        }
    }
    // The worker imports it (`crate::jobs`): the request ends here, whatever the file's size.
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes_total = tokio::fs::metadata(&path)
        .await
        .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let job = st
        .db
        .queue_job(
            &NewJob {
                kind: kind.as_str(),
                file_name: &file_name,
                path: &path.to_string_lossy(),
                actor: &id.actor(),
                ip: &id.ip,
                bytes_total,
                profile: profile.as_deref(),
                idempotency_key: None,
            },
            st.config.clock.now_utc(),
        )
        .await;
    let job = match job {
        Ok(job) => job,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e.into());
        }
    };
    st.jobs.queued();
    let location = format!("/importacoes/tarefas/{job}");
    if wants_json {
        Ok(axum::Json(serde_json::json!({"location": location})).into_response())
    } else {
        Ok(Redirect::to(&location).into_response())
    }
}

/// Streams an uploaded file field into `dir` under a safe name. The inner error is the message for a
/// broken or too large upload (the body limit stops it); `dir` is removed then.
pub(crate) async fn save_upload(
    field: axum::extract::multipart::Field<'_>,
    dir: &FsPath,
) -> Result<PathBuf, Declined> {
    let name = safe_file_name(field.file_name().unwrap_or("arquivo"));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| storage_failed(dir, e))?;
    let path = dir.join(&name);
    let mut out = tokio::fs::File::create(&path)
        .await
        .map_err(|e| storage_failed(&path, e))?;
    let mut field = field;
    loop {
        match field.chunk().await {
            Ok(Some(bytes)) => out
                .write_all(&bytes)
                .await
                .map_err(|e| storage_failed(&path, e))?,
            Ok(None) => break,
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(dir).await;
                return Err(format!("envio interrompido ou grande demais: {e}").into());
            }
        }
    }
    let _ = out.flush().await;
    Ok(path)
}

/// Imports a saved upload with the command line's importer (one transaction, rejects file, audit
/// entry), keeps its rejects file and removes `dir`. `units_allowed` scopes a unit head's upload. The
/// inner error is why nothing was imported (pt-BR).
pub(crate) async fn import_saved(
    st: &AppState,
    id: &Identity,
    kind: Kind,
    dir: &FsPath,
    path: &FsPath,
    units_allowed: Option<Vec<String>>,
) -> Result<i64, Declined> {
    let rejects_tmp = dir.join("rejeitadas.csv");
    let result = run_importer(
        st,
        kind,
        path,
        &rejects_tmp,
        RunFor {
            actor: id.actor(),
            ip: id.ip.clone(),
            units_allowed,
            job: None,
            profile: None,
        },
        Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .map_err(|e| AppError::Internal(format!("import task: {e}")))?;
    let outcome = match result {
        Ok(summary) => Ok(summary.import_id),
        // The importer names the file by its path on the server; the user knows it by its name.
        Err(e) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let reason = e.to_string().replace(&path.display().to_string(), &name);
            Err(Declined::Refused(reason))
        }
    };
    let _ = tokio::fs::remove_dir_all(dir).await;
    outcome
}

/// The import profile `name` (shipped or saved) for a file of `kind`; why there is none is a 400.
pub(crate) async fn profile_for(
    st: &AppState,
    name: &str,
    kind: Kind,
) -> Result<Profile, AppError> {
    atalaia_ingest::profile::named(&st.db, name, kind)
        .await?
        .map_err(AppError::BadRequest)
}

/// Whom an import runs for: who and from where (for the audit log), the units it may write (`None`:
/// any), the web job it ends, if any, and the source's profile, if its file needs one.
pub(crate) struct RunFor {
    pub actor: String,
    pub ip: String,
    pub units_allowed: Option<Vec<String>>,
    pub job: Option<atalaia_store::jobs::JobClaim>,
    pub profile: Option<Profile>,
}

/// Runs the command line's importer on `path` for `who` as of the program's clock, its rejects into
/// `rejects`, on a blocking thread: it is long CPU and disk work (and its future is not `Send`, so it
/// cannot be a task of its own). The outer error is the thread's.
pub(crate) async fn run_importer(
    st: &AppState,
    kind: Kind,
    path: &FsPath,
    rejects: &FsPath,
    who: RunFor,
    progress: Arc<dyn atalaia_ingest::Progress>,
) -> Result<
    Result<atalaia_ingest::ImportSummary, atalaia_ingest::ImportError>,
    tokio::task::JoinError,
> {
    let opts = ImportOptions {
        actor: who.actor,
        synthetic: false,
        rejects: Some(rejects.to_path_buf()),
        today: st.config.clock.today(),
        now: st.config.clock.now_utc(),
        ip: who.ip,
        units_allowed: who.units_allowed,
        job: who.job,
        rejects_kept_in: Some(st.config.data_dir.join("rejeitadas")),
        profile: who.profile,
    };
    let (db, path) = (st.db.clone(), path.to_path_buf());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        handle.block_on(atalaia_ingest::import_file(
            &db, kind, &path, &opts, progress,
        ))
    })
    .await
}

/// The upload could not be kept on the server's disk.
fn storage_failed(path: &FsPath, e: std::io::Error) -> AppError {
    AppError::Internal(format!("upload to {}: {e}", path.display()))
}

/// A refused upload: JSON for the script, the page with the message otherwise.
async fn fail(
    st: &AppState,
    id: &Identity,
    wants_json: bool,
    kind: Option<Kind>,
    msg: String,
) -> Result<Response, AppError> {
    if wants_json {
        Ok((
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": msg})),
        )
            .into_response())
    } else {
        list_page(st, id, StatusCode::BAD_REQUEST, Some(msg), kind).await
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct DetailPage {
    chrome: Chrome,
    import: ImportRow,
    sha256: String,
    unassigned: String,
    has_rejects: bool,
    preview: Vec<Vec<String>>,
}

/// `GET /importacoes/{id}`.
pub async fn detail(Ctx { st, id }: Ctx, Path(import_id): Path<i64>) -> Result<Response, AppError> {
    let Some(rec) = st.db.import_record(import_id).await? else {
        return Err(AppError::NotFound(format!("a importação {import_id}")));
    };
    let file = rejects_path(&st.config.data_dir, import_id);
    let has_rejects = rec.counts.rejected > 0 && file.exists();
    let preview = if has_rejects {
        read_preview(&file, 20)
    } else {
        Vec::new()
    };
    let title = format!("Importação {import_id}");
    render(&DetailPage {
        chrome: Chrome::new(&st, &id, &title, "/importacoes").await,
        sha256: rec.file_sha256.clone(),
        unassigned: thousands(rec.counts.unassigned),
        import: row(rec, &crate::pages::Actors::load(&st).await?),
        has_rejects,
        preview,
    })
}

fn read_preview(path: &FsPath, rows: usize) -> Vec<Vec<String>> {
    let Ok(mut r) = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
    else {
        return Vec::new();
    };
    let mut preview: Vec<Vec<String>> = r
        .records()
        .take(rows + 1)
        .filter_map(Result::ok)
        .map(|rec| rec.iter().map(str::to_string).collect())
        .collect();
    // The file's first two columns keep contracts.md's names for programs; people read them in words.
    if let Some(header) = preview.first_mut() {
        for (cell, words) in header.iter_mut().zip(["Linha", "Motivo"]) {
            *cell = words.to_string();
        }
    }
    preview
}

/// `GET /importacoes/{id}/rejeitadas`: the rejects file (CSV).
pub async fn rejects(
    State(st): State<AppState>,
    Path(import_id): Path<i64>,
) -> Result<Response, AppError> {
    let file = rejects_path(&st.config.data_dir, import_id);
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return Err(AppError::NotFound(format!(
            "o arquivo de linhas rejeitadas da importação {import_id}"
        )));
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"importacao-{import_id}-rejeitadas.csv\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// A kind's columns and templates, as the import page lists them.
struct KindGuide {
    kind: &'static str,
    label: &'static str,
    columns: Vec<atalaia_ingest::help::ColumnHelp>,
}

/// `GET /importacoes/modelos/{arquivo}`: the template of a kind to fill in — `occurrences.csv` (`;`,
/// UTF-8 with a BOM so that a spreadsheet shows the accents) or `occurrences.xlsx` (a second sheet
/// explains the columns; the importer reads only the first). The header is in Portuguese words the
/// importer matches, so a filled-in template imports as it is.
pub async fn template(Path(file): Path<String>) -> Result<Response, AppError> {
    let missing = || AppError::NotFound(format!("o modelo {file}"));
    let (kind, ext) = file.rsplit_once('.').ok_or_else(missing)?;
    let kind = Kind::parse(kind)
        .filter(|k| *k != Kind::Territories)
        .ok_or_else(missing)?;
    let name = format!(
        "modelo-{}",
        atalaia_core::text::folded(kind.label_pt())
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    );
    let header = atalaia_ingest::help::template_header(kind);
    match ext {
        "csv" => Ok(super::download(
            format!("\u{feff}{}\r\n", header.join(";")).into_bytes(),
            "text/csv; charset=utf-8",
            format!("{name}.csv"),
        )),
        "xlsx" => {
            let bytes = template_xlsx(kind).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(super::download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("{name}.xlsx"),
            ))
        }
        _ => Err(missing()),
    }
}

/// The XLSX template: the header on the first sheet, the columns explained on the second.
fn template_xlsx(kind: Kind) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("Dados")?;
    let columns = atalaia_ingest::help::column_help(kind);
    for (c, col) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, col.header, &bold)?;
        sheet.set_column_width(c as u16, 18)?;
    }
    let help = wb.add_worksheet();
    help.set_name("Colunas")?;
    for (c, h) in ["Coluna", "Obrigatória", "O que é", "Outros nomes aceitos"]
        .iter()
        .enumerate()
    {
        help.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, col) in columns.iter().enumerate() {
        let r = i as u32 + 1;
        help.write_string(r, 0, col.header)?;
        help.write_string(r, 1, if col.required { "sim" } else { "não" })?;
        help.write_string(r, 2, col.meaning)?;
        help.write_string(r, 3, col.also.join(", "))?;
    }
    help.set_column_width(2, 80)?;
    help.set_column_width(3, 40)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_never_escape_their_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_file_name("C:\\dados\\ocorrências 2024.csv"),
            "ocorrências_2024.csv"
        );
        assert_eq!(safe_file_name(".."), "arquivo");
        assert_eq!(safe_file_name(""), "arquivo");
    }
}
