//! `atalaia` — the command line (contracts.md §1): `serve`, `demo`, `import`.
//!
//! Exit status: 0 success; 1 failure (nothing was changed); 2 bad usage; 3 completed with rejected rows.

mod payroll;

use atalaia_core::dates::BrDate;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use atalaia_ingest::{ImportOptions, ImportSummary, Kind, Progress};
use atalaia_store::Db;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Table,
    Json,
    Csv,
    Geojson,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inicia a aplicação web.
    Serve {
        /// Endereço em que escutar.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Carrega antes os dados de demonstração, se o banco estiver vazio, e cria um usuário de demonstração por papel.
        #[arg(long)]
        demo: bool,
        /// Modelo de URL de um serviço de mapas (ex.: https://tile.openstreetmap.org/{z}/{x}/{y}.png); sem ele os mapas mostram só as camadas do próprio Atalaia.
        #[arg(long, env = "ATALAIA_TILE_URL")]
        tile_url: Option<String>,
        /// Proxy reverso confiável (ex.: 127.0.0.1/32; repita para vários): só de um deles valem os cabeçalhos X-Forwarded-For (endereço do cliente) e X-Forwarded-Proto (https).
        #[arg(
            long = "trusted-proxy",
            env = "ATALAIA_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<atalaia_web::proxy::Cidr>,
        /// Marca os cookies como Secure mesmo em pedidos sem HTTPS conhecido (atrás de um proxy que termina o TLS).
        #[arg(long)]
        secure_cookies: bool,
        /// Pasta dos arquivos do servidor: envios em importação, linhas rejeitadas, cópias de BO.
        #[arg(long, env = "ATALAIA_DATA_DIR", default_value = "atalaia-arquivos")]
        data_dir: std::path::PathBuf,
        /// Pasta das cópias de BO (IPEI), guardadas pelo SHA-256; padrão: DATA_DIR/evidencias.
        #[arg(long, env = "ATALAIA_EVIDENCE_DIR")]
        evidence_dir: Option<std::path::PathBuf>,
        /// Servidor SMTP dos lembretes de prazo (ex.: smtp://localhost:25); sem ele, os lembretes aparecem só na aplicação.
        #[arg(
            long,
            env = "ATALAIA_SMTP_URL",
            hide_env_values = true,
            requires = "smtp_from"
        )]
        smtp_url: Option<String>,
        /// Remetente dos lembretes, ex.: "Atalaia <atalaia@ssp.go.gov.br>".
        #[arg(long, env = "ATALAIA_SMTP_FROM")]
        smtp_from: Option<String>,
        /// Endereço público da aplicação, para os e-mails apontarem a página do ato.
        #[arg(long, env = "ATALAIA_BASE_URL")]
        base_url: Option<String>,
        /// Provedor OpenID Connect (ex.: https://sso.acesso.gov.br para o Login Único gov.br).
        #[cfg(feature = "oidc")]
        #[arg(long, env = "ATALAIA_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_redirect_url"])]
        oidc_issuer: Option<String>,
        /// Identificador do cliente registrado no provedor.
        #[cfg(feature = "oidc")]
        #[arg(long, env = "ATALAIA_OIDC_CLIENT_ID")]
        oidc_client_id: Option<String>,
        /// Segredo do cliente (de preferência pela variável de ambiente; nunca aparece em logs).
        #[cfg(feature = "oidc")]
        #[arg(long, env = "ATALAIA_OIDC_CLIENT_SECRET", hide_env_values = true)]
        oidc_client_secret: Option<String>,
        /// URL de retorno registrada no provedor: https://SEU-ENDEREÇO/login/govbr/retorno.
        #[cfg(feature = "oidc")]
        #[arg(long, env = "ATALAIA_OIDC_REDIRECT_URL")]
        oidc_redirect_url: Option<String>,
    },
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
    Evaluate {
        /// Código da área avaliada (em geral uma área de intervenção).
        #[arg(long)]
        area: String,
        /// Data de início do plano, AAAA-MM-DD. "Antes" são os N meses inteiros anteriores ao mês do
        /// início; "depois", os N meses a partir dele (se o início não for dia 1º, o mês do início fica de
        /// fora dos dois, como transição).
        #[arg(long)]
        start: String,
        /// N, o número de meses de cada período (1 a 36).
        #[arg(long, allow_hyphen_values = true)]
        months: String,
        /// Largura do entorno (anel em volta da área), em metros (padrão: 500).
        #[arg(long, allow_hyphen_values = true)]
        buffer_m: Option<String>,
        /// Área de controle (padrão: o restante da área-mãe, sem a área avaliada e seu entorno).
        #[arg(long)]
        control: Option<String>,
        /// Controle do entorno, C′ no WDD (padrão: o próprio controle).
        #[arg(long)]
        control_buffer: Option<String>,
        /// Crimes do catálogo, separados por vírgula (padrão: todos).
        #[arg(long)]
        crimes: Option<String>,
    },
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
    Demo {
        /// Semente aleatória.
        #[arg(long, default_value_t = 7872)]
        seed: u64,
        /// Os dados cobrem os três anos até este dia (padrão: hoje), AAAA-MM-DD.
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Multiplica o volume de ocorrências (1 ≈ 150 mil; 13,4 ≈ 2 milhões, para medir desempenho).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Importa um arquivo (CSV, XLSX ou GeoJSON).
    Import {
        /// Tipo: territories, population, units, operators, assignments, absences, occurrences, counts, crime-map,
        /// seizures, forensic-reports.
        kind: String,
        /// O arquivo.
        file: PathBuf,
        /// Arquivo das linhas rejeitadas (padrão ARQUIVO.rejects.csv).
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum RecapCommand {
    /// Calcula o RECAP de um trimestre com os dados de hoje.
    Compute {
        /// Trimestre, AAAA-Tn (ex.: 2024-Q1).
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
        /// Trimestre, AAAA-Tn (ex.: 2024-Q1).
        #[arg(long)]
        quarter: String,
        /// A folha de uma execução salva (padrão: com os dados de hoje).
        #[arg(long)]
        run: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
enum IpeiCommand {
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

#[derive(Subcommand, Debug)]
enum HotspotsCommand {
    /// Gi* (vizinhança queen, a própria célula incluída) numa grade quadrada, direto de um arquivo de pontos, sem banco.
    Gistar {
        /// Arquivo de pontos (CSV ou XLSX): x, y em metros, ou lon, lat (WGS84); weight opcional.
        #[arg(long)]
        points: std::path::PathBuf,
        /// Lado da célula, em metros.
        #[arg(long)]
        cell: f64,
        /// Correção de Benjamini–Hochberg nas classes (padrão: true).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        fdr: bool,
        /// Onde gravar as linhas rejeitadas (padrão: ARQUIVO.rejects.csv).
        #[arg(long)]
        rejects: Option<std::path::PathBuf>,
    },
    /// Análise completa de uma área do banco (município, AISP, área de intervenção…): Gi* do período com
    /// classes, Gi* mês a mês com a classe emergente, densidade kernel e concentração.
    Area {
        /// Código da área (ex.: 5208707 para Goiânia, AISP1).
        #[arg(long)]
        area: String,
        /// Primeiro mês, AAAA-MM.
        #[arg(long)]
        from: String,
        /// Último mês, AAAA-MM (inclusive).
        #[arg(long)]
        to: String,
        /// Crimes do catálogo, separados por vírgula (padrão: todos).
        #[arg(long)]
        crimes: Option<String>,
        /// Lado da célula em metros (padrão: lado menor da área / 50, em múltiplos de 100 m, mínimo 50 m).
        #[arg(long)]
        cell: Option<f64>,
        /// Hexágonos H3 em vez de quadrados (resolução de área mais próxima da célula).
        #[arg(long)]
        hex: bool,
        /// Vizinhança por distância, em metros (padrão: contiguidade rainha).
        #[arg(long)]
        band: Option<f64>,
        /// Inferência por permutações (ex.: 999) em vez do p analítico.
        #[arg(long)]
        permutations: Option<usize>,
        /// Semente das permutações.
        #[arg(long, default_value_t = 12345)]
        seed: u64,
        /// Correção de Benjamini–Hochberg nas classes (padrão: true).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        fdr: bool,
        /// Raio da densidade kernel, em metros (padrão: regra de Silverman espacial, como no ArcGIS).
        #[arg(long)]
        bandwidth: Option<f64>,
    },
}

#[derive(Subcommand, Debug)]
enum RemindersCommand {
    /// Lista os lembretes devidos no dia (sem enviar nada).
    List {
        /// O dia, AAAA-MM-DD (padrão: hoje, horário de Brasília).
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Envia por e-mail os lembretes devidos no dia a quem ainda não os recebeu (rode de hora em hora pelo cron).
    Send {
        #[command(flatten)]
        smtp: SmtpArgs,
        /// O dia, AAAA-MM-DD (padrão: hoje, horário de Brasília).
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

/// Where e-mail goes.
#[derive(clap::Args, Debug, Clone)]
struct SmtpArgs {
    /// Servidor SMTP: smtp://host:25 (retransmissor local), smtp://usuário:senha@host:587?tls=required (STARTTLS) ou smtps://usuário:senha@host:465.
    #[arg(long, env = "ATALAIA_SMTP_URL", hide_env_values = true)]
    smtp_url: String,
    /// Remetente, ex.: "Atalaia <atalaia@ssp.go.gov.br>".
    #[arg(long, env = "ATALAIA_SMTP_FROM")]
    smtp_from: String,
    /// Endereço público da aplicação, para os e-mails apontarem a página do ato (ex.: https://atalaia.ssp.go.gov.br).
    #[arg(long, env = "ATALAIA_BASE_URL")]
    base_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum CalendarCommand {
    /// Lista os feriados e pontos facultativos dos anos pedidos.
    Holidays {
        /// Sigla do estado (ex.: GO).
        #[arg(long)]
        state: String,
        /// Código IBGE do município (ex.: 5208707, Goiânia).
        #[arg(long)]
        municipality: Option<String>,
        /// Primeiro ano.
        #[arg(long)]
        from: i32,
        /// Último ano.
        #[arg(long)]
        to: i32,
    },
    /// O N-ésimo dia útil de um mês.
    BusinessDay {
        /// Sigla do estado (ex.: GO).
        #[arg(long)]
        state: String,
        /// Código IBGE do município (ex.: 5208707, Goiânia).
        #[arg(long)]
        municipality: Option<String>,
        /// Mês, AAAA-MM.
        #[arg(long)]
        month: String,
        /// Qual dia útil (1, 2, …).
        #[arg(long)]
        nth: u32,
    },
}

/// Builds the calendar of a state (and municipality) from command-line values, or says what is wrong.
fn calendar_of(
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

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Confere a cadeia de hashes do registro de auditoria: sai com 0 se íntegra, 1 nomeando a primeira entrada rompida.
    Verify,
}

/// Now in Brasília (`atalaia_core::dates::sao_paulo_local`).
fn now_sao_paulo() -> NaiveDateTime {
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

fn progress_bar() -> Arc<dyn Progress> {
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATALAIA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
    match cli.command {
        Command::Import {
            kind,
            file,
            rejects,
        } => {
            let Some(kind) = Kind::parse(&kind) else {
                eprintln!(
                    "erro: tipo de importação desconhecido `{kind}`; esperado um de: {}",
                    Kind::ALL.map(|k| k.as_str()).join(", ")
                );
                return Ok(ExitCode::from(2));
            };
            let db = connect(&cli.database).await?;
            let now = now_sao_paulo();
            let opts = ImportOptions {
                actor: format!(
                    "cli:{}",
                    std::env::var("USER").unwrap_or_else(|_| "desconhecido".into())
                ),
                synthetic: false,
                rejects,
                today: now.date(),
                now: Utc::now().naive_utc(),
                ip: String::new(),
                units_allowed: None,
            };
            let summary = atalaia_ingest::import_file(&db, kind, &file, &opts, progress_bar())
                .await
                .context("importação não realizada")?;
            db.close().await;
            print_summary(&summary, cli.format)?;
            Ok(if summary.rejected > 0 {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Demo { seed, today, scale } => {
            if !(scale > 0.0 && scale <= 100.0) {
                eprintln!("erro: --scale {scale} inválido: esperado um número entre 0 e 100");
                return Ok(ExitCode::from(2));
            }
            let db = connect(&cli.database).await?;
            let today = today.unwrap_or_else(|| now_sao_paulo().date());
            let report = atalaia_demo::load_scaled(&db, seed, today, scale)
                .await
                .context("a carga dos dados de demonstração falhou")?;
            db.close().await;
            match cli.format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                _ => println!("{report}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            addr,
            demo,
            tile_url,
            trusted_proxies,
            secure_cookies,
            data_dir,
            evidence_dir,
            smtp_url,
            smtp_from,
            base_url,
            #[cfg(feature = "oidc")]
            oidc_issuer,
            #[cfg(feature = "oidc")]
            oidc_client_id,
            #[cfg(feature = "oidc")]
            oidc_client_secret,
            #[cfg(feature = "oidc")]
            oidc_redirect_url,
        } => {
            let db = connect(&cli.database).await?;
            let loopback = addr.ip().is_loopback();
            let config = atalaia_web::WebConfig {
                loopback,
                // Off loopback the app must sit behind HTTPS (a proxy), so cookies are Secure; on
                // loopback they are whenever the request came over HTTPS through a trusted proxy.
                secure_cookies: secure_cookies || !loopback,
                trusted_proxies,
                tile_url,
                demo,
                data_dir,
                evidence_dir,
                ..atalaia_web::WebConfig::default()
            };
            if demo {
                eprintln!("carregando os dados de demonstração (sintéticos)…");
                match atalaia_demo::load(&db, 7872, now_sao_paulo().date()).await {
                    Ok(report) => eprintln!("{report}"),
                    Err(atalaia_demo::DemoError::NotEmpty) => {
                        eprintln!(
                            "o banco já tem dados; os dados de demonstração não foram recarregados"
                        )
                    }
                    Err(e) => {
                        return Err(anyhow::Error::new(e)
                            .context("a carga dos dados de demonstração falhou"));
                    }
                }
                let logins = atalaia_web::demo_users::ensure(&db, config.password_cost)
                    .await
                    .context("os usuários de demonstração não foram criados")?;
                eprintln!("usuários de demonstração (senhas públicas; só valem em 127.0.0.1):");
                for l in &logins {
                    eprintln!(
                        "  {:<12} senha {:<24} papel {:<11} ({})",
                        l.login,
                        l.password,
                        l.role.as_str(),
                        l.note
                    );
                }
                if !loopback {
                    eprintln!(
                        "aviso: {addr} não é um endereço local; as senhas de demonstração serão recusadas"
                    );
                }
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("não foi possível escutar em {addr}"))?;
            eprintln!("Atalaia em http://{addr}/ (Ctrl+C para encerrar)");
            if let (Some(url), Some(from)) = (smtp_url, smtp_from) {
                let mailer = atalaia_notify::Mailer::new(&url, &from, base_url)
                    .context("os lembretes por e-mail não foram configurados")?;
                eprintln!("lembretes de prazo por e-mail: de hora em hora, de {from}");
                let db = db.clone();
                // Hourly: each reminder goes once per person and day (the store records it), so the
                // interval only bounds how late in the day one arrives.
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                    loop {
                        tick.tick().await;
                        let now = Utc::now().naive_utc();
                        let today = atalaia_core::dates::sao_paulo_local(now).date();
                        match atalaia_notify::send_due(&db, &mailer, today, now).await {
                            Ok(r) if r.sent > 0 || !r.failed.is_empty() => {
                                tracing::info!(sent = r.sent, failed = r.failed.len(), "reminders")
                            }
                            Ok(_) => {}
                            Err(e) => tracing::error!(error = %e, "reminders"),
                        }
                    }
                });
            }
            #[allow(unused_mut)]
            let mut state = atalaia_web::AppState::new(db.clone(), config);
            #[cfg(feature = "oidc")]
            if let (Some(issuer), Some(client_id), Some(redirect_url)) =
                (oidc_issuer, oidc_client_id, oidc_redirect_url)
            {
                let oidc = atalaia_web::oidc::Oidc::discover(atalaia_web::oidc::OidcConfig {
                    issuer: issuer.clone(),
                    client_id,
                    client_secret: oidc_client_secret,
                    redirect_url,
                    label: "Entrar com gov.br".into(),
                })
                .await
                .map_err(anyhow::Error::msg)
                .context("o login OpenID Connect não foi configurado")?;
                eprintln!("login OpenID Connect: {issuer}");
                state = state.with_oidc(oidc);
            }
            let app = atalaia_web::router(state);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("o servidor web parou com erro")?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command } => run_calendar(command, &cli.database, cli.format).await,
        Command::Recap {
            command:
                RecapCommand::Compute {
                    quarter,
                    baseline,
                    save,
                },
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
            let db = connect(&cli.database).await?;
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
            print_recap(&report, cli.format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recap {
            command: RecapCommand::Payroll { quarter, run },
        } => {
            let Ok(q) = atalaia_core::Quarter::parse(&quarter) else {
                eprintln!("erro: --quarter `{quarter}` inválido: esperado AAAA-Qn (ex.: 2024-Q1)");
                return Ok(ExitCode::from(2));
            };
            let db = connect(&cli.database).await?;
            let code = payroll::recap(&db, q, run, now_sao_paulo().date(), cli.format).await;
            db.close().await;
            code
        }
        Command::Recap {
            command:
                RecapCommand::Trace {
                    run,
                    area,
                    crime,
                    period,
                },
        } => {
            let Some(period) = atalaia_store::trace::TracePeriod::parse(&period) else {
                eprintln!("erro: --period `{period}` inválido: esperado current ou base");
                return Ok(ExitCode::from(2));
            };
            let db = connect(&cli.database).await?;
            let trace = db.recap_trace(run, &area, &crime, period).await;
            db.close().await;
            payroll::print_trace(trace?, run, &area, &crime, cli.format)
        }
        Command::Ipei {
            command: IpeiCommand::Payroll { month, run },
        } => {
            let Ok(m) = atalaia_core::Month::parse(&month) else {
                eprintln!("erro: --month `{month}` inválido: esperado AAAA-MM (ex.: 2024-03)");
                return Ok(ExitCode::from(2));
            };
            let db = connect(&cli.database).await?;
            let code = payroll::ipei(&db, m, run, now_sao_paulo().date(), cli.format).await;
            db.close().await;
            code
        }
        Command::Ipei {
            command: IpeiCommand::Result { month, as_of },
        } => {
            let Ok(m) = atalaia_core::Month::parse(&month) else {
                eprintln!("erro: --month `{month}` inválido: esperado AAAA-MM (ex.: 2024-03)");
                return Ok(ExitCode::from(2));
            };
            // Deadlines are Brasília business days: "today" is Brasília's date (UTC−3).
            let as_of = as_of.unwrap_or_else(|| now_sao_paulo().date());
            let db = connect(&cli.database).await?;
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
            print_ipei(&report, cli.format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Hotspots {
            command:
                HotspotsCommand::Gistar {
                    points,
                    cell,
                    fdr,
                    rejects,
                },
        } => hotspots_gistar(&points, cell, fdr, rejects.as_deref(), cli.format),
        Command::Hotspots {
            command:
                HotspotsCommand::Area {
                    area,
                    from,
                    to,
                    crimes,
                    cell,
                    hex,
                    band,
                    permutations,
                    seed,
                    fdr,
                    bandwidth,
                },
        } => {
            use atalaia_spatial::hotspot::{Contiguity, Inference, Params, Shape};
            let month = |flag: &str, v: &str| {
                atalaia_core::Month::parse(v)
                    .map_err(|e| anyhow::anyhow!("--{flag} `{v}` inválido: {e}"))
            };
            let (from, to) = match (month("from", &from), month("to", &to)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("erro: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let query = atalaia_store::hotspots::HotspotQuery {
                area,
                from,
                to,
                crimes: crimes
                    .iter()
                    .flat_map(|c| c.split(','))
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
                params: Params {
                    shape: if hex { Shape::Hexagon } else { Shape::Square },
                    cell,
                    contiguity: band.map_or(Contiguity::Queen, Contiguity::Band),
                    inference: permutations.map_or(Inference::Analytic, |permutations| {
                        Inference::Permutation { permutations, seed }
                    }),
                    fdr,
                    bandwidth,
                },
            };
            let db = connect(&cli.database).await?;
            let run = db.hotspots(&query).await;
            db.close().await;
            match run {
                Ok(run) => {
                    print_hotspots(&run, cli.format)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(atalaia_store::hotspots::HotspotError::Store(e)) => {
                    Err(anyhow::Error::new(e).context("a análise não foi feita"))
                }
                Err(e) => {
                    eprintln!("erro: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Evaluate {
            area,
            start,
            months,
            buffer_m,
            control,
            control_buffer,
            crimes,
        } => {
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
            let db = connect(&cli.database).await?;
            let run = db.evaluate(&query).await;
            db.close().await;
            match run {
                Ok(run) => {
                    print_evaluation(&run, cli.format)?;
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
        Command::Reminders { command } => {
            let now = Utc::now().naive_utc();
            let (date, smtp) = match command {
                RemindersCommand::List { date } => (date, None),
                RemindersCommand::Send { smtp, date } => (date, Some(smtp)),
            };
            // Deadlines are Brasília business days: "today" is Brasília's date (UTC−3).
            let today = date.unwrap_or_else(|| atalaia_core::dates::sao_paulo_local(now).date());
            let db = connect(&cli.database).await?;
            let Some(smtp) = smtp else {
                let due = db
                    .reminders_due(today)
                    .await
                    .context("os lembretes não foram lidos")?;
                let notices = db
                    .igesp_notices(today)
                    .await
                    .context("os lembretes do Igesp não foram lidos")?;
                db.close().await;
                match cli.format {
                    OutputFormat::Json => println!(
                        "{}",
                        serde_json::Value::Array(
                            due.iter()
                                .map(|r| serde_json::json!({
                                    "program": r.kind.as_str(), "period": r.period.code(),
                                    "step": r.step.as_str(), "deadline": r.deadline,
                                    "text": r.text_pt()}))
                                .chain(notices.iter().map(|n| serde_json::json!({
                                    "program": "igesp", "key": n.key, "link": n.link,
                                    "text": n.text})))
                                .collect()
                        )
                    ),
                    _ => {
                        if due.is_empty() && notices.is_empty() {
                            println!("nenhum lembrete devido em {}", today.br_date());
                        }
                        for r in &due {
                            println!("{}", r.text_pt());
                        }
                        for n in &notices {
                            println!("Igesp: {} ({})", n.text, n.link);
                        }
                    }
                }
                return Ok(ExitCode::SUCCESS);
            };
            let mailer =
                atalaia_notify::Mailer::new(&smtp.smtp_url, &smtp.smtp_from, smtp.base_url)
                    .context("os lembretes por e-mail não foram configurados")?;
            let r = atalaia_notify::send_due(&db, &mailer, today, now)
                .await
                .context("os lembretes não foram enviados")?;
            db.close().await;
            match cli.format {
                OutputFormat::Json => println!(
                    "{}",
                    serde_json::json!({"due": r.due, "igesp_due": r.igesp_due, "sent": r.sent,
                        "already_sent": r.already,
                        "without_email": r.without_email, "failed": r.failed})
                ),
                _ => {
                    println!(
                        "{} lembrete(s) de prazos e {} do Igesp devido(s); {} e-mail(s) enviado(s), {} já enviado(s) antes, {} pessoa(s) sem e-mail",
                        r.due, r.igesp_due, r.sent, r.already, r.without_email
                    );
                    for f in &r.failed {
                        eprintln!("falhou: {f}");
                    }
                }
            }
            // As for imports: 3 when some went and some did not, 1 when none of the due ones went.
            Ok(match (r.failed.is_empty(), r.sent) {
                (true, _) => ExitCode::SUCCESS,
                (false, 0) => ExitCode::from(1),
                (false, _) => ExitCode::from(3),
            })
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = connect(&cli.database).await?;
            let check = db
                .verify_audit_chain()
                .await
                .context("não foi possível ler o registro de auditoria")?;
            db.close().await;
            let code = match &check {
                atalaia_store::audit::ChainCheck::Intact { entries } => {
                    match cli.format {
                        OutputFormat::Json => println!(
                            "{}",
                            serde_json::json!({"intact": true, "entries": entries})
                        ),
                        _ => println!("cadeia de auditoria íntegra: {entries} entradas conferidas"),
                    }
                    ExitCode::SUCCESS
                }
                atalaia_store::audit::ChainCheck::Broken { id, reason } => {
                    match cli.format {
                        OutputFormat::Json => println!(
                            "{}",
                            serde_json::json!({"intact": false, "first_broken": id, "reason": reason})
                        ),
                        _ => println!("cadeia de auditoria ROMPIDA na entrada {id}: {reason}"),
                    }
                    ExitCode::from(1)
                }
            };
            Ok(code)
        }
    }
}

/// `evaluate`'s options as a query, or a one-line pt-BR message naming the value and what was expected.
fn evaluation_query(
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
        Some(v) => Some(
            v.trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(|m| atalaia_spatial::ring::check_width(m).ok())
                .ok_or_else(|| {
                    format!(
                        "--buffer-m `{v}` inválido: esperado um número de metros maior que 0 e até {}",
                        atalaia_spatial::ring::MAX_METRES
                    )
                })?,
        ),
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
fn print_evaluation(
    run: &atalaia_store::evaluation::EvaluationRun,
    format: OutputFormat,
) -> anyhow::Result<()> {
    use atalaia_store::evaluation::{ControlRule, span_pt};
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
                if run.crimes.is_empty() {
                    "todos".to_string()
                } else {
                    run.crimes
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
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
            println!(
                "controle: {}{} — {}",
                if run.control_rule == ControlRule::RestOfParent {
                    "restante de "
                } else {
                    ""
                },
                run.control.code,
                run.control.name
            );
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

fn print_ipei(out: &atalaia_core::ipei::IpeiReport, format: OutputFormat) -> anyhow::Result<()> {
    use atalaia_core::ipei::{SeizureStatus, UnitStatus, seizure_reason_pt, unit_reason_pt};
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(out)?),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(["registration", "name", "institution", "amount", "capped"])?;
            for p in &out.payments {
                w.write_record([
                    p.registration.clone(),
                    p.name.clone(),
                    p.institution.clone(),
                    format!("{:.2}", p.amount),
                    p.capped.to_string(),
                ])?;
            }
            w.flush()?;
        }
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

fn print_recap(out: &atalaia_core::recap::Report, format: OutputFormat) -> anyhow::Result<()> {
    let level = |l: Option<atalaia_core::recap::Level>| match l {
        Some(atalaia_core::recap::Level::Recap1) => "RECAP1",
        Some(atalaia_core::recap::Level::Recap2) => "RECAP2",
        None => "",
    };
    let num = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(out)?),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "code",
                "name",
                "kind",
                "baseline_index",
                "index",
                "reduction_pct",
                "level",
            ])?;
            for a in &out.areas {
                w.write_record([
                    a.code.clone(),
                    a.name.clone(),
                    a.kind.clone(),
                    a.baseline_index.map(|v| v.to_string()).unwrap_or_default(),
                    a.index.map(|v| v.to_string()).unwrap_or_default(),
                    a.reduction_pct.map(|v| v.to_string()).unwrap_or_default(),
                    level(a.level).to_string(),
                ])?;
            }
            w.flush()?;
        }
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

/// The year table of decrees for a calendar, read from the database when there is one: a read-only
/// command must not create an empty SQLite file where none was (calendar.md: the rules plus the year
/// table are the calendar; without a database, the rules alone).
async fn with_year_table(
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
async fn run_calendar(
    command: CalendarCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let usage = |msg: String| {
        eprintln!("erro: {msg}");
        Ok(ExitCode::from(2))
    };
    match command {
        CalendarCommand::Holidays {
            state,
            municipality,
            from,
            to,
        } => {
            let cal = match calendar_of(&state, municipality.as_deref()) {
                Ok(c) => c,
                Err(e) => return usage(e),
            };
            let cal = with_year_table(
                cal,
                database,
                &state.trim().to_uppercase(),
                municipality.as_deref(),
            )
            .await?;
            if !(1900..=2200).contains(&from) || !(from..=2200).contains(&to) || to - from > 200 {
                return usage(format!(
                    "anos {from}–{to} inválidos: esperado 1900 ≤ --from ≤ --to ≤ 2200"
                ));
            }
            let days: Vec<_> = (from..=to).flat_map(|y| cal.holidays(y)).collect();
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&days)?),
                OutputFormat::Csv => {
                    let mut w = csv::Writer::from_writer(std::io::stdout());
                    w.write_record(["date", "name", "scope", "business_day"])?;
                    for d in &days {
                        w.write_record([
                            d.date.to_string(),
                            d.name.clone(),
                            serde_json::to_value(d.scope)?
                                .as_str()
                                .unwrap_or("")
                                .to_string(),
                            d.business_day.to_string(),
                        ])?;
                    }
                    w.flush()?;
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
        CalendarCommand::BusinessDay {
            state,
            municipality,
            month,
            nth,
        } => {
            let cal = match calendar_of(&state, municipality.as_deref()) {
                Ok(c) => c,
                Err(e) => return usage(e),
            };
            let cal = with_year_table(
                cal,
                database,
                &state.trim().to_uppercase(),
                municipality.as_deref(),
            )
            .await?;
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

/// The error and its causes on one line, skipping a cause whose text the message already carries
/// (our error types print their cause in their own message, as users need it in one line).
fn one_line(e: &anyhow::Error) -> String {
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

async fn connect(url: &str) -> anyhow::Result<Db> {
    Db::connect(url).await.with_context(|| {
        format!(
            "não foi possível abrir o banco {}",
            atalaia_store::redact(url)
        )
    })
}

fn print_summary(s: &ImportSummary, format: OutputFormat) -> anyhow::Result<()> {
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

/// `hotspots gistar` (contracts.md §1, §3): one row per cell of the points' bounding grid.
/// Prints a stored area's hot-spot analysis: one row per study cell (CSV/table), everything (JSON), or
/// the cells as WGS84 polygons (GeoJSON); the method and the counts go to stderr.
fn print_hotspots(
    run: &atalaia_store::hotspots::HotspotRun,
    format: OutputFormat,
) -> anyhow::Result<()> {
    use std::io::Write;
    let a = &run.analysis;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let months: Vec<String> = run.months.iter().map(|m| m.to_string()).collect();
    match format {
        OutputFormat::Geojson => {
            let mut fc = a.feature_collection();
            fc.properties = Some(serde_json::json!({
                "area": run.territory.code, "months": months, "method": a.method_pt()}));
            serde_json::to_writer(&mut out, &fc)?;
            writeln!(out)?;
        }
        OutputFormat::Json => {
            let cells: Vec<serde_json::Value> = a
                .cells
                .iter()
                .map(|c| {
                    let (lon, lat) = atalaia_spatial::utm::from_utm(c.centre.0, c.centre.1, a.zone);
                    serde_json::json!({"id": c.id, "lon": lon, "lat": lat, "count": c.count,
                        "z": c.z, "p": c.p, "p_fdr": c.p_fdr, "class": c.class.as_str(),
                        "emerging": c.emerging.map(|e| e.code()), "density": c.density,
                        "series": c.series, "z_series": c.z_series})
                })
                .collect();
            let v = serde_json::json!({
                "area": run.territory.code, "name": run.territory.name, "months": months,
                "crimes": run.crimes, "method": a.method_pt(), "cell": a.cell,
                "cell_from_rule": a.cell_from_rule(), "hex_resolution": a.resolution,
                "bandwidth": a.bandwidth,
                "utm_zone": format!("{}{}", a.zone.number, if a.zone.south { "S" } else { "N" }),
                "occurrences": run.occurrences, "points_in": a.points_in, "points_out": a.points_out, "points_edge": a.points_edge,
                "without_coordinates": run.without_coordinates,
                "gini": a.gini, "generalised_gini": a.generalised_gini, "top5_share": a.top5_share,
                "cells": cells});
            writeln!(out, "{v}")?;
        }
        OutputFormat::Csv | OutputFormat::Table => a.write_csv(&mut out)?,
    }
    out.flush()?;
    eprintln!(
        "{} — {} a {}: {}",
        run.territory.name,
        run.months
            .first()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        run.months.last().map(|m| m.to_string()).unwrap_or_default(),
        a.method_pt()
    );
    eprintln!(
        "{} células; {} ocorrência(s) georreferenciada(s) na análise, {} em células da borda (centro fora da área), {} da área sem coordenadas; {} fora do polígono (na caixa da área)",
        a.cells.len(),
        a.points_in,
        a.points_edge,
        run.without_coordinates,
        a.points_out
    );
    Ok(())
}

fn hotspots_gistar(
    points: &std::path::Path,
    cell: f64,
    fdr: bool,
    rejects: Option<&std::path::Path>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    use atalaia_spatial::gistar::{HotClass, benjamini_hochberg, gi_star, two_sided_p};
    use atalaia_spatial::grid::{Neighbours, SquareGrid};
    if !cell.is_finite() || cell <= 0.0 {
        eprintln!(
            "erro: --cell `{cell}` inválido: esperado o lado da célula em metros, maior que zero"
        );
        return Ok(ExitCode::from(2));
    }
    let p = match atalaia_ingest::points::read_points(points, rejects) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("erro: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(grid) = SquareGrid::bounding(p.xyw.iter().map(|&(x, y, _)| (x, y)), cell) else {
        eprintln!(
            "erro: {}: nenhum ponto válido ({} linha(s) lida(s), {} rejeitada(s))",
            points.display(),
            p.read,
            p.rejected
        );
        return Ok(ExitCode::from(1));
    };
    if grid.nx.saturating_mul(grid.ny) > 50_000_000 {
        eprintln!(
            "erro: a grade teria {} × {} células; use uma célula maior que {cell} m",
            grid.nx, grid.ny
        );
        return Ok(ExitCode::from(2));
    }
    let counts = grid.counts(p.xyw.iter().copied());
    // No study-area polygon: every cell of the bounding grid enters (igesp.md §3).
    let cells: Vec<(usize, usize)> = (0..grid.ny)
        .flat_map(|j| (0..grid.nx).map(move |i| (i, j)))
        .collect();
    let z = gi_star(&counts, &Neighbours::queen(&grid, &cells));
    let pv: Vec<f64> = z.iter().map(|&z| two_sided_p(z)).collect();
    let adj = benjamini_hochberg(&pv);
    let rows = cells.iter().enumerate().map(|(k, &(i, j))| {
        let class = HotClass::of(z[k], if fdr { adj[k] } else { pv[k] });
        (
            i,
            j,
            grid.x0 + i as f64 * cell,
            grid.y0 + j as f64 * cell,
            counts[k],
            z[k],
            pv[k],
            adj[k],
            class,
        )
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    use std::io::Write;
    match format {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .map(|(i, j, x, y, c, z, p, a, class)| {
                    serde_json::json!({"i": i, "j": j, "x_min": x, "y_min": y, "count": c, "z": z,
                        "p": p, "p_fdr": a, "class": class.as_str()})
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(v))?;
        }
        OutputFormat::Geojson => {
            let features: Vec<serde_json::Value> = rows
                .map(|(i, j, x, y, c, z, p, a, class)| {
                    serde_json::json!({"type": "Feature",
                        "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + cell, y],
                            [x + cell, y + cell], [x, y + cell], [x, y]]]},
                        "properties": {"i": i, "j": j, "x_min": x, "y_min": y, "count": c, "z": z,
                            "p": p, "p_fdr": a, "class": class.as_str()}})
                })
                .collect();
            let mut fc = serde_json::json!({"type": "FeatureCollection", "features": features});
            if let Some(zone) = p.zone {
                fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": format!(
                    "EPSG:{}", if zone.south { 32700 } else { 32600 } + u32::from(zone.number))}});
            }
            writeln!(out, "{fc}")?;
        }
        OutputFormat::Csv | OutputFormat::Table => {
            writeln!(out, "i,j,x_min,y_min,count,z,p,p_fdr,class")?;
            for (i, j, x, y, c, z, p, a, class) in rows {
                writeln!(out, "{i},{j},{x},{y},{c},{z},{p},{a},{}", class.as_str())?;
            }
        }
    }
    out.flush()?;
    if let Some(zone) = p.zone {
        eprintln!(
            "pontos em WGS84 projetados em UTM {}{} (EPSG:{})",
            zone.number,
            if zone.south { "S" } else { "N" },
            if zone.south { 32700 } else { 32600 } + u32::from(zone.number)
        );
    }
    eprintln!(
        "{} × {} células de {cell} m; método: Gi* analítico (vizinhança queen), classes com {}",
        grid.nx,
        grid.ny,
        if fdr {
            "p ajustado por Benjamini–Hochberg"
        } else {
            "p sem ajuste"
        }
    );
    Ok(if p.rejected > 0 {
        eprintln!(
            "{} linha(s) rejeitada(s): {}",
            p.rejected,
            p.rejects_file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        );
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
