//! `/ajuda`: what the statistics and the program's terms on the pages mean, in plain Portuguese for a
//! commander rather than a statistician. Pages link to its sections (`/ajuda#wdd`).

use askama::Template;
use axum::response::Response;

use super::{Chrome, render};
use crate::AppError;
use crate::guard::Ctx;

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    chrome: Chrome,
}

/// `GET /ajuda`.
pub async fn page(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    render(&HelpPage {
        chrome: Chrome::new(&st, &id, "O que significam os termos", "/ajuda").await,
    })
}

/// The terms pages print, each with the one-line explanation shown on hover and read by screen
/// readers (the help page says more): the one home of these words (issue 20).
const TERMS: [(&str, &str); 12] = [
    (
        "z",
        "quanto a célula se afasta do esperado, em desvios-padrão; acima de 1,96 é incomum, quanto maior, mais quente",
    ),
    (
        "p",
        "a chance de ver uma diferença assim só por acaso; abaixo de 0,05, o acaso dificilmente explica",
    ),
    (
        "p ajustado",
        "o p corrigido para muitas células ao mesmo tempo (FDR); abaixo de 0,05, a zona é confiável",
    ),
    (
        "FDR",
        "correção para muitas células: no máximo 5 % das zonas apontadas são alarmes falsos",
    ),
    (
        "Gi*",
        "estatística de Getis-Ord: se a célula e suas vizinhas têm, juntas, mais crimes do que o esperado",
    ),
    (
        "Gini",
        "concentração: 0 quando os crimes se espalham por igual, perto de 1 quando se juntam em poucas células",
    ),
    (
        "CAP",
        "crimes de alta prioridade por 100 mil habitantes: homicídio doloso, roubo e furto de veículo (Art. 4)",
    ),
    (
        "SHA-256",
        "impressão digital do conteúdo: qualquer mudança, mesmo de um caractere, muda este código; serve para conferir que nada foi alterado",
    ),
    (
        "Vizinhança",
        "quais células contam como vizinhas: contiguidade rainha, as que tocam a célula por um lado ou por um canto; distância, as que ficam a até tantos metros",
    ),
    (
        "Raio da densidade",
        "até onde cada ocorrência pesa no mapa de densidade; vazio, o raio vem dos próprios dados pela regra de Silverman",
    ),
    (
        "WDQ",
        "quociente de deslocamento: se o crime que saiu da área foi para o entorno",
    ),
    (
        "WDD",
        "diferença líquida: área e entorno, descontado o controle",
    ),
];

/// `term` as a page prints it: with its explanation on hover (`<abbr title>`); the term alone if it
/// is not in [`TERMS`]. Only the static words of the table go into the markup.
pub fn term(term: &str) -> String {
    match TERMS.iter().find(|(t, _)| *t == term) {
        Some((t, tip)) => format!("<abbr title=\"{tip}\">{t}</abbr>"),
        None => askama::filters::escape(term, askama::filters::Html)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn terms_carry_their_explanation() {
        assert_eq!(
            super::term("FDR"),
            "<abbr title=\"correção para muitas células: no máximo 5 % das zonas apontadas são alarmes falsos\">FDR</abbr>"
        );
        assert_eq!(super::term("<b>"), "&#60;b&#62;");
        for (t, tip) in super::TERMS {
            assert!(!tip.contains('"') && !t.contains('<'), "{t}");
        }
    }
}
