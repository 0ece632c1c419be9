//! atalaia-notify: e-mail reminders of the program cycles' deadlines (issue #5, item 7).
//!
//! [`send_due`] finds the reminders due today (`core::reminders` over the open cycles), the people each
//! is for (active users with an e-mail: unit heads of the units that have not sent, or the committee),
//! and sends each of them one e-mail through the configured SMTP server. Every sending is recorded first
//! (`reminders_sent`, one row per person and reminder key) so a reminder is never sent twice, whether
//! the command runs hourly from cron or the server runs it; a failed sending is forgotten again and
//! retried on the next run.
//!
//! The SMTP server is a URL (lettre's): `smtp://host:25` (plain, a local relay), `smtp://user:pass@host:587?tls=required`
//! (STARTTLS), `smtps://user:pass@host:465` (TLS). Passwords never reach the logs.

use atalaia_store::Db;
use atalaia_store::reminders::is_for;
use chrono::{NaiveDate, NaiveDateTime};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why reminders could not be sent (pt-BR).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The SMTP URL or the sender address is not valid.
    #[error("configuração de e-mail inválida: {0}")]
    Config(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] atalaia_store::StoreError),
}

/// Where and as whom e-mails are sent.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: Option<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: never print it.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for the SMTP server at `url`, sending as `from` (`Atalaia <atalaia@ssp.go.gov.br>`);
    /// `base_url` (`https://atalaia.ssp.go.gov.br`) makes the e-mails link to the page to act on.
    pub fn new(url: &str, from: &str, base_url: Option<String>) -> Result<Mailer, NotifyError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| NotifyError::Config(format!("servidor SMTP: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| NotifyError::Config(format!("remetente `{from}`: {e}")))?;
        Ok(Mailer {
            transport,
            from,
            base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
        })
    }
}

/// What a run of [`send_due`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// Cycle reminders due today.
    pub due: usize,
    /// Igesp notices due today (meetings soon, actions due or overdue).
    pub igesp_due: usize,
    /// E-mails sent.
    pub sent: usize,
    /// Already sent before (same person, same reminder).
    pub already: usize,
    /// People of an audience without an e-mail address (they see the reminder in the application).
    pub without_email: usize,
    /// Failures, each naming the address and why (pt-BR).
    pub failed: Vec<String>,
}

/// The page where the owner of a reminder acts.
fn page_of(r: &atalaia_core::reminders::Reminder) -> String {
    use atalaia_core::cycle::CycleKind;
    use atalaia_core::reminders::Audience;
    let period = r.period.code();
    match (r.kind, &r.audience) {
        (CycleKind::Ipei, Audience::Committee) => format!("/ipei?mes={period}"),
        (CycleKind::Ipei, _) => format!("/ipei/unidade?mes={period}"),
        (CycleKind::Recap, Audience::Committee) => format!("/recap?trimestre={period}"),
        (CycleKind::Recap, _) => format!("/recap/unidade?trimestre={period}"),
    }
}

/// Sends one reminder to one person, once: the sending is claimed first (a concurrent run then skips it)
/// and forgotten again if the e-mail fails, so the next run retries.
#[allow(clippy::too_many_arguments)]
async fn send_one(
    db: &Db,
    mailer: &Mailer,
    u: &atalaia_store::accounts::UserRecord,
    key: &str,
    subject: &str,
    body: &str,
    now: NaiveDateTime,
    report: &mut SendReport,
) -> Result<(), NotifyError> {
    let Some(email) = u.email.as_deref().filter(|e| !e.trim().is_empty()) else {
        report.without_email += 1;
        return Ok(());
    };
    let to: Mailbox = match format!("{} <{email}>", u.name).parse() {
        Ok(m) => m,
        Err(e) => {
            report
                .failed
                .push(format!("{email} ({}): endereço inválido: {e}", u.login));
            return Ok(());
        }
    };
    if !db.record_reminder(u.id, key, email, subject, now).await? {
        report.already += 1;
        return Ok(());
    }
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(subject.to_string())
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string());
    let outcome = match message {
        Ok(m) => mailer
            .transport
            .send(m)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match outcome {
        Ok(()) => report.sent += 1,
        Err(e) => {
            db.unrecord_reminder(u.id, key).await?;
            tracing::warn!(login = %u.login, error = %e, "reminder not sent");
            report.failed.push(format!("{email} ({}): {e}", u.login));
        }
    }
    Ok(())
}

/// Sends today's reminders to everyone they are for who has not had them yet: the cycles' deadlines
/// (`core::reminders`) and Igesp's meetings and actions (`core::igesp::Notice`).
pub async fn send_due(
    db: &Db,
    mailer: &Mailer,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<SendReport, NotifyError> {
    let due = db.reminders_due(today).await?;
    let users = db.users().await?;
    let mut report = SendReport {
        due: due.len(),
        ..SendReport::default()
    };
    for r in &due {
        let key = r.key(today);
        let subject = r.subject_pt();
        let body_of = |link: &str, name: &str| {
            format!(
                "Prezado(a) {name},\n\n{}{link}\n\nEste lembrete é enviado pelo Atalaia nos últimos dias úteis antes de cada prazo do Anexo Único do Decreto nº 7.872/2013 (calendário de Goiânia).\n",
                r.text_pt()
            )
        };
        let link = mailer
            .base_url
            .as_ref()
            .map(|b| format!("\n\nAcesse: {b}{}", page_of(r)))
            .unwrap_or_default();
        for u in users.iter().filter(|u| is_for(u, &r.audience)) {
            send_one(
                db,
                mailer,
                u,
                &key,
                &subject,
                &body_of(&link, &u.name),
                now,
                &mut report,
            )
            .await?;
        }
    }
    // Igesp follow-up (igesp.md §5): meetings about to happen and actions due or overdue, to the
    // institutions concerned and the municipality's coordination (never an internal meeting to a
    // partner: `Viewer::is_addressee`).
    let notices = db.igesp_notices(today).await?;
    report.igesp_due = notices.len();
    for n in &notices {
        let link = mailer
            .base_url
            .as_ref()
            .map(|b| format!("\n\nAcesse: {b}{}", n.link))
            .unwrap_or_default();
        for u in users.iter().filter(|u| {
            u.active
                && atalaia_core::access::any_allows(
                    &u.roles(),
                    atalaia_core::access::Permission::ViewMeetings,
                )
                && u.igesp_viewer().is_addressee(n)
        }) {
            let body = format!(
                "Prezado(a) {},\n\n{}{link}\n\nAcompanhamento do Igesp: este lembrete é enviado uma vez por reunião e por prazo de ação.\n",
                u.name, n.text
            );
            send_one(db, mailer, u, &n.key, &n.subject, &body, now, &mut report).await?;
        }
    }
    Ok(report)
}
