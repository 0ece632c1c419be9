//! `atalaia import` and `atalaia demo`: load a file, or the deterministic demo data set.

use crate::{OutputFormat, connect, now_sao_paulo, progress_bar};
use anyhow::Context;
use atalaia_ingest::{ImportOptions, ImportSummary, Kind};
use chrono::{NaiveDate, Utc};
use std::path::PathBuf;
use std::process::ExitCode;
pub(crate) fn print_summary(s: &ImportSummary, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(s)?),
        OutputFormat::Csv => {
            println!("kind,read,inserted,updated,unchanged,rejected,unassigned,rejects_file");
            println!(
                "{},{},{},{},{},{},{},{}",
                s.kind,
                s.read,
                s.inserted,
                s.updated,
                s.unchanged,
                s.rejected,
                s.unassigned.map(|u| u.to_string()).unwrap_or_default(),
                s.rejects_file
            );
        }
        OutputFormat::Table | OutputFormat::Geojson => {
            let label = Kind::parse(s.kind).map(Kind::label_pt).unwrap_or(s.kind);
            println!("importação de {label} (#{})", s.import_id);
            println!("  lidas         {:>10}", s.read);
            println!("  incluídas     {:>10}", s.inserted);
            println!("  alteradas     {:>10}", s.updated);
            println!("  sem mudança   {:>10}", s.unchanged);
            println!("  rejeitadas    {:>10}", s.rejected);
            if let Some(u) = s.unassigned {
                println!("  fora de áreas {:>10}", u);
            }
            if let Some(r) = s.reassigned {
                println!("  reatribuídas  {:>10}", r);
            }
            if s.rejected > 0 {
                println!("  linhas rejeitadas e motivos em {}", s.rejects_file);
            }
        }
    }
    for w in &s.warnings {
        eprintln!("aviso: {w}");
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {
    /// Semente aleatória.
    #[arg(long, default_value_t = 7872)]
    pub(crate) seed: u64,
    /// Os dados cobrem os três anos até este dia (padrão: hoje), AAAA-MM-DD.
    #[arg(long)]
    pub(crate) today: Option<NaiveDate>,
    /// Multiplica o volume de ocorrências (1 ≈ 150 mil; 13,4 ≈ 2 milhões, para medir desempenho).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) scale: f64,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ImportArgs {
    /// Tipo: territories, population, units, operators, assignments, absences, occurrences, counts, crime-map,
    /// seizures, forensic-reports.
    pub(crate) kind: String,
    /// O arquivo.
    pub(crate) file: PathBuf,
    /// Arquivo das linhas rejeitadas (padrão ARQUIVO.rejects.csv).
    #[arg(long, conflicts_with = "background")]
    pub(crate) rejects: Option<PathBuf>,
    /// Põe a importação na fila do servidor (`serve`) e sai logo: uma cópia do arquivo vai para a
    /// pasta de envios do servidor, que a importa e mostra o andamento em /importacoes/tarefas/N.
    #[arg(long)]
    pub(crate) background: bool,
    /// Pasta dos arquivos do servidor (a mesma do `serve`), onde a cópia espera.
    #[arg(long, env = "ATALAIA_DATA_DIR", default_value = "atalaia-arquivos")]
    pub(crate) data_dir: PathBuf,
    /// Perfil de importação de uma fonte cujos arquivos não têm as colunas do Atalaia: o arquivo é lido
    /// como a fonte o publica (sp-ssp-roubo-veiculos, mg-sejusp-crimes-violentos,
    /// rj-isp-cisp-mensal).
    #[arg(long)]
    pub(crate) profile: Option<String>,
}

pub(crate) async fn run(
    args: ImportArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let ImportArgs {
        kind,
        file,
        rejects,
        background,
        data_dir,
        profile,
    } = args;
    let Some(kind) = Kind::parse(&kind) else {
        eprintln!(
            "erro: tipo de importação desconhecido `{kind}`; esperado um de: {}",
            Kind::ALL.map(|k| k.as_str()).join(", ")
        );
        return Ok(ExitCode::from(2));
    };
    let db = connect(database).await?;
    let profile = match profile.as_deref() {
        None => None,
        Some(name) => match atalaia_ingest::profile::named(&db, name, kind).await? {
            Ok(p) => Some(p),
            Err(why) => {
                eprintln!("erro: {why}");
                db.close().await;
                return Ok(ExitCode::from(2));
            }
        },
    };
    if background {
        let name = profile.as_ref().map(|p| p.name.as_str());
        let job = queue(&db, kind, &file, &data_dir, name).await?;
        db.close().await;
        let location = format!("/importacoes/tarefas/{job}");
        match format {
            OutputFormat::Json => {
                println!("{}", serde_json::json!({"job": job, "location": location}))
            }
            _ => println!("importação na fila: tarefa {job}; andamento em {location}"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let now = now_sao_paulo();
    let opts = ImportOptions {
        actor: cli_actor(),
        synthetic: false,
        rejects,
        today: now.date(),
        now: Utc::now().naive_utc(),
        ip: String::new(),
        units_allowed: None,
        job: None,
        rejects_kept_in: None,
        profile,
    };
    let summary = atalaia_ingest::import_file(&db, kind, &file, &opts, progress_bar())
        .await
        .context("importação não realizada")?;
    db.close().await;
    print_summary(&summary, format)?;
    Ok(if summary.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Copies `file` into the server's uploads folder under `data_dir` (as a web upload is kept) and
/// queues it; a `serve` on the same database and folder imports it. The job's id.
async fn queue(
    db: &atalaia_store::Db,
    kind: Kind,
    file: &std::path::Path,
    data_dir: &std::path::Path,
    profile: Option<&str>,
) -> anyhow::Result<i64> {
    let name = file
        .file_name()
        .map(|n| atalaia_web::pages::imports::safe_file_name(&n.to_string_lossy()))
        .with_context(|| format!("{}: não é um arquivo", file.display()))?;
    let dir = atalaia_web::pages::imports::new_upload_dir(data_dir);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: pasta de envios não criada", dir.display()))?;
    let copy = dir.join(&name);
    let bytes = match std::fs::copy(file, &copy) {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            // The importer's own words for a file it cannot read ("arquivo não encontrado"…).
            return Err(atalaia_ingest::ImportError::Io(file.display().to_string(), e).into());
        }
    };
    // The server opens it by this path, whatever folder it was started in.
    let copy = copy.canonicalize().unwrap_or(copy);
    let job = db
        .queue_job(
            &atalaia_store::jobs::NewJob {
                kind: kind.as_str(),
                file_name: &name,
                path: &copy.to_string_lossy(),
                actor: &cli_actor(),
                ip: "",
                bytes_total: i64::try_from(bytes).unwrap_or(i64::MAX),
                profile,
                idempotency_key: None,
            },
            Utc::now().naive_utc(),
        )
        .await;
    if job.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    job.context("importação não posta na fila")
}

/// Who imports from the command line, for the audit log.
fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "desconhecido".into())
    )
}

pub(crate) async fn demo(
    args: DemoArgs,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let DemoArgs { seed, today, scale } = args;
    if !(scale > 0.0 && scale <= 100.0) {
        eprintln!("erro: --scale {scale} inválido: esperado um número entre 0 e 100");
        return Ok(ExitCode::from(2));
    }
    let db = connect(database).await?;
    let today = today.unwrap_or_else(|| now_sao_paulo().date());
    let report = atalaia_demo::load_scaled(&db, seed, today, scale)
        .await
        .context("a carga dos dados de demonstração falhou")?;
    db.close().await;
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        _ => println!("{report}"),
    }
    Ok(ExitCode::SUCCESS)
}
