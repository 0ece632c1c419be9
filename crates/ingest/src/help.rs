//! What each column of an import kind holds, in Portuguese, and the header of its template (issue 20:
//! the import page lists the columns of each kind and offers a CSV and an XLSX to fill in).
//!
//! A template's header is in Portuguese words the importer already matches (`fields::ALIASES`, compared
//! without case, accents or spaces), so a filled-in template imports as it is.

use crate::Kind;
use crate::fields::ALIASES;
use crate::kinds::columns;

/// One column of a kind, as the import page explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnHelp {
    /// The header the template writes.
    pub header: &'static str,
    /// Whether a file without the column is refused.
    pub required: bool,
    /// What the column holds and in which form, for a person filling it in.
    pub meaning: &'static str,
    /// Other Portuguese names the column is found by, as records and HR systems write them.
    pub also: Vec<String>,
}

/// The Portuguese header of the kind's column `column` (`territory_code` → "Território"), or the
/// column itself when it has none.
pub fn header_pt(column: &str) -> &str {
    HELP.iter()
        .find(|(c, _, _)| *c == column)
        .map_or(column, |(_, header, _)| header)
}

/// Column → (template header, meaning). Every column of every tabular kind has a line.
const HELP: &[(&str, &str, &str)] = &[
    (
        "id",
        "BO",
        "Número do BO ou REDS, único: importar de novo o mesmo número atualiza o registro.",
    ),
    (
        "occurred_at",
        "Data e hora",
        "Quando o fato ocorreu: DD/MM/AAAA HH:MM ou AAAA-MM-DD HH:MM, horário de Brasília.",
    ),
    (
        "crime",
        "Natureza",
        "O crime: o nome do catálogo (ex.: Roubo a transeunte, sem distinção de maiúsculas e acentos) ou o código do sistema de origem, se o mapa de crimes o traduz.",
    ),
    (
        "lat",
        "Latitude",
        "Latitude em graus decimais (WGS84), com a longitude; situa o fato nas áreas.",
    ),
    (
        "lon",
        "Longitude",
        "Longitude em graus decimais (WGS84), com a latitude.",
    ),
    (
        "territory_code",
        "Território",
        "Código do território (o código IBGE de um município, por exemplo); sem coordenadas, é ele que situa o fato.",
    ),
    (
        "victims",
        "Vítimas",
        "Número de vítimas, 1 ou mais; vazio conta 1.",
    ),
    ("unit_code", "Unidade", "Código da unidade, já importada."),
    ("code", "Código", "Código da unidade (ex.: PM-1BPM)."),
    ("name", "Nome", "Nome por extenso."),
    (
        "institution",
        "Instituição",
        "Sigla da instituição: PM, PC, BM, SPTC, PP…",
    ),
    (
        "territory_codes",
        "Territórios",
        "Códigos dos territórios da circunscrição, separados por ; ou |.",
    ),
    (
        "valid_from",
        "Vigência início",
        "Primeiro dia de vigência (vazio: desde sempre).",
    ),
    (
        "valid_to",
        "Vigência fim",
        "Último dia de vigência (vazio: ainda vigente).",
    ),
    (
        "registration",
        "Matrícula",
        "Matrícula funcional do servidor.",
    ),
    (
        "cpf",
        "CPF",
        "CPF do servidor, com ou sem pontuação; só papéis autorizados o veem por inteiro.",
    ),
    ("from", "Início", "Primeiro dia do período."),
    ("to", "Fim", "Último dia do período, inclusive."),
    (
        "kind",
        "Tipo",
        "lotação (padrão) ou disposição (servidor à disposição da unidade).",
    ),
    (
        "reason",
        "Motivo",
        "O motivo do afastamento (férias, licença…).",
    ),
    ("year", "Ano", "Ano da estimativa, com quatro dígitos."),
    ("population", "População", "Habitantes estimados no ano."),
    ("month", "Mês", "Mês da contagem, AAAA-MM."),
    (
        "count",
        "Quantidade",
        "Total de ocorrências do crime no mês.",
    ),
    (
        "source_code",
        "Código de origem",
        "Código do crime no sistema de origem.",
    ),
    ("bo_number", "BO", "Número do BO da apreensão."),
    (
        "seized_on",
        "Data da apreensão",
        "Dia da apreensão, não futuro.",
    ),
    (
        "registrations",
        "Matrículas",
        "Matrículas dos servidores que apreenderam, separadas por ;.",
    ),
    (
        "flagrante",
        "Flagrante",
        "sim ou não: se houve prisão em flagrante.",
    ),
    (
        "weapon_kind",
        "Tipo de arma",
        "Espécie da arma (revólver, pistola…).",
    ),
    ("caliber", "Calibre", "Calibre da arma."),
    (
        "serial",
        "Número de série",
        "Número de série da arma, como no laudo.",
    ),
    ("brand", "Marca", "Marca da arma."),
    (
        "item",
        "Item",
        "Número da arma dentro do BO quando não há número de série.",
    ),
    (
        "expert_registration",
        "Matrícula do perito",
        "Matrícula do perito que assinou o laudo.",
    ),
    (
        "signed_on",
        "Data do laudo",
        "Dia em que o laudo foi assinado.",
    ),
];

/// A column as a template heads it ("Natureza" for `crime`); the column's own name where no words
/// are written for it.
pub(crate) fn header_of(column: &'static str) -> &'static str {
    HELP.iter()
        .find(|(c, _, _)| *c == column)
        .map_or(column, |(_, header, _)| *header)
}

/// The columns of `kind`, required first, each as the page explains it; none for territories (a
/// GeoJSON file, not a table).
pub fn column_help(kind: Kind) -> Vec<ColumnHelp> {
    let (required, optional) = columns(kind);
    let of = |column: &'static str, required: bool| {
        let (_, header, meaning) = HELP
            .iter()
            .find(|(c, _, _)| *c == column)
            .copied()
            .unwrap_or((column, column, ""));
        let folded_header = crate::fields::folded(header);
        let also = ALIASES
            .iter()
            .filter(|(c, _)| *c == column)
            .flat_map(|(_, names)| names.iter())
            .filter(|n| **n != folded_header)
            .map(|n| n.replace('_', " "))
            .collect();
        ColumnHelp {
            header,
            required,
            meaning,
            also,
        }
    };
    required
        .iter()
        .map(|c| of(c, true))
        .chain(optional.iter().map(|c| of(c, false)))
        .collect()
}

/// The header row of `kind`'s template.
pub fn template_header(kind: Kind) -> Vec<&'static str> {
    column_help(kind).into_iter().map(|c| c.header).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Columns;

    /// Every column has words for people, and a template's header finds every column of its kind and
    /// nothing else: a filled-in template imports as it is.
    #[test]
    fn each_template_header_is_read_back_as_its_kinds_columns() {
        for kind in Kind::ALL {
            let (required, optional) = columns(kind);
            let help = column_help(kind);
            assert_eq!(help.len(), required.len() + optional.len(), "{kind:?}");
            for h in &help {
                assert!(!h.meaning.is_empty(), "{kind:?} {}", h.header);
                assert!(!h.header.contains('_'), "{kind:?} {}", h.header);
            }
            if kind == Kind::Territories {
                continue;
            }
            let header: Vec<String> = template_header(kind)
                .iter()
                .map(|h| h.to_string())
                .collect();
            let c = Columns::new("modelo.csv", &header, required, optional, false)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(c.unknown.is_empty(), "{kind:?}: {:?}", c.unknown);
        }
    }

    #[test]
    fn occurrences_are_explained_in_portuguese() {
        let help = column_help(Kind::Occurrences);
        let first = &help[0];
        assert_eq!((first.header, first.required), ("BO", true));
        assert!(
            first.also.contains(&"numero bo".to_string()),
            "{:?}",
            first.also
        );
        assert_eq!(
            template_header(Kind::Occurrences),
            [
                "BO",
                "Data e hora",
                "Natureza",
                "Latitude",
                "Longitude",
                "Território",
                "Vítimas",
                "Unidade"
            ]
        );
    }
}
