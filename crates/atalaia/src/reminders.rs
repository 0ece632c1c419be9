//! `atalaia reminders`: the deadlines due today for whoever must act, listed or sent by e-mail.

use crate::{OutputFormat, connect};
use anyhow::Context;
use atalaia_core::dates::BrDate;
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use std::process::ExitCode;
#[derive(Subcommand, Debug)]
pub(crate) enum RemindersCommand {
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
pub(crate) struct SmtpArgs {
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

pub(crate) async fn run(
    command: RemindersCommand,
    database: &str,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now().naive_utc();
    let (date, smtp) = match command {
        RemindersCommand::List { date } => (date, None),
        RemindersCommand::Send { smtp, date } => (date, Some(smtp)),
    };
    // Deadlines are Brasília business days: "today" is Brasília's date (UTC−3).
    let today = date.unwrap_or_else(|| atalaia_core::dates::sao_paulo_local(now).date());
    let db = connect(database).await?;
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
        match format {
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
    let mailer = atalaia_notify::Mailer::new(&smtp.smtp_url, &smtp.smtp_from, smtp.base_url)
        .context("os lembretes por e-mail não foram configurados")?;
    let r = atalaia_notify::send_due(&db, &mailer, today, now)
        .await
        .context("os lembretes não foram enviados")?;
    db.close().await;
    match format {
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
