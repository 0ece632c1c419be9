//! `atalaia` — the command line (contracts.md §1). This file holds the arguments common to every
//! command, the dispatch and the few helpers they share (the database connection, Brasília's clock,
//! the progress bar); each command is its own module: `serve`, `import` (and `demo`), `recap`, `ipei`
//! (with `payroll`), `hotspots`, `evaluate`, `reminders`, `calendar`, `audit`, `backup` (and `restore`), `copy`, `admin`.
//!
//! Exit status: 0 success; 1 failure (nothing was changed); 2 bad usage; 3 completed with rejected rows.

mod admin;
mod audit;
mod backup;
mod calendar;
mod copy;
mod evaluate;
mod hotspots;
mod import;
mod ipei;
mod partitions;
mod payroll;
mod recap;
mod reminders;
mod serve;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use atalaia_ingest::Progress;
use atalaia_store::Db;
use chrono::{NaiveDateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use audit::AuditCommand;
use calendar::CalendarCommand;
use hotspots::HotspotsCommand;
use ipei::IpeiCommand;
use recap::RecapCommand;
use reminders::RemindersCommand;

#[derive(Parser, Debug)]
#[command(
    name = "atalaia",
    version,
    about = "Atalaia — gestão da segurança pública por resultados (Igesp, Goiás Cidadão Seguro)"
)]
struct Cli {
    /// Banco de dados: sqlite://ARQUIVO (padrão sqlite://atalaia.db) ou postgres://…
    #[arg(
        long,
        global = true,
        env = "ATALAIA_DATABASE_URL",
        // The URL may carry a password: --help must not print it.
        hide_env_values = true,
        default_value = "sqlite://atalaia.db"
    )]
    database: String,
    /// Formato da saída de dados (stdout): table, json, csv ou geojson (só `hotspots gistar`; os demais o leem como table).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Formato dos registros (logs) em stderr: text, para ler, ou json, um objeto por linha, para um coletor de logs.
    #[arg(long, global = true, value_enum, env = "ATALAIA_LOG_FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Csv,
    Geojson,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr at `ATALAIA_LOG` (default `info`) in `format`, and the pool's acquire events to
/// `/metrics` — each layer with its own filter, so the logs' level does not starve the metrics.
fn init_logs(format: LogFormat) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ATALAIA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    let pool = atalaia_web::ops::PoolWaitLayer::global().with_filter(
        tracing_subscriber::filter::filter_fn(atalaia_web::ops::PoolWaitLayer::wants),
    );
    tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(pool)
        .init();
}

/// Writes `header` and `rows` as CSV to stdout: the one shape of every command's `--format csv`.
pub(crate) fn print_csv<R, C>(header: &[&str], rows: R) -> anyhow::Result<()>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row)?;
    }
    w.flush()?;
    Ok(())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inicia a aplicação web.
    Serve(serve::ServeArgs),
    /// RECAP: o cálculo trimestral do bônus por redução de crimes (Decreto 7.872/2013, Arts. 4–8).
    Recap {
        #[command(subcommand)]
        command: RecapCommand,
    },
    /// IPEI: a indenização por apreensão de armas de fogo (Decreto 7.872/2013, Arts. 10–15).
    Ipei {
        #[command(subcommand)]
        command: IpeiCommand,
    },
    /// Zonas quentes (Igesp): Gi* de Getis-Ord numa grade regular (de um arquivo de pontos ou de uma área do banco).
    Hotspots {
        #[command(subcommand)]
        command: HotspotsCommand,
    },
    /// Avaliação de uma intervenção (Igesp §6): antes/depois da área, do entorno e do controle, WDQ e WDD.
    Evaluate(evaluate::EvaluateArgs),
    /// Lembretes dos prazos dos ciclos (Anexo Único) para quem deve agir.
    Reminders {
        #[command(subcommand)]
        command: RemindersCommand,
    },
    /// Calendário de dias úteis (feriados nacionais, estaduais e municipais e pontos facultativos).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Registro de auditoria.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Carrega os dados de demonstração (sintéticos e marcados como tal), determinísticos para a semente e a data.
    Demo(import::DemoArgs),
    /// Importa um arquivo (CSV, XLSX ou GeoJSON).
    Import(import::ImportArgs),
    /// Usuários administradores criados na própria máquina (o primeiro de uma instalação nova).
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Copia o banco inteiro para um arquivo, com o servidor no ar (SQLite: VACUUM INTO; PostgreSQL: pg_dump).
    Backup(backup::BackupArgs),
    /// Copia um banco SQLite inteiro para um PostgreSQL vazio (ids, auditoria e sequências intactos); retomável.
    CopyDatabase(copy::CopyArgs),
    /// PostgreSQL: cria as partições mensais dos próximos meses e move para partições próprias as linhas de meses que não tinham.
    Partitions(partitions::PartitionArgs),
    /// Restaura uma cópia num banco vazio, leva-o à versão deste programa e confere a cadeia de auditoria.
    Restore(backup::RestoreArgs),
}

/// Now in Brasília (`atalaia_core::dates::sao_paulo_local`).
pub(crate) fn now_sao_paulo() -> NaiveDateTime {
    atalaia_core::dates::sao_paulo_local(Utc::now().naive_utc())
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn position(&self, bytes: u64) {
        self.0.set_position(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub(crate) fn progress_bar() -> Arc<dyn Progress> {
    if !std::io::stderr().is_terminal() {
        return Arc::new(atalaia_ingest::load::NoProgress);
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta})",
    ) {
        bar.set_style(style);
    }
    Arc::new(Bar(bar))
}

/// mimalloc: imports allocate rows on the reader thread and free them on the loader thread, a pattern
/// glibc's allocator handles slowly (consolidation and cross-thread frees were ~20 % of an import).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    init_logs(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erro: não foi possível iniciar o runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erro: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (database, format) = (cli.database.as_str(), cli.format);
    match cli.command {
        Command::Import(args) => import::run(args, database, format).await,
        Command::Demo(args) => import::demo(args, database, format).await,
        Command::Serve(args) => serve::run(args, database).await,
        Command::Calendar { command } => calendar::run(command, database, format).await,
        Command::Recap { command } => recap::run(command, database, format).await,
        Command::Ipei { command } => ipei::run(command, database, format).await,
        Command::Hotspots { command } => hotspots::run(command, database, format).await,
        Command::Evaluate(args) => evaluate::run(args, database, format).await,
        Command::Reminders { command } => reminders::run(command, database, format).await,
        Command::Audit { command } => audit::run(command, database, format).await,
        Command::Admin { command } => admin::run(command, database, format).await,
        Command::Backup(args) => backup::backup(args, database, format).await,
        Command::Restore(args) => backup::restore(args, database, format).await,
        Command::CopyDatabase(args) => copy::run(args, database, format).await,
        Command::Partitions(args) => partitions::run(args, database, format).await,
    }
}

/// The error and its causes on one line, skipping a cause whose text the message already carries
/// (our error types print their cause in their own message, as users need it in one line).
pub(crate) fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Db> {
    Db::connect(url).await.with_context(|| {
        format!(
            "não foi possível abrir o banco {}",
            atalaia_store::redact(url)
        )
    })
}
