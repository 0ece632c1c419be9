//! `atalaia backup` and `atalaia restore`: a whole database to a file while the server runs, and back
//! into an empty database (`atalaia_store::backup`).

use crate::OutputFormat;
use anyhow::Context;
use atalaia_store::Db;
use atalaia_store::backup::{self, BackupFormat};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct BackupArgs {
    /// Arquivo da cópia; não pode existir (uma cópia nunca sobrescreve outra).
    #[arg(long)]
    to: PathBuf,
}

#[derive(clap::Args, Debug)]
pub(crate) struct RestoreArgs {
    /// A cópia: um banco SQLite ou um arquivo do pg_dump (formato custom) feito por `atalaia backup`.
    #[arg(long)]
    from: PathBuf,
}

fn format_code(f: BackupFormat) -> &'static str {
    match f {
        BackupFormat::Sqlite => "sqlite",
        BackupFormat::PgCustom => "pg_custom",
    }
}

pub(crate) async fn backup(
    args: BackupArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    // The database as it is: a copy taken before an upgrade keeps the schema it had.
    let db = Db::connect_unmigrated(database).await.with_context(|| {
        format!(
            "não foi possível abrir o banco {}",
            atalaia_store::redact(database)
        )
    })?;
    let written = backup::backup(&db, database, &args.to).await;
    db.close().await;
    let kind = written.context("a cópia de segurança não foi feita")?;
    let bytes = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({"file": args.to, "format": format_code(kind), "bytes": bytes})
        ),
        _ => println!(
            "cópia de segurança gravada em {} ({}, {:.1} MiB)",
            args.to.display(),
            kind.label_pt(),
            bytes as f64 / (1024.0 * 1024.0)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn restore(
    args: RestoreArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let db = backup::restore(database, &args.from)
        .await
        .context("a cópia não foi restaurada")?;
    // What a restore must give back above all is the audit trail, whole.
    let check = db.verify_audit_chain().await;
    db.close().await;
    let check =
        check.context("o banco foi restaurado, mas o registro de auditoria não pôde ser lido")?;
    let (intact, entries) = match &check {
        atalaia_store::audit::ChainCheck::Intact { entries } => (true, *entries),
        atalaia_store::audit::ChainCheck::Broken { .. } => (false, 0),
    };
    match (format, &check) {
        (OutputFormat::Json, _) => println!(
            "{}",
            serde_json::json!({"restored": true, "audit_intact": intact, "audit_entries": entries})
        ),
        (_, atalaia_store::audit::ChainCheck::Intact { entries }) => println!(
            "banco restaurado de {}; cadeia de auditoria íntegra: {entries} entradas conferidas",
            args.from.display()
        ),
        (_, atalaia_store::audit::ChainCheck::Broken { id, reason }) => println!(
            "banco restaurado de {}, mas a cadeia de auditoria está ROMPIDA na entrada {id}: {reason}",
            args.from.display()
        ),
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
