//! API keys of institutions for machine clients: created by an administrator, shown once, stored as a
//! SHA-256 digest, revocable; creation and revocation are audited, and each use marks the key.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::access::Role;
use atalaia_store::accounts::{ApiKeyRecord, InstitutionRecord};
use atalaia_store::audit::AuditEvent;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, local_time, render};
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
    error: Option<String>,
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
            role: k.role.label_pt(),
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
    error: Option<String>,
    new_key: Option<String>,
) -> Result<Response, AppError> {
    render(&KeysPage {
        chrome: Chrome::new(st, id, "Chaves de API", "/admin/chaves-api").await,
        error,
        new_key,
        keys: rows(st.db.api_keys().await?),
        institutions: st.db.institutions().await?,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_pt()))
            .collect(),
    })
}

/// `GET /admin/chaves-api`.
pub async fn list(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    page(&st, &id, None, None).await
}

/// The new-key form.
#[derive(Debug, Deserialize)]
pub struct KeyForm {
    nome: String,
    instituicao: String,
    papel: String,
    /// Last day the key works (`AAAA-MM-DD`, optional): it is refused from the next day on.
    #[serde(default)]
    validade: String,
}

/// `POST /admin/chaves-api`: creates a key and shows it once.
pub async fn create(Ctx { st, id }: Ctx, Form(f): Form<KeyForm>) -> Result<Response, AppError> {
    let name = f.nome.trim();
    let role: Option<Role> = f.papel.parse().ok();
    let institution = f.instituicao.parse::<i64>().ok();
    let today = st.config.clock.today();
    let valid_until = match f.validade.trim() {
        "" => Ok(None),
        v => atalaia_core::parse_date(v)
            .ok()
            .filter(|d| *d >= today)
            .map(Some)
            .ok_or_else(|| {
                format!("validade `{v}` inválida: esperada uma data de hoje em diante (AAAA-MM-DD)")
            }),
    };
    let institutions = st.db.institutions().await?;
    let inst = institution.and_then(|i| institutions.iter().find(|x| x.id == i));
    let problem = if name.is_empty() {
        Some("nome vazio: diga para que sistema é a chave".to_string())
    } else if role.is_none() {
        Some(format!("papel `{}` inválido", f.papel))
    } else if role == Some(Role::Admin) {
        Some("uma chave de API não pode ter o papel de administração".into())
    } else if inst.is_none() {
        Some("escolha a instituição".into())
    } else if let Err(e) = &valid_until {
        Some(e.clone())
    } else {
        None
    };
    let (Some(role), Some(inst), None) = (role, inst, &problem) else {
        return page(&st, &id, problem, None).await;
    };
    let secret = random_token();
    let key = format!("atk_{secret}");
    let prefix = format!("atk_{}", &secret[..8]);
    let now = now_utc();
    // Refused from 00:00 of the next day in Goiás (UTC−3): 03:00 UTC.
    let expires_at = valid_until
        .ok()
        .flatten()
        .and_then(|d| d.succ_opt().and_then(|next| next.and_hms_opt(3, 0, 0)));
    let mut tx = st.db.begin().await?;
    tx.create_api_key(
        inst.id,
        name,
        &prefix,
        &token_hash(&key),
        role,
        id.user.as_ref().map(|u| u.id),
        expires_at,
        now,
    )
    .await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "apikey.create")
            .object(format!("apikey:{prefix}"))
            .details(
                serde_json::json!({"name": name, "institution": inst.code, "role": role.as_str(),
                    "expires_at": expires_at.map(|e| e.to_string())}),
            )
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    page(&st, &id, None, Some(key)).await
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
