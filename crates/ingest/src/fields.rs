//! Header matching and field access with Portuguese rejection reasons that name the column, the value
//! and what was expected (contracts.md §2).

use rustc_hash::FxHashMap as HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::ImportError;
use crate::read::RawRecord;

/// Where each known column sits in the file's header.
#[derive(Debug, Clone)]
pub struct Columns {
    index: HashMap<&'static str, usize>,
    /// Columns found under another name in the file (a Portuguese one): (column, header as written).
    renamed: Vec<(&'static str, String)>,
    width: usize,
    /// Header names not used by this kind (reported once).
    pub unknown: Vec<String>,
    /// Whether numbers may use a decimal comma.
    pub decimal_comma: bool,
}

/// The Portuguese names a column may also go by, as spreadsheets exported by records and HR systems
/// write them (compared without case, accents, spaces or hyphens). A name stands for the first of
/// its columns that the kind has: `data` is `occurred_at` in occurrences and `seized_on` in seizures.
pub(crate) const ALIASES: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "bo",
            "numero_bo",
            "n_bo",
            "boletim",
            "numero_do_bo",
            "reds",
            "rai",
        ],
    ),
    (
        "occurred_at",
        &[
            "data",
            "data_hora",
            "data_e_hora",
            "datahora",
            "data_do_fato",
            "data_fato",
        ],
    ),
    ("crime", &["natureza", "natureza_do_fato", "tipo_de_crime"]),
    ("lat", &["latitude"]),
    ("lon", &["longitude", "lng"]),
    (
        "territory_code",
        &[
            "territorio",
            "municipio",
            "codigo_ibge",
            "codigo_do_territorio",
        ],
    ),
    ("victims", &["vitimas"]),
    ("unit_code", &["unidade", "codigo_da_unidade"]),
    ("code", &["codigo"]),
    ("name", &["nome"]),
    ("institution", &["instituicao"]),
    ("territory_codes", &["territorios", "areas"]),
    ("valid_from", &["vigencia_inicio", "valido_de"]),
    ("valid_to", &["vigencia_fim", "valido_ate"]),
    ("registration", &["matricula"]),
    ("from", &["inicio", "de", "data_inicio"]),
    ("to", &["fim", "ate", "data_fim"]),
    ("kind", &["tipo"]),
    ("reason", &["motivo"]),
    ("year", &["ano"]),
    ("population", &["populacao", "habitantes"]),
    ("month", &["mes"]),
    ("count", &["quantidade", "total", "contagem"]),
    ("source_code", &["codigo_de_origem", "codigo_origem"]),
    ("bo_number", &["bo", "numero_bo", "numero_do_bo"]),
    (
        "seized_on",
        &["data", "data_da_apreensao", "data_apreensao"],
    ),
    ("registrations", &["matriculas"]),
    ("weapon_kind", &["tipo_de_arma", "especie"]),
    ("caliber", &["calibre"]),
    ("serial", &["serie", "numero_de_serie"]),
    ("brand", &["marca"]),
    ("expert_registration", &["matricula_do_perito", "perito"]),
    ("signed_on", &["data", "data_do_laudo", "assinado_em"]),
];

/// A header name as compared: lower case, no accents, spaces and hyphens as `_`, a leading BOM gone.
pub(crate) fn folded(name: &str) -> String {
    atalaia_core::text::folded(name.trim().trim_start_matches('\u{feff}'))
        .chars()
        .map(|c| match c {
            ' ' | '-' | '.' => '_',
            c => c,
        })
        .collect()
}

/// Which of `columns` the header name stands for: its own name, or a Portuguese alias.
fn column_of(name: &str, columns: &[&'static str]) -> Option<&'static str> {
    let name = folded(name);
    if let Some(c) = columns.iter().find(|c| **c == name) {
        return Some(c);
    }
    ALIASES
        .iter()
        .filter(|(_, names)| names.contains(&name.as_str()))
        .find_map(|(canonical, _)| columns.iter().find(|c| *c == canonical).copied())
}

/// A required column as a message names it, with the Portuguese names it is also found by.
/// A missing column as people read it: the template's heading, then every other heading that stands
/// for it ("Natureza (ou crime, natureza_do_fato, tipo_de_crime)").
fn with_aliases(column: &'static str) -> String {
    let header = crate::help::header_of(column);
    let others: Vec<&str> = std::iter::once(column)
        .chain(
            ALIASES
                .iter()
                .filter(|(c, _)| *c == column)
                .flat_map(|(_, names)| names.iter().copied()),
        )
        .filter(|n| *n != folded(header))
        .collect();
    if others.is_empty() || header == column {
        return column.to_string();
    }
    format!("{header} (ou {})", others.join(", "))
}

impl Columns {
    /// Matches `header` (case-insensitively, trimmed, any order; Portuguese names too, see
    /// [`ALIASES`]) against the kind's columns. A missing required column is fatal: the file is of
    /// another kind or broken.
    pub fn new(
        file: &str,
        header: &[String],
        required: &[&'static str],
        optional: &[&'static str],
        decimal_comma: bool,
    ) -> Result<Columns, ImportError> {
        let mut index = HashMap::default();
        let mut renamed = Vec::new();
        let mut unknown = Vec::new();
        let known: Vec<&'static str> = required.iter().chain(optional).copied().collect();
        for (i, h) in header.iter().enumerate() {
            match column_of(h, &known) {
                Some(c) => {
                    if folded(h) != c {
                        renamed.push((c, h.trim().to_string()));
                    }
                    if index.insert(c, i).is_some() {
                        return Err(ImportError::DuplicateColumn {
                            file: file.to_string(),
                            column: c.to_string(),
                        });
                    }
                }
                None => unknown.push(h.trim().to_string()),
            }
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|c| !index.contains_key(*c))
            .map(|c| with_aliases(c))
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns {
                file: file.to_string(),
                missing: missing.join(", "),
                found: header
                    .iter()
                    .map(|h| h.trim())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Columns {
            index,
            renamed,
            width: header.len(),
            unknown,
            decimal_comma,
        })
    }

    /// A refusal in the file's own words: a column the file names otherwise (`Data e hora` for
    /// `occurred_at`) is named as the file names it, so the person fixing the spreadsheet finds it.
    /// Values quoted in the reason (after "valor `") are left as they are.
    /// Names the kind's columns by the source's columns they are computed from (an import profile's
    /// rules): a reason then speaks of the column the person can find in their file.
    pub fn computed_from(&mut self, sources: &[(String, String)]) {
        for (target, source) in sources {
            if let Some(column) = self.index.keys().copied().find(|c| *c == target.as_str()) {
                self.renamed.retain(|(c, _)| *c != column);
                self.renamed.push((column, source.clone()));
            }
        }
    }

    pub fn in_file_words(&self, reason: &str) -> String {
        if self.renamed.is_empty() {
            return reason.to_string();
        }
        let rename = |text: &str| {
            self.renamed
                .iter()
                .fold(text.to_string(), |t, (column, header)| {
                    t.replace(&format!("`{column}`"), &format!("`{header}`"))
                })
        };
        let mut out = String::with_capacity(reason.len() + 16);
        let mut rest = reason;
        // Text up to each quoted value is renamed; the value itself is copied as it is.
        while let Some(at) = rest.find("valor `") {
            let start = at + "valor `".len();
            let end = rest[start..]
                .find('`')
                .map_or(rest.len(), |e| start + e + 1);
            out.push_str(&rename(&rest[..at]));
            out.push_str(&rest[at..end]);
            rest = &rest[end..];
        }
        out.push_str(&rename(rest));
        out
    }

    /// Accessor for one record. Rejects a record whose field count differs from the header's.
    pub fn row<'a>(&'a self, rec: &'a RawRecord) -> Result<Row<'a>, String> {
        if rec.fields.len() != self.width {
            return Err(format!(
                "a linha tem {} campos; esperado {}, como no cabeçalho",
                rec.fields.len(),
                self.width
            ));
        }
        Ok(Row { cols: self, rec })
    }
}

/// One record seen through its header.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    cols: &'a Columns,
    rec: &'a RawRecord,
}

/// Shortens a value for a message (a broken file can hold a megabyte in one field).
pub fn shown(v: &str) -> String {
    let v = v.trim();
    if v.chars().count() > 60 {
        format!("{}…", v.chars().take(60).collect::<String>())
    } else {
        v.to_string()
    }
}

/// Builds the standard reason: "coluna `c`: valor `v` inválido: <why>".
pub fn bad(column: &str, value: &str, why: impl std::fmt::Display) -> String {
    format!(
        "coluna `{column}`: valor `{}` inválido: {why}",
        shown(value)
    )
}

impl<'a> Row<'a> {
    /// The trimmed value of `column`, `None` when the column is absent or the field empty.
    pub fn opt(&self, column: &str) -> Option<&'a str> {
        let i = *self.cols.index.get(column)?;
        let v = self.rec.fields.get(i)?.trim();
        (!v.is_empty()).then_some(v)
    }

    /// The value of a required column.
    pub fn req(&self, column: &str) -> Result<&'a str, String> {
        self.opt(column)
            .ok_or_else(|| format!("coluna `{column}`: valor vazio; o campo é obrigatório"))
    }

    /// Parses a required value with a domain parser whose error says what was expected.
    pub fn parse<T, E: std::fmt::Display>(
        &self,
        column: &str,
        f: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, String> {
        let v = self.req(column)?;
        f(v).map_err(|e| bad(column, v, e))
    }

    /// Parses an optional value.
    pub fn parse_opt<T, E: std::fmt::Display>(
        &self,
        column: &str,
        f: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, String> {
        match self.opt(column) {
            None => Ok(None),
            Some(v) => f(v).map(Some).map_err(|e| bad(column, v, e)),
        }
    }

    /// A required date (`YYYY-MM-DD` or `DD/MM/YYYY`).
    pub fn date(&self, column: &str) -> Result<NaiveDate, String> {
        self.parse(column, atalaia_core::dates::parse_date)
    }

    /// An optional date.
    pub fn date_opt(&self, column: &str) -> Result<Option<NaiveDate>, String> {
        self.parse_opt(column, atalaia_core::dates::parse_date)
    }

    /// A required date-time.
    pub fn datetime(&self, column: &str) -> Result<NaiveDateTime, String> {
        self.parse(column, atalaia_core::dates::parse_datetime)
    }

    /// An optional decimal number (decimal comma accepted in `;` files).
    pub fn f64_opt(&self, column: &str) -> Result<Option<f64>, String> {
        let comma = self.cols.decimal_comma;
        self.parse_opt(column, |v| parse_decimal(v, comma))
    }

    /// A required whole number within `[min, max]`.
    pub fn int(&self, column: &str, min: i64, max: i64) -> Result<i64, String> {
        self.parse(column, |v| parse_int(v, min, max))
    }

    /// An optional whole number within `[min, max]`.
    pub fn int_opt(&self, column: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
        self.parse_opt(column, |v| parse_int(v, min, max))
    }

    /// The record's original fields (for the rejects file).
    pub fn fields(&self) -> &'a [String] {
        &self.rec.fields
    }
}

/// Parses a decimal number; with `decimal_comma`, `-16,6869` is accepted too. Thousands separators
/// are not accepted (ambiguous: `1.234` is 1.234 or 1234), nor are NaN or infinities.
pub fn parse_decimal(v: &str, decimal_comma: bool) -> Result<f64, String> {
    let s = v.trim();
    let owned;
    let s = if decimal_comma && s.contains(',') {
        if s.contains('.') {
            return Err("esperado número com vírgula decimal, sem separador de milhar".into());
        }
        owned = s.replacen(',', ".", 1);
        owned.as_str()
    } else {
        s
    };
    let ok = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+' || b == b'e' || b == b'E'
        })
        && s.bytes().any(|b| b.is_ascii_digit());
    match s.parse::<f64>() {
        Ok(x) if ok && x.is_finite() => Ok(x),
        _ if decimal_comma => Err("esperado número decimal (ex.: -16,6869 ou -16.6869)".into()),
        _ => Err("esperado número decimal com ponto (ex.: -16.6869)".into()),
    }
}

/// Parses a whole number within `[min, max]` (`12.0` from a spreadsheet is accepted as 12).
pub fn parse_int(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let s = v.trim();
    let s = s.strip_suffix(".0").unwrap_or(s);
    match s.parse::<i64>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        Ok(_) => Err(format!("esperado número inteiro entre {min} e {max}")),
        Err(_) => Err("esperado número inteiro".into()),
    }
}

/// Parses a yes/no value (`sim`/`não`, `true`/`false`, `s`/`n`, `1`/`0`).
pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_lowercase().as_str() {
        "sim" | "s" | "true" | "verdadeiro" | "1" | "yes" => Ok(true),
        "não" | "nao" | "n" | "false" | "falso" | "0" | "no" => Ok(false),
        _ => Err("esperado sim/não ou true/false".into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_names_the_columns_as_the_file_does() {
        let header: Vec<String> = ["BO", "Data e hora", "natureza", "lat", "lon"]
            .map(String::from)
            .to_vec();
        let c = super::Columns::new(
            "f.csv",
            &header,
            &["id", "occurred_at", "crime"],
            &["lat", "lon"],
            false,
        )
        .unwrap();
        assert_eq!(
            c.in_file_words(
                "coluna `occurred_at`: valor `occurred_at` inválido: x; coluna `crime`: valor `` inválido; \
                 colunas `lat`/`lon`: valor `1, 2` inválido"
            ),
            "coluna `Data e hora`: valor `occurred_at` inválido: x; coluna `natureza`: valor `` inválido; \
             colunas `lat`/`lon`: valor `1, 2` inválido"
        );
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("-16.6869", false), Ok(-16.6869));
        assert_eq!(parse_decimal("-16,6869", true), Ok(-16.6869));
        assert!(parse_decimal("-16,6869", false).is_err());
        assert!(parse_decimal("1.234,5", true).is_err());
        assert!(parse_decimal("NaN", false).is_err());
        assert!(parse_decimal("inf", false).is_err());
        assert!(parse_decimal("-49,2x", true).is_err());
        assert!(parse_decimal("-", false).is_err());
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int("3", 1, 10), Ok(3));
        assert_eq!(parse_int("3.0", 1, 10), Ok(3));
        assert!(parse_int("0", 1, 10).is_err());
        assert!(parse_int("dois", 1, 10).is_err());
    }

    /// A Portuguese name stands for the column its kind has: `Data` is the seizure's date in a seizures
    /// file and the fact's in an occurrences file; a missing column is named with its other names.
    #[test]
    fn portuguese_names_stand_for_the_kinds_columns() {
        let seizures = [
            "bo_number",
            "seized_on",
            "unit_code",
            "registrations",
            "flagrante",
        ];
        assert_eq!(column_of("Data", &seizures), Some("seized_on"));
        assert_eq!(column_of(" Matrículas ", &seizures), Some("registrations"));
        assert_eq!(column_of("BO", &seizures), Some("bo_number"));
        let occurrences = ["id", "occurred_at", "crime", "lat", "lon"];
        assert_eq!(column_of("DATA", &occurrences), Some("occurred_at"));
        assert_eq!(column_of("BO", &occurrences), Some("id"));
        assert_eq!(column_of("Matrícula", &occurrences), None);
        let h: Vec<String> = ["BO", "Natureza"].iter().map(|s| s.to_string()).collect();
        let err = Columns::new("f.csv", &h, &occurrences[..3], &[], false).unwrap_err();
        assert!(
            err.to_string().contains(
                "faltam as colunas obrigatórias Data e hora (ou occurred_at, data, data_hora"
            ),
            "{err}"
        );
    }

    #[test]
    fn header_matching_is_case_insensitive_and_reports_missing() {
        let h: Vec<String> = ["ID", " Crime ", "extra"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = Columns::new("f.csv", &h, &["id", "crime"], &["lat"], false).unwrap();
        assert_eq!(c.unknown, vec!["extra".to_string()]);
        let err = Columns::new("f.csv", &h, &["id", "occurred_at"], &[], false).unwrap_err();
        assert!(err.to_string().contains("occurred_at"), "{err}");
    }

    proptest! {
        #[test]
        fn decimal_parse_never_panics(s in ".*", comma in any::<bool>()) {
            let _ = parse_decimal(&s, comma);
        }

        #[test]
        fn decimal_comma_twin_equals_point(x in -180.0f64..180.0) {
            let point = format!("{x}");
            let comma = point.replace('.', ",");
            prop_assert_eq!(parse_decimal(&point, false), parse_decimal(&comma, true));
        }
    }
}
