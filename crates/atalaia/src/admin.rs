//! `atalaia admin create`: an administrator made from the machine that runs Atalaia — how a new
//! deployment gets its first one (the pages let only an administrator create users). The password is
//! read from standard input, never from the command line (which other users of the machine can read).

use crate::{OutputFormat, connect};
use anyhow::Context;
use atalaia_core::access::Role;
use atalaia_store::accounts::{Grant, NewUser, Scope};
use atalaia_store::audit::AuditEvent;
use clap::Subcommand;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub(crate) enum AdminCommand {
    /// Cria um usuário com o papel de administração; a senha vem da entrada padrão (uma linha).
    Create {
        /// Login do usuário.
        #[arg(long)]
        login: String,
        /// Nome para as páginas.
        #[arg(long)]
        name: String,
        /// E-mail (para os lembretes).
        #[arg(long)]
        email: Option<String>,
        /// Sigla da instituição (ex.: SSP-GO).
        #[arg(long)]
        institution: String,
        /// Nome da instituição, para criá-la se ainda não existir.
        #[arg(long)]
        institution_name: Option<String>,
    },
}

pub(crate) async fn run(
    command: AdminCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let AdminCommand::Create {
        login,
        name,
        email,
        institution,
        institution_name,
    } = command;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("a senha não pôde ser lida da entrada padrão")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let min = atalaia_web::pages::admin::MIN_PASSWORD;
    if password.chars().count() < min {
        eprintln!(
            "erro: senha curta ou ausente: envie pela entrada padrão uma senha de ao menos {min} caracteres"
        );
        return Ok(ExitCode::from(2));
    }
    let login = login.trim().to_lowercase();
    if !atalaia_web::pages::admin::valid_login(&login) {
        eprintln!(
            "erro: login `{login}` inválido: de 3 a 64 letras minúsculas, algarismos, ponto, hífen ou sublinhado"
        );
        return Ok(ExitCode::from(2));
    }
    let db = connect(database).await?;
    let created = create(
        &db,
        &login,
        &name,
        email.as_deref(),
        &institution,
        institution_name.as_deref(),
        password,
    )
    .await;
    db.close().await;
    match created {
        Ok(id) => {
            match format {
                OutputFormat::Json => println!("{}", serde_json::json!({"id": id, "login": login})),
                _ => println!("administrador `{login}` criado (usuário {id})"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("erro: {why}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Creates the user with an administration grant, and its institution if asked, in one audited
/// transaction; the error is the reason for people.
async fn create(
    db: &atalaia_store::Db,
    login: &str,
    name: &str,
    email: Option<&str>,
    institution: &str,
    institution_name: Option<&str>,
    password: &str,
) -> anyhow::Result<i64> {
    if db.user_by_login(login).await?.is_some() {
        anyhow::bail!("o login `{login}` já existe");
    }
    // Hashed before the transaction: Argon2 takes a moment, and SQLite's writers would wait for it.
    let hash = atalaia_web::security::hash_password(password, atalaia_web::PasswordCost::default());
    let now = chrono::Utc::now().naive_utc();
    let actor = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "desconhecido".into())
    );
    let known = db
        .institutions()
        .await?
        .into_iter()
        .find(|i| i.code == institution);
    let mut tx = db.begin().await?;
    let institution_id = match (known, institution_name) {
        (Some(i), _) => i.id,
        (None, Some(full)) => {
            let id = tx
                .create_institution(institution, full, "SSP", false, now)
                .await?;
            tx.audit(
                &AuditEvent::new(actor.clone(), "institution.create")
                    .object(format!("institution:{institution}"))
                    .details(serde_json::json!({"name": full})),
                now,
            )
            .await?;
            id
        }
        (None, None) => anyhow::bail!(
            "a instituição `{institution}` não existe: informe --institution-name para criá-la"
        ),
    };
    let id = tx
        .create_user(
            &NewUser {
                login,
                name,
                email,
                institution_id,
                password_hash: Some(&hash),
                demo: false,
            },
            now,
        )
        .await?;
    tx.set_grants(
        id,
        &[Grant {
            role: Role::Admin,
            scope: Scope::All,
        }],
    )
    .await?;
    tx.audit(
        &AuditEvent::new(actor, "user.create")
            .object(format!("user:{login}"))
            .details(serde_json::json!({"roles": ["admin"], "institution": institution})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
