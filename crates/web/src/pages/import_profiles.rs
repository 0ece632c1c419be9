//! An analyst's own import profile (issue 22 §3), made from a file already in preview: the screen lists
//! the kind's columns beside the file's own, the analyst picks which source column (or a fixed value,
//! or a hash of the row for an id) fills each and the source's date format, and the profile is saved
//! under a name — audited — and the same file previewed through it at once. Later files of that source
//! import unchanged with `--profile NAME`, the upload page's list, or the API's `?profile=`.

use std::collections::BTreeMap;

use askama::Template;
use atalaia_ingest::Kind;
use atalaia_ingest::profile::{Profile, Rule};
use atalaia_store::audit::AuditEvent;
use axum::Form;
use axum::extract::Query;
use axum::response::Response;

use super::import_preview::{previewed_file, show};
use crate::guard::{Ctx, Identity};
use crate::pages::{Chrome, Fields, field, render};
use crate::{AppError, AppState};

/// The source's date formats the screen offers for `occurred_at` (chrono's notation → in words).
const DATE_FORMATS: [(&str, &str); 5] = [
    ("", "como o Atalaia (AAAA-MM-DDTHH:MM:SS)"),
    ("%d/%m/%Y", "DD/MM/AAAA"),
    ("%d/%m/%Y %H:%M", "DD/MM/AAAA HH:MM"),
    ("%d/%m/%Y %H:%M:%S", "DD/MM/AAAA HH:MM:SS"),
    ("%Y-%m-%d %H:%M:%S", "AAAA-MM-DD HH:MM:SS"),
];

/// The option of a column's select that makes an id from the whole row.
const ROW_HASH: &str = "=hash";

/// One of the kind's columns on the screen.
struct Target {
    name: &'static str,
    label: String,
    required: bool,
    /// Whether the source's date format is asked for it.
    dated: bool,
}

#[derive(Template)]
#[template(path = "import_profile.html")]
struct ProfilePage {
    chrome: Chrome,
    /// Why the screen is shown instead of a preview, if it is.
    why: Option<String>,
    token: String,
    kind: &'static str,
    kind_label: &'static str,
    source: Vec<String>,
    targets: Vec<Target>,
    formats: Vec<(&'static str, &'static str)>,
}

/// The kind's columns, required first.
fn targets(kind: Kind) -> Vec<Target> {
    let (required, optional) = atalaia_ingest::kinds::columns(kind);
    let one = |name: &'static str, required| Target {
        name,
        label: atalaia_ingest::help::header_pt(name).to_string(),
        required,
        dated: name == "occurred_at",
    };
    required
        .iter()
        .map(|n| one(n, true))
        .chain(optional.iter().map(|n| one(n, false)))
        .collect()
}

/// The header of the file kept under `token` (on a blocking thread: a workbook is read whole).
async fn source_header(st: &AppState, token: &str) -> Result<Vec<String>, AppError> {
    let path = previewed_file(&st.config.data_dir, token).map_err(AppError::BadRequest)?;
    // Messages name the file as the user sent it, not where the server keeps it.
    let (full, name) = (
        path.display().to_string(),
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    tokio::task::spawn_blocking(move || atalaia_ingest::read::read_header(&path))
        .await
        .map_err(|e| AppError::Internal(format!("cabeçalho: {e}")))?
        .map_err(|e| AppError::BadRequest(e.to_string().replace(&full, &name)))
}

fn kind_of(f: &Fields) -> Result<Kind, AppError> {
    Kind::parse(field(f, "tipo").unwrap_or_default())
        .filter(|k| !atalaia_ingest::kinds::columns(*k).0.is_empty())
        .ok_or_else(|| AppError::BadRequest("escolha um tipo de arquivo em tabela".into()))
}

/// `GET /importacoes/perfis/novo?previa=&tipo=`: the column-mapping screen of a previewed file.
pub async fn new(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let kind = kind_of(&f)?;
    let token = field(&f, "previa").unwrap_or_default().to_string();
    mapping(&st, &id, &token, kind, None).await
}

/// The column-mapping screen of the file kept under `token`, read as `kind`, with `why` it is shown.
pub(crate) async fn mapping(
    st: &AppState,
    id: &Identity,
    token: &str,
    kind: Kind,
    why: Option<String>,
) -> Result<Response, AppError> {
    let source = source_header(st, token).await?;
    render(&ProfilePage {
        chrome: Chrome::new(st, id, "Novo perfil de importação", "/importacoes").await,
        why,
        token: token.to_string(),
        kind: kind.as_str(),
        kind_label: kind.label_pt(),
        source,
        targets: targets(kind),
        formats: DATE_FORMATS.to_vec(),
    })
}

/// The profile the screen's fields describe, checked against the file's header; the error names the
/// field at fault.
fn profile_of(f: &Fields, kind: Kind, header: &[String]) -> Result<Profile, String> {
    let name = field(f, "nome").unwrap_or_default().to_string();
    let well_formed = (3..=60).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(format!(
            "nome `{name}` inválido: esperado de 3 a 60 letras minúsculas, algarismos ou hífens"
        ));
    }
    if atalaia_ingest::profile::find(&name).is_ok() {
        return Err(format!(
            "o nome `{name}` é de um perfil que vem com o Atalaia: escolha outro"
        ));
    }
    let title = field(f, "titulo").unwrap_or_default().to_string();
    if title.is_empty() {
        return Err("informe a descrição do perfil (de que fonte são os arquivos)".into());
    }
    let mut columns = BTreeMap::new();
    for t in targets(kind) {
        let chosen = field(f, &format!("coluna_{}", t.name)).unwrap_or_default();
        let fixed = field(f, &format!("valor_{}", t.name)).unwrap_or_default();
        let rule = match chosen {
            ROW_HASH => Rule::RowHash,
            "" if !fixed.is_empty() => Rule::Value(fixed.to_string()),
            "" if t.required => {
                return Err(format!(
                    "a coluna «{}» é obrigatória: escolha a coluna do arquivo que a traz ou um valor fixo",
                    t.label
                ));
            }
            "" => continue,
            column => match field(f, &format!("formato_{}", t.name)) {
                Some(format) if t.dated => Rule::Date {
                    column: column.to_string(),
                    format: format.to_string(),
                    time: field(f, &format!("hora_{}", t.name)).map(str::to_string),
                },
                _ => Rule::Column(column.to_string()),
            },
        };
        columns.insert(t.name.to_string(), rule);
    }
    let profile = Profile {
        name,
        title,
        kind: kind.as_str().to_string(),
        columns,
        crimes: BTreeMap::new(),
        decimal_comma: field(f, "decimal_virgula").is_some(),
        unpivot: None,
    };
    profile.adapter(header)?;
    Ok(profile)
}

/// `POST /importacoes/perfis` (`previa`, `tipo`, `nome`, `titulo`, `decimal_virgula`, and per column
/// `coluna_*`, `valor_*`, `formato_*`, `hora_*`): saves the profile — audited, in one transaction — and
/// shows the file's preview through it.
pub async fn save(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let kind = kind_of(&f)?;
    let token = field(&f, "previa").unwrap_or_default().to_string();
    let header = source_header(&st, &token).await?;
    let profile = profile_of(&f, kind, &header).map_err(AppError::BadRequest)?;
    let document = serde_json::to_string_pretty(&profile)
        .map_err(|e| AppError::Internal(format!("perfil: {e}")))?;
    let now = st.config.clock.now_utc();
    let mut tx = st.primary.begin().await?;
    if !tx
        .save_import_profile(&profile.name, kind.as_str(), &document, &id.actor(), now)
        .await?
    {
        return Err(AppError::BadRequest(format!(
            "já existe um perfil chamado `{}`: escolha outro nome",
            profile.name
        )));
    }
    tx.audit(
        &AuditEvent::new(id.actor(), "import.profile_saved")
            .object(format!("profile:{}", profile.name))
            .details(serde_json::json!({"kind": kind.as_str(), "profile": profile}))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    show(&st, &id, &token, kind, &profile.name).await
}
