//! `atalaia audit verify`: checks the audit log's hash chain.

use crate::{OutputFormat, connect};
use anyhow::Context;
use clap::Subcommand;
use std::process::ExitCode;
#[derive(Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// Confere a cadeia de hashes do registro de auditoria: sai com 0 se íntegra, 1 nomeando a primeira entrada rompida.
    Verify,
}

pub(crate) async fn run(
    command: AuditCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            let db = connect(database).await?;
            let check = db
                .verify_audit_chain()
                .await
                .context("não foi possível ler o registro de auditoria")?;
            db.close().await;
            let code = match &check {
                atalaia_store::audit::ChainCheck::Intact { entries } => {
                    match format {
                        OutputFormat::Json => println!(
                            "{}",
                            serde_json::json!({"intact": true, "entries": entries})
                        ),
                        _ => println!("cadeia de auditoria íntegra: {entries} entradas conferidas"),
                    }
                    ExitCode::SUCCESS
                }
                atalaia_store::audit::ChainCheck::Broken { id, reason } => {
                    match format {
                        OutputFormat::Json => println!(
                            "{}",
                            serde_json::json!({"intact": false, "first_broken": id, "reason": reason})
                        ),
                        _ => println!("cadeia de auditoria ROMPIDA na entrada {id}: {reason}"),
                    }
                    ExitCode::from(1)
                }
            };
            Ok(code)
        }
    }
}
