//! Import profiles (issue 22 §3): how one source's files — a records system's export, a secretariat's
//! open data — map onto an import kind's columns, so that its files import unchanged. A profile names,
//! for each column of the kind, the rule that computes it from a source row: a column as it is, a fixed
//! value, columns joined (an id composed from them), a hash of the whole row (a source without ids), a
//! date in the source's format with an optional separate time, a crime name translated by the profile's
//! own table, a 6-digit IBGE code completed with its check digit, a year and a month column.
//!
//! The importer reads each row as the source wrote it, parses the row the profile computes, and keeps
//! the source row in the rejects file: what is rejected is shown as it is in the source's file.
//!
//! Shipped profiles ([`shipped`]) are JSON documents in `profiles/`; a profile is stored and read the
//! same way, so an analyst's saved profile has the same form.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fields::folded;
use crate::read::RawRecord;

/// How one target column is computed from a source row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// The source column as it is.
    Column(String),
    /// The same text on every row.
    Value(String),
    /// The source columns joined with `/` (an id composed from them).
    Join(Vec<String>),
    /// The first 16 hex digits of the SHA-256 of the whole source row (fields joined by a unit
    /// separator): a source without an id column re-imports as the same records.
    RowHash,
    /// A date in the source's `format` (chrono's, e.g. `%d/%m/%Y`), with the time of `time` when given
    /// (`%H:%M:%S` or `%H:%M`), written as the importer reads it (`AAAA-MM-DDTHH:MM:SS`).
    Date {
        column: String,
        format: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time: Option<String>,
    },
    /// A crime as the source names it, translated by the profile's `crimes` table (accents, case and
    /// spacing ignored); a name not in the table passes as written, and the importer rejects it naming it.
    CrimeName(String),
    /// A 6-digit IBGE municipality code completed with its check digit.
    Ibge6(String),
    /// `AAAA-MM` from a year column and a month column (`2022`, `1`).
    YearMonth { year: String, month: String },
    /// Text with `{column}` replaced by that column's value (`CISP{cisp}` → `CISP5`).
    Template(String),
}

/// A wide source — one row per area and month, one column per crime — read as one row per crime: each
/// listed source column gives a row whose `crime` column is the catalog code it maps to and whose
/// `count` column is its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unpivot {
    /// The kind's column that receives the catalog code.
    pub crime: String,
    /// The kind's column that receives the value.
    pub count: String,
    /// Source column → catalog code.
    pub columns: BTreeMap<String, String>,
}

/// An import profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The name it is chosen by (`--profile NAME`).
    pub name: String,
    /// What it reads, in Portuguese, for the people who choose it.
    pub title: String,
    /// The import kind it feeds (`occurrences`, `counts`…).
    pub kind: String,
    /// Each target column's rule, by the kind's column name.
    pub columns: BTreeMap<String, Rule>,
    /// Source crime names → catalog codes, for [`Rule::CrimeName`].
    #[serde(default)]
    pub crimes: BTreeMap<String, String>,
    /// Whether the source writes decimals with a comma (`-23,5`); otherwise with a point.
    #[serde(default)]
    pub decimal_comma: bool,
    /// A wide source's crime columns, read one row per crime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpivot: Option<Unpivot>,
}

/// The profiles that come with Atalaia, for public formats (`profiles/*.json`).
const SHIPPED: [&str; 3] = [
    include_str!("../profiles/sp-ssp-roubo-veiculos.json"),
    include_str!("../profiles/mg-sejusp-crimes-violentos.json"),
    include_str!("../profiles/rj-isp-cisp-mensal.json"),
];

/// The shipped profiles, by name.
pub fn shipped() -> Vec<Profile> {
    SHIPPED
        .iter()
        // Each is checked by a test: a broken one is a build's bug, not a user's.
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect()
}

/// The shipped profile `name`, or a message listing the names there are.
pub fn find(name: &str) -> Result<Profile, String> {
    let all = shipped();
    all.iter().find(|p| p.name == name).cloned().ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        format!(
            "perfil de importação `{name}` desconhecido; os perfis são: {}",
            names.join(", ")
        )
    })
}

/// The profile `name` for files of `kind`: a shipped one, else one an analyst saved in `db`. The
/// inner error says why there is none (listing the names there are) or that it reads another kind.
pub async fn named(
    db: &atalaia_store::Db,
    name: &str,
    kind: crate::Kind,
) -> Result<Result<Profile, String>, atalaia_store::StoreError> {
    let saved = match find(name) {
        Ok(p) => return Ok(of_kind(p, kind)),
        Err(_) => db.import_profile(name).await?,
    };
    let found = match saved {
        Some(p) => serde_json::from_str::<Profile>(&p.document)
            .map_err(|e| format!("perfil de importação `{name}` ilegível: {e}")),
        None => {
            let saved = db.import_profiles().await?;
            let names: Vec<String> = shipped()
                .into_iter()
                .map(|p| p.name)
                .chain(saved.into_iter().map(|p| p.name))
                .collect();
            Err(format!(
                "perfil de importação `{name}` desconhecido; os perfis são: {}",
                names.join(", ")
            ))
        }
    };
    Ok(found.and_then(|p| of_kind(p, kind)))
}

/// `p` if it reads files of `kind`; otherwise why not, in the kinds' names for people.
fn of_kind(p: Profile, kind: crate::Kind) -> Result<Profile, String> {
    if p.kind == kind.as_str() {
        return Ok(p);
    }
    Err(format!(
        "o perfil `{}` lê arquivos de {}, não de {}",
        p.name,
        crate::Kind::parse(&p.kind).map_or(p.kind.as_str(), |k| k.label_pt()),
        kind.label_pt()
    ))
}

/// A profile bound to one file's header: source columns found by position.
#[derive(Debug)]
pub struct Adapter {
    header: Vec<String>,
    /// The file's own header.
    source_header: Vec<String>,
    rules: Vec<Bound>,
    crimes: BTreeMap<String, String>,
    /// With an unpivot: the source column of each catalog code, in the code's order.
    wide: Vec<(usize, String)>,
}

#[derive(Debug)]
enum Bound {
    Column(usize),
    Value(String),
    Join(Vec<usize>),
    RowHash,
    Date {
        column: usize,
        format: String,
        time: Option<usize>,
    },
    CrimeName(usize),
    Ibge6(usize),
    YearMonth {
        year: usize,
        month: usize,
    },
    /// Literal pieces and columns, in order.
    Template(Vec<Piece>),
    /// Filled per unpivoted row: the catalog code, then the value.
    WideCrime,
    WideCount,
}

#[derive(Debug)]
enum Piece {
    Text(String),
    Column(usize),
}

impl Profile {
    /// Binds the profile to a file whose header is `header`; the source columns it names and the file
    /// lacks are listed in the error.
    pub fn adapter(&self, header: &[String]) -> Result<Adapter, String> {
        let position: BTreeMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (folded(h), i))
            .collect();
        let mut missing = Vec::new();
        let mut at = |name: &str| match position.get(&folded(name)) {
            Some(i) => *i,
            None => {
                missing.push(name.to_string());
                0
            }
        };
        let mut targets = Vec::new();
        let mut rules = Vec::new();
        for (target, rule) in &self.columns {
            targets.push(target.clone());
            rules.push(match rule {
                Rule::Column(c) => Bound::Column(at(c)),
                Rule::Value(v) => Bound::Value(v.clone()),
                Rule::Join(cs) => Bound::Join(cs.iter().map(|c| at(c)).collect()),
                Rule::RowHash => Bound::RowHash,
                Rule::Date {
                    column,
                    format,
                    time,
                } => Bound::Date {
                    column: at(column),
                    format: format.clone(),
                    time: time.as_deref().map(&mut at),
                },
                Rule::CrimeName(c) => Bound::CrimeName(at(c)),
                Rule::Ibge6(c) => Bound::Ibge6(at(c)),
                Rule::YearMonth { year, month } => Bound::YearMonth {
                    year: at(year),
                    month: at(month),
                },
                Rule::Template(text) => Bound::Template(pieces(text, &mut at)),
            });
        }
        let mut wide = Vec::new();
        if let Some(u) = &self.unpivot {
            for (target, bound) in [(&u.crime, Bound::WideCrime), (&u.count, Bound::WideCount)] {
                targets.push(target.clone());
                rules.push(bound);
            }
            for (source, code) in &u.columns {
                wide.push((at(source), code.clone()));
            }
        }
        if !missing.is_empty() {
            missing.dedup();
            return Err(format!(
                "o arquivo não tem as colunas que o perfil `{}` lê: {}",
                self.name,
                missing.join(", ")
            ));
        }
        Ok(Adapter {
            header: targets,
            source_header: header.to_vec(),
            rules,
            crimes: self
                .crimes
                .iter()
                .map(|(name, code)| (folded(name), code.clone()))
                .collect(),
            wide,
        })
    }
}

impl Adapter {
    /// Each computed column read from one source column, with that column's name as the file writes
    /// it: what a rejected row's reason names instead of the kind's column.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.header
            .iter()
            .zip(&self.rules)
            .filter_map(|(target, rule)| {
                let i = match rule {
                    Bound::Column(i) | Bound::CrimeName(i) | Bound::Ibge6(i) => *i,
                    Bound::Date { column, .. } => *column,
                    _ => return None,
                };
                Some((
                    target.clone(),
                    self.source_header.get(i)?.trim().to_string(),
                ))
            })
            .collect()
    }

    /// The columns of the rows [`Adapter::record`] computes.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The rows the profile computes from the source row `rec` (same line and offset): one, or one per
    /// crime column of an unpivot. A value a rule cannot read passes as written, for the importer to
    /// reject naming it.
    pub fn records(&self, rec: &RawRecord) -> Vec<RawRecord> {
        if self.wide.is_empty() {
            return vec![self.record(rec, None)];
        }
        self.wide
            .iter()
            .map(|(column, code)| self.record(rec, Some((code, *column))))
            .collect()
    }

    /// One computed row; `wide` is the unpivoted crime's code and source column.
    fn record(&self, rec: &RawRecord, wide: Option<(&String, usize)>) -> RawRecord {
        let get = |i: usize| rec.fields.get(i).map(|s| s.trim()).unwrap_or("");
        let fields = self
            .rules
            .iter()
            .map(|rule| match rule {
                Bound::Column(i) => get(*i).to_string(),
                Bound::Value(v) => v.clone(),
                Bound::Join(cs) => cs.iter().map(|i| get(*i)).collect::<Vec<_>>().join("/"),
                Bound::RowHash => {
                    let digest = Sha256::digest(rec.fields.join("\u{1f}").as_bytes());
                    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
                }
                Bound::Date {
                    column,
                    format,
                    time,
                } => date(get(*column), format, time.map(get)),
                Bound::CrimeName(i) => {
                    let name = get(*i);
                    self.crimes
                        .get(&folded(name))
                        .cloned()
                        .unwrap_or_else(|| name.to_string())
                }
                Bound::Ibge6(i) => {
                    let six = get(*i);
                    atalaia_core::IbgeCode::complete(six)
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_else(|_| six.to_string())
                }
                Bound::YearMonth { year, month } => match get(*month).parse::<u32>() {
                    Ok(m) if (1..=12).contains(&m) => format!("{}-{m:02}", get(*year)),
                    _ => format!("{}-{}", get(*year), get(*month)),
                },
                Bound::Template(pieces) => pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.as_str(),
                        Piece::Column(i) => get(*i),
                    })
                    .collect(),
                Bound::WideCrime => wide.map(|(code, _)| code.clone()).unwrap_or_default(),
                Bound::WideCount => wide.map(|(_, i)| get(i).to_string()).unwrap_or_default(),
            })
            .collect();
        RawRecord {
            line: rec.line,
            fields,
            offset: rec.offset,
        }
    }
}

/// `text` cut into literal pieces and `{column}` references, bound by `at`.
fn pieces(text: &str, at: &mut impl FnMut(&str) -> usize) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_string()));
        }
        out.push(Piece::Column(at(&rest[open + 1..open + close])));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    out
}

/// The kind's columns of a file whose header is `header`: read directly, or through `profile` — then
/// with the profile bound to the file, and reasons naming the source's columns (`Columns::computed_from`).
pub(crate) fn bind(
    file: &str,
    header: &[String],
    format: &crate::read::Format,
    columns: (&[&'static str], &[&'static str]),
    profile: Option<&Profile>,
) -> Result<(crate::fields::Columns, Option<Adapter>), crate::ImportError> {
    let (required, optional) = columns;
    let Some(p) = profile else {
        let c =
            crate::fields::Columns::new(file, header, required, optional, format.decimal_comma())?;
        return Ok((c, None));
    };
    let a = p
        .adapter(header)
        .map_err(|why| crate::ImportError::Profile(file.to_string(), why))?;
    let mut c = crate::fields::Columns::new(file, a.header(), required, optional, p.decimal_comma)?;
    c.computed_from(&a.sources());
    Ok((c, Some(a)))
}

/// `day` in `format`, with `time` when given, as `AAAA-MM-DDTHH:MM:SS`; as written when unreadable.
fn date(day: &str, format: &str, time: Option<&str>) -> String {
    let Ok(d) = NaiveDate::parse_from_str(day, format) else {
        return day.to_string();
    };
    let t = match time {
        None | Some("") => NaiveTime::MIN,
        Some(t) => match NaiveTime::parse_from_str(t, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        {
            Ok(t) => t,
            Err(_) => return format!("{day} {t}"),
        },
    };
    d.and_time(t).format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fields: &[&str]) -> RawRecord {
        RawRecord {
            line: 7,
            fields: fields.iter().map(|s| s.to_string()).collect(),
            offset: 99,
        }
    }

    #[test]
    fn every_shipped_profile_reads() {
        let texts = SHIPPED.len();
        assert_eq!(shipped().len(), texts, "a shipped profile does not parse");
        for text in SHIPPED {
            serde_json::from_str::<Profile>(text).unwrap();
        }
    }

    #[test]
    fn rules_compute_the_kind_s_columns() {
        let p = Profile {
            name: "teste".into(),
            title: "Teste".into(),
            kind: "occurrences".into(),
            columns: BTreeMap::from([
                ("id".into(), Rule::Join(vec!["ano".into(), "numero".into()])),
                (
                    "occurred_at".into(),
                    Rule::Date {
                        column: "Data".into(),
                        format: "%d/%m/%Y".into(),
                        time: Some("hora".into()),
                    },
                ),
                ("crime".into(), Rule::CrimeName("Natureza".into())),
                ("territory_code".into(), Rule::Ibge6("cod".into())),
                (
                    "month".into(),
                    Rule::YearMonth {
                        year: "ano".into(),
                        month: "mes".into(),
                    },
                ),
                ("source".into(), Rule::Value("SSP".into())),
                ("hash".into(), Rule::RowHash),
            ]),
            crimes: BTreeMap::from([("Roubo (art. 157) - VEÍCULO".into(), "roubo_veiculo".into())]),
            decimal_comma: false,
            unpivot: None,
        };
        let header: Vec<String> = ["ANO", "numero", "data", "HORA", "natureza", "cod", "mes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let a = p.adapter(&header).unwrap();
        let one = |fields: &[&str]| a.records(&rec(fields)).remove(0);
        assert_eq!(
            a.header(),
            [
                "crime",
                "hash",
                "id",
                "month",
                "occurred_at",
                "source",
                "territory_code"
            ]
        );
        let out = one(&[
            "2021",
            "123",
            "01/02/2021",
            "07:05",
            " roubo (ART. 157) - veiculo ",
            "310010",
            "3",
        ]);
        assert_eq!((out.line, out.offset), (7, 99));
        // Abadia dos Dourados: 310010 and its check digit 4 (IBGE: 3100104).
        assert_eq!(
            out.fields[..3],
            [
                "roubo_veiculo".to_string(),
                out.fields[1].clone(),
                "2021/123".into()
            ]
        );
        assert_eq!(out.fields[1].len(), 16);
        assert_eq!(
            out.fields[3..],
            ["2021-03", "2021-02-01T07:05:00", "SSP", "3100104"].map(String::from)
        );
        // What a rule cannot read passes as written, for the importer to name.
        let odd = one(&["2021", "9", "31/02/2021", "", "Furto", "31001", "13"]);
        assert_eq!(odd.fields[0], "Furto");
        assert_eq!(odd.fields[3], "2021-13");
        assert_eq!(odd.fields[4], "31/02/2021");
        assert_eq!(odd.fields[6], "31001");
        // The same row hashes the same; another row does not.
        let again = one(&["2021", "9", "31/02/2021", "", "Furto", "31001", "13"]);
        let other = one(&["2021", "10", "31/02/2021", "", "Furto", "31001", "13"]);
        assert_eq!(odd.fields[1], again.fields[1]);
        assert_ne!(odd.fields[1], other.fields[1]);
    }

    #[test]
    fn a_file_without_the_profile_s_columns_is_refused_by_name() {
        let p = find("mg-sejusp-crimes-violentos").unwrap();
        let e = p
            .adapter(&["REGISTROS".to_string(), "ANO".to_string()])
            .unwrap_err();
        assert!(
            e.contains("o arquivo não tem as colunas que o perfil `mg-sejusp-crimes-violentos` lê"),
            "{e}"
        );
        assert!(e.contains("COD_MUNICIPIO") && e.contains("NATUREZA"), "{e}");
        let e = find("nenhum").unwrap_err();
        assert!(e.contains("perfil de importação `nenhum` desconhecido; os perfis são: sp-ssp-roubo-veiculos, mg-sejusp-crimes-violentos, rj-isp-cisp-mensal"), "{e}");
    }
}
