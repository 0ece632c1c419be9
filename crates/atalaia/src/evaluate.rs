//! `atalaia evaluate`: did an intervention work (before/after, its surroundings, a control; WDQ, WDD).

use crate::{OutputFormat, connect, now_sao_paulo};
use atalaia_core::dates::BrDate;
use std::process::ExitCode;
/// `evaluate`'s options as a query, or a one-line pt-BR message naming the value and what was expected.
pub(crate) fn evaluation_query(
    area: String,
    start: &str,
    months: &str,
    buffer_m: Option<&str>,
    control: Option<String>,
    control_buffer: Option<String>,
    crimes: Option<&str>,
) -> Result<atalaia_store::evaluation::EvaluationQuery, String> {
    let start_date =
        atalaia_core::parse_date(start).map_err(|e| format!("--start `{start}` inválido: {e}"))?;
    let max = atalaia_core::evaluation::MAX_MONTHS;
    let months = months
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            format!("--months `{months}` inválido: esperado um número inteiro de 1 a {max}")
        })?;
    let buffer_m = match buffer_m {
        None => None,
        Some(v) => Some(atalaia_spatial::ring::parse_width(v).ok_or_else(|| {
            format!(
                "--buffer-m `{v}` inválido: esperado um número de metros maior que 0 e até {}",
                atalaia_spatial::ring::MAX_METRES
            )
        })?),
    };
    let crimes = crimes
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            atalaia_core::CrimeCode::parse(c).map_err(|e| format!("--crimes: `{c}` inválido: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(atalaia_store::evaluation::EvaluationQuery {
        area,
        start: start_date,
        months,
        buffer_m,
        control,
        control_buffer,
        crimes,
        // The after period must be over by today (Brasília's date).
        today: now_sao_paulo().date(),
    })
}

/// `evaluate` (contracts.md §3): the contract's JSON, the CSV of `EvaluationRun::csv`, or a table.
pub(crate) fn print_evaluation(
    run: &atalaia_store::evaluation::EvaluationRun,
    format: OutputFormat,
) -> anyhow::Result<()> {
    use atalaia_store::evaluation::span_pt;
    match format {
        OutputFormat::Json => println!("{}", run.contract_json()),
        OutputFormat::Csv => print!("{}", run.csv()),
        OutputFormat::Table | OutputFormat::Geojson => {
            let e = &run.evaluation;
            let pt = |x: f64, d: usize| format!("{x:.d$}").replace('.', ",");
            let pct = |x: Option<f64>| {
                x.map(|v| format!("{}{} %", if v > 0.0 { "+" } else { "" }, pt(v, 1)))
                    .unwrap_or_else(|| "—".into())
            };
            println!(
                "Avaliação de {} — {} (início {}, {} meses; crimes: {})",
                run.target.code,
                run.target.name,
                run.start.br_date(),
                run.periods.months,
                run.crimes_label()
            );
            println!("antes:  {}", span_pt(&run.periods.before));
            println!("depois: {}", span_pt(&run.periods.after));
            if let Some(t) = &run.periods.transition {
                println!("fora dos dois (mês do início): {}", span_pt(t));
            }
            println!(
                "entorno: anel de {} m em volta da área ({} km²), só ocorrências com coordenadas",
                pt(run.buffer_m, 0),
                pt(run.ring_area_m2 / 1e6, 2)
            );
            println!("controle: {}", run.control_label());
            println!();
            println!(
                "{:<26} {:>8} {:>8} {:>10} {:>8}",
                "", "antes", "depois", "variação", "p"
            );
            let mut rows = vec![
                ("área avaliada (T)", e.target.clone()),
                ("entorno (D)", e.buffer.clone()),
                ("controle (C)", e.control.clone()),
            ];
            if let Some(a) = &run.control_buffer {
                println!("controle do entorno (C′): {} — {}", a.code, a.name);
                rows.push((
                    "controle do entorno (C′)",
                    atalaia_core::evaluation::change(run.control_buffer_counts),
                ));
            }
            for (label, c) in rows {
                println!(
                    "{:<26} {:>8} {:>8} {:>10} {:>8}",
                    label,
                    c.before,
                    c.after,
                    pct(c.change_pct),
                    pt(c.p_value, 4)
                );
            }
            println!();
            println!(
                "WDQ: {}",
                e.wdq
                    .map(|q| pt(q, 3))
                    .unwrap_or_else(|| "indefinido".into())
            );
            println!(
                "WDD: {} ± {} (erro padrão), z = {}",
                pt(e.wdd, 0),
                pt(e.wdd_se, 2),
                pt(e.wdd_z, 2)
            );
            println!();
            println!("{}", e.verdict);
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub(crate) struct EvaluateArgs {
    /// Código da área avaliada (em geral uma área de intervenção).
    #[arg(long)]
    pub(crate) area: String,
    /// Data de início do plano, AAAA-MM-DD. "Antes" são os N meses inteiros anteriores ao mês do
    /// início; "depois", os N meses a partir dele (se o início não for dia 1º, o mês do início fica de
    /// fora dos dois, como transição).
    #[arg(long)]
    pub(crate) start: String,
    /// N, o número de meses de cada período (1 a 36).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) months: String,
    /// Largura do entorno (anel em volta da área), em metros (padrão: 500).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) buffer_m: Option<String>,
    /// Área de controle (padrão: o restante da área-mãe, sem a área avaliada e seu entorno).
    #[arg(long)]
    pub(crate) control: Option<String>,
    /// Controle do entorno, C′ no WDD (padrão: o próprio controle).
    #[arg(long)]
    pub(crate) control_buffer: Option<String>,
    /// Crimes do catálogo, separados por vírgula (padrão: todos).
    #[arg(long)]
    pub(crate) crimes: Option<String>,
}

pub(crate) async fn run(
    args: EvaluateArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let EvaluateArgs {
        area,
        start,
        months,
        buffer_m,
        control,
        control_buffer,
        crimes,
    } = args;
    let query = match evaluation_query(
        area,
        &start,
        &months,
        buffer_m.as_deref(),
        control,
        control_buffer,
        crimes.as_deref(),
    ) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("erro: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let db = connect(database).await?;
    let run = db.evaluate(&query).await;
    db.close().await;
    match run {
        Ok(run) => {
            print_evaluation(&run, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(atalaia_store::evaluation::EvaluationError::Store(e)) => {
            Err(anyhow::Error::new(e).context("a avaliação não foi feita"))
        }
        Err(e) => {
            eprintln!("erro: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
