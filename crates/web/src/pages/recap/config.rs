//! The program configuration's versions (Art. 16: the committee sets the parameters): the list, the
//! editor of the next version and its validation.

use crate::done::{self, Done};
use crate::guard::{Ctx, Identity};
use crate::pages::kept::{FieldError, Kept};
use crate::pages::{Chrome, Fields, field, render};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::dates::BrDate;
use atalaia_core::program::ProgramDocument;
use atalaia_store::StoreError;
use axum::Form;
use axum::response::Response;

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
    /// The new-version form, as typed when it was refused.
    kept: Kept,
    versions: Vec<VersionRow>,
    /// The latest version's document, pretty-printed: where a new version starts.
    current: String,
}

async fn config_page(st: &AppState, id: &Identity, kept: Kept) -> Result<Response, AppError> {
    let versions = st.db.program_configs().await?;
    let current = versions
        .last()
        .map(|v| v.document.clone())
        .unwrap_or_else(|| {
            serde_json::to_string(&ProgramDocument::decree_default()).unwrap_or_default()
        });
    let pretty = serde_json::from_str::<serde_json::Value>(&current)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(current);
    let actors = crate::pages::Actors::load(st).await?;
    render(&ConfigPage {
        chrome: Chrome::new(st, id, "Configuração do programa", "/recap/configuracao").await,
        kept,
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
        current: pretty,
    })
}

/// `GET /recap/configuracao`.
pub async fn config(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    config_page(&st, &id, Kept::default()).await
}

/// `POST /recap/configuracao`: a new version from a date (validated; audited `config.program`); a
/// refused version comes back as typed, the reason beside its input.
pub async fn save_config(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let (day, doc) = match version_of(&f) {
        Ok(v) => v,
        Err(e) => return config_page(&st, &id, Kept::refused(&f, e)).await,
    };
    let note = field(&f, "nota").unwrap_or("");
    // Stored compact and canonical (field order of the document type).
    let text = serde_json::to_string(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    match tx
        .put_program_config(day, &text, note, &id.actor(), st.config.clock.now_utc())
        .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(done::redirect("/recap/configuracao", Done::ConfigSaved))
        }
        // The one refusal of the store: the date is not after the latest version's.
        Err(StoreError::Refused(msg)) => {
            let e = FieldError::at("vigencia")(msg.to_string());
            config_page(&st, &id, Kept::refused(&f, e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The new-version form (`vigencia`, `nota`, `documento`) as its first day and a valid document, or
/// the first input to mend.
fn version_of(f: &Fields) -> Result<(chrono::NaiveDate, ProgramDocument), FieldError> {
    let at = FieldError::at;
    let vigencia = field(f, "vigencia").unwrap_or("");
    let day = atalaia_core::parse_date(vigencia)
        .map_err(|e| at("vigencia")(format!("vigência `{vigencia}` inválida: {e}")))?;
    if field(f, "nota").is_none() {
        return Err(at("nota")("diga o ato que aprovou a versão".into()));
    }
    let doc = ProgramDocument::from_json(field(f, "documento").unwrap_or(""))
        .map_err(|e| at("documento")(e.to_string()))?;
    doc.validate().map_err(|e| at("documento")(e.to_string()))?;
    Ok((day, doc))
}
