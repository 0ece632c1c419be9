//! `atalaia calendar`: holidays and business days of a state and municipality, with the year table of decrees.

use crate::{OutputFormat, connect};
use atalaia_core::dates::BrDate;
use clap::{Args, Subcommand};
use std::process::ExitCode;
/// Whose calendar: a state and, optionally, one of its municipalities.
#[derive(Args, Debug)]
pub(crate) struct Place {
    /// Sigla do estado (ex.: GO).
    #[arg(long)]
    state: String,
    /// Código IBGE do município (ex.: 5208707, Goiânia).
    #[arg(long)]
    municipality: Option<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CalendarCommand {
    /// Lista os feriados e pontos facultativos dos anos pedidos.
    Holidays {
        #[command(flatten)]
        place: Place,
        /// Primeiro ano.
        #[arg(long)]
        from: i32,
        /// Último ano.
        #[arg(long)]
        to: i32,
    },
    /// O N-ésimo dia útil de um mês.
    BusinessDay {
        #[command(flatten)]
        place: Place,
        /// Mês, AAAA-MM.
        #[arg(long)]
        month: String,
        /// Qual dia útil (1, 2, …).
        #[arg(long)]
        nth: u32,
    },
}

/// Builds the calendar of a state (and municipality) from command-line values, or says what is wrong.
pub(crate) fn calendar_of(
    state: &str,
    municipality: Option<&str>,
) -> Result<atalaia_core::calendar::Calendar, String> {
    let uf =
        atalaia_core::Uf::parse(state).map_err(|e| format!("--state `{state}` inválido: {e}"))?;
    let muni = match municipality {
        None => None,
        Some(m) => {
            let code: atalaia_core::IbgeCode = m
                .parse()
                .map_err(|e| format!("--municipality `{m}` inválido: {e}"))?;
            if code.uf() != uf {
                return Err(format!(
                    "--municipality `{m}` é de {}, não de {}",
                    code.uf().as_str(),
                    uf.as_str()
                ));
            }
            Some(code)
        }
    };
    Ok(atalaia_core::calendar::Calendar::new(uf, muni))
}

/// The year table of decrees for a calendar, read from the database when there is one: a read-only
/// command must not create an empty SQLite file where none was (calendar.md: the rules plus the year
/// table are the calendar; without a database, the rules alone).
pub(crate) async fn with_year_table(
    cal: atalaia_core::calendar::Calendar,
    database: &str,
    uf: &str,
    municipality: Option<&str>,
) -> anyhow::Result<atalaia_core::calendar::Calendar> {
    if let Some(rest) = database.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if path.contains(":memory:") || !std::path::Path::new(path).exists() {
            return Ok(cal);
        }
    }
    let db = connect(database).await?;
    let decrees = db
        .calendar_decrees(uf)
        .await?
        .into_iter()
        .filter(|r| r.revoked.is_none())
        .filter(|r| r.municipality.is_none() || r.municipality.as_deref() == municipality)
        .map(|r| r.decree)
        .collect();
    db.close().await;
    Ok(cal.with_decrees(decrees))
}

/// `atalaia calendar …` (contracts.md §1 and §3): the rule-based calendar plus the year table of decrees
/// kept by administrators in the database.
pub(crate) async fn run(
    command: CalendarCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let usage = |msg: String| {
        eprintln!("erro: {msg}");
        Ok(ExitCode::from(2))
    };
    let (CalendarCommand::Holidays { place, .. } | CalendarCommand::BusinessDay { place, .. }) =
        &command;
    let cal = match calendar_of(&place.state, place.municipality.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let cal = with_year_table(
        cal,
        database,
        &place.state.trim().to_uppercase(),
        place.municipality.as_deref(),
    )
    .await?;
    match command {
        CalendarCommand::Holidays { from, to, .. } => {
            if !(1900..=2200).contains(&from) || !(from..=2200).contains(&to) || to - from > 200 {
                return usage(format!(
                    "anos {from}–{to} inválidos: esperado 1900 ≤ --from ≤ --to ≤ 2200"
                ));
            }
            let days: Vec<_> = (from..=to).flat_map(|y| cal.holidays(y)).collect();
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&days)?),
                OutputFormat::Csv => {
                    let rows = days
                        .iter()
                        .map(|d| {
                            let scope = serde_json::to_value(d.scope)?;
                            Ok([
                                d.date.to_string(),
                                d.name.clone(),
                                scope.as_str().unwrap_or("").to_string(),
                                d.business_day.to_string(),
                            ])
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    crate::print_csv(&["date", "name", "scope", "business_day"], rows)?;
                }
                OutputFormat::Table | OutputFormat::Geojson => {
                    for d in &days {
                        println!(
                            "{}  {:<9}  {:<14}  {}",
                            d.date.br_date(),
                            match d.scope {
                                atalaia_core::calendar::Scope::National => "nacional",
                                atalaia_core::calendar::Scope::State => "estadual",
                                atalaia_core::calendar::Scope::Municipal => "municipal",
                            },
                            if d.business_day {
                                "dia útil"
                            } else {
                                "sem expediente"
                            },
                            d.name
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CalendarCommand::BusinessDay { month, nth, .. } => {
            let m = match atalaia_core::Month::parse(&month) {
                Ok(m) => m,
                Err(e) => return usage(format!("--month `{month}` inválido: {e}")),
            };
            let Some(date) = cal.nth_business_day(m, nth) else {
                eprintln!("erro: {month} não tem {nth}º dia útil");
                return Ok(ExitCode::from(1));
            };
            let month_text = format!("{:04}-{:02}", m.year(), m.month());
            match format {
                OutputFormat::Json => println!(
                    "{}",
                    serde_json::json!({"month": month_text, "nth": nth, "date": date})
                ),
                OutputFormat::Csv => println!("month,nth,date\n{month_text},{nth},{date}"),
                OutputFormat::Table | OutputFormat::Geojson => {
                    println!("{nth}º dia útil de {month_text}: {}", date.br_date())
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
