//! Municipality selection (igesp.md §2): the ranked, explainable table (`core::selection`), its weights
//! set by the team, CSV/XLSX exports, and the team's decisions (enter / not yet, with text), each stored
//! with the weights, the period and the row it was taken on, and audited.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::Month;
use atalaia_core::crime::CrimeGroup;
use atalaia_core::numbers::{change_percent, decimal, percent};
use atalaia_core::selection::{GROUPS, Row, Weights, rank};
use atalaia_store::selection::NewDecision;
use axum::Form;
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;

use crate::guard::{Ctx, Identity};
use crate::pages::{Chrome, Fields, download, field, render};
use crate::scope::AreaScope;
use crate::{AppError, AppState};
use atalaia_core::access::Permission;

/// The form name of a group's weight.
pub(crate) fn weight_name(g: CrimeGroup) -> String {
    let word = match g {
        CrimeGroup::ViolentLethal => "cvli",
        CrimeGroup::ViolentOther => "violentos",
        CrimeGroup::Robbery => "roubos",
        CrimeGroup::Theft => "furtos",
        CrimeGroup::DrugsWeapons => "drogas_armas",
        CrimeGroup::Other => "outros",
    };
    format!("peso_{word}")
}

/// The table's choices: its last month (default: the month before today's) and the weights (default:
/// `Weights::default`), each a number from 0 to 100.
pub(crate) struct Choice {
    pub(crate) end: Month,
    pub(crate) weights: Weights,
}

impl Choice {
    fn parse(f: &Fields, today: NaiveDate) -> Result<Choice, AppError> {
        let end = match field(f, "ate") {
            Some(v) => Month::parse(v)
                .map_err(|e| AppError::BadRequest(format!("mês final `{v}` inválido: {e}")))?,
            None => Month::of(today)
                .ok()
                .and_then(Month::pred)
                .ok_or_else(|| AppError::BadRequest("informe o mês final".into()))?,
        };
        let number = |name: &str, label: &str, default: f64| -> Result<f64, AppError> {
            match field(f, name) {
                None => Ok(default),
                Some(v) => match v.replace(',', ".").parse::<f64>() {
                    Ok(x) if (0.0..=100.0).contains(&x) => Ok(x),
                    _ => Err(AppError::BadRequest(format!(
                        "peso de {label} `{v}` inválido: esperado um número de 0 a 100"
                    ))),
                },
            }
        };
        let d = Weights::default();
        let mut weights = Weights {
            rates: Default::default(),
            trend: number("peso_tendencia", "tendência", d.trend)?,
            concentration: number("peso_concentracao", "concentração", d.concentration)?,
        };
        for g in GROUPS {
            let w = number(
                &weight_name(g),
                g.label_pt(),
                d.rates.get(&g).copied().unwrap_or(0.0),
            )?;
            weights.rates.insert(g, w);
        }
        Ok(Choice { end, weights })
    }

    fn query_string(&self) -> String {
        let mut pairs: Vec<(String, String)> = vec![("ate".into(), self.end.to_string())];
        for g in GROUPS {
            pairs.push((
                weight_name(g),
                fmt_weight(self.weights.rates.get(&g).copied().unwrap_or(0.0)),
            ));
        }
        pairs.push(("peso_tendencia".into(), fmt_weight(self.weights.trend)));
        pairs.push((
            "peso_concentracao".into(),
            fmt_weight(self.weights.concentration),
        ));
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

fn fmt_weight(w: f64) -> String {
    if w.fract() == 0.0 {
        format!("{w:.0}")
    } else {
        w.to_string()
    }
}

/// The ranked table, ranked over every municipality, with the rows of those within the requester's
/// scope (`crate::scope`).
/// The choice the query asks for and the municipalities it ranks, those in the requester's scope.
pub(crate) async fn ranked(
    st: &AppState,
    id: &Identity,
    f: &Fields,
) -> Result<(Choice, Vec<Row>), AppError> {
    let c = Choice::parse(f, st.config.clock.today())?;
    let rows = rank_choice(st, id, &c).await?;
    Ok((c, rows))
}

/// The municipalities `c` ranks, those in the requester's scope.
async fn rank_choice(st: &AppState, id: &Identity, c: &Choice) -> Result<Vec<Row>, AppError> {
    let scope = AreaScope::of(st, id, Permission::Diagnose, c.end.last_day()).await?;
    let facts = facts(st, c.end).await?;
    let mut rows = rank(&facts, &c.weights);
    rows.retain(|r| scope.covers(&r.facts.code));
    Ok(rows)
}

/// Every municipality's facts for the table ending in `end`: kept per data version (`crate::cache`), so
/// only the first request after an import reads every geocoded occurrence of the year — and the worker
/// makes that request itself after each import.
pub(crate) async fn facts(
    st: &AppState,
    end: Month,
) -> Result<std::sync::Arc<Vec<atalaia_core::selection::Facts>>, AppError> {
    let version = st.db.data_version().await?;
    if let Some(f) = st.selection_cache.get(version, &end) {
        return Ok(f);
    }
    let _slot = st.analysis_slot().await?;
    // Another request may have computed it while this one waited for a slot.
    if let Some(f) = st.selection_cache.get(version, &end) {
        return Ok(f);
    }
    let facts = std::sync::Arc::new(st.db.selection_facts(end).await?);
    st.selection_cache.put(version, end, facts.clone());
    Ok(facts)
}

struct WeightField {
    name: String,
    label: &'static str,
    value: String,
}

struct TableRow {
    rank: String,
    code: String,
    name: String,
    population: String,
    rates: Vec<String>,
    total: String,
    previous: String,
    change: String,
    change_p: String,
    significant: bool,
    top5: String,
    gini: String,
    score: String,
    explanation: Vec<String>,
    note: String,
}

struct DecisionRow {
    when: String,
    code: String,
    decision: &'static str,
    reason: String,
    who: String,
    period: String,
    rank: String,
}

#[derive(Template)]
#[template(path = "selection.html")]
struct Page {
    chrome: Chrome,
    end: String,
    end_label: String,
    window: String,
    weights: Vec<WeightField>,
    headers: Vec<&'static str>,
    rows: Vec<TableRow>,
    query: String,
    decisions: Vec<DecisionRow>,
    hidden: Vec<(String, String)>,
}

fn short_pt(g: CrimeGroup) -> &'static str {
    match g {
        CrimeGroup::ViolentLethal => "CVLI",
        CrimeGroup::ViolentOther => "Outros violentos",
        CrimeGroup::Robbery => "Roubos",
        CrimeGroup::Theft => "Furtos",
        CrimeGroup::DrugsWeapons => "Drogas e armas",
        CrimeGroup::Other => "Outros",
    }
}

fn table_row(r: &Row) -> TableRow {
    TableRow {
        rank: r.rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into()),
        code: r.facts.code.clone(),
        name: r.facts.name.clone(),
        population: r
            .facts
            .population
            .map(|p| decimal(p as f64, 0))
            .unwrap_or_default(),
        rates: GROUPS
            .iter()
            .map(|g| r.rates.get(g).map(|x| decimal(*x, 1)).unwrap_or_default())
            .collect(),
        total: decimal(r.total as f64, 0),
        previous: decimal(r.previous_total as f64, 0),
        change: r
            .change_pct
            .map(|c| change_percent(c, 1))
            .unwrap_or_default(),
        change_p: r
            .change_p
            .map(|p| format!("{p:.4}").replace('.', ","))
            .unwrap_or_default(),
        significant: r.change_p.is_some_and(|p| p < 0.05),
        top5: r
            .facts
            .top5_share
            .map(|s| percent(s * 100.0, 1))
            .unwrap_or_default(),
        gini: r.facts.gini.map(|g| decimal(g, 3)).unwrap_or_default(),
        score: r.score.map(|s| decimal(s, 3)).unwrap_or_else(|| "—".into()),
        explanation: r
            .components
            .iter()
            .filter(|c| c.weight != 0.0)
            .map(|c| {
                format!(
                    "{}: {} (z {}) × peso {} → {}",
                    c.label,
                    decimal(c.value, 1),
                    decimal(c.z, 2),
                    fmt_weight(c.weight),
                    decimal(c.contribution, 3)
                )
            })
            .collect(),
        note: r.unranked_reason.clone().unwrap_or_default(),
    }
}

/// `GET /municipios/selecao`.
pub async fn page(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let (choice, rows) = ranked(&st, &id, &f).await?;
    let (_, start, end_next) = atalaia_store::selection::windows(choice.end);
    let decisions = st
        .db
        .selection_decisions()
        .await?
        .into_iter()
        .map(|d| DecisionRow {
            when: crate::pages::local_time(d.decided_at),
            decision: if d.decision == "enter" {
                "entrar"
            } else {
                "ainda não"
            },
            rank: serde_json::from_str::<Row>(&d.row_snapshot)
                .ok()
                .and_then(|r| r.rank)
                .map(|k| format!("{k}º"))
                .unwrap_or_default(),
            code: d.territory_code,
            reason: d.reason,
            who: d.decided_by,
            period: d.period_end,
        })
        .collect();
    let query = choice.query_string();
    let mut weights: Vec<WeightField> = GROUPS
        .iter()
        .map(|&g| WeightField {
            name: weight_name(g),
            label: short_pt(g),
            value: fmt_weight(choice.weights.rates.get(&g).copied().unwrap_or(0.0)),
        })
        .collect();
    weights.push(WeightField {
        name: "peso_tendencia".into(),
        label: "Tendência",
        value: fmt_weight(choice.weights.trend),
    });
    weights.push(WeightField {
        name: "peso_concentracao".into(),
        label: "Concentração",
        value: fmt_weight(choice.weights.concentration),
    });
    render(&Page {
        chrome: Chrome::new(&st, &id, "Seleção de municípios", "/municipios/selecao").await,
        end: choice.end.to_string(),
        end_label: choice.end.label_pt(),
        window: format!(
            "{} a {}",
            start.format("%m/%Y"),
            end_next.pred_opt().unwrap_or(end_next).format("%m/%Y")
        ),
        weights,
        headers: GROUPS.iter().map(|&g| short_pt(g)).collect(),
        rows: rows.iter().map(table_row).collect(),
        hidden: serde_urlencoded::from_str(&query).unwrap_or_default(),
        query,
        decisions,
    })
}

const CSV_HEADER: [&str; 17] = [
    "posicao",
    "codigo",
    "municipio",
    "populacao",
    "taxa_cvli",
    "taxa_outros_violentos",
    "taxa_roubos",
    "taxa_furtos",
    "taxa_drogas_armas",
    "taxa_outros",
    "crimes_12_meses",
    "crimes_12_anteriores",
    "variacao_pct",
    "p_variacao",
    "parte_5pct_celulas",
    "gini",
    "escore",
];

fn plain(r: &Row) -> Vec<String> {
    let o = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut v = vec![
        r.rank.map(|k| k.to_string()).unwrap_or_default(),
        r.facts.code.clone(),
        r.facts.name.clone(),
        r.facts
            .population
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ];
    for g in GROUPS {
        v.push(o(r.rates.get(&g).copied()));
    }
    v.extend([
        r.total.to_string(),
        r.previous_total.to_string(),
        o(r.change_pct),
        o(r.change_p),
        o(r.facts.top5_share),
        o(r.facts.gini),
        o(r.score),
    ]);
    v
}

/// `GET /municipios/selecao.csv`: the ranked table (numbers with a point, for tools).
pub async fn csv(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let (choice, rows) = ranked(&st, &id, &f).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(CSV_HEADER).map_err(fail)?;
    for r in &rows {
        crate::pages::write_safe(&mut w, plain(r)).map_err(fail)?;
    }
    crate::pages::csv_download(w, format!("selecao-municipios-{}.csv", choice.end))
}

/// `GET /municipios/selecao.xlsx`: the ranked table and the weights it was ranked with.
pub async fn xlsx(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let (choice, rows) = ranked(&st, &id, &f).await?;
    let weights = choice.weights.clone();
    let end = choice.end;
    let bytes = crate::pages::on_blocking_pool(
        "xlsx",
        move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
            use rust_xlsxwriter::{Format, Workbook};
            let mut wb = Workbook::new();
            let bold = Format::new().set_bold();
            let ws = wb.add_worksheet();
            ws.set_name("Seleção")?;
            for (c, h) in CSV_HEADER.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)?;
            }
            for (i, r) in rows.iter().enumerate() {
                for (c, v) in plain(r).iter().enumerate() {
                    let (row, col) = ((i + 1) as u32, c as u16);
                    // Codes and names stay text; the rest are numbers.
                    match v.parse::<f64>() {
                        Ok(x) if c != 1 && c != 2 => ws.write_number(row, col, x)?,
                        _ => ws.write_string(row, col, v)?,
                    };
                }
            }
            let p = wb.add_worksheet();
            p.set_name("Pesos")?;
            p.write_string_with_format(0, 0, "componente", &bold)?;
            p.write_string_with_format(0, 1, "peso", &bold)?;
            let mut line = 1;
            for g in GROUPS {
                p.write_string(line, 0, format!("taxa: {}", g.label_pt()))?;
                p.write_number(line, 1, weights.rates.get(&g).copied().unwrap_or(0.0))?;
                line += 1;
            }
            p.write_string(line, 0, "tendência (variação significativa)")?;
            p.write_number(line, 1, weights.trend)?;
            p.write_string(line + 1, 0, "concentração (5 % das células)")?;
            p.write_number(line + 1, 1, weights.concentration)?;
            p.write_string(line + 3, 0, format!("último mês: {end}"))?;
            wb.save_to_buffer()
        },
    )
    .await?;
    Ok(download(
        bytes,
        crate::pages::XLSX,
        format!("selecao-municipios-{end}.xlsx"),
    ))
}

/// `POST /municipios/selecao/decisoes`: the team's decision about `municipio` (`decisao` = `entrar` or
/// `ainda_nao`, `justificativa` required), taken on the table the other fields describe.
pub async fn decide(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let choice = Choice::parse(&f, st.config.clock.today())?;
    let code = field(&f, "municipio")
        .ok_or_else(|| AppError::BadRequest("escolha o município".into()))?
        .to_string();
    let decision = match field(&f, "decisao") {
        Some("entrar") => "enter",
        Some("ainda_nao") => "not_yet",
        other => {
            return Err(AppError::BadRequest(format!(
                "decisão `{}` inválida: esperado entrar ou ainda_nao",
                other.unwrap_or_default()
            )));
        }
    };
    let reason = field(&f, "justificativa")
        .filter(|r| r.chars().count() <= 4_000)
        .ok_or_else(|| {
            AppError::BadRequest("escreva a justificativa da decisão (até 4.000 caracteres)".into())
        })?
        .to_string();
    let rows = rank_choice(&st, &id, &choice).await?;
    let row = rows
        .iter()
        .find(|r| r.facts.code == code)
        .ok_or_else(|| AppError::NotFound(format!("o município `{code}`")))?;
    st.db
        .record_selection_decision(
            &NewDecision {
                row,
                decision,
                reason: &reason,
                end: choice.end,
                weights: &choice.weights,
            },
            &id.actor(),
            &id.ip,
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(done::redirect(
        &format!("/municipios/selecao?{}#decisoes", choice.query_string()),
        Done::SelectionDecided,
    ))
}
