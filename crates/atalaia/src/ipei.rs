//! `atalaia ipei`: a month's result as it stands, and its payroll.

use crate::{OutputFormat, connect, now_sao_paulo, payroll};
use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use std::process::ExitCode;
#[derive(Subcommand, Debug)]
pub(crate) enum IpeiCommand {
    /// O resultado do IPEI de um mês de referência como está hoje (parcial ou final).
    Result {
        /// Mês de referência, AAAA-MM (ex.: 2024-03).
        #[arg(long)]
        month: String,
        /// Ler a situação neste dia, AAAA-MM-DD (padrão: hoje, horário de Brasília).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
    /// A folha nominal de um mês encerrado: cada servidor pago e as armas e laudos do pagamento.
    Payroll {
        /// Mês de referência, AAAA-MM (ex.: 2024-03).
        #[arg(long)]
        month: String,
        /// A folha de uma execução salva (padrão: com os dados de hoje).
        #[arg(long)]
        run: Option<i64>,
    },
}

pub(crate) fn print_ipei(
    out: &atalaia_core::ipei::IpeiReport,
    format: OutputFormat,
) -> anyhow::Result<()> {
    use atalaia_core::ipei::{SeizureStatus, UnitStatus, seizure_reason_pt, unit_reason_pt};
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(out)?),
        OutputFormat::Csv => crate::print_csv(
            &["registration", "name", "institution", "amount", "capped"],
            out.payments.iter().map(|p| {
                [
                    p.registration.clone(),
                    p.name.clone(),
                    p.institution.clone(),
                    format!("{:.2}", p.amount),
                    p.capped.to_string(),
                ]
            }),
        )?,
        OutputFormat::Table | OutputFormat::Geojson => {
            let stage = match out.stage.as_str() {
                "final" => "resultado final",
                "partial" => "resultado parcial",
                _ => "em aberto",
            };
            println!("IPEI {} ({stage})", out.month);
            for u in &out.units {
                let status = match u.status {
                    UnitStatus::Included => "incluída".to_string(),
                    UnitStatus::Excluded => format!(
                        "excluída: {}",
                        u.reasons
                            .iter()
                            .map(unit_reason_pt)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                };
                println!(
                    "unidade {:<12} {:>3} apreensão(ões), {:>3} paga(s)  {status}",
                    u.code, u.seizures, u.paid
                );
            }
            for s in &out.seizures {
                let status = match s.status {
                    SeizureStatus::Paid => format!("paga a {}", s.operators.join(", ")),
                    _ => s
                        .reasons
                        .iter()
                        .map(seizure_reason_pt)
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                println!(
                    "BO {:<16} item {:<3} série {:<12} {status}",
                    s.bo_number, s.item, s.serial
                );
            }
            for p in &out.payments {
                println!(
                    "{:<14} {:<30} {:>14}{}",
                    p.registration,
                    p.name,
                    atalaia_core::ipei::brl(p.amount_cents),
                    if p.capped { "  (teto mensal)" } else { "" }
                );
            }
            println!("total {}", atalaia_core::ipei::brl(out.total_cents));
        }
    }
    Ok(())
}

pub(crate) async fn run(
    command: IpeiCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    match command {
        IpeiCommand::Payroll { month, run } => {
            let Ok(m) = atalaia_core::Month::parse(&month) else {
                eprintln!("erro: --month `{month}` inválido: esperado AAAA-MM (ex.: 2024-03)");
                return Ok(ExitCode::from(2));
            };
            let db = connect(database).await?;
            let code = payroll::ipei(&db, m, run, now_sao_paulo().date(), format).await;
            db.close().await;
            code
        }
        IpeiCommand::Result { month, as_of } => {
            let Ok(m) = atalaia_core::Month::parse(&month) else {
                eprintln!("erro: --month `{month}` inválido: esperado AAAA-MM (ex.: 2024-03)");
                return Ok(ExitCode::from(2));
            };
            // Deadlines are Brasília business days: "today" is Brasília's date (UTC−3).
            let as_of = as_of.unwrap_or_else(|| now_sao_paulo().date());
            let db = connect(database).await?;
            let computed = db
                .ipei_compute(m, as_of)
                .await
                .context("resultado do IPEI não calculado")?;
            db.close().await;
            // Payments only for a month over (`atalaia_core::closing`).
            if let Some(why) = &computed.not_closed {
                eprintln!("erro: resultado do IPEI não calculado: {why}");
                return Ok(ExitCode::from(1));
            }
            let report = computed.report;
            print_ipei(&report, format)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
