//! Did it work? (igesp.md §6) — `/avaliacao`: the form (area, start, months, ring width, control, the
//! buffer's control, crimes), the before/after table of the target T, its ring D and the control C (and
//! C′), the WDQ, the WDD with its standard error and z, the verdict in plain Portuguese, and a chart of
//! the monthly counts of T, D and C over the window with the start marked; the result as CSV.
//!
//! The computation is `atalaia_store::Db::evaluate`, the same one `atalaia evaluate` runs.

use askama::Template;
use atalaia_core::CrimeCode;
use atalaia_core::dates::BrDate;
use atalaia_core::evaluation::{Change, MAX_MONTHS};
use atalaia_core::numbers::decimal;
use atalaia_store::evaluation::{
    DEFAULT_BUFFER_M, EvaluationError, EvaluationQuery, EvaluationRun, span_pt,
};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;

use crate::AppError;
use crate::guard::Ctx;
use crate::pages::{Chrome, Fields, FormOption, OptionGroup, area_groups, download, field, render};
use crate::scope::AreaScope;
use atalaia_core::access::Permission;

/// The default N of the form.
const DEFAULT_MONTHS: u32 = 6;

/// What the form asked, as typed (to show it back) and parsed.
#[derive(Debug, Clone, Default)]
struct Form {
    area: String,
    start: String,
    months: String,
    buffer: String,
    control: String,
    control_buffer: String,
    crimes: Vec<String>,
}

impl Form {
    fn read(f: &Fields) -> Form {
        let text = |name: &str| field(f, name).unwrap_or_default().to_string();
        let crimes = crate::pages::field_set(f, "crime");
        Form {
            area: text("area"),
            start: text("inicio"),
            months: text("meses"),
            buffer: text("entorno"),
            control: text("controle"),
            control_buffer: text("controle_entorno"),
            crimes,
        }
    }

    /// Every area the form names (target, control, the buffer's control) within the requester's scope:
    /// otherwise the 404 of an unknown area.
    fn require_scope(&self, scope: &AreaScope) -> Result<(), AppError> {
        for code in [&self.area, &self.control, &self.control_buffer] {
            if !code.is_empty() {
                scope.require(code)?;
            }
        }
        Ok(())
    }

    /// Whether the form asks for a result (a start date is given); a link with only the area opens the
    /// form with the area chosen.
    fn asks(&self) -> bool {
        !self.start.is_empty()
    }

    /// The query, or a pt-BR message naming the value and what was expected.
    fn query(&self, today: NaiveDate) -> Result<EvaluationQuery, String> {
        if self.area.is_empty() {
            return Err("escolha a área a avaliar".into());
        }
        let start = atalaia_core::parse_date(&self.start)
            .map_err(|e| format!("data de início `{}` inválida: {e}", self.start))?;
        let months = if self.months.is_empty() {
            DEFAULT_MONTHS
        } else {
            self.months
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_MONTHS).contains(n))
                .ok_or_else(|| {
                    format!(
                        "número de meses `{}` inválido: esperado um número inteiro de 1 a {MAX_MONTHS}",
                        self.months
                    )
                })?
        };
        let buffer_m = if self.buffer.is_empty() {
            None
        } else {
            Some(
                atalaia_spatial::ring::parse_width(&self.buffer).ok_or_else(|| {
                        format!(
                            "largura do entorno `{}` inválida: esperado um número de metros maior que 0 e até {}",
                            self.buffer,
                            atalaia_spatial::ring::MAX_METRES
                        )
                    })?,
            )
        };
        let crimes = self
            .crimes
            .iter()
            .map(|c| CrimeCode::parse(c).map_err(|e| format!("crime `{c}` inválido: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Ok(EvaluationQuery {
            area: self.area.clone(),
            start,
            months,
            buffer_m,
            control: opt(&self.control),
            control_buffer: opt(&self.control_buffer),
            crimes,
            today,
        })
    }

    fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("area", &self.area),
            ("inicio", &self.start),
            ("meses", &self.months),
            ("entorno", &self.buffer),
            ("controle", &self.control),
            ("controle_entorno", &self.control_buffer),
        ];
        pairs.retain(|(_, v)| !v.is_empty());
        for c in &self.crimes {
            pairs.push(("crime", c));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// One row of the table.
struct Row {
    label: String,
    before: u64,
    after: u64,
    change: String,
    p: String,
}

/// The result as the page shows it.
struct Shown {
    title: String,
    before: String,
    after: String,
    transition: Option<String>,
    ring: String,
    control: String,
    crimes: String,
    rows: Vec<Row>,
    wdq: String,
    wdd: String,
    wdd_se: String,
    wdd_z: String,
    verdict: String,
    chart_labels: String,
    chart_series: String,
    chart_start: usize,
    csv_url: String,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct Page {
    chrome: Chrome,
    form: Form,
    areas: Vec<OptionGroup>,
    controls: Vec<OptionGroup>,
    control_buffers: Vec<OptionGroup>,
    crimes: Vec<FormOption>,
    default_buffer: String,
    error: Option<String>,
    shown: Option<Shown>,
}

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => atalaia_core::numbers::change_percent(v, 1),
        None => "— (zero antes)".into(),
    }
}

fn row(label: String, c: &Change) -> Row {
    Row {
        label,
        before: c.before,
        after: c.after,
        change: pct(c.change_pct),
        p: decimal(c.p_value, 4),
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn shown(run: &EvaluationRun, form: &Form) -> Shown {
    let e = &run.evaluation;
    let control_label = run.control_label();
    let mut rows = vec![
        row(format!("Área avaliada (T): {}", run.target.code), &e.target),
        row("Entorno (D)".into(), &e.buffer),
        row(format!("Controle (C): {control_label}"), &e.control),
    ];
    if let Some(a) = &run.control_buffer {
        rows.push(row(
            format!("Controle do entorno (C′): {} — {}", a.code, a.name),
            &atalaia_core::evaluation::change(run.control_buffer_counts),
        ));
    }
    let labels: Vec<String> = run.monthly.iter().map(|m| m.month.label_pt()).collect();
    let mut series = vec![
        serde_json::json!({"label": format!("Área avaliada (T) — {}", run.target.code),
            "values": run.monthly.iter().map(|m| m.target).collect::<Vec<_>>()}),
        serde_json::json!({"label": format!("Entorno de {} m (D)", decimal(run.buffer_m, 0)),
            "values": run.monthly.iter().map(|m| m.buffer).collect::<Vec<_>>()}),
        serde_json::json!({"label": format!("Controle (C) — {control_label}"),
            "values": run.monthly.iter().map(|m| m.control).collect::<Vec<_>>()}),
    ];
    if let Some(a) = &run.control_buffer {
        series.push(serde_json::json!({"label": format!("Controle do entorno (C′) — {}", a.code),
            "values": run.monthly.iter().map(|m| m.control_buffer.unwrap_or(0)).collect::<Vec<_>>()}));
    }
    // The start's month: the first of "after", or the transition month when the start is mid-month.
    let start_month = run
        .periods
        .transition
        .map(|t| t.from)
        .unwrap_or(run.periods.after.from);
    let chart_start = run
        .monthly
        .iter()
        .position(|m| m.month.first_day() == start_month)
        .unwrap_or(0);
    Shown {
        title: format!(
            "{} — {}, início em {}, {} {}",
            run.target.code,
            run.target.name,
            run.start.br_date(),
            run.periods.months,
            if run.periods.months == 1 {
                "mês"
            } else {
                "meses"
            }
        ),
        before: span_pt(&run.periods.before),
        after: span_pt(&run.periods.after),
        transition: run.periods.transition.as_ref().map(span_pt),
        ring: format!(
            "anel de {} m em volta da área ({} km²), contado só com ocorrências georreferenciadas",
            decimal(run.buffer_m, 0),
            decimal(run.ring_area_m2 / 1e6, 2)
        ),
        control: control_label,
        crimes: run.crimes_label(),
        rows,
        wdq: e
            .wdq
            .map(|q| decimal(q, 3))
            .unwrap_or_else(|| "indefinido (denominador zero)".into()),
        wdd: decimal(e.wdd, 0),
        wdd_se: decimal(e.wdd_se, 2),
        wdd_z: decimal(e.wdd_z, 2),
        verdict: e.verdict.clone(),
        chart_labels: json(&labels),
        chart_series: json(&series),
        chart_start,
        csv_url: format!("/avaliacao/resultado.csv?{}", form.query_string()),
    }
}

/// `GET /avaliacao`.
pub async fn page(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let form = Form::read(&f);
    let scope = AreaScope::of(&st, &id, Permission::Evaluate, today).await?;
    form.require_scope(&scope)?;
    let mut error = None;
    let mut result = None;
    if form.asks() {
        match form.query(today) {
            Err(e) => error = Some(e),
            Ok(q) => {
                let slot = st.analysis_slot().await?;
                let outcome = st.db.evaluate(&q).await;
                drop(slot);
                match outcome {
                    Ok(run) => result = Some(shown(&run, &form)),
                    Err(EvaluationError::Store(e)) => return Err(AppError::Store(e)),
                    Err(e) => error = Some(e.to_string()),
                }
            }
        }
    }
    let territories = st.territories().await?;
    // Areas in force today; only those with a polygon can be T.
    let current: Vec<&atalaia_store::territories::TerritoryVersion> = territories
        .iter()
        .filter(|t| t.valid_on(today) || t.code == form.area)
        .filter(|t| scope.covers(&t.code))
        .collect();
    let areas = area_groups(
        current.iter().copied().filter(|t| t.bbox.is_some()),
        &form.area,
    );
    let controls = area_groups(current.iter().copied(), &form.control);
    let control_buffers = area_groups(current.iter().copied(), &form.control_buffer);
    let crimes = st
        .db
        .crimes()
        .await?
        .into_iter()
        .map(|c| FormOption::crime(c, &form.crimes))
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = Page {
        chrome: Chrome::new(&st, &id, "Avaliação de intervenção", "/avaliacao").await,
        form,
        areas,
        controls,
        control_buffers,
        crimes,
        default_buffer: decimal(DEFAULT_BUFFER_M, 0),
        error,
        shown: result,
    };
    let mut resp = render(&page)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /avaliacao/resultado.csv`: the result as `atalaia evaluate --format csv` prints it.
pub async fn csv(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let form = Form::read(&f);
    let today = st.config.clock.today();
    form.require_scope(&AreaScope::of(&st, &id, Permission::Evaluate, today).await?)?;
    let q = form.query(today).map_err(AppError::BadRequest)?;
    let _slot = st.analysis_slot().await?;
    let run = st.db.evaluate(&q).await.map_err(|e| match e {
        EvaluationError::Store(e) => AppError::Store(e),
        EvaluationError::UnknownArea(code) => AppError::NotFound(format!("a área `{code}`")),
        other => AppError::BadRequest(other.to_string()),
    })?;
    let name = format!(
        "avaliacao-{}-{}-{}m.csv",
        run.target.code, run.start, run.periods.months
    );
    Ok(download(
        run.csv().into_bytes(),
        "text/csv; charset=utf-8",
        name,
    ))
}
