//! `atalaia copy-database --to postgres://…`: a SQLite pilot into PostgreSQL (`atalaia_store::copy`),
//! with a progress bar; run again, it goes on where it stopped.

use crate::{OutputFormat, connect};
use anyhow::Context;
use atalaia_store::copy::{CopyProgress, copy_database};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct CopyArgs {
    /// O banco PostgreSQL de destino, vazio (criado com CREATE DATABASE), ou o de uma cópia interrompida.
    #[arg(long, env = "ATALAIA_COPY_TO", hide_env_values = true)]
    to: String,
}

struct Bar(indicatif::ProgressBar);

impl CopyProgress for Bar {
    fn start(&self, total_rows: u64) {
        self.0.set_length(total_rows);
    }
    fn rows(&self, copied: u64) {
        self.0.set_position(copied);
    }
}

pub(crate) async fn run(
    args: CopyArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let source = connect(database).await?;
    let bar = indicatif::ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} linhas ({eta})",
        ) {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let copied = copy_database(&source, &args.to, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    source.close().await;
    let report = copied.with_context(|| {
        format!(
            "a cópia para {} não terminou",
            atalaia_store::redact(&args.to)
        )
    })?;
    let rows: u64 = report.tables.iter().map(|(_, n)| n).sum();
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({"tables": report.tables.len(), "rows": rows, "resumed_tables": report.resumed})
        ),
        _ => println!(
            "{} tabelas e {} linhas copiadas para {}{}",
            report.tables.len(),
            rows,
            atalaia_store::redact(&args.to),
            if report.resumed > 0 {
                format!(" ({} já copiadas antes)", report.resumed)
            } else {
                String::new()
            }
        ),
    }
    Ok(ExitCode::SUCCESS)
}
