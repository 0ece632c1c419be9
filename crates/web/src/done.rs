//! The confirmation after each act (issue 20): a form that went through redirects to a page with
//! `?feito=CODE`, and that page says at its top, in one line, what was done — so nobody wonders
//! whether the click took. The code, not the sentence, travels in the address: a link cannot make
//! the page say something else.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// An act that went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    MeetingCreated,
    AttendeeAdded,
    MinutesSaved,
    DecisionRecorded,
    ActionCreated,
    AreaCreated,
    SelectionDecided,
    SeizureSaved,
    SeizureUpdated,
    ReportSaved,
    RunSaved,
    CycleOpened,
    CycleStep,
    CalendarSaved,
    KeyCreated,
    ConfigSaved,
    ListSent,
    ProgressRecorded,
}

impl Done {
    const ALL: [(Done, &'static str, &'static str); 18] = [
        (Done::MeetingCreated, "reuniao", "Reunião criada."),
        (
            Done::AttendeeAdded,
            "participante",
            "Participante registrado.",
        ),
        (Done::MinutesSaved, "ata", "Ata registrada."),
        (
            Done::DecisionRecorded,
            "decisao",
            "Decisão registrada como ação.",
        ),
        (Done::ActionCreated, "acao", "Ação criada."),
        (Done::AreaCreated, "area", "Área de intervenção criada."),
        (
            Done::SelectionDecided,
            "selecao",
            "Decisão sobre o município registrada.",
        ),
        (Done::SeizureSaved, "apreensao", "Apreensão registrada."),
        (
            Done::SeizureUpdated,
            "apreensao-atualizada",
            "Apreensão atualizada: a arma desse BO e item já estava registrada e foi corrigida.",
        ),
        (Done::ReportSaved, "laudo", "Laudo registrado."),
        (Done::RunSaved, "execucao", "Execução salva."),
        (Done::CycleOpened, "ciclo", "Ciclo aberto, com seus prazos."),
        (Done::CycleStep, "etapa", "Etapa do ciclo registrada."),
        (Done::CalendarSaved, "calendario", "Calendário atualizado."),
        (Done::KeyCreated, "chave", "Chave de API atualizada."),
        (
            Done::ConfigSaved,
            "configuracao",
            "Nova versão da configuração registrada.",
        ),
        (
            Done::ListSent,
            "lista",
            "Registrado. O Comitê vê o que foi enviado.",
        ),
        (Done::ProgressRecorded, "andamento", "Andamento registrado."),
    ];

    fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or("", |e| e.1)
    }

    /// The sentence the next page shows.
    pub fn text_pt(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or("", |e| e.2)
    }

    fn parse(code: &str) -> Option<Done> {
        Self::ALL.iter().find(|(_, c, _)| *c == code).map(|e| e.0)
    }
}

/// A redirect to `location` that tells the page there what was done (the code goes before any
/// `#section`).
pub fn redirect(location: &str, done: Done) -> Response {
    let (path, anchor) = match location.split_once('#') {
        Some((p, a)) => (p, format!("#{a}")),
        None => (location, String::new()),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}feito={}{anchor}", done.code())).into_response()
}

tokio::task_local! {
    static DONE: Option<Done>;
}

/// What the request's `?feito=` says was done, when answering one.
pub fn current() -> Option<Done> {
    DONE.try_with(|d| *d).ok().flatten()
}

/// Reads `?feito=` for everything that runs while answering the request.
pub async fn layer(req: Request, next: Next) -> Response {
    let done = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("feito="))
            .and_then(Done::parse)
    });
    DONE.scope(done, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_go_before_the_anchor() {
        for (d, code, text) in Done::ALL {
            assert_eq!(Done::parse(code), Some(d));
            assert!(text.ends_with('.'), "{text}");
        }
        let r = redirect("/reunioes/3#ata", Done::MinutesSaved);
        assert_eq!(r.headers()["location"], "/reunioes/3?feito=ata#ata");
        let r = redirect("/ipei?mes=2026-10#ciclo", Done::CycleStep);
        assert_eq!(
            r.headers()["location"],
            "/ipei?mes=2026-10&feito=etapa#ciclo"
        );
        assert_eq!(Done::parse("<script>"), None);
    }
}
