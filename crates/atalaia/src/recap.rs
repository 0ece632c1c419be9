//! `atalaia recap`: compute a quarter (and save it as a run), its payroll, the occurrences behind a count.

use crate::{OutputFormat, connect, now_sao_paulo, payroll};
use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use std::process::ExitCode;
#[derive(Subcommand, Debug)]
pub(crate) enum RecapCommand {
    /// Calcula o RECAP de um trimestre com os dados de hoje.
    Compute {
        /// Trimestre, AAAA-Qn (ex.: 2024-Q1).
        #[arg(long)]
        quarter: String,
        /// Base de comparação: same_quarter_previous_year ou previous_quarter (padrão: a da configuração
        /// do programa vigente no fim do trimestre).
        #[arg(long)]
        baseline: Option<String>,
        /// Congela o cálculo como uma execução salva (entradas, configuração, resultado e seus hashes).
        #[arg(long)]
        save: bool,
    },
    /// As ocorrências (ou linhas de contagem) por trás de uma contagem de uma execução salva.
    Trace {
        /// A execução salva.
        #[arg(long)]
        run: i64,
        /// Código da área.
        #[arg(long)]
        area: String,
        /// Código do crime (ex.: roubo_veiculo).
        #[arg(long)]
        crime: String,
        /// current (o trimestre) ou base (a base de comparação).
        #[arg(long, default_value = "current")]
        period: String,
    },
    /// A folha nominal de um trimestre encerrado: todos os servidores lotados nele, pagos ou excluídos
    /// com o motivo.
    Payroll {
        /// Trimestre, AAAA-Qn (ex.: 2024-Q1).
        #[arg(long)]
        quarter: String,
        /// A folha de uma execução salva (padrão: com os dados de hoje).
        #[arg(long)]
        run: Option<i64>,
    },
}

pub(crate) fn print_recap(
    out: &atalaia_core::recap::Report,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let level = |l: Option<atalaia_core::recap::Level>| match l {
        Some(atalaia_core::recap::Level::Recap1) => "RECAP1",
        Some(atalaia_core::recap::Level::Recap2) => "RECAP2",
        None => "",
    };
    let num = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(out)?),
        OutputFormat::Csv => crate::print_csv(
            &[
                "code",
                "name",
                "kind",
                "baseline_index",
                "index",
                "reduction_pct",
                "level",
            ],
            out.areas.iter().map(|a| {
                [
                    a.code.clone(),
                    a.name.clone(),
                    a.kind.clone(),
                    a.baseline_index.map(|v| v.to_string()).unwrap_or_default(),
                    a.index.map(|v| v.to_string()).unwrap_or_default(),
                    a.reduction_pct.map(|v| v.to_string()).unwrap_or_default(),
                    level(a.level).to_string(),
                ]
            }),
        )?,
        OutputFormat::Table | OutputFormat::Geojson => {
            println!("RECAP {} (base {})", out.quarter, out.baseline_quarter);
            println!(
                "{:<10} {:>12} {:>12} {:>10}  nível",
                "área", "índice base", "índice", "redução %"
            );
            for a in &out.areas {
                println!(
                    "{:<10} {:>12} {:>12} {:>10}  {}",
                    a.code,
                    num(a.baseline_index),
                    num(a.index),
                    num(a.reduction_pct),
                    level(a.level)
                );
            }
            for u in &out.units {
                println!(
                    "{:<10} {:>12} {:>12} {:>10}  {}  (unidade: {})",
                    u.code,
                    num(u.baseline_index),
                    num(u.index),
                    num(u.reduction_pct),
                    level(u.level),
                    u.areas.join(", ")
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn run(
    command: RecapCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    match command {
        RecapCommand::Compute {
            quarter,
            baseline,
            save,
        } => {
            let Ok(q) = atalaia_core::Quarter::parse(&quarter) else {
                eprintln!("erro: --quarter `{quarter}` inválido: esperado AAAA-Qn (ex.: 2024-Q1)");
                return Ok(ExitCode::from(2));
            };
            let baseline = match baseline.as_deref() {
                None => None,
                Some("same_quarter_previous_year") => {
                    Some(atalaia_core::recap::Baseline::SameQuarterPreviousYear)
                }
                Some("previous_quarter") => Some(atalaia_core::recap::Baseline::PreviousQuarter),
                Some(other) => {
                    eprintln!(
                        "erro: --baseline `{other}` inválido: esperado same_quarter_previous_year ou previous_quarter"
                    );
                    return Ok(ExitCode::from(2));
                }
            };
            let db = connect(database).await?;
            // The configuration in force at the quarter's end (the decree's defaults when none was saved).
            // Levels only for a quarter over by Brasília's date (`atalaia_core::closing`).
            let computed = db
                .compute_quarter(q, baseline, now_sao_paulo().date())
                .await
                .context("cálculo do RECAP não realizado")?;
            if let Some(why) = &computed.not_closed {
                db.close().await;
                eprintln!("erro: cálculo do RECAP não realizado: {why}");
                return Ok(ExitCode::from(1));
            }
            if save {
                let id = db
                    .save_computed(
                        &computed,
                        &format!(
                            "cli:{}",
                            std::env::var("USER").unwrap_or_else(|_| "desconhecido".into())
                        ),
                        Utc::now().naive_utc(),
                    )
                    .await
                    .context("a execução não foi salva")?;
                eprintln!("execução #{id} salva (entradas, configuração e resultado congelados)");
            }
            let report = computed.report;
            db.close().await;
            print_recap(&report, format)?;
            Ok(ExitCode::SUCCESS)
        }
        RecapCommand::Payroll { quarter, run } => {
            let Ok(q) = atalaia_core::Quarter::parse(&quarter) else {
                eprintln!("erro: --quarter `{quarter}` inválido: esperado AAAA-Qn (ex.: 2024-Q1)");
                return Ok(ExitCode::from(2));
            };
            let db = connect(database).await?;
            let code = payroll::recap(&db, q, run, now_sao_paulo().date(), format).await;
            db.close().await;
            code
        }
        RecapCommand::Trace {
            run,
            area,
            crime,
            period,
        } => {
            let Some(period) = atalaia_store::trace::TracePeriod::parse(&period) else {
                eprintln!("erro: --period `{period}` inválido: esperado current ou base");
                return Ok(ExitCode::from(2));
            };
            let db = connect(database).await?;
            let trace = db.recap_trace(run, &area, &crime, period).await;
            db.close().await;
            payroll::print_trace(trace?, run, &area, &crime, format)
        }
    }
}
