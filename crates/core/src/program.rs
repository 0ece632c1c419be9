//! The program configuration of Goiás Cidadão Seguro (goias-cidadao-seguro.md, intro and §3–4): every
//! number the decree leaves to the committee, kept as one JSON document per validity period. Parsed
//! once into [`ProgramConfig`], which refuses what the rules forbid (e.g. RECAP1's threshold not above
//! RECAP2's, Art. 5) with a Portuguese message naming the field and the value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ipei::{IpeiParams, Share};
use crate::recap::{Baseline, CountBy, Pct, RecapParams};
use crate::{CrimeCode, Institution, TerritoryKind};

/// The document as stored and edited (field names are the spec's parameter names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramDocument {
    /// CAP crimes (Art. 4).
    pub crimes: Vec<String>,
    /// Per crime, `victims` where it is counted by victim (default `occurrences`).
    #[serde(default)]
    pub count_by: BTreeMap<String, String>,
    /// `same_quarter_previous_year` or `previous_quarter`.
    pub baseline: String,
    /// RECAP2 threshold, percent (Art. 6).
    pub recap2_min_pct: f64,
    /// RECAP1 threshold, percent (Art. 5).
    pub recap1_min_pct: f64,
    /// Area kinds that may reach RECAP1.
    pub recap1_kinds: Vec<String>,
    /// Area kinds computed.
    pub area_kinds: Vec<String>,
    /// Optional low-index floor.
    #[serde(default)]
    pub low_index_floor: Option<f64>,
    /// Absence that excludes from the roster, percent of the quarter's days (Art. 9).
    pub absence_max_pct: f64,
    /// Amount per operator per level, in reais: keys `RECAP1`, `RECAP2`.
    pub payment: BTreeMap<String, f64>,
    /// The IPEI's parameters (Arts. 10–12; absent in documents written before the IPEI: the defaults).
    #[serde(default)]
    pub ipei: IpeiDocument,
    /// Days after a quarter or month ends until its data are complete and it may pay (`crate::closing`;
    /// absent in older documents: 0, the day after it ends).
    #[serde(default)]
    pub data_cutoff_days: u32,
    /// The institutions whose operators the RECAP pays (Art. 9; absent in older documents: the decree's
    /// five, [`default_eligible_institutions`]).
    #[serde(default = "default_eligible_institutions")]
    pub eligible_institutions: Vec<String>,
}

/// Art. 9's operators: policiais militares (PM), bombeiros militares (BM), policiais civis (PC), policiais
/// técnico-científicos (SPTC) and the prison system's agents (PP, polícia penal).
pub fn default_eligible_institutions() -> Vec<String> {
    ["PM", "BM", "PC", "SPTC", "PP"].map(String::from).to_vec()
}

/// The longest data cut-off accepted: a quarter's data complete within about a quarter after it.
pub const MAX_DATA_CUTOFF_DAYS: u32 = 90;

/// The IPEI's parameters as stored, in reais (goias-cidadao-seguro.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpeiDocument {
    /// Per weapon seized (R$ 300 after Lei 19.984/2018).
    pub amount_per_weapon: f64,
    /// Per weapon whose laudo is signed in time (Art. 10 §ú), shared among the signing experts.
    pub forensic_amount: f64,
    /// `split_equally` or `each_full`.
    pub share: String,
    /// The most one operator receives in a month (not carried over).
    pub monthly_cap: f64,
}

impl Default for IpeiDocument {
    fn default() -> IpeiDocument {
        IpeiDocument {
            amount_per_weapon: 300.0,
            forensic_amount: 300.0,
            share: "split_equally".into(),
            monthly_cap: 1000.0,
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramConfig {
    /// The RECAP calculation's parameters.
    pub recap: RecapParams,
    /// Roster exclusion threshold (Art. 9).
    pub absence_max_pct: Pct,
    /// Reais per operator at RECAP1.
    pub payment_recap1: f64,
    /// Reais per operator at RECAP2.
    pub payment_recap2: f64,
    /// The IPEI's parameters.
    pub ipei: IpeiParams,
    /// Days after a period ends until it may pay (`crate::closing`).
    pub data_cutoff_days: u32,
    /// The institutions whose operators the RECAP pays (Art. 9).
    pub eligible_institutions: Vec<Institution>,
}

impl ProgramConfig {
    /// Whether an operator of `institution` (a code as stored) is on the RECAP's roster (Art. 9).
    pub fn pays_institution(&self, institution: &str) -> bool {
        institution
            .parse::<Institution>()
            .is_ok_and(|i| self.eligible_institutions.contains(&i))
    }
}

/// Why a configuration document is refused (pt-BR, naming the field and the value).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProgramError {
    /// Not the document's JSON shape.
    #[error("configuração ilegível: {0}")]
    Json(String),
    /// A field's value is not what the rules allow.
    #[error("campo `{field}`: valor `{value}` inválido: {expected}")]
    Field {
        field: &'static str,
        /// Value as given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A rule across fields.
    #[error(transparent)]
    Params(#[from] crate::recap::ParamsError),
}

fn field(field: &'static str, value: impl ToString, expected: impl ToString) -> ProgramError {
    ProgramError::Field {
        field,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn pct(name: &'static str, v: f64) -> Result<Pct, ProgramError> {
    Pct::new(v)
        .filter(|p| (0.0..=100.0).contains(&p.points()))
        .ok_or_else(|| field(name, v, "esperado percentual entre 0 e 100"))
}

fn kinds(name: &'static str, v: &[String]) -> Result<Vec<TerritoryKind>, ProgramError> {
    v.iter()
        .map(|k| k.parse().map_err(|e| field(name, k, e)))
        .collect()
}

impl ProgramDocument {
    /// The decree's defaults (goias-cidadao-seguro.md §2–4); payments are zero until the committee
    /// sets them.
    pub fn decree_default() -> ProgramDocument {
        ProgramDocument {
            crimes: crate::default_cap().iter().map(|c| c.to_string()).collect(),
            count_by: BTreeMap::new(),
            baseline: "same_quarter_previous_year".into(),
            recap2_min_pct: 10.0,
            recap1_min_pct: 20.0,
            recap1_kinds: vec!["aisp".into()],
            area_kinds: vec!["ais".into(), "aisp".into(), "aise".into()],
            low_index_floor: None,
            absence_max_pct: 60.0,
            payment: BTreeMap::from([("RECAP1".into(), 0.0), ("RECAP2".into(), 0.0)]),
            ipei: IpeiDocument::default(),
            data_cutoff_days: 0,
            eligible_institutions: default_eligible_institutions(),
        }
    }

    /// Parses a stored document.
    pub fn from_json(text: &str) -> Result<ProgramDocument, ProgramError> {
        serde_json::from_str(text).map_err(|e| ProgramError::Json(e.to_string()))
    }

    /// Checks every field and the rules across them.
    pub fn validate(&self) -> Result<ProgramConfig, ProgramError> {
        let mut crimes = Vec::new();
        for c in &self.crimes {
            let code: CrimeCode = c.parse().map_err(|e| field("crimes", c, e))?;
            let by = match self.count_by.get(c).map(String::as_str) {
                None | Some("occurrences") => CountBy::Occurrences,
                Some("victims") => CountBy::Victims,
                Some(other) => {
                    return Err(field("count_by", other, "esperado occurrences ou victims"));
                }
            };
            crimes.push((code, by));
        }
        if let Some(c) = self.count_by.keys().find(|c| !self.crimes.contains(c)) {
            return Err(field(
                "count_by",
                c,
                "esperado um dos crimes da lista `crimes`",
            ));
        }
        let baseline = match self.baseline.as_str() {
            "same_quarter_previous_year" => Baseline::SameQuarterPreviousYear,
            "previous_quarter" => Baseline::PreviousQuarter,
            other => {
                return Err(field(
                    "baseline",
                    other,
                    "esperado same_quarter_previous_year ou previous_quarter",
                ));
            }
        };
        let recap = RecapParams {
            crimes,
            baseline,
            recap2_min_pct: pct("recap2_min_pct", self.recap2_min_pct)?,
            recap1_min_pct: pct("recap1_min_pct", self.recap1_min_pct)?,
            recap1_kinds: kinds("recap1_kinds", &self.recap1_kinds)?,
            area_kinds: kinds("area_kinds", &self.area_kinds)?,
            low_index_floor: self.low_index_floor,
        };
        recap.validate()?;
        let amount = |level: &'static str| -> Result<f64, ProgramError> {
            match self.payment.get(level) {
                Some(v) if v.is_finite() && *v >= 0.0 => Ok(*v),
                Some(v) => Err(field(
                    "payment",
                    v,
                    format!("esperado valor em reais ≥ 0 para {level}"),
                )),
                None => Err(field(
                    "payment",
                    "(ausente)",
                    format!("esperado o valor de {level}"),
                )),
            }
        };
        let (p1, p2) = (amount("RECAP1")?, amount("RECAP2")?);
        if let Some(k) = self
            .payment
            .keys()
            .find(|k| !matches!(k.as_str(), "RECAP1" | "RECAP2"))
        {
            return Err(field("payment", k, "esperado RECAP1 ou RECAP2"));
        }
        let reais = |name: &'static str, v: f64| -> Result<i64, ProgramError> {
            if v.is_finite() && (0.0..=1_000_000_000.0).contains(&v) {
                Ok((v * 100.0).round() as i64)
            } else {
                Err(field(name, v, "esperado valor em reais ≥ 0"))
            }
        };
        let ipei = IpeiParams {
            amount_per_weapon_cents: reais("ipei.amount_per_weapon", self.ipei.amount_per_weapon)?,
            forensic_amount_cents: reais("ipei.forensic_amount", self.ipei.forensic_amount)?,
            share: match self.ipei.share.as_str() {
                "split_equally" => Share::SplitEqually,
                "each_full" => Share::EachFull,
                other => {
                    return Err(field(
                        "ipei.share",
                        other,
                        "esperado split_equally ou each_full",
                    ));
                }
            },
            monthly_cap_cents: reais("ipei.monthly_cap", self.ipei.monthly_cap)?,
        };
        if self.data_cutoff_days > MAX_DATA_CUTOFF_DAYS {
            return Err(field(
                "data_cutoff_days",
                self.data_cutoff_days,
                format!("esperado de 0 a {MAX_DATA_CUTOFF_DAYS} dias"),
            ));
        }
        if self.eligible_institutions.is_empty() {
            return Err(field(
                "eligible_institutions",
                "[]",
                "esperada ao menos uma instituição (Art. 9)",
            ));
        }
        let eligible_institutions = self
            .eligible_institutions
            .iter()
            .map(|c| {
                c.parse::<Institution>()
                    .map_err(|e| field("eligible_institutions", c, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProgramConfig {
            eligible_institutions,
            data_cutoff_days: self.data_cutoff_days,
            ipei,
            recap,
            absence_max_pct: pct("absence_max_pct", self.absence_max_pct)?,
            payment_recap1: p1,
            payment_recap2: p2,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_document_is_the_decree() {
        let c = ProgramDocument::decree_default().validate().unwrap();
        assert_eq!(c.recap, RecapParams::decree_default());
        assert_eq!(c.absence_max_pct.points(), 60.0);
        assert_eq!(c.ipei, crate::ipei::IpeiParams::decree_default());
        // A document stored before the IPEI existed reads with the IPEI's defaults.
        let mut old: serde_json::Value =
            serde_json::to_value(ProgramDocument::decree_default()).unwrap();
        old.as_object_mut().unwrap().remove("ipei");
        let d = ProgramDocument::from_json(&old.to_string()).unwrap();
        assert_eq!(d, ProgramDocument::decree_default());
        let json = serde_json::to_string(&ProgramDocument::decree_default()).unwrap();
        assert_eq!(
            ProgramDocument::from_json(&json).unwrap(),
            ProgramDocument::decree_default()
        );
    }

    #[test]
    fn refusals_name_the_field_and_value() {
        let mut d = ProgramDocument::decree_default();
        d.recap1_min_pct = 10.0;
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "o limiar do RECAP1 (10%) deve ser maior que o do RECAP2 (10%) (Art. 5)"
        );
        let mut d = ProgramDocument::decree_default();
        d.count_by
            .insert("homicidio_doloso".into(), "vitimas".into());
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "campo `count_by`: valor `vitimas` inválido: esperado occurrences ou victims"
        );
        let mut d = ProgramDocument::decree_default();
        d.count_by
            .insert("homicidio_doloso".into(), "victims".into());
        let c = d.validate().unwrap();
        assert_eq!(c.recap.crimes[0].1, CountBy::Victims);
        let mut d = ProgramDocument::decree_default();
        d.absence_max_pct = 160.0;
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "campo `absence_max_pct`: valor `160` inválido: esperado percentual entre 0 e 100"
        );
        assert!(matches!(
            ProgramDocument::from_json(r#"{"crimes": []}"#),
            Err(ProgramError::Json(_))
        ));
        let mut d = ProgramDocument::decree_default();
        d.data_cutoff_days = 91;
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "campo `data_cutoff_days`: valor `91` inválido: esperado de 0 a 90 dias"
        );
        d.data_cutoff_days = 90;
        assert_eq!(d.validate().unwrap().data_cutoff_days, 90);
        // Art. 9's five by default; a document may name others, never none nor a malformed code.
        let c = ProgramDocument::decree_default().validate().unwrap();
        assert!(
            ["PM", "bm", "PC", "SPTC", "AGSEP"]
                .iter()
                .all(|i| c.pays_institution(i))
        );
        assert!(!c.pays_institution("GCM") && !c.pays_institution("SSP"));
        let mut d = ProgramDocument::decree_default();
        d.eligible_institutions = vec![];
        assert!(d.validate().unwrap_err().to_string().contains("Art. 9"));
        d.eligible_institutions = vec!["PM".into(), "G C M".into()];
        assert!(
            d.validate()
                .unwrap_err()
                .to_string()
                .starts_with("campo `eligible_institutions`: valor `G C M` inválido")
        );
        let old: ProgramDocument = serde_json::from_str(
            r#"{"crimes":["homicidio_doloso"],"baseline":"same_quarter_previous_year","recap2_min_pct":10,
            "recap1_min_pct":20,"recap1_kinds":["aisp"],"area_kinds":["aisp"],"absence_max_pct":60,
            "payment":{"RECAP1":0,"RECAP2":0}}"#,
        )
        .unwrap();
        assert_eq!(
            (old.data_cutoff_days, old.eligible_institutions),
            (0, default_eligible_institutions()),
            "a document saved before these fields"
        );
        let mut d = ProgramDocument::decree_default();
        d.payment.insert("RECAP3".into(), 10.0);
        assert!(d.validate().unwrap_err().to_string().contains("RECAP3"));
        let mut d = ProgramDocument::decree_default();
        d.ipei.share = "por_cabeca".into();
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "campo `ipei.share`: valor `por_cabeca` inválido: esperado split_equally ou each_full"
        );
        d.ipei.share = "each_full".into();
        d.ipei.monthly_cap = -1.0;
        assert!(
            d.validate()
                .unwrap_err()
                .to_string()
                .contains("ipei.monthly_cap")
        );
    }
}
