//! Administration: users (roles and scopes, activation, passwords) and institutions. Every change is
//! written to the audit log in the same transaction, and a change of roles or activation ends the user's
//! sessions so it takes effect at once.

use super::kept::{FieldError, Kept};
use askama::Template;
use atalaia_core::Institution;
use atalaia_core::access::Role;
use atalaia_store::accounts::{Grant, InstitutionRecord, NewUser, Scope, UserRecord};
use atalaia_store::audit::AuditEvent;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, Fields, render};
use crate::guard::{Ctx, Identity};
use crate::pages::FormOption;
use crate::security::hash_password;
use crate::{AppError, AppState, now_utc};

/// Minimum password length (platform.md §2 asks for strong passwords; length is what matters).
pub const MIN_PASSWORD: usize = 12;

/// `?ok=` codes after a redirect, and `?erro=` messages.
#[derive(Debug, Deserialize, Default)]
pub struct Flash {
    ok: Option<String>,
    erro: Option<String>,
}

impl Flash {
    fn message(&self) -> Option<String> {
        self.ok.as_deref().map(|c| {
            match c {
                "criado" => "Usuário criado.",
                "salvo" => "Alterações salvas. As sessões do usuário foram encerradas.",
                "senha" => "Senha redefinida. As sessões do usuário foram encerradas.",
                "instituicao" => "Instituição criada.",
                _ => "Feito.",
            }
            .to_string()
        })
    }
}

struct RoleOption {
    code: &'static str,
    label: &'static str,
    checked: bool,
    scope: String,
}

struct UserRow {
    id: i64,
    login: String,
    name: String,
    institution: String,
    roles: String,
    active: bool,
    demo: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    ok: Option<String>,
    error: Option<String>,
    users: Vec<UserRow>,
    institutions: Vec<InstitutionRecord>,
    roles: Vec<RoleOption>,
    min_password: usize,
    /// The new-user form as typed, when it was refused.
    kept: Kept,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    ok: Option<String>,
    error: Option<String>,
    user: UserRecord,
    institutions: Vec<InstitutionRecord>,
    roles: Vec<RoleOption>,
    min_password: usize,
    /// The form as typed, when it was refused.
    kept: Kept,
}

/// The roles in words, as the audit log keeps them ("Coordenação Igesp (município 5208707)").
fn grants_label(grants: &[Grant]) -> String {
    grants_text(grants, |_| None)
}

/// The roles in words, a municipality scope by the name `municipality` gives it, if any
/// ("Coordenação Igesp (Goiânia)" in the user list).
fn grants_text<'a>(grants: &[Grant], municipality: impl Fn(&str) -> Option<&'a str>) -> String {
    grants
        .iter()
        .map(|g| match &g.scope {
            Scope::All => g.role.label_pt().to_string(),
            Scope::Municipality(c) if let Some(name) = municipality(c.as_str()) => {
                format!("{} ({name})", g.role.label_pt())
            }
            s => format!("{} ({})", g.role.label_pt(), s.label_pt()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn scope_text(grants: &[Grant], role: Role) -> String {
    grants
        .iter()
        .filter(|g| g.role == role)
        .filter_map(|g| match &g.scope {
            Scope::All => None,
            Scope::Unit(c) => Some(format!("unidade:{c}")),
            Scope::Municipality(c) => Some(format!("municipio:{c}")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The roles fieldset: ticked and scoped as `grants` (the stored user), or as typed in a refused form.
fn role_options(grants: &[Grant], kept: &Kept) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .map(|r| {
            let (checked, scope) = if kept.is_refused() {
                let scope = kept.value(&format!("escopo_{}", r.as_str()));
                (kept.has("papel", r.as_str()), scope.to_string())
            } else {
                (grants.iter().any(|g| g.role == r), scope_text(grants, r))
            };
            RoleOption {
                code: r.as_str(),
                label: r.label_pt(),
                checked,
                scope,
            }
        })
        .collect()
}

/// A field's trimmed value, or "" (check boxes repeat their name: the form's fields stay pairs).
fn field<'a>(pairs: &'a Fields, name: &str) -> &'a str {
    super::field(pairs, name).unwrap_or("")
}

/// Reads the roles and scopes of a user form: check boxes `papel`, and per role a text field
/// `escopo_<papel>` with entries `unidade:CÓDIGO` or `municipio:CÓDIGO` separated by commas (empty =
/// unscoped). Unknown units and territories are refused.
async fn parse_grants(st: &AppState, pairs: &Fields) -> Result<Vec<Grant>, String> {
    let mut tx = st.db.begin().await.map_err(|e| e.to_string())?;
    let units = tx.unit_codes().await.map_err(|e| e.to_string())?;
    let territories = tx.territory_codes().await.map_err(|e| e.to_string())?;
    drop(tx);
    let mut grants = Vec::new();
    for (k, v) in pairs {
        if k != "papel" {
            continue;
        }
        let role: Role = v
            .parse()
            .map_err(|_| format!("papel `{v}` inválido: esperado um dos papéis da lista"))?;
        let scopes = field(pairs, &format!("escopo_{}", role.as_str()));
        if scopes.is_empty() {
            grants.push(Grant {
                role,
                scope: Scope::All,
            });
            continue;
        }
        for entry in scopes
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let scope = match entry.split_once(':') {
                Some(("unidade", c)) if units.contains(c.trim()) => Scope::Unit(c.trim().into()),
                Some(("municipio" | "município", c)) if territories.contains(c.trim()) => {
                    Scope::Municipality(c.trim().into())
                }
                Some(("unidade", c)) => {
                    return Err(format!("unidade `{}` não cadastrada", c.trim()));
                }
                Some(("municipio" | "município", c)) => {
                    return Err(format!("território `{}` não cadastrado", c.trim()));
                }
                _ => {
                    return Err(format!(
                        "escopo `{entry}` inválido: esperado unidade:CÓDIGO ou municipio:CÓDIGO"
                    ));
                }
            };
            // A scope that does not fit the role would read as nothing (atalaia_core::scope): refuse it
            // here, where the administrator can still correct it.
            if !atalaia_core::scope::fits(role, &scope) {
                return Err(format!(
                    "escopo `{entry}` não se aplica ao papel {}: só chefes de unidade têm escopo de unidade e só coordenações Igesp têm escopo de município",
                    role.label_pt()
                ));
            }
            grants.push(Grant { role, scope });
        }
    }
    grants.sort();
    grants.dedup();
    Ok(grants)
}

/// A login as the pages accept it: 3–64 lowercase letters, digits, `.`, `_`, `-` (sign-in lowercases
/// what is typed).
pub fn valid_login(login: &str) -> bool {
    (3..=64).contains(&login.len())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

async fn users_page(
    st: &AppState,
    id: &Identity,
    ok: Option<String>,
    error: Option<String>,
    kept: Kept,
) -> Result<Response, AppError> {
    let territories = st.territories().await?;
    let names: std::collections::HashMap<&str, &str> = territories
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    let users = st
        .db
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            roles: grants_text(&u.grants, |c| names.get(c).copied()),
            login: u.login,
            name: u.name,
            institution: u.institution_code,
            active: u.active,
            demo: u.demo,
        })
        .collect();
    render(&UsersPage {
        chrome: Chrome::new(st, id, "Usuários", "/admin/usuarios").await,
        ok,
        error,
        users,
        institutions: st.db.institutions().await?,
        roles: role_options(&[], &kept),
        min_password: MIN_PASSWORD,
        kept,
    })
}

/// `GET /admin/usuarios`.
pub async fn users(Ctx { st, id }: Ctx, Query(flash): Query<Flash>) -> Result<Response, AppError> {
    users_page(&st, &id, flash.message(), flash.erro, Kept::default()).await
}

/// `POST /admin/usuarios`: creates a user with roles.
pub async fn create_user(
    Ctx { st, id }: Ctx,
    Form(pairs): Form<Fields>,
) -> Result<Response, AppError> {
    let login = field(&pairs, "login").to_lowercase();
    let name = field(&pairs, "nome").to_string();
    let email = Some(field(&pairs, "email")).filter(|e| !e.is_empty());
    let password = pairs
        .iter()
        .find(|(k, _)| k == "senha")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let institution_id: Option<i64> = field(&pairs, "instituicao").parse().ok();
    // The form comes back as typed (the password aside), the reason beside its input.
    let refused = |why: String, input: &'static str| {
        let kept = Kept::refused(&pairs, FieldError::at(input)(why.clone()));
        users_page(&st, &id, None, Some(why), kept)
    };
    let problem = if !valid_login(&login) {
        Some((
            format!(
                "login `{login}` inválido: esperado de 3 a 64 letras minúsculas sem acento, dígitos, ponto, hífen ou sublinhado"
            ),
            "login",
        ))
    } else if name.is_empty() {
        Some(("nome vazio: informe o nome completo".into(), "nome"))
    } else if password.chars().count() < MIN_PASSWORD {
        Some((
            format!("senha curta: use ao menos {MIN_PASSWORD} caracteres"),
            "senha",
        ))
    } else if institution_id.is_none() {
        Some(("escolha a instituição".into(), "instituicao"))
    } else {
        None
    };
    if let Some((why, input)) = problem {
        return refused(why, input).await;
    }
    let grants = match parse_grants(&st, &pairs).await {
        Ok(g) if g.is_empty() => {
            return refused("marque ao menos um papel".into(), "papeis").await;
        }
        Ok(g) => g,
        Err(e) => return refused(e, "papeis").await,
    };
    if st.db.user_by_login(&login).await?.is_some() {
        return refused(format!("já existe o usuário `{login}`"), "login").await;
    }
    let now = now_utc();
    let hash = hash_password(password, st.config.password_cost);
    let mut tx = st.db.begin().await?;
    let uid = tx
        .create_user(
            &NewUser {
                login: &login,
                name: &name,
                email,
                institution_id: institution_id.unwrap_or_default(),
                password_hash: Some(&hash),
                demo: false,
            },
            now,
        )
        .await?;
    tx.set_grants(uid, &grants).await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "user.create")
            .object(format!("user:{login}"))
            .details(serde_json::json!({"name": name, "institution_id": institution_id, "roles": grants_label(&grants)}))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/usuarios?ok=criado").into_response())
}

async fn user_page(
    st: &AppState,
    id: &Identity,
    uid: i64,
    ok: Option<String>,
    error: Option<String>,
    kept: Kept,
) -> Result<Response, AppError> {
    let user = st
        .db
        .user_by_id(uid)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("o usuário {uid}")))?;
    let title = format!("Usuário {}", user.login);
    render(&UserPage {
        chrome: Chrome::new(st, id, &title, "/admin/usuarios").await,
        ok,
        error,
        roles: role_options(&user.grants, &kept),
        user,
        institutions: st.db.institutions().await?,
        min_password: MIN_PASSWORD,
        kept,
    })
}

/// `GET /admin/usuarios/{id}`.
pub async fn user(
    Ctx { st, id }: Ctx,
    Path(uid): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    user_page(&st, &id, uid, flash.message(), flash.erro, Kept::default()).await
}

/// `POST /admin/usuarios/{id}`: name, e-mail, institution, activation and roles.
pub async fn update_user(
    Ctx { st, id }: Ctx,
    Path(uid): Path<i64>,
    Form(pairs): Form<Fields>,
) -> Result<Response, AppError> {
    let Some(before) = st.db.user_by_id(uid).await? else {
        return Err(AppError::NotFound(format!("o usuário {uid}")));
    };
    // The form comes back as typed, the reason beside its input.
    let refused = |why: String, input: &'static str| {
        let kept = Kept::refused(&pairs, FieldError::at(input)(why.clone()));
        user_page(&st, &id, uid, None, Some(why), kept)
    };
    let name = field(&pairs, "nome").to_string();
    let email = Some(field(&pairs, "email")).filter(|e| !e.is_empty());
    let active = field(&pairs, "ativo") == "sim";
    // gov.br's subject is the CPF: accept it with or without punctuation, store the digits.
    let oidc_subject = match field(&pairs, "oidc_subject") {
        "" => None,
        v => match v.parse::<atalaia_core::Cpf>() {
            Ok(c) => Some(c.digits().to_string()),
            Err(e) => {
                return refused(format!("CPF `{v}` inválido: {e}"), "oidc_subject").await;
            }
        },
    };
    let Some(institution_id) = field(&pairs, "instituicao").parse::<i64>().ok() else {
        return refused("escolha a instituição".into(), "instituicao").await;
    };
    if name.is_empty() {
        return refused("nome vazio: informe o nome completo".into(), "nome").await;
    }
    let grants = match parse_grants(&st, &pairs).await {
        Ok(g) if g.is_empty() => {
            return refused("marque ao menos um papel".into(), "papeis").await;
        }
        Ok(g) => g,
        Err(e) => return refused(e, "papeis").await,
    };
    if before.id == id.user.as_ref().map(|u| u.id).unwrap_or(-1)
        && (!active || !grants.iter().any(|g| g.role == Role::Admin))
    {
        return refused(
            "você não pode tirar de si mesmo o papel de administração nem se desativar".into(),
            "papeis",
        )
        .await;
    }
    let now = now_utc();
    let mut tx = st.db.begin().await?;
    tx.update_user(uid, &name, email, institution_id, active, now)
        .await?;
    tx.set_grants(uid, &grants).await?;
    if oidc_subject != before.oidc_subject {
        tx.set_oidc_subject(uid, oidc_subject.as_deref()).await?;
    }
    let ended = tx.delete_user_sessions(uid).await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "user.update")
            .object(format!("user:{}", before.login))
            .details(serde_json::json!({
                "before": {"name": before.name, "email": before.email, "institution_id": before.institution_id,
                           "active": before.active, "roles": grants_label(&before.grants)},
                "after": {"name": name, "email": email, "institution_id": institution_id,
                          "active": active, "roles": grants_label(&grants)},
                "oidc_linked": oidc_subject.is_some(),
                "oidc_changed": oidc_subject != before.oidc_subject,
                "sessions_ended": ended,
            }))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/usuarios/{uid}?ok=salvo")).into_response())
}

/// The password reset form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    senha: String,
}

/// `POST /admin/usuarios/{id}/senha`.
pub async fn reset_password(
    Ctx { st, id }: Ctx,
    Path(uid): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let Some(user) = st.db.user_by_id(uid).await? else {
        return Err(AppError::NotFound(format!("o usuário {uid}")));
    };
    // Nothing of a password is kept: only which input the reason is about.
    let refused = |why: String, input: &'static str| {
        user_page(
            &st,
            &id,
            uid,
            None,
            Some(why.clone()),
            Kept::refused(&Vec::new(), FieldError::at(input)(why)),
        )
    };
    if f.senha.chars().count() < MIN_PASSWORD {
        return refused(
            format!("senha curta: use ao menos {MIN_PASSWORD} caracteres"),
            "senha",
        )
        .await;
    }
    let now = now_utc();
    let hash = hash_password(&f.senha, st.config.password_cost);
    let mut tx = st.db.begin().await?;
    tx.set_password_hash(uid, &hash, now).await?;
    let ended = tx.delete_user_sessions(uid).await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "user.password_reset")
            .object(format!("user:{}", user.login))
            .details(serde_json::json!({"sessions_ended": ended}))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/usuarios/{uid}?ok=senha")).into_response())
}

#[derive(Template)]
#[template(path = "admin_institutions.html")]
struct InstitutionsPage {
    chrome: Chrome,
    ok: Option<String>,
    error: Option<String>,
    institutions: Vec<InstitutionRecord>,
    kinds: Vec<FormOption>,
}

const KINDS: [(&str, &str); 11] = [
    ("PM", "Polícia Militar"),
    ("PC", "Polícia Civil"),
    ("BM", "Corpo de Bombeiros Militar"),
    ("SPTC", "Polícia Técnico-Científica"),
    ("PP", "Polícia Penal / sistema prisional"),
    ("SSP", "Secretaria de Segurança Pública"),
    ("MP", "Ministério Público"),
    ("TJ", "Tribunal de Justiça"),
    ("DP", "Defensoria Pública"),
    ("PREF", "Prefeitura"),
    ("OUTRA", "Outra (Conseg/Consep, CDL, controle…)"),
];

async fn institutions_page(
    st: &AppState,
    id: &Identity,
    ok: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    render(&InstitutionsPage {
        chrome: Chrome::new(st, id, "Instituições", "/admin/instituicoes").await,
        ok,
        error,
        institutions: st.db.institutions().await?,
        kinds: KINDS
            .iter()
            .map(|&(code, label)| FormOption::new(code, label))
            .collect(),
    })
}

/// `GET /admin/instituicoes`.
pub async fn institutions(
    Ctx { st, id }: Ctx,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    institutions_page(&st, &id, flash.message(), flash.erro).await
}

/// The institution form.
#[derive(Debug, Deserialize)]
pub struct InstitutionForm {
    codigo: String,
    nome: String,
    tipo: String,
}

/// `POST /admin/instituicoes`.
pub async fn create_institution(
    Ctx { st, id }: Ctx,
    Form(f): Form<InstitutionForm>,
) -> Result<Response, AppError> {
    let code = f.codigo.trim().to_uppercase();
    let name = f.nome.trim();
    let kind = match f.tipo.trim() {
        "OUTRA" => Ok("OUTRA".to_string()),
        t => t
            .parse::<Institution>()
            .map(|i| i.to_string())
            .map_err(|e| e.to_string()),
    };
    let problem = if code.is_empty()
        || code.len() > 32
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Some(format!(
            "código `{code}` inválido: esperado até 32 letras sem acento, dígitos, - ou _ (ex.: PMGO)"
        ))
    } else if name.is_empty() {
        Some("nome vazio: informe o nome da instituição".into())
    } else if let Err(e) = &kind {
        Some(format!("tipo `{}` inválido: {e}", f.tipo.trim()))
    } else {
        None
    };
    if let Some(p) = problem {
        return institutions_page(&st, &id, None, Some(p)).await;
    }
    if st.db.institutions().await?.iter().any(|i| i.code == code) {
        return institutions_page(
            &st,
            &id,
            None,
            Some(format!("já existe a instituição `{code}`")),
        )
        .await;
    }
    let kind = kind.unwrap_or_default();
    let now = now_utc();
    let mut tx = st.db.begin().await?;
    tx.create_institution(&code, name, &kind, false, now)
        .await?;
    tx.audit(
        &AuditEvent::new(id.actor(), "institution.create")
            .object(format!("institution:{code}"))
            .details(serde_json::json!({"name": name, "kind": kind}))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/instituicoes?ok=instituicao").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert!(valid_login("ana.souza"));
        assert!(valid_login("pm-13bpm_chefe"));
        assert!(!valid_login("an"));
        assert!(!valid_login("Ana"));
        assert!(!valid_login("joão"));
        assert!(!valid_login("a b c"));
    }
}
