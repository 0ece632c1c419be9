//! `atalaia recap payroll`, `atalaia ipei payroll` and `atalaia recap trace` (contracts.md §1 and §3): the
//! named payroll of a period over — today's data, or a saved run — and what a saved run's count rested
//! on, as JSON, CSV or a table for people. Every RECAP payroll line is an operator assigned in the
//! quarter, paid or excluded with its reason.

use std::process::ExitCode;

use atalaia_core::cycle::CycleKind;
use atalaia_core::payroll::{PayLine, PayrollReason};
use atalaia_core::recap::Level;
use atalaia_core::{Month, Quarter};
use atalaia_store::{Db, Refusal, StoreError};
use serde::Serialize;

use crate::{OutputFormat, print_csv};

/// A text cell of a payroll CSV: neutralised, since a finance office opens these in a spreadsheet.
fn cell(text: &str) -> String {
    atalaia_core::spreadsheet::safe_cell(text).into_owned()
}

/// One line of `recap payroll`, with contracts.md's names.
#[derive(Serialize)]
struct RecapLine<'a> {
    registration: &'a str,
    name: &'a str,
    institution: &'a str,
    unit: Option<&'a str>,
    days_in_quarter: u32,
    days_served: u32,
    absent_days: u32,
    not_in_service_days: u32,
    level: Option<Level>,
    amount_centavos: i64,
    excluded: bool,
    reason: Option<PayrollReason>,
}

impl<'a> From<&'a PayLine> for RecapLine<'a> {
    fn from(l: &'a PayLine) -> Self {
        RecapLine {
            registration: &l.registration,
            name: &l.name,
            institution: &l.institution,
            unit: l.unit.as_deref(),
            days_in_quarter: l.days_in_quarter,
            days_served: l.days_served,
            absent_days: l.absent_days,
            not_in_service_days: l.not_in_service_days,
            level: l.level,
            amount_centavos: l.amount_cents,
            excluded: l.excluded(),
            reason: l.reason,
        }
    }
}

/// A reason's contract code (`ABSENCE`…), as JSON writes it.
fn code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Exit 1 with the reason a command was refused (nothing printed on stdout).
fn refused(why: &str) -> anyhow::Result<ExitCode> {
    eprintln!("erro: {why}");
    Ok(ExitCode::from(1))
}

/// Refused with `why` (pt-BR): the command prints it and exits 1.
fn no<T>(why: String) -> Result<T, StoreError> {
    Err(Refusal::Invalid(why).into())
}

/// The lines of a RECAP payroll; refused (pt-BR) when there are none to give.
async fn recap_lines(
    db: &Db,
    quarter: Quarter,
    run: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<Vec<PayLine>, StoreError> {
    let Some(id) = run else {
        return match db.recap_payroll(quarter, today).await {
            Ok(lines) => Ok(lines),
            Err(e) if e.refusal().is_none() => Err(e),
            Err(e) => no(format!("folha do RECAP não calculada: {e}")),
        };
    };
    let Some(saved) = db.saved_run(CycleKind::Recap, id).await? else {
        return no(format!("--run {id}: execução do RECAP não encontrada"));
    };
    if saved.period != quarter.to_string() {
        return no(format!(
            "--run {id}: a execução é do trimestre {}, não de {quarter}",
            saved.period
        ));
    }
    let replay = saved.replay::<atalaia_core::pipeline::Recap>()?;
    if replay.frozen.is_none() {
        return no(format!(
            "--run {id}: execução salva antes de o quadro de servidores ser congelado com ela"
        ));
    }
    Ok(replay.payroll().0)
}

/// A month's IPEI result for its payroll; refused (pt-BR) when there is none to give.
async fn ipei_report(
    db: &Db,
    month: Month,
    run: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<atalaia_core::ipei::IpeiReport, StoreError> {
    let Some(id) = run else {
        return match db.ipei_compute(month, today).await {
            Err(e) if e.refusal().is_none() => Err(e),
            Err(e) => no(format!("folha do IPEI não calculada: {e}")),
            Ok(c) => match c.not_closed {
                Some(why) => no(format!("folha do IPEI não calculada: {why}")),
                None => Ok(c.report),
            },
        };
    };
    let Some(saved) = db.saved_run(CycleKind::Ipei, id).await? else {
        return no(format!("--run {id}: execução do IPEI não encontrada"));
    };
    if saved.period != month.to_string() {
        return no(format!(
            "--run {id}: a execução é do mês {}, não de {month}",
            saved.period
        ));
    }
    Ok(saved.replay::<atalaia_core::pipeline::Ipei>()?.report)
}

/// The refusal to print, or the failure to pass up.
fn refusal_of(e: StoreError) -> anyhow::Result<String> {
    match e {
        StoreError::Refused(why) => Ok(why.to_string()),
        e => Err(e.into()),
    }
}

/// The RECAP payroll of `quarter`: today's (refused before the quarter may pay) or saved run `run`'s.
pub async fn recap(
    db: &Db,
    quarter: Quarter,
    run: Option<i64>,
    today: chrono::NaiveDate,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let lines = match recap_lines(db, quarter, run, today).await {
        Ok(lines) => lines,
        Err(e) => return refused(&refusal_of(e)?),
    };
    let out: Vec<RecapLine> = lines.iter().map(RecapLine::from).collect();
    match format {
        OutputFormat::Json | OutputFormat::Geojson => println!(
            "{}",
            serde_json::json!({"quarter": quarter.to_string(), "run": run, "lines": out})
        ),
        OutputFormat::Csv => print_csv(
            &[
                "registration",
                "name",
                "institution",
                "unit",
                "days_in_quarter",
                "days_served",
                "absent_days",
                "not_in_service_days",
                "level",
                "amount_centavos",
                "excluded",
                "reason",
            ],
            out.iter().map(|l| {
                [
                    cell(l.registration),
                    cell(l.name),
                    cell(l.institution),
                    cell(l.unit.unwrap_or_default()),
                    l.days_in_quarter.to_string(),
                    l.days_served.to_string(),
                    l.absent_days.to_string(),
                    l.not_in_service_days.to_string(),
                    l.level.as_ref().map(code).unwrap_or_default(),
                    l.amount_centavos.to_string(),
                    l.excluded.to_string(),
                    l.reason.as_ref().map(code).unwrap_or_default(),
                ]
            }),
        )?,
        OutputFormat::Table => {
            println!("Folha do RECAP — {quarter}");
            for l in &lines {
                let situation = match l.reason {
                    None => atalaia_core::ipei::brl(l.amount_cents),
                    Some(r) => format!("excluído: {}", r.label_pt()),
                };
                println!(
                    "{:<12} {:<30} {:<6} {:<10} {}",
                    l.registration,
                    l.name,
                    l.institution,
                    l.unit.as_deref().unwrap_or("—"),
                    situation
                );
            }
            let paid: i64 = lines.iter().map(|l| l.amount_cents).sum();
            let excluded = lines.iter().filter(|l| l.excluded()).count();
            println!(
                "{} servidores, {excluded} excluídos; total {}",
                lines.len(),
                atalaia_core::ipei::brl(paid)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The IPEI payroll of `month`: today's (refused before the month may pay) or saved run `run`'s.
pub async fn ipei(
    db: &Db,
    month: Month,
    run: Option<i64>,
    today: chrono::NaiveDate,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let report = match ipei_report(db, month, run, today).await {
        Ok(report) => report,
        Err(e) => return refused(&refusal_of(e)?),
    };
    let lines = atalaia_core::ipei::payroll(&report);
    match format {
        OutputFormat::Json | OutputFormat::Geojson => println!(
            "{}",
            serde_json::json!({"month": month.to_string(), "run": run, "lines": lines})
        ),
        OutputFormat::Csv => print_csv(
            &[
                "registration",
                "name",
                "institution",
                "amount_centavos",
                "capped",
                "seizures",
            ],
            lines.iter().map(|l| {
                [
                    cell(&l.registration),
                    cell(&l.name),
                    cell(&l.institution),
                    l.amount_centavos.to_string(),
                    l.capped.to_string(),
                    cell(&l.seizures.join(";")),
                ]
            }),
        )?,
        OutputFormat::Table => {
            println!("Folha do IPEI — {}", month.label_pt());
            for l in &lines {
                println!(
                    "{:<12} {:<30} {:<6} {:>14}{}  {}",
                    l.registration,
                    l.name,
                    l.institution,
                    atalaia_core::ipei::brl(l.amount_centavos),
                    if l.capped { " (teto)" } else { "" },
                    l.seizures.join(", ")
                );
            }
            println!(
                "{} servidores; total {}",
                lines.len(),
                atalaia_core::ipei::brl(report.total_cents)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `recap trace`: the occurrences (and monthly count rows) behind one count of a saved run; exit 1 when
/// the run, or its sources, or the cell do not exist.
pub fn print_trace(
    trace: Option<atalaia_store::trace::Trace>,
    run: i64,
    area: &str,
    crime: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let Some(t) = trace else {
        return refused(&format!(
            "nada a rastrear para a execução {run}, área `{area}`, crime `{crime}`: a execução não existe, não tem essa contagem ou foi salva antes de congelar as ocorrências"
        ));
    };
    let (occurrences, counts): (Vec<_>, Vec<_>) =
        t.sources.iter().partition(|s| s.source_id.is_some());
    // By victim, an occurrence may weigh more than one: then each says how much.
    let weighted = occurrences.iter().any(|s| s.weight != 1);
    match format {
        OutputFormat::Json | OutputFormat::Geojson => {
            let occurrences: Vec<serde_json::Value> = occurrences
                .iter()
                .map(|s| {
                    let mut v = serde_json::json!({"source_id": s.source_id, "occurred_at": s.occurred_at,
                        "import_id": s.import_id});
                    if weighted {
                        v["weight"] = s.weight.into();
                    }
                    v
                })
                .collect();
            let counts: Vec<serde_json::Value> = counts
                .iter()
                .map(|s| {
                    serde_json::json!({"month": s.occurred_at.format("%Y-%m").to_string(),
                    "count": s.weight, "import_id": s.import_id})
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"run": t.run, "area": t.area, "crime": t.crime,
                    "period": t.period.as_str(), "count": t.count, "sha256": t.sha256,
                    "occurrences": occurrences, "counts": counts})
            );
        }
        OutputFormat::Csv => print_csv(
            &["source_id", "occurred_at", "import_id", "weight"],
            t.sources.iter().map(|s| {
                [
                    cell(s.source_id.as_deref().unwrap_or("")),
                    s.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    s.import_id.map(|i| i.to_string()).unwrap_or_default(),
                    s.weight.to_string(),
                ]
            }),
        )?,
        OutputFormat::Table => {
            println!(
                "Execução {} — {} em {} ({}): contagem {}",
                t.run,
                t.crime,
                t.area,
                match t.period {
                    atalaia_store::trace::TracePeriod::Current => "trimestre",
                    atalaia_store::trace::TracePeriod::Base => "base",
                },
                t.count
            );
            for s in &t.sources {
                println!(
                    "{:<24} {}  importação {}{}",
                    s.source_id.as_deref().unwrap_or("contagem mensal"),
                    s.occurred_at.format("%d/%m/%Y %H:%M"),
                    s.import_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "—".into()),
                    if s.weight != 1 {
                        format!("  ({})", s.weight)
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
