//! The preview of an upload (issue 22 §3): before anything is written, the file read as its import
//! would read it — through the source's profile, against what is stored now — showing the first rows as
//! they will be stored, the first rejected with their reasons, and the crime names nothing translates.
//! The file waits in the server's `previas/<token>` folder; "Importar este arquivo" queues it as any
//! upload, by that token.

use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use atalaia_ingest::{ImportOptions, Kind};
use axum::Form;
use axum::extract::Multipart;
use axum::response::Response;

use super::imports::{profile_for, save_upload};
use super::{Chrome, Fields, FormOption, field, render, thousands};
use crate::guard::{Ctx, Identity};
use crate::security::random_token;
use crate::{AppError, AppState};

/// The most rows a preview reads: enough to see a source's mistakes, bounded for a big file.
pub const PREVIEW_ROWS: u64 = 100_000;

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    file_name: String,
    kind: &'static str,
    kind_label: &'static str,
    profile: String,
    profile_label: Option<String>,
    token: String,
    summary: String,
    rejected: u64,
    truncated: bool,
    limit: String,
    header: Vec<String>,
    sample: Vec<(u64, Vec<String>)>,
    rejects: Vec<(u64, String, String)>,
    unknown: Vec<(String, String)>,
    sample_max: usize,
    /// The catalog, for translating the unknown names.
    crimes: Vec<FormOption>,
}

/// How long a previewed file waits for its import before a later preview removes it.
pub const PREVIEW_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes the previews whose file was written more than `kept` before `now`; how many went. A preview
/// is imported within minutes of being seen, or never: nothing else removes the ones never imported.
pub(crate) fn sweep_previews(
    data_dir: &FsPath,
    now: std::time::SystemTime,
    kept: std::time::Duration,
) -> usize {
    let Ok(dirs) = std::fs::read_dir(previews(data_dir)) else {
        return 0;
    };
    let old = |dir: &FsPath| {
        std::fs::read_dir(dir).is_ok_and(|files| {
            files.filter_map(Result::ok).all(|f| {
                f.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > kept))
            })
        })
    };
    dirs.filter_map(Result::ok)
        .map(|d| d.path())
        .filter(|d| d.is_dir() && old(d))
        .filter(|d| std::fs::remove_dir_all(d).is_ok())
        .count()
}

/// Where previewed uploads wait for their import.
fn previews(data_dir: &FsPath) -> PathBuf {
    data_dir.join("previas")
}

/// The file a preview kept under `token`, or why it cannot be found (a token is 16 hex digits).
pub(crate) fn previewed_file(data_dir: &FsPath, token: &str) -> Result<PathBuf, String> {
    let gone = || "a prévia não existe mais: envie o arquivo de novo".to_string();
    if token.len() != 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let dir = previews(data_dir).join(token);
    let mut files = std::fs::read_dir(&dir)
        .map_err(|_| gone())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file());
    match (files.next(), files.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(gone()),
    }
}

/// `POST /importacoes/previa` (multipart: `tipo`, `perfil`, `arquivo`): the preview page.
pub async fn preview(Ctx { st, id }: Ctx, mut multipart: Multipart) -> Result<Response, AppError> {
    // File time, not the program's clock: it is the disk's age of the files.
    sweep_previews(
        &st.config.data_dir,
        std::time::SystemTime::now(),
        PREVIEW_KEPT,
    );
    let token = random_token()[..16].to_string();
    let dir = previews(&st.config.data_dir).join(&token);
    let (mut kind, mut profile, mut saved) = (None, String::new(), None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("tipo") => kind = Kind::parse(field.text().await.unwrap_or_default().trim()),
            Some("perfil") => profile = field.text().await.unwrap_or_default().trim().to_string(),
            Some("arquivo") => saved = Some(save_upload(field, &dir).await),
            _ => {}
        }
    }
    let refuse = |why: String| AppError::BadRequest(why);
    let (Some(kind), Some(saved)) = (kind, saved) else {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return Err(refuse("escolha o tipo e o arquivo".into()));
    };
    if let Err(e) = saved {
        return Err(refuse(e.reason()?));
    }
    show(&st, &id, &token, kind, &profile).await
}

/// Runs the preview of the file kept under `token` as `kind` through the profile named `profile`
/// (empty: none) and shows it; an unreadable file or a wrong profile is a 400 with the reason.
pub(crate) async fn show(
    st: &AppState,
    id: &Identity,
    token: &str,
    kind: Kind,
    profile: &str,
) -> Result<Response, AppError> {
    let refuse = |why: String| AppError::BadRequest(why);
    let path = previewed_file(&st.config.data_dir, token).map_err(refuse)?;
    let dir = previews(&st.config.data_dir).join(token);
    let chosen = match profile {
        "" => None,
        name => match profile_for(st, name, kind).await {
            Ok(p) => Some(p),
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(&dir).await;
                return Err(e);
            }
        },
    };
    let opts = ImportOptions {
        actor: id.actor(),
        synthetic: false,
        rejects: None,
        today: st.config.clock.today(),
        now: st.config.clock.now_utc(),
        ip: id.ip.clone(),
        units_allowed: None,
        job: None,
        rejects_kept_in: None,
        profile: chosen.clone(),
    };
    // The importer's futures are not `Send` (as `imports::run_importer`): on a blocking thread.
    let (db, at) = (st.db.clone(), path.clone());
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        handle.block_on(atalaia_ingest::preview::preview(
            &db,
            kind,
            &at,
            &opts,
            PREVIEW_ROWS,
        ))
    })
    .await
    .map_err(|e| AppError::Internal(format!("preview task: {e}")))?;
    let p = match result {
        Ok(p) => p,
        Err(atalaia_ingest::ImportError::Store(e)) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e.into());
        }
        // A file without Atalaia's columns and no profile for it: keep it, and ask where each
        // column comes from (the mapping saved is its profile).
        Err(atalaia_ingest::ImportError::MissingColumns { missing, .. }) if chosen.is_none() => {
            let why = format!(
                "O arquivo não tem as colunas do Atalaia para {} (faltam {missing}): diga de que coluna dele vem cada uma.",
                kind.label_pt()
            );
            return super::import_profiles::mapping(st, id, token, kind, Some(why)).await;
        }
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            let file = path.display().to_string();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(refuse(e.to_string().replace(&file, &name)));
        }
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let summary = format!(
        "{} linha(s) lida(s): {} seria(m) incluída(s) e {} rejeitada(s).",
        thousands(p.read),
        thousands(p.accepted),
        thousands(p.rejected)
    );
    render(&PreviewPage {
        chrome: Chrome::new(st, id, "Prévia da importação", "/importacoes").await,
        file_name,
        kind: kind.as_str(),
        kind_label: kind.label_pt(),
        profile: profile.to_string(),
        profile_label: chosen.map(|c| c.title),
        token: token.to_string(),
        crimes: st
            .db
            .crimes()
            .await?
            .into_iter()
            .map(|c| FormOption::new(c.code, c.name))
            .collect(),
        summary,
        rejected: p.rejected,
        truncated: p.truncated,
        limit: thousands(PREVIEW_ROWS),
        header: p
            .header
            .iter()
            .map(|h| atalaia_ingest::help::header_pt(h).to_string())
            .collect(),
        // Crimes by the catalog's names, as every page shows them.
        sample: {
            let crime = p.header.iter().position(|h| h == "crime");
            p.sample
                .into_iter()
                .map(|(line, mut cells)| {
                    if let Some(c) = crime.and_then(|i| cells.get_mut(i)) {
                        *c = atalaia_reports::format::crime_label(c);
                    }
                    (line, cells)
                })
                .collect()
        },
        rejects: p
            .rejects
            .into_iter()
            .map(|(line, why, row)| (line, why, row.join(" · ")))
            .collect(),
        unknown: p
            .unknown_crimes
            .into_iter()
            .map(|(name, n)| (name, thousands(n)))
            .collect(),
        sample_max: atalaia_ingest::preview::SAMPLE,
    })
}

/// `POST /importacoes/previa/traducoes` (`previa`, `tipo`, `perfil`, and pairs `nome_N`/`crime_N`): the
/// unknown crime names given a catalog crime become entries of the crime map — imported as a crime-map
/// file would be, audited as an import — and the preview is shown again with them.
pub async fn translate(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let refuse = |why: String| AppError::BadRequest(why);
    let token = field(&f, "previa").unwrap_or_default().to_string();
    let kind = Kind::parse(field(&f, "tipo").unwrap_or_default())
        .ok_or_else(|| refuse("escolha o tipo".into()))?;
    let profile = field(&f, "perfil").unwrap_or_default().to_string();
    let mut pairs = Vec::new();
    for (key, name) in &f {
        let Some(n) = key.strip_prefix("nome_") else {
            continue;
        };
        if let Some(crime) = field(&f, &format!("crime_{n}")) {
            pairs.push((name.trim().to_string(), crime.to_string()));
        }
    }
    if !pairs.is_empty() {
        // A folder of its own in the server's, gone when the translations are in.
        let work = st
            .config
            .data_dir
            .join("traducoes")
            .join(&random_token()[..16]);
        tokio::fs::create_dir_all(&work)
            .await
            .map_err(|e| AppError::Internal(format!("{}: {e}", work.display())))?;
        let file = work.join("traducoes-da-previa.csv");
        let mut w =
            csv::Writer::from_path(&file).map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        w.write_record(["source_code", "crime"])
            .and_then(|()| pairs.iter().try_for_each(|(n, c)| w.write_record([n, c])))
            .and_then(|()| w.flush().map_err(csv::Error::from))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        let rejects = work.join("rejeitadas.csv");
        let who = super::imports::RunFor {
            actor: id.actor(),
            ip: id.ip.clone(),
            units_allowed: None,
            job: None,
            profile: None,
        };
        let none = std::sync::Arc::new(atalaia_ingest::load::NoProgress);
        let result =
            super::imports::run_importer(&st, Kind::CrimeMap, &file, &rejects, who, none).await;
        let _ = tokio::fs::remove_dir_all(&work).await;
        let summary = result
            .map_err(|e| AppError::Internal(format!("import task: {e}")))?
            .map_err(|e| refuse(e.to_string()))?;
        if summary.rejected > 0 {
            return Err(refuse(
                "uma tradução não foi aceita: escolha um crime do catálogo para cada nome".into(),
            ));
        }
    }
    show(&st, &id, &token, kind, &profile).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_older_than_a_day_are_swept_and_newer_ones_kept() {
        let data = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now();
        let write = |token: &str, age_hours: u64| {
            let dir = previews(data.path()).join(token);
            std::fs::create_dir_all(&dir).unwrap();
            let f = std::fs::File::create(dir.join("arquivo.csv")).unwrap();
            f.set_modified(now - std::time::Duration::from_secs(age_hours * 3600))
                .unwrap();
        };
        write("00000000000000aa", 30);
        write("00000000000000bb", 2);
        assert_eq!(sweep_previews(data.path(), now, PREVIEW_KEPT), 1);
        assert!(previewed_file(data.path(), "00000000000000aa").is_err());
        assert!(previewed_file(data.path(), "00000000000000bb").is_ok());
        assert_eq!(sweep_previews(data.path(), now, PREVIEW_KEPT), 0);
    }
}
