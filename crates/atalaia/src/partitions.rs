//! `atalaia partitions`: PostgreSQL's monthly partitions made ahead, and rows of months that had none
//! moved into their own (`atalaia_store::partitions`). Imports do the same before and after they run;
//! this is for a timer, or before loading years of history (`--from`).

use crate::{OutputFormat, connect, now_sao_paulo};
use anyhow::Context;
use atalaia_core::Month;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct PartitionArgs {
    /// Primeiro mês a ter partição, AAAA-MM (padrão: o mês corrente).
    #[arg(long, value_parser = parse_month)]
    from: Option<Month>,
    /// Quantos meses depois do primeiro também ganham partição.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=1200))]
    ahead: u32,
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s)
        .map_err(|_| format!("mês inválido `{s}`: esperado AAAA-MM, por exemplo 2015-01"))
}

pub(crate) async fn run(
    args: PartitionArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let db = connect(database).await?;
    let from = match args.from {
        Some(m) => m,
        None => Month::of(now_sao_paulo().date()).context("mês corrente fora do calendário")?,
    };
    let backend = db.backend();
    let done = db.maintain_partitions(from, args.ahead).await;
    db.close().await;
    let report = done.context("as partições mensais não foram atualizadas")?;
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "created": report.created,
                "moved_rows": report.moved_rows,
                "postponed": report.postponed.iter().map(|(n, why)| serde_json::json!({"partition": n, "reason": why})).collect::<Vec<_>>(),
            })
        ),
        _ => {
            if backend == atalaia_store::Backend::Sqlite {
                println!("banco SQLite: não há partições a manter");
            } else {
                println!(
                    "{} partições criadas, {} linhas movidas da partição padrão",
                    report.created.len(),
                    report.moved_rows
                );
                for name in &report.created {
                    println!("  criada: {name}");
                }
            }
            for (name, why) in &report.postponed {
                println!("  adiada: {name} ({why}); rode o comando de novo mais tarde");
            }
        }
    }
    // A postponed partition is not a failure: its rows stay readable in the DEFAULT partition.
    Ok(ExitCode::SUCCESS)
}
