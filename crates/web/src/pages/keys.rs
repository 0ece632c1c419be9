//! API keys of institutions for machine clients: created by an administrator, shown once, stored as a
//! SHA-256 digest, revocable; creation and revocation are audited, and each use marks the key.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::access::KeyAccess;
use atalaia_store::accounts::{ApiKeyRecord, InstitutionRecord};
use atalaia_store::audit::AuditEvent;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;

use super::kept::{FieldError, Kept};
use super::{Chrome, Fields, field, local_time, render};
use crate::guard::{Ctx, Identity};
use crate::security::{random_token, token_hash};
use crate::{AppError, AppState, now_utc};

struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    institution: String,
    role: &'static str,
    created: String,
    last_used: String,
    revoked: Option<String>,
    /// "até 31/12/2026", "vencida em …", "sem validade", or that the institution is inactive.
    validity: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct KeysPage {
    chrome: Chrome,
    /// The new-key form, as typed when it was refused.
    kept: Kept,
    new_key: Option<String>,
    keys: Vec<KeyRow>,
    institutions: Vec<InstitutionRecord>,
    roles: Vec<(&'static str, &'static str)>,
}

fn rows(keys: Vec<ApiKeyRecord>) -> Vec<KeyRow> {
    keys.into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            institution: k.institution_code,
            role: k.access.label_pt(),
            created: local_time(k.created_at),
            last_used: k
                .last_used_at
                .map(local_time)
                .unwrap_or_else(|| "nunca".into()),
            revoked: k.revoked_at.map(local_time),
            validity: match (k.institution_active, k.expires_at) {
                (false, _) => "instituição desativada: recusada".into(),
                (true, None) => "sem validade".into(),
                (true, Some(e)) if e <= crate::now_utc() => format!("vencida em {}", local_time(e)),
                (true, Some(e)) => format!("até {}", local_time(e - chrono::Duration::seconds(1))),
            },
        })
        .collect()
}

async fn page(
    st: &AppState,
    id: &Identity,
    kept: Kept,
    new_key: Option<String>,
) -> Result<Response, AppError> {
    render(&KeysPage {
        chrome: Chrome::new(st, id, "Chaves de API", "/admin/chaves-api").await,
        kept,
        new_key,
        keys: rows(st.db.api_keys().await?),
        institutions: st.db.institutions().await?,
        roles: KeyAccess::all()
            .map(|k| (k.as_str(), k.label_pt()))
            .collect(),
    })
}

/// `GET /admin/chaves-api`.
pub async fn list(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    page(&st, &id, Kept::default(), None).await
}

/// A key the administrator asked for, read from the new-key form.
struct NewKey<'a> {
    name: &'a str,
    access: KeyAccess,
    institution: &'a InstitutionRecord,
    /// Last day the key works: it is refused from the next day on.
    valid_until: Option<chrono::NaiveDate>,
}

/// The new-key form (`nome`, `instituicao`, `papel`, optional `validade` as `AAAA-MM-DD`) as a key, or
/// the first input to mend.
fn new_key<'a>(
    f: &'a Fields,
    institutions: &'a [InstitutionRecord],
    today: chrono::NaiveDate,
) -> Result<NewKey<'a>, FieldError> {
    let at = FieldError::at;
    let name = field(f, "nome")
        .ok_or_else(|| at("nome")("nome vazio: diga para que sistema é a chave".into()))?;
    let institution = field(f, "instituicao")
        .and_then(|i| i.parse::<i64>().ok())
        .and_then(|i| institutions.iter().find(|x| x.id == i))
        .ok_or_else(|| at("instituicao")("escolha a instituição".into()))?;
    let papel = field(f, "papel").unwrap_or("");
    let access: KeyAccess = papel
        .parse()
        .map_err(|_| at("papel")(format!("papel `{papel}` inválido")))?;
    if !KeyAccess::all().any(|k| k == access) {
        return Err(at("papel")(
            "uma chave de API não pode ter o papel de administração".into(),
        ));
    }
    let valid_until = match field(f, "validade") {
        None => None,
        Some(v) => Some(
            atalaia_core::parse_date(v)
                .ok()
                .filter(|d| *d >= today)
                .ok_or_else(|| {
                    at("validade")(format!(
                        "validade `{v}` inválida: esperada uma data de hoje em diante (AAAA-MM-DD)"
                    ))
                })?,
        ),
    };
    Ok(NewKey {
        name,
        access,
        institution,
        valid_until,
    })
}

/// `POST /admin/chaves-api`: creates a key and shows it once; a refused form comes back as typed, the
/// reason beside its input.
pub async fn create(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let institutions = st.db.institutions().await?;
    let k = match new_key(&f, &institutions, st.config.clock.today()) {
        Ok(k) => k,
        Err(e) => return page(&st, &id, Kept::refused(&f, e), None).await,
    };
    let (name, access, inst) = (k.name, k.access, k.institution);
    let secret = random_token();
    let key = format!("atk_{secret}");
    let prefix = format!("atk_{}", &secret[..8]);
    let now = now_utc();
    // Refused from 00:00 of the next day in Goiás (UTC−3): 03:00 UTC.
    let expires_at = k
        .valid_until
        .and_then(|d| d.succ_opt().and_then(|next| next.and_hms_opt(3, 0, 0)));
    let mut tx = st.db.begin().await?;
    tx.create_api_key(
        inst.id,
        name,
        &prefix,
        &token_hash(&key),
        access,
        id.user.as_ref().map(|u| u.id),
        expires_at,
        now,
    )
    .await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "apikey.create")
            .object(format!("apikey:{prefix}"))
            .details(
                serde_json::json!({"name": name, "institution": inst.code, "role": access.as_str(),
                    "expires_at": expires_at.map(|e| e.to_string())}),
            )
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    page(&st, &id, Kept::default(), Some(key)).await
}

/// `POST /admin/chaves-api/{id}/revogar`.
pub async fn revoke(Ctx { st, id }: Ctx, Path(key_id): Path<i64>) -> Result<Response, AppError> {
    let keys = st.db.api_keys().await?;
    let Some(key) = keys.iter().find(|k| k.id == key_id) else {
        return Err(AppError::NotFound(format!("a chave {key_id}")));
    };
    let now = now_utc();
    let mut tx = st.db.begin().await?;
    if tx.revoke_api_key(key_id, now).await? {
        tx.audit(
            &AuditEvent::new(id.actor(), "apikey.revoke")
                .object(format!("apikey:{}", key.prefix))
                .ip(&id.ip),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done::redirect("/admin/chaves-api", Done::KeyCreated))
}
