//! The program configuration's versions (Art. 16: the committee sets the parameters): the list, the
//! editor of the next version and its validation.

use crate::done::{self, Done};
use crate::guard::{Ctx, Identity};
use crate::pages::{Chrome, render};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::dates::BrDate;
use atalaia_store::StoreError;
use axum::Form;
use axum::response::Response;
use serde::Deserialize;

struct VersionRow {
    valid_from: String,
    note: String,
    created_by: String,
    /// The document, key by key in words.
    document: Vec<String>,
}

#[derive(Template)]
#[template(path = "recap_config.html")]
struct ConfigPage {
    chrome: Chrome,
    error: Option<String>,
    versions: Vec<VersionRow>,
    draft: String,
    valid_from: String,
    note: String,
}

async fn config_page(
    st: &AppState,
    id: &Identity,
    error: Option<String>,
    draft: Option<(String, String, String)>,
) -> Result<Response, AppError> {
    let versions = st.db.program_configs().await?;
    let current = versions
        .last()
        .map(|v| v.document.clone())
        .unwrap_or_else(|| {
            serde_json::to_string(&atalaia_core::program::ProgramDocument::decree_default())
                .unwrap_or_default()
        });
    let pretty = serde_json::from_str::<serde_json::Value>(&current)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(current);
    let (draft, valid_from, note) = draft.unwrap_or((pretty, String::new(), String::new()));
    let actors = crate::pages::Actors::load(st).await?;
    render(&ConfigPage {
        chrome: Chrome::new(st, id, "Configuração do programa", "/recap/configuracao").await,
        error,
        versions: versions
            .into_iter()
            .rev()
            .map(|v| VersionRow {
                valid_from: v.valid_from.br_date(),
                note: v.note,
                created_by: actors.name(&v.created_by),
                document: serde_json::from_str(&v.document)
                    .map(|d| atalaia_core::audit::details_pt(&d))
                    .unwrap_or_else(|_| vec![v.document.clone()]),
            })
            .collect(),
        draft,
        valid_from,
        note,
    })
}

/// `GET /recap/configuracao`.
pub async fn config(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    config_page(&st, &id, None, None).await
}

/// The new-version form.
#[derive(Debug, Deserialize)]
pub struct ConfigForm {
    documento: String,
    vigencia: String,
    nota: String,
}

/// `POST /recap/configuracao`: a new version from a date (validated; audited `config.program`).
pub async fn save_config(
    Ctx { st, id }: Ctx,
    Form(f): Form<ConfigForm>,
) -> Result<Response, AppError> {
    let draft = (f.documento.clone(), f.vigencia.clone(), f.nota.clone());
    let day = match atalaia_core::parse_date(f.vigencia.trim()) {
        Ok(d) => d,
        Err(e) => {
            return config_page(
                &st,
                &id,
                Some(format!("vigência `{}` inválida: {e}", f.vigencia.trim())),
                Some(draft),
            )
            .await;
        }
    };
    if f.nota.trim().is_empty() {
        return config_page(
            &st,
            &id,
            Some("diga o ato que aprovou a versão (nota)".into()),
            Some(draft),
        )
        .await;
    }
    let doc = match atalaia_core::program::ProgramDocument::from_json(&f.documento) {
        Ok(d) => d,
        Err(e) => return config_page(&st, &id, Some(e.to_string()), Some(draft)).await,
    };
    if let Err(e) = doc.validate() {
        return config_page(&st, &id, Some(e.to_string()), Some(draft)).await;
    }
    // Stored compact and canonical (field order of the document type).
    let text = serde_json::to_string(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    match tx
        .put_program_config(
            day,
            &text,
            f.nota.trim(),
            &id.actor(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(done::redirect("/recap/configuracao", Done::ConfigSaved))
        }
        Err(StoreError::Refused(msg)) => {
            config_page(&st, &id, Some(msg.to_string()), Some(draft)).await
        }
        Err(e) => Err(e.into()),
    }
}
