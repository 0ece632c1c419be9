//! Demo users for `serve --demo`: one per role, with public passwords (printed on start). They are marked
//! `demo` and refused off loopback (see `pages::login`).

use atalaia_core::access::Role;
use atalaia_store::accounts::{Grant, NewUser, Scope};
use atalaia_store::audit::AuditEvent;
use atalaia_store::{Db, StoreError};

use crate::now_utc;
use crate::security::{PasswordCost, hash_password};

/// One demo login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub login: &'static str,
    /// Password (public).
    pub password: &'static str,
    pub role: Role,
    /// What the scope is, for people.
    pub note: &'static str,
}

/// A demo user: login, password, name, institution code, role, scope (kind, code), note.
type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Role,
    Option<(&'static str, &'static str)>,
    &'static str,
);

/// The demo users.
const USERS: [DemoUser; 7] = [
    (
        "admin",
        "demo-admin-7872",
        "Ana Administradora",
        "SSP-GO",
        Role::Admin,
        None,
        "usuários, instituições, chaves, auditoria",
    ),
    (
        "analista",
        "demo-analista-7872",
        "Bruno Analista",
        "SSP-GO",
        Role::Analyst,
        None,
        "importações, territórios, ocorrências",
    ),
    (
        "comite",
        "demo-comite-7872",
        "Carla do Comitê Gestor",
        "SSP-GO",
        Role::Committee,
        None,
        "programa, cálculos, resultados",
    ),
    (
        "chefe1bpm",
        "demo-chefe-7872",
        "Cel. Dario, 1º BPM",
        "PMGO",
        Role::UnitHead,
        Some(("unit", "PM-1BPM")),
        "unidade PM-1BPM",
    ),
    (
        "coordenador",
        "demo-coordenador-7872",
        "Elisa, coordenação Igesp",
        "SSP-GO",
        Role::Coordinator,
        Some(("municipality", "5208707")),
        "município de Goiânia",
    ),
    (
        "parceiro",
        "demo-parceiro-7872",
        "Fábio, Ministério Público",
        "MPGO",
        Role::Partner,
        None,
        "instituição parceira",
    ),
    (
        "auditor",
        "demo-auditor-7872",
        "Gabriela, controle interno",
        "CGE-GO",
        Role::Auditor,
        None,
        "leitura e auditoria",
    ),
];

/// Institutions the demo users belong to: (code, name, kind).
const INSTITUTIONS: [(&str, &str, &str); 4] = [
    (
        "SSP-GO",
        "Secretaria de Segurança Pública de Goiás (demonstração)",
        "SSP",
    ),
    ("PMGO", "Polícia Militar de Goiás (demonstração)", "PM"),
    ("MPGO", "Ministério Público de Goiás (demonstração)", "MP"),
    (
        "CGE-GO",
        "Controladoria-Geral do Estado (demonstração)",
        "CGE",
    ),
];

/// Creates the demo institutions and users that are missing (in one transaction, audited) and returns
/// every demo login.
pub async fn ensure(db: &Db, cost: PasswordCost) -> Result<Vec<DemoLogin>, StoreError> {
    let now = now_utc();
    let existing = db.institutions().await?;
    let mut tx = db.begin().await?;
    let mut ids = std::collections::HashMap::new();
    for (code, name, kind) in INSTITUTIONS {
        let id = match existing.iter().find(|i| i.code == code) {
            Some(i) => i.id,
            None => tx.create_institution(code, name, kind, true, now).await?,
        };
        ids.insert(code, id);
    }
    let mut created = Vec::new();
    for (login, password, name, inst, role, scope, _) in USERS {
        if db.user_by_login(login).await?.is_some() {
            continue;
        }
        let hash = hash_password(password, cost);
        let uid = tx
            .create_user(
                &NewUser {
                    login,
                    name,
                    email: None,
                    institution_id: ids.get(inst).copied().unwrap_or_default(),
                    password_hash: Some(&hash),
                    demo: true,
                },
                now,
            )
            .await?;
        let scope = match scope {
            Some(("unit", c)) => Scope::Unit(c.into()),
            Some((_, c)) => Scope::Municipality(c.into()),
            None => Scope::All,
        };
        tx.set_grants(uid, &[Grant { role, scope }]).await?;
        created.push(login);
    }
    if !created.is_empty() {
        tx.audit(
            &AuditEvent::new("system", "user.create_demo")
                .details(serde_json::json!({"logins": created})),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(logins())
}

/// Every demo login, in the order of platform.md §1.
pub fn logins() -> Vec<DemoLogin> {
    USERS
        .iter()
        .map(|(login, password, _, _, role, _, note)| DemoLogin {
            login,
            password,
            role: *role,
            note,
        })
        .collect()
}
