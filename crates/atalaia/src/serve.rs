//! `atalaia serve`: the web application, optionally with the demo data set and its logins.

use crate::{connect, now_sao_paulo};
use anyhow::Context;
use chrono::Utc;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Endereço em que escutar.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) addr: std::net::SocketAddr,
    /// Carrega antes os dados de demonstração, se o banco estiver vazio, e cria um usuário de demonstração por papel.
    #[arg(long)]
    pub(crate) demo: bool,
    /// Modelo de URL de um serviço de mapas (ex.: https://tile.openstreetmap.org/{z}/{x}/{y}.png); sem ele os mapas mostram só as camadas do próprio Atalaia.
    #[arg(long, env = "ATALAIA_TILE_URL")]
    pub(crate) tile_url: Option<String>,
    /// Proxy reverso confiável (ex.: 127.0.0.1/32; repita para vários): só de um deles valem os cabeçalhos X-Forwarded-For (endereço do cliente) e X-Forwarded-Proto (https).
    #[arg(
        long = "trusted-proxy",
        env = "ATALAIA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub(crate) trusted_proxies: Vec<atalaia_web::proxy::Cidr>,
    /// Marca os cookies como Secure mesmo em pedidos sem HTTPS conhecido (atrás de um proxy que termina o TLS).
    #[arg(long)]
    pub(crate) secure_cookies: bool,
    /// Réplica de leitura do PostgreSQL (postgres://…): as páginas leem dela; gravações, e o que quem acabou de gravar lê, vão ao banco principal.
    #[arg(
        long = "read-database",
        env = "ATALAIA_READ_DATABASE_URL",
        hide_env_values = true
    )]
    pub(crate) read_database: Option<String>,
    /// Pasta dos arquivos do servidor: envios em importação, linhas rejeitadas, cópias de BO.
    #[arg(long, env = "ATALAIA_DATA_DIR", default_value = "atalaia-arquivos")]
    pub(crate) data_dir: std::path::PathBuf,
    /// Pasta das cópias de BO (IPEI), guardadas pelo SHA-256; padrão: DATA_DIR/evidencias.
    #[arg(long, env = "ATALAIA_EVIDENCE_DIR")]
    pub(crate) evidence_dir: Option<std::path::PathBuf>,
    /// Servidor SMTP dos lembretes de prazo (ex.: smtp://localhost:25); sem ele, os lembretes aparecem só na aplicação.
    #[arg(
        long,
        env = "ATALAIA_SMTP_URL",
        hide_env_values = true,
        requires = "smtp_from"
    )]
    pub(crate) smtp_url: Option<String>,
    /// Remetente dos lembretes, ex.: "Atalaia <atalaia@ssp.go.gov.br>".
    #[arg(long, env = "ATALAIA_SMTP_FROM")]
    pub(crate) smtp_from: Option<String>,
    /// Endereço público da aplicação, para os e-mails apontarem a página do ato.
    #[arg(long, env = "ATALAIA_BASE_URL")]
    pub(crate) base_url: Option<String>,
    /// Provedor OpenID Connect (ex.: https://sso.acesso.gov.br para o Login Único gov.br).
    #[cfg(feature = "oidc")]
    #[arg(long, env = "ATALAIA_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_redirect_url"])]
    pub(crate) oidc_issuer: Option<String>,
    /// Identificador do cliente registrado no provedor.
    #[cfg(feature = "oidc")]
    #[arg(long, env = "ATALAIA_OIDC_CLIENT_ID")]
    pub(crate) oidc_client_id: Option<String>,
    /// Segredo do cliente (de preferência pela variável de ambiente; nunca aparece em logs).
    #[cfg(feature = "oidc")]
    #[arg(long, env = "ATALAIA_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub(crate) oidc_client_secret: Option<String>,
    /// URL de retorno registrada no provedor: https://SEU-ENDEREÇO/login/govbr/retorno.
    #[cfg(feature = "oidc")]
    #[arg(long, env = "ATALAIA_OIDC_REDIRECT_URL")]
    pub(crate) oidc_redirect_url: Option<String>,
}

pub(crate) async fn run(args: ServeArgs, database: &str) -> anyhow::Result<ExitCode> {
    let ServeArgs {
        addr,
        demo,
        tile_url,
        trusted_proxies,
        secure_cookies,
        read_database,
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
    } = args;
    let db = connect(database).await?;
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
                eprintln!("o banco já tem dados; os dados de demonstração não foram recarregados")
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context("a carga dos dados de demonstração falhou")
                );
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
    tracing::info!(%addr, version = env!("CARGO_PKG_VERSION"), "listening");
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
    let mut state = atalaia_web::AppState::new(db.clone(), config);
    if let Some(url) = read_database {
        // A replica is read-only and migrated by its primary: never migrate it.
        let replica = atalaia_store::Db::connect_unmigrated(&url)
            .await
            .with_context(|| {
                format!(
                    "não foi possível abrir a réplica {}",
                    atalaia_store::redact(&url)
                )
            })?;
        if replica.backend() != db.backend() || db.backend() != atalaia_store::Backend::Postgres {
            anyhow::bail!(
                "--read-database: a réplica de leitura é de um banco PostgreSQL, como o principal"
            );
        }
        if !replica.is_standby().await? {
            anyhow::bail!(
                "--read-database: {} não é uma réplica em recuperação (pg_is_in_recovery() é falso)",
                atalaia_store::redact(&url)
            );
        }
        eprintln!("páginas lidas da réplica {}", atalaia_store::redact(&url));
        state = state.with_replica(replica);
    }
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
    // Files sent through the pages are imported here, one at a time per database.
    atalaia_web::jobs::spawn_worker(&state);
    let app = atalaia_web::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop_signal())
    .await
    .context("o servidor web parou com erro")?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl+C, or SIGTERM — what systemd and `docker stop` send: the requests in flight end, then the
/// database is closed.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
